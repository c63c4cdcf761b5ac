"""The last step before a candidate runs: confine this process, then exec the test command.

The sandbox starts this file as a script (``python -I -S confine.py SPEC``), inside fresh
network, mount and PID namespaces when the machine allows them. It reads a JSON spec and, in
order: hides private folders (``/root``; the interpreter's own prefix stays visible), makes
every mount read-only except the sandbox folder, sets resource limits, drops to an
unprivileged user (or, failing that, to root without capabilities), enters the copy and execs
the command with exactly the environment the spec names. It uses the standard library only and
does nothing when imported.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import resource
import sys
from typing import Any

_MS_RDONLY = 1
_MS_NOSUID = 2
_MS_NODEV = 4
_MS_NOEXEC = 8
_MS_REMOUNT = 32
_MS_BIND = 4096
_MS_REC = 16384
_PR_SET_NO_NEW_PRIVS = 38
_MNT_DETACH = 2

# Mounts left writable: device nodes (/dev/null, terminals) carry no files a test could damage.
_KEEP_WRITABLE = ("/dev", "/dev/pts")

# Per-mount flags a remount keeps (in a user namespace, dropping one is refused).
_MOUNT_FLAGS = {
    "nosuid": _MS_NOSUID,
    "nodev": _MS_NODEV,
    "noexec": _MS_NOEXEC,
    "noatime": 1024,
    "nodiratime": 2048,
    "relatime": 1 << 21,
    "strictatime": 1 << 24,
}
# Kernel filesystems a user namespace may not remount; their files belong to the real root,
# whom a namespaced run never is, so they stay unwritable to it anyway.
_KERNEL_FILESYSTEMS = ("/proc", "/sys")

_RLIMITS = {
    "address_space": resource.RLIMIT_AS,
    "processes": resource.RLIMIT_NPROC,
    "file_size": resource.RLIMIT_FSIZE,
    "core": resource.RLIMIT_CORE,
    "open_files": resource.RLIMIT_NOFILE,
}


def _libc() -> Any:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _unescape(field: str) -> str:
    """Mount points in mountinfo escape space, tab, newline and backslash as octal."""
    out, index = [], 0
    while index < len(field):
        code = field[index + 1 : index + 4]
        if field[index] == "\\" and len(code) == 3 and code.isdigit():
            out.append(chr(int(code, 8)))
            index += 4
        else:
            out.append(field[index])
            index += 1
    return "".join(out)


def _mounts() -> list[tuple[str, int]]:
    """Each mount point with the per-mount flags a read-only remount must keep."""
    found = []
    with open("/proc/self/mountinfo", encoding="utf-8") as lines:
        for line in lines:
            fields = line.split()
            flags = 0
            for option in fields[5].split(","):
                flags |= _MOUNT_FLAGS.get(option, 0)
            found.append((_unescape(fields[4]), flags))
    return found


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


def hide(folder: str, keep: list[str], stage: str) -> None:
    """Cover ``folder`` with an empty tmpfs, then bind the ``keep`` paths below it back in."""
    libc = _libc()
    staged = []
    for number, path in enumerate(keep):
        place = os.path.join(stage, str(number))
        os.makedirs(place, exist_ok=True)
        _mount(libc, path, place, _MS_BIND | _MS_REC)
        staged.append((place, path))
    _mount(libc, "tmpfs", folder, _MS_NOSUID | _MS_NODEV, "tmpfs", "mode=755,size=1m")
    for place, path in staged:
        os.makedirs(path, exist_ok=True)
        _mount(libc, place, path, _MS_BIND | _MS_REC)
        libc.umount2(place.encode(), _MNT_DETACH)


def make_read_only(
    writable: str, hidden: dict[str, list[str]], in_user_namespace: bool = False
) -> None:
    """Bind ``writable`` onto itself, hide private folders, remount all else read-only."""
    libc = _libc()
    _mount(libc, writable, writable, _MS_BIND | _MS_REC)
    for number, (folder, keep) in enumerate(sorted(hidden.items())):
        hide(folder, keep, os.path.join(writable, "stage", str(number)))
    for target, flags in _mounts():
        if target in _KEEP_WRITABLE or target == writable or target.startswith(writable + "/"):
            continue
        try:
            _mount(libc, None, target, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | flags)
        except OSError as error:
            if in_user_namespace and any(
                target == kernel or target.startswith(kernel + "/")
                for kernel in _KERNEL_FILESYSTEMS
            ):
                continue
            # A mount that cannot be remounted is reported, never silently left writable.
            sys.stderr.write(f"argus-sandbox: could not make {target} read-only ({error})\n")
            raise SystemExit(125) from error


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


def main(argv: list[str]) -> int:
    """Confine according to the JSON spec in ``argv[1]`` and exec its command."""
    spec = json.loads(argv[1])
    if spec.get("read_only_outside"):
        make_read_only(spec["writable"], spec.get("hidden", {}), bool(spec.get("user_namespace")))
    apply_limits({name: int(value) for name, value in spec["limits"].items()})
    drop_privileges(spec.get("uid"), spec.get("gid"))
    command = list(spec["argv"])
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
