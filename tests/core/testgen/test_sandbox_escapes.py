"""Each escape an attacker tried from inside the sandbox (issue #10) fails, every time.

Every attack runs as real code in a real sandboxed run, against real targets on this machine:
PostgreSQL's Unix socket and TCP port, a world-writable Unix socket and a store this test makes
on the host, another process's command line, another user's file. Each test first shows from
the host that its target is really there and reachable, so that "refused" means the sandbox
refused it. The runs go through both confinements a server can get: as root (the run becomes
``nobody``) and the user-namespace mode a non-root server has.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from argus.core.store.sqlite import SQLiteStore
from argus.core.testgen.candidate import Candidate
from argus.core.testgen.sandbox import (
    IsolationPolicy,
    Limits,
    RunResult,
    SandboxUnavailableError,
    detect_isolation,
    workspace,
)
from argus.core.testgen.validation import validate
from tests.core.testgen.sandbox_repos import PythonRepo, python_repo

LIMITS = Limits(timeout_seconds=30.0, memory_bytes=1 << 30)
POSTGRES_SOCKET_FOLDER = "/var/run/postgresql"
POSTGRES_SOCKET = f"{POSTGRES_SOCKET_FOLDER}/.s.PGSQL.5432"
POLICIES = {
    "as-root-then-nobody": IsolationPolicy(),
    "user-namespace": IsolationPolicy(user_namespace=True),
}

# Prints "ESCAPED <what>" for every attempt that worked and "refused <what>" for every one
# that did not; the attempts themselves follow it in each test.
PROLOGUE = """
import os, socket, sys
def attempt(what, action):
    try:
        result = action()
    except Exception as error:
        print("refused", what, type(error).__name__, error, flush=True)
    else:
        print("ESCAPED", what, repr(result)[:200], flush=True)
