"""The validation sandbox: a throw-away copy of the repository where untrusted tests run.

Every run happens in its own process group, in a temporary copy of the repository (a detached
``git worktree`` at the commit, or a copy of the working tree's tracked and untracked-not-ignored
files), with a time limit, a memory limit and a clean environment, confined by bubblewrap: an
empty file-system view holding only what the run needs (:mod:`argus.core.testgen.filesystem_view`),
new user, network, PID, IPC and UTS namespaces, and a seccomp filter that refuses every socket
but Unix ones (:mod:`argus.core.testgen.syscall_filter`). When that confinement cannot be set up,
the sandbox refuses to run (:class:`SandboxUnavailableError`) unless the caller explicitly chose the
weak fallback policy. Every :class:`RunResult` says which isolation was in force. See
docs/sandbox.md.
"""

from __future__ import annotations

import functools
import json
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from argus.core.diff.git import find_repo_root, resolve_ref, run_git
from argus.core.errors import ConfigError
from argus.core.testgen import filesystem_view, network_guard
from argus.core.testgen.syscall_filter import compiled_filter

CONFINE_SCRIPT = Path(__file__).with_name("confine.py")

# The launcher's own environment: enough to find bwrap and setpriv, nothing else.
_LAUNCHER_ENVIRONMENT = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
# Every namespace bubblewrap offers; a nested user namespace (which would give the run
# capabilities over its own mounts and network again) is refused.
_BUBBLEWRAP_OPTIONS = (
    "--unshare-user",
    "--disable-userns",
    "--unshare-net",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
    "--hostname",
    "argus-sandbox",
    "--die-with-parent",
    "--new-session",
)
_FILTER_FILE = "seccomp.bpf"
# Where a program that honours proxy variables is sent when no network namespace is in force.
_NOWHERE_PROXY = "http://127.0.0.1:9"
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run."""

    timeout_seconds: float = 60.0
    memory_bytes: int = 1 << 30
    processes: int = 256
    file_size_bytes: int = 256 << 20
    open_files: int = 1024
    output_bytes: int = 64 << 10

    def __post_init__(self) -> None:
        if self.timeout_seconds <= 0 or self.memory_bytes <= 0 or self.output_bytes <= 0:
            raise ConfigError("sandbox limits must be positive")


DEFAULT_LIMITS = Limits()


class SandboxUnavailableError(ConfigError):
    """The sandbox cannot confine runs on this machine, so it runs nothing (fails closed)."""


class NetworkMode(StrEnum):
    """How the network is kept away from a run."""

    NAMESPACE = "network_namespace"
    PYTHON_GUARD = "python_socket_guard"


class FilesystemMode(StrEnum):
    """How the files outside the copy are protected."""

    READ_ONLY_MOUNTS = "read_only_mount_namespace"
    COPY_ONLY = "copy_as_working_directory"


class UserMode(StrEnum):
    """Which user the run has."""

    UNPRIVILEGED = "unprivileged_user"
    NO_CAPABILITIES = "root_without_capabilities"
    USER_NAMESPACE = "user_namespace_without_capabilities"
    SAME_USER = "same_user"


@dataclass(frozen=True)
class Isolation:
    """The confinement actually in force for a run."""

    network: NetworkMode
    filesystem: FilesystemMode
    user: UserMode
    pid_namespace: bool
    syscall_filter: bool = False

    @property
    def namespaces(self) -> bool:
        """True when the run enters new network, mount and PID namespaces."""
        return self.network is NetworkMode.NAMESPACE

    def describe(self) -> str:
        """One line for reports, e.g. ``network_namespace, read_only_mount_namespace, ...``."""
        parts = [self.network.value, self.filesystem.value, self.user.value]
        if self.pid_namespace:
            parts.append("pid_namespace")
        if self.syscall_filter:
            parts.append("seccomp_unix_sockets_only")
        return ", ".join(parts)


@dataclass(frozen=True)
class IsolationPolicy:
    """What the caller allows the sandbox to use.

    ``use_namespaces=False`` is the weak fallback (a copy and a Python-level network guard,
    nothing more); only a caller that sets it explicitly gets it. With the default, a machine
    where bubblewrap cannot confine a run raises :class:`SandboxUnavailableError` instead.
    """

    use_namespaces: bool = True
    switch_user: bool = True
    user_name: str = "nobody"
    user_namespace: bool = False  # as root too: what a non-root server gets
    bubblewrap: str = "bwrap"  # the program, found on the system PATH when not absolute


DEFAULT_POLICY = IsolationPolicy()


@dataclass(frozen=True)
class RunResult:
    """What one sandboxed command did. Output is the tail of each stream, decoded leniently."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool
    seconds: float
    network_attempts: tuple[str, ...]
    isolation: Isolation

    @property
    def passed(self) -> bool:
        """The command exited with status 0 within its time limit."""
        return self.returncode == 0 and not self.timed_out

    @property
    def output(self) -> str:
        """Standard output followed by standard error."""
        return f"{self.stdout}\n{self.stderr}"


