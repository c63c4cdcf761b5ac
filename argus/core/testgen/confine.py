"""The last step before a candidate runs: confine this process, then exec the test command.

The sandbox starts this file as a script (``python -I -S confine.py SPEC``). It reads a JSON
spec and, in order: when the spec asks for it, enters a private mount namespace and binds the
read-only paths the run will see into a staging folder the sandbox user can reach (an
interpreter under ``/root`` is not reachable by ``nobody`` otherwise); opens the seccomp
program; sets resource limits; drops to an unprivileged user (no supplementary groups, no new
privileges); and execs bubblewrap, which builds the run's empty file-system view, its own user,
network, PID, IPC and UTS namespaces and loads the seccomp program before it execs the command
with exactly the environment the spec names. Without bubblewrap (only when the caller chose the
weak fallback) it execs the command directly. It uses the standard library only and does
nothing when imported.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import resource
import shutil
import sys
from typing import Any

_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_CLONE_NEWNS = 0x00020000
_PR_SET_NO_NEW_PRIVS = 38

_RLIMITS = {
    "address_space": resource.RLIMIT_AS,
    "processes": resource.RLIMIT_NPROC,
    "file_size": resource.RLIMIT_FSIZE,
    "core": resource.RLIMIT_CORE,
    "open_files": resource.RLIMIT_NOFILE,
}


def _libc() -> Any:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _mount(
    libc: Any,
    source: str | None,
    target: str,
    flags: int,
    kind: str | None = None,
    data: str | None = None,
) -> None:
    def encoded(text: str | None) -> bytes | None:
        return text.encode() if text is not None else None

    if libc.mount(encoded(source), target.encode(), encoded(kind), flags, encoded(data)) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mount {target}: {os.strerror(error)}")


def stage(mounts: list[list[str]], folder: str) -> list[list[str]]:
    """Bind each read-only folder into ``folder`` (in a new private mount namespace), copy files.

    Returns the mounts with those sources replaced by their staged place, which bubblewrap,
    started as the unprivileged user, can open whatever the folders above the source allow.
    """
    libc = _libc()
    if libc.unshare(_CLONE_NEWNS) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"unshare of the mount namespace: {os.strerror(error)}")
    _mount(libc, None, "/", _MS_REC | _MS_PRIVATE)
    staged = []
    for number, mount in enumerate(mounts):
        if mount[0] != "--ro-bind":
            staged.append(mount)
            continue
        source, target = mount[1], mount[2]
        place = os.path.join(folder, str(number))
        if os.path.isdir(source):
            os.mkdir(place, 0o755)
            _mount(libc, source, place, _MS_BIND | _MS_REC)
        else:
            # A file is copied, not bound: a bind would pin the inode, and a file replaced by
            # rename in the meantime (useradd rewrites /etc/passwd) could then not be shown.
            shutil.copyfile(source, place)
            os.chmod(place, 0o644)
        staged.append(["--ro-bind", place, target])
    return staged


def apply_limits(limits: dict[str, int]) -> None:
    """Set each named resource limit (soft and hard) to the given value."""
    for name, value in limits.items():
        resource.setrlimit(_RLIMITS[name], (value, value))


def drop_privileges(uid: int | None, gid: int | None) -> None:
    """Switch to ``uid``/``gid`` with no supplementary groups, and forbid regaining privileges."""
    if uid is not None and gid is not None:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    libc = _libc()
    libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def bubblewrap_command(box: dict[str, Any], seccomp: int, cwd: str, argv: list[str]) -> list[str]:
    """The bubblewrap command line: options, mounts in order, the filter, then the command."""
    command = [str(box["program"]), *box["options"]]
    for mount in box["mounts"]:
        command.extend(mount)
    # bubblewrap sets PWD; the run's environment is exactly the spec's, so env takes it out.
    unset = ["/usr/bin/env", "-u", "PWD", "--"]
    return [*command, "--seccomp", str(seccomp), "--chdir", cwd, "--", *unset, *argv]


def main(argv: list[str]) -> int:
    """Confine according to the JSON spec in ``argv[1]`` and exec its command."""
    spec = json.loads(argv[1])
    box = spec.get("bubblewrap")
    command = list(spec["argv"])
    if box is not None:
        if box.get("stage"):
            box["mounts"] = stage(box["mounts"], box["stage"])
        seccomp = os.open(box["seccomp"], os.O_RDONLY)  # read while still allowed to
        os.set_inheritable(seccomp, True)
        command = bubblewrap_command(box, seccomp, spec["cwd"], command)
    apply_limits({name: int(value) for name, value in spec["limits"].items()})
    drop_privileges(spec.get("uid"), spec.get("gid"))
    if box is None:
        if spec.get("drop_capabilities"):
            command = [
                "setpriv",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--no-new-privs",
                "--",
                *command,
            ]
        os.chdir(spec["cwd"])
    environment = {str(key): str(value) for key, value in spec["env"].items()}
    try:
        os.execvpe(command[0], command, environment)
    except OSError as error:
        sys.stderr.write(f"argus-sandbox: cannot run {command[0]}: {error}\n")
        return 127
    return 127  # not reached: exec replaces this process


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
