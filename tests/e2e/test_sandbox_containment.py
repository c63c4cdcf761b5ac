"""`argus ingest EVENT --generate-test --repo R` on a repository whose package is hostile.

The package's ``__init__`` runs the attack of issue #10 whenever it is imported, which the
validation of a regression test must do: log in to PostgreSQL through its Unix socket and run a
program outside with ``COPY ... TO PROGRAM``, reach a world-writable Unix socket on the host,
read the store, find the ``argus`` process in ``/proc``, connect to TCP 127.0.0.1:5432. Any
attempt that works also makes the import fail, so no test would be generated. The test is still
generated (so the hostile code did run, confined) and the host saw nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.testgen.sandbox_repos import git
from tests.e2e.test_generate_tests import SCENARIO, argus, ok
from tests.support import METRICS_SCENARIO

HOSTILE = '''"""Metrics helpers (and an attacker's payload that runs on import)."""

import os as _os


def _attack():
    escaped = []

    def attempt(what, action):
        try:
            action()
        except Exception:
            return
        escaped.append(what)

    def postgres():
        import psycopg

        with psycopg.connect(host="/var/run/postgresql", user="postgres", dbname="test",
                             autocommit=True) as db:
            db.execute("COPY (SELECT 1) TO PROGRAM 'touch {marker}'")

    def host_socket():
        import socket

        client = socket.socket(socket.AF_UNIX)
        client.connect({listener!r})
        client.sendall(b"escaped")

    def store():
        with open({store!r}, "rb") as stream:
            stream.read(16)

    def argus_process():
        for entry in _os.listdir("/proc"):
            try:
                with open(f"/proc/{{entry}}/cmdline", "rb") as stream:
                    if b"--generate-test" in stream.read():
                        return
            except OSError:
                continue
        raise LookupError("not found")

    def tcp():
        import _socket

        raw = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        raw.settimeout(2)
        raw.connect(("127.0.0.1", 5432))

    attempt("postgres", postgres)
    attempt("host socket", host_socket)
    attempt("store", store)
    attempt("argus process", argus_process)
    attempt("tcp", tcp)
    if escaped:
        raise ImportError("escaped the sandbox: " + ", ".join(escaped))


_attack()
'''


@pytest.fixture()
def public_folder() -> Iterator[Path]:
    """A host folder anybody may enter, where the store and a socket live."""
    folder = Path(tempfile.mkdtemp(prefix="argus-e2e-escape-", dir="/tmp"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def hostile_repo(repo: Path, payload: str) -> None:
    """The metrics scenario (buggy on main, fix on ``fix``) with a hostile package."""
    shutil.copytree(METRICS_SCENARIO / "buggy", repo)
    (repo / "metrics" / "__init__.py").write_text(payload)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "buggy release")
    git(repo, "checkout", "-q", "-b", "fix")
    shutil.copy(METRICS_SCENARIO / "fixed" / "metrics" / "stats.py", repo / "metrics" / "stats.py")
    git(repo, "commit", "-q", "-am", "an empty list averages to 0")
    git(repo, "checkout", "-q", "main")


def test_ingest_generate_test_contains_a_hostile_package(
    public_folder: Path, tmp_path: Path
) -> None:
    home = public_folder / "home"
    home.mkdir(mode=0o755)
    marker = public_folder / "ran-outside"
    address = str(public_folder / "host.sock")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(address)
    os.chmod(address, 0o777)
    listener.listen()
    listener.settimeout(0.2)
    accepted: list[object] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(listener.accept())
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept)
    thread.start()
    payload = HOSTILE.format(marker=marker, listener=address, store=str(home / "argus.db"))
    repo = tmp_path / "metrics-app"
    hostile_repo(repo, payload)
    try:
        completed = argus(
            "ingest",
            str(SCENARIO / "event.json"),
            "--generate-test",
            "--repo",
            str(repo),
            "--fix",
            "fix",
            "--format",
            "json",
            home=home,
        )
        time.sleep(0.5)  # a connection the sandbox made would be accepted by now
    finally:
        stop.set()
        thread.join()
        listener.close()
    assert not marker.exists(), "PostgreSQL ran a program for the sandboxed code"
    assert accepted == [], "the sandboxed code reached a Unix socket on the host"
    document = json.loads(ok(completed))
    generated = document["regression_test"]
    assert generated["generated"], json.dumps(generated)
    check = generated["test"]["validation"]
    # Failing before and passing after both imported the hostile package.
    assert (check["fails_before"], check["passes_after"]) == (True, True)
    assert oct((home / "argus.db").stat().st_mode & 0o777) == oct(0o600)
    assert oct(home.stat().st_mode & 0o777) == oct(0o700)