def detect_isolation(
    policy: IsolationPolicy = DEFAULT_POLICY, python: str = sys.executable
) -> Isolation:
    """Measure, once per policy and interpreter, the isolation runs get.

    Raises :class:`SandboxUnavailableError` when the policy asks for namespaces (the default)
    and bubblewrap, libseccomp or the namespaces themselves are not available: a run is never
    started with less confinement than the policy asked for.
    """
    return _detect_isolation(policy, python)


@functools.cache
def _detect_isolation(policy: IsolationPolicy, python: str) -> Isolation:
    if not policy.use_namespaces:
        user = _user_mode(policy, python)
        return Isolation(NetworkMode.PYTHON_GUARD, FilesystemMode.COPY_ONLY, user, False)
    program = shutil.which(policy.bubblewrap, path=_LAUNCHER_ENVIRONMENT["PATH"])
    if program is None:
        raise SandboxUnavailableError(
            f"the test sandbox needs bubblewrap ({policy.bubblewrap!r} is not installed: "
            "apt-get install bubblewrap); generated tests are not run unconfined"
        )
    compiled_filter()
    account = _switched_account(policy)
    user = UserMode.UNPRIVILEGED if account is not None else UserMode.USER_NAMESPACE
    isolation = Isolation(
        NetworkMode.NAMESPACE, FilesystemMode.READ_ONLY_MOUNTS, user, True, syscall_filter=True
    )
    failure = _probe(python, isolation, account, program)
    if failure is not None:
        raise SandboxUnavailableError(
            f"bubblewrap could not confine a test run on this machine ({failure}); generated "
            "tests are not run unconfined. User namespaces must be allowed "
            "(sysctl user.max_user_namespaces > 0, kernel.unprivileged_userns_clone=1 where "
            "it exists, and no container profile that forbids them)"
        )
    return isolation


def _switched_account(policy: IsolationPolicy) -> tuple[int, int] | None:
    """The account a run switches to: only a root server switches, and only when allowed."""
    if os.geteuid() != 0 or policy.user_namespace or not policy.switch_user:
        return None
    return _account(policy.user_name)


def _user_mode(policy: IsolationPolicy, python: str) -> UserMode:
    """The user of a fallback run (no namespaces)."""
    if os.geteuid() != 0:
        return UserMode.SAME_USER
    if policy.switch_user:
        account = _account(policy.user_name)
        if account is not None:
            fallback = Isolation(
                NetworkMode.PYTHON_GUARD, FilesystemMode.COPY_ONLY, UserMode.UNPRIVILEGED, False
            )
            if _probe(python, fallback, account, None) is None:
                return UserMode.UNPRIVILEGED
    if shutil.which("setpriv", path=_LAUNCHER_ENVIRONMENT["PATH"]) is not None:
        return UserMode.NO_CAPABILITIES
    return UserMode.SAME_USER