"""


@pytest.fixture(params=sorted(POLICIES))
def policy(request: pytest.FixtureRequest) -> IsolationPolicy:
    return POLICIES[request.param]


@pytest.fixture()
def project(tmp_path: Path) -> PythonRepo:
    return python_repo(tmp_path)


@pytest.fixture()
def public_folder() -> Iterator[Path]:
    """A folder on the host anybody may enter, as /tmp and /var/run hold many."""
    folder = Path(tempfile.mkdtemp(prefix="argus-escape-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def attack(project: PythonRepo, policy: IsolationPolicy, attempts: str) -> RunResult:
    """Run the attempts as a sandboxed Python program; check every attempt was made."""
    source = PROLOGUE + textwrap.dedent(attempts)
    with workspace(project.path, project.fixed, policy=policy) as space:
        result = space.run([sys.executable, "-c", source], LIMITS)
    made = attempts.count("attempt(")
    reported = [
        line
        for line in result.stdout.splitlines()
        if line.split()[:1] in (["refused"], ["ESCAPED"])
    ]
    assert len(reported) >= made, result.output
    return result


def escaped(result: RunResult) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("ESCAPED")]


def test_postgresql_unix_socket_cannot_be_reached_nor_abused(
    project: PythonRepo, policy: IsolationPolicy, public_folder: Path
) -> None:
    # From the host: the socket is there, world-writable, and trusts a local superuser.
    assert stat.S_IMODE(os.stat(POSTGRES_SOCKET).st_mode) & 0o002
    with psycopg.connect(host=POSTGRES_SOCKET_FOLDER, user="postgres", dbname="test") as db:
        assert db.execute("SELECT rolsuper FROM pg_roles WHERE rolname = 'postgres'").fetchone()
    public_folder.chmod(0o777)
    marker = public_folder / "ran-outside"
    result = attack(
        project,
        policy,
        f"""
        def raw():
            client = socket.socket(socket.AF_UNIX)
            client.connect({POSTGRES_SOCKET!r})
            return client
        def superuser():
            import psycopg
            with psycopg.connect(host={POSTGRES_SOCKET_FOLDER!r}, user="postgres", dbname="test",
                                 autocommit=True) as db:
                db.execute("COPY (SELECT 1) TO PROGRAM 'touch {marker}'")
                return "ran a program outside"
        attempt("connect to the PostgreSQL socket", raw)
        attempt("COPY TO PROGRAM as postgres", superuser)
        attempt("list /var/run/postgresql", lambda: os.listdir({POSTGRES_SOCKET_FOLDER!r}))
        attempt("list /run", lambda: os.listdir("/run"))
        """,
    )
    assert escaped(result) == []
    assert not marker.exists()


class UnixListener:
    """A host Unix socket anybody may connect to, by path or in the abstract namespace."""

    def __init__(self, address: str | bytes):
        self.socket = socket.socket(socket.AF_UNIX)
        self.socket.bind(address)
        if isinstance(address, str):
            os.chmod(address, 0o777)
        self.socket.listen()
        self.socket.settimeout(0.2)
        self.accepted: list[object] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                self.accepted.append(self.socket.accept())
            except TimeoutError:
                continue

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.socket.close()


def test_a_world_writable_host_unix_socket_cannot_be_reached(
    project: PythonRepo, policy: IsolationPolicy, public_folder: Path
) -> None:
    path = str(public_folder / "service.sock")
    abstract = b"\0argus-escape-" + secrets.token_hex(8).encode()
    listeners = [UnixListener(path), UnixListener(abstract)]
    try:
        for address in (path, abstract):  # reachable from the host
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(address)
        deadline = time.monotonic() + 10
        while any(len(listener.accepted) < 1 for listener in listeners):
            assert time.monotonic() < deadline, "the host could not connect"
            time.sleep(0.05)
        before = [len(listener.accepted) for listener in listeners]
        result = attack(
            project,
            policy,
            f"""
            def connect(address):
                client = socket.socket(socket.AF_UNIX)
                client.connect(address)
                client.sendall(b"hello from the sandbox")
                return address
            attempt("connect to a host socket file", lambda: connect({path!r}))
            attempt("connect to a host abstract socket", lambda: connect({abstract!r}))
            """,
        )
        time.sleep(0.5)  # a connection the sandbox made would be accepted by now
        after = [len(listener.accepted) for listener in listeners]
    finally:
        for listener in listeners:
            listener.close()
    assert escaped(result) == []
    assert after == before


def test_internet_sockets_are_refused_even_past_the_python_guard(
    project: PythonRepo, policy: IsolationPolicy
) -> None:
    with socket.create_connection(("127.0.0.1", 5432), timeout=5):
        pass  # PostgreSQL listens on the host
    result = attack(
        project,
        policy,
        """
        import _socket
        def tcp():
            raw = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
            raw.settimeout(2)
            raw.connect(("127.0.0.1", 5432))
            return raw
        def make(family, kind=_socket.SOCK_STREAM):
            return lambda: _socket.socket(family, kind)
        attempt("TCP to 127.0.0.1:5432", tcp)
        attempt("an IPv4 socket", make(_socket.AF_INET))
        attempt("an IPv6 socket", make(_socket.AF_INET6))
        attempt("a UDP socket", make(_socket.AF_INET, _socket.SOCK_DGRAM))
        attempt("a netlink socket", make(_socket.AF_NETLINK, _socket.SOCK_RAW))
        attempt("a packet socket", make(_socket.AF_PACKET, _socket.SOCK_RAW))
        attempt("a socket through Python's guard", lambda: socket.socket())
        """,
    )
    assert escaped(result) == []
    assert result.stdout.count("Network is unreachable") >= 6, result.output


def test_the_store_is_private_on_disk_and_out_of_view(
    project: PythonRepo, policy: IsolationPolicy, public_folder: Path
) -> None:
    # A store written by an older Argus: a readable folder, a readable file.
    home = public_folder / "argus-home"
    home.mkdir(mode=0o755)
    path = home / "argus.db"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE tenant_keys (key TEXT)")
        old.execute("INSERT INTO tenant_keys VALUES ('sk_live_secret')")
    path.chmod(0o644)
    home.chmod(0o755)
    SQLiteStore.open(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    result = attack(
        project,
        policy,
        f"""
        attempt("read the store", lambda: open({str(path)!r}, "rb").read(64))
        attempt("list ARGUS_HOME", lambda: os.listdir({str(home)!r}))
        attempt("list the folder above it", lambda: os.listdir({str(public_folder)!r}))
        """,
    )
    assert escaped(result) == []


def test_a_new_store_and_its_side_files_are_private(tmp_path: Path) -> None:
    home = tmp_path / "fresh-home"
    store = SQLiteStore.open(home / "argus.db")
    with store.transaction() as db:
        db.execute("CREATE TABLE probe (x)")
    files = {path.name: stat.S_IMODE(path.stat().st_mode) for path in home.iterdir()}
    store.close()
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert {files[name] for name in ("argus.db", "argus.db-wal", "argus.db-shm")} == {0o600}


def test_other_processes_cannot_be_seen(project: PythonRepo, policy: IsolationPolicy) -> None:
    token = "argus-secret-" + secrets.token_hex(8)
    host = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", token])
    try:
        deadline = time.monotonic() + 10
        while token not in Path(f"/proc/{host.pid}/cmdline").read_text():  # until it has exec'd
            assert time.monotonic() < deadline
            time.sleep(0.05)
        host_init = Path("/proc/1/cmdline").read_bytes()
        result = attack(
            project,
            policy,
            f"""
            wanted = {token[::-1]!r}[::-1]  # never in this program's own command line
            def scan():
                found = []
                for entry in os.listdir("/proc"):
                    try:
                        if wanted in open(f"/proc/{{entry}}/cmdline").read():
                            found.append(entry)
                    except OSError:
                        continue
                if found:
                    return found
                raise LookupError("no process shows the token")
            def init():
                if open("/proc/1/cmdline", "rb").read() == {host_init!r}:
                    return "the host's init"
                raise LookupError("pid 1 is the sandbox's own")
            attempt("find the host process by its command line", scan)
            attempt("read it by pid", lambda: open("/proc/{host.pid}/cmdline").read())
            attempt("read the host's pid 1", init)
            here = "/proc/{os.getpid()}/environ"
            attempt("read the host's environment", lambda: open(here).read())
            """,
        )
    finally:
        host.kill()
        host.wait()
    assert escaped(result) == []


def test_other_users_files_cannot_be_read(
    project: PythonRepo, policy: IsolationPolicy, public_folder: Path
) -> None:
    other = pwd.getpwnam("daemon")
    secret = public_folder / "secret.txt"
    secret.write_text("not for the sandbox")
    secret.chmod(0o644)
    os.chown(secret, other.pw_uid, other.pw_gid)
    result = attack(
        project,
        policy,
        f"""
        attempt("read another user's file", lambda: open({str(secret)!r}).read())
        attempt("list /home", lambda: os.listdir("/home"))
        private = lambda: [name for name in os.listdir("/root") if name != ".pyenv"] or 1 / 0
        attempt("list /root beyond the interpreter", private)
        attempt("read /etc/shadow", lambda: open("/etc/shadow").read())
        attempt("list PostgreSQL's configuration", lambda: os.listdir("/etc/postgresql"))
        attempt("list /var/lib", lambda: os.listdir("/var/lib"))
        """,
    )
    assert escaped(result) == []


def test_nothing_outside_the_sandbox_can_be_written(
    project: PythonRepo, policy: IsolationPolicy, public_folder: Path
) -> None:
    public_folder.chmod(0o777)
    name = "planted-" + secrets.token_hex(6)
    refused = [public_folder / name, Path("/var/tmp") / name, Path("/usr") / name, Path("/") / name]
    # Inside, /tmp and /dev/shm are the run's own: writing there works and reaches no host file.
    private = [Path("/tmp") / name, Path("/dev/shm") / name]
    result = attack(
        project,
        policy,
        f"""
        def write(path):
            with open(path, "w") as stream:
                stream.write("x")
            return path
        for path in {[str(path) for path in refused]!r}:
            attempt("write " + path, lambda: write(path))
        for path in {[str(path) for path in private]!r}:
            write(path)
        write(os.path.join(os.environ["TMPDIR"], "{name}"))
        print("wrote privately")
        """,
    )
    assert escaped(result) == []
    assert "wrote privately" in result.stdout, result.output
    for path in (*refused, *private):
        assert not path.exists(), path


def test_a_machine_without_bubblewrap_runs_nothing(project: PythonRepo, tmp_path: Path) -> None:
    missing = IsolationPolicy(bubblewrap=str(tmp_path / "no-bwrap"))
    with pytest.raises(SandboxUnavailableError, match="bubblewrap"):
        detect_isolation(missing)
    broken = IsolationPolicy(bubblewrap="false")  # starts, but confines nothing
    with pytest.raises(SandboxUnavailableError, match="could not confine"):
        detect_isolation(broken)
    planted = tmp_path / "ran.txt"
    source = f"def test_x():\n    open({str(planted)!r}, 'w').write('x')\n"
    candidate = Candidate("python", "pytest", "tests/test_generated.py", source)
    with pytest.raises(SandboxUnavailableError):
        validate(candidate, project.path, project.fixed, policy=broken, runs=1)
    assert not planted.exists()