def _probe(
    python: str, isolation: Isolation, account: tuple[int, int] | None, bubblewrap: str | None
) -> str | None:
    """Start ``python`` through the real launcher, confined as a run would be.

    Returns None when it worked, else what went wrong (the launcher's last error line).
    """
    with tempfile.TemporaryDirectory(prefix="argus-probe-") as folder:
        root = Path(folder)
        root.chmod(0o711)
        spec = _confinement(
            root=root,
            stage=root / "stage",
            writable=[],
            shown=[],
            cwd=Path("/"),
            argv=[python, "-I", "-c", "import site"],
            environment={"PATH": "/usr/bin:/bin"},
            rlimits={},
            account=account,
            isolation=isolation,
            bubblewrap=bubblewrap,
            python=python,
        )
        try:
            done = subprocess.run(
                _launch_command(spec),
                capture_output=True,
                timeout=30,
                env=_LAUNCHER_ENVIRONMENT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return str(error)
        if done.returncode == 0:
            return None
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else f"exit status {done.returncode}"


def _account(name: str) -> tuple[int, int] | None:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def _confinement(
    *,
    root: Path,
    stage: Path,
    writable: Sequence[Path],
    shown: Sequence[Path],
    cwd: Path,
    argv: list[str],
    environment: dict[str, str],
    rlimits: dict[str, int],
    account: tuple[int, int] | None,
    isolation: Isolation,
    bubblewrap: str | None,
    python: str,
) -> dict[str, object]:
    """The JSON spec confine.py follows.

    With ``bubblewrap`` the run sees only the system, the interpreter, ``shown`` (read-only)
    and ``writable``; inside a writable copy, its ``.git`` link back to the repository stays
    read-only.
    """
    spec: dict[str, object] = {
        "limits": rlimits,
        "uid": account[0] if account else None,
        "gid": account[1] if account else None,
        "drop_capabilities": isolation.user is UserMode.NO_CAPABILITIES,
        "argv": argv,
        "cwd": str(cwd),
        "env": environment,
        "bubblewrap": None,
    }
    if bubblewrap is None:
        return spec
    program = root / _FILTER_FILE
    if not program.exists():
        descriptor = os.open(program, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(compiled_filter())
    links = [path / ".git" for path in writable if os.path.lexists(path / ".git")]
    mounts = [
        *filesystem_view.kernel_mounts(),
        *filesystem_view.system_mounts(),
        *filesystem_view.read_only([*_interpreter_paths(python), *shown]),
        *filesystem_view.writable(writable),
        *filesystem_view.read_only(links),
        filesystem_view.seal_root(),
    ]
    if account is not None:
        stage.mkdir(mode=0o711)
    spec["bubblewrap"] = {
        "program": bubblewrap,
        "options": list(_BUBBLEWRAP_OPTIONS),
        "mounts": [mount.arguments() for mount in mounts],
        "seccomp": str(program),
        # Only a switch from root needs the staging: the user can then reach what root can.
        "stage": str(stage) if account is not None else None,
    }
    return spec


def _launch_command(spec: Mapping[str, object]) -> list[str]:
    return [sys.executable, "-I", "-S", str(CONFINE_SCRIPT), json.dumps(spec)]


def _interpreter_paths(python: str) -> set[Path]:
    """The folders an interpreter needs: its (virtual environment) prefix and the real one."""
    given = Path(python).absolute()
    real = Path(os.path.realpath(python))
    paths = {given.parent.parent, real.parent.parent}
    if real == Path(os.path.realpath(sys.executable)):
        paths.update({Path(sys.prefix), Path(sys.base_prefix)})
    return {path for path in paths if path != Path("/") and path.exists()}


class Workspace:
    """A prepared sandbox folder: the repository copy, a home, a temp folder and the guard."""

    def __init__(
        self,
        root: Path,
        commit: str | None,
        isolation: Isolation,
        user_name: str,
        python: str,
        bubblewrap: str | None = None,
    ):
        self.root = root
        self.python = python
        self.copy = root / "copy"
        self.home = root / "home"
        self.temp = root / "tmp"
        self.guard = root / "guard"
        self.commit = commit
        self.isolation = isolation
        self._account = _account(user_name) if isolation.user is UserMode.UNPRIVILEGED else None
        self._bubblewrap = bubblewrap if isolation.namespaces else None
        if isolation.namespaces and bubblewrap is None:
            raise SandboxUnavailableError("a namespaced workspace needs the bubblewrap program")
        # Host paths the runs see read-only besides the system and the interpreter: the
        # sandbox folder (the guard, files the caller writes for the run such as a coverage
        # configuration); its copy, home and temp are writable on top of it.
        self.shown: list[Path] = [self.root]
        self._runs = 0

    def write(self, relative: str, text: str) -> Path:
        """Write a file inside the copy (folders created), owned by the sandbox user."""
        target = (self.copy / relative).resolve()
        if not target.is_relative_to(self.copy.resolve()):
            raise ConfigError(f"{relative!r} would be written outside the sandbox copy")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        if self._account is not None:
            for path in (target, *target.relative_to(self.copy.resolve()).parents):
                os.chown(self.copy.resolve() / path, *self._account, follow_symlinks=False)
        return target

    def hand_over(self, folder: Path) -> None:
        """Give ``folder`` (recursively) to the sandbox user, when runs switch user."""
        if self._account is None:
            return
        uid, gid = self._account
        os.chown(folder, uid, gid, follow_symlinks=False)
        for directory, folders, files in os.walk(folder):
            for name in (*folders, *files):
                os.chown(os.path.join(directory, name), uid, gid, follow_symlinks=False)

    def environment(self, python_paths: Sequence[str] = ()) -> dict[str, str]:
        """The whole environment of a run: nothing is inherited from this process."""
        search = [str(Path(self.python).parent), "/usr/local/bin", "/usr/bin", "/bin"]
        go = shutil.which("go")
        if go is not None:
            search.insert(1, str(Path(go).parent))
        python_path = [str(self.guard), str(self.copy), *python_paths]
        if (self.copy / "src").is_dir():
            python_path.insert(2, str(self.copy / "src"))  # the "src layout"
        environment = {
            "PATH": os.pathsep.join(dict.fromkeys(search)),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "TMPDIR": str(self.temp),
            "PYTHONPATH": os.pathsep.join(python_path),
        }
        if self.isolation.network is not NetworkMode.NAMESPACE:
            environment.update(dict.fromkeys(_PROXY_VARIABLES, _NOWHERE_PROXY))
        return environment

    def run(
        self,
        argv: Sequence[str],
        limits: Limits = DEFAULT_LIMITS,
        *,
        python_paths: Sequence[str] = (),
        extra_environment: Mapping[str, str] | None = None,
    ) -> RunResult:
        """Run ``argv`` in the copy under ``limits``; never raises for what the command does."""
        self._runs += 1
        environment = self.environment(python_paths)
        environment.update(extra_environment or {})
        spec = self._spec(list(argv), limits, environment, python_paths)
        command = _launch_command(spec)
        stdout_path = self.root / f"run-{self._runs}.stdout"
        stderr_path = self.root / f"run-{self._runs}.stderr"
        started = time.monotonic()
        timed_out = False
        with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                env=_LAUNCHER_ENVIRONMENT,
                start_new_session=True,
                close_fds=True,
            )
            try:
                returncode = process.wait(timeout=limits.timeout_seconds)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(process.pid)
                returncode = process.wait()
            _kill_group(process.pid)  # whatever the test left running in the background
        seconds = time.monotonic() - started
        return RunResult(
            argv=tuple(argv),
            returncode=returncode,
            stdout=_tail(stdout_path, limits.output_bytes),
            stderr=_tail(stderr_path, limits.output_bytes),
            timed_out=timed_out,
            seconds=seconds,
            network_attempts=self._take_network_attempts(),
            isolation=self.isolation,
        )

    def read_untrusted(self, path: Path, limit: int) -> bytes | None:
        """Read a file a run wrote, refusing symlinks and anything but a regular file."""
        if not path.resolve().is_relative_to(self.root.resolve()):
            return None
        return _read_regular(path, limit)

    def _spec(
        self,
        argv: list[str],
        limits: Limits,
        environment: dict[str, str],
        python_paths: Sequence[str],
    ) -> dict[str, object]:
        rlimits = {
            "address_space": limits.memory_bytes,
            "file_size": limits.file_size_bytes,
            "core": 0,
            "open_files": limits.open_files,
        }
        if self._account is not None:
            # Counted per user, so it only means something for the dedicated sandbox user.
            rlimits["processes"] = limits.processes
        return _confinement(
            root=self.root,
            stage=self.root / f"stage-{self._runs}",
            writable=[self.copy, self.home, self.temp],
            shown=[*self.shown, *(Path(path) for path in python_paths)],
            cwd=self.copy,
            argv=argv,
            environment=environment,
            rlimits=rlimits,
            account=self._account,
            isolation=self.isolation,
            bubblewrap=self._bubblewrap,
            python=self.python,
        )

    def _take_network_attempts(self) -> tuple[str, ...]:
        path = self.home / network_guard.ATTEMPTS_FILE
        content = _read_regular(path, 64 << 10)
        if content is None:
            return ()
        path.unlink(missing_ok=True)
        lines = content.decode("utf-8", "replace").splitlines()
        return tuple(line for line in lines if line.strip())


@contextmanager
def workspace(
    repo: Path | str,
    commit: str | None,
    *,
    policy: IsolationPolicy = DEFAULT_POLICY,
    python: str = sys.executable,
    shared: Sequence[str] = ("node_modules",),
) -> Iterator[Workspace]:
    """A sandbox holding ``repo`` at ``commit`` (a git worktree) or, when None, its working tree.

    Installed dependency folders named in ``shared`` (ignored by git, so absent from a
    worktree) are linked from the repository; with read-only mounts they stay read-only. The
    worktree is removed and the folder deleted on exit, whatever happened inside.
    """
    root_of_repo = find_repo_root(repo)
    isolation = detect_isolation(policy, python)
    sha = resolve_ref(root_of_repo, commit) if commit is not None else None
    root = Path(tempfile.mkdtemp(prefix="argus-sandbox-"))
    # Others may traverse (the sandbox user must reach its copy) but not list or write.
    root.chmod(0o711)
    added = False
    try:
        run_git(root_of_repo, "worktree", "prune")
        if sha is not None:
            run_git(root_of_repo, "worktree", "add", "--detach", str(root / "copy"), sha)
            added = True
        else:
            _copy_working_tree(root_of_repo, root / "copy")
        bubblewrap = shutil.which(policy.bubblewrap, path=_LAUNCHER_ENVIRONMENT["PATH"])
        space = Workspace(root, sha, isolation, policy.user_name, python, bubblewrap)
        for name in shared:
            installed = root_of_repo / name
            if installed.is_dir() and not os.path.lexists(space.copy / name):
                (space.copy / name).symlink_to(installed, target_is_directory=True)
                space.shown.append(installed)
        go = shutil.which("go")
        if go is not None:  # the toolchain the environment's PATH names (GOROOT/bin/go)
            space.shown.append(Path(os.path.realpath(go)).parent.parent)
        _install_guard(space.guard)
        for folder in (space.home, space.temp):
            folder.mkdir()
        for folder in (space.copy, space.home, space.temp):
            space.hand_over(folder)
        yield space
    finally:
        if added:
            run_git(
                root_of_repo,
                "worktree",
                "remove",
                "--force",
                "--force",
                str(root / "copy"),
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)
        run_git(root_of_repo, "worktree", "prune", check=False)


def worktrees(repo: Path | str) -> list[Path]:
    """The work trees git knows for ``repo`` (the main one first)."""
    listing = run_git(repo, "worktree", "list", "--porcelain").decode("utf-8", "surrogateescape")
    return [
        Path(line[len("worktree ") :])
        for line in listing.splitlines()
        if line.startswith("worktree ")
    ]


def _copy_working_tree(repo: Path, destination: Path) -> None:
    """Copy tracked and untracked-but-not-ignored files, symlinks kept as symlinks."""
    listing = run_git(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    destination.mkdir()
    for raw in dict.fromkeys(listing.split(b"\0")):
        if not raw:
            continue
        relative = os.fsdecode(raw)
        source = repo / relative
        target = destination / relative
        if not os.path.lexists(source):
            continue  # deleted in the working tree: the copy is the working tree
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
        elif source.is_dir():
            shutil.copytree(source, target, symlinks=True)  # a submodule's checkout
        else:
            shutil.copy2(source, target)


def _install_guard(folder: Path) -> None:
    folder.mkdir()
    source = Path(network_guard.__file__).read_text(encoding="utf-8")
    (folder / "sitecustomize.py").write_text(source + "\n\ninstall()\n", encoding="utf-8")
    folder.chmod(0o755)


def _kill_group(group: int) -> None:
    try:
        os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return


def _tail(path: Path, limit: int) -> str:
    with open(path, "rb") as stream:
        size = stream.seek(0, os.SEEK_END)
        stream.seek(max(0, size - limit))
        return stream.read().decode("utf-8", "replace")


def _read_regular(path: Path, limit: int) -> bytes | None:
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            return None
        return stream.read(limit)


__all__ = [
    "FilesystemMode",
    "Isolation",
    "IsolationPolicy",
    "Limits",
    "NetworkMode",
    "RunResult",
    "SandboxUnavailableError",
    "UserMode",
    "Workspace",
    "detect_isolation",
    "workspace",
    "worktrees",
]
