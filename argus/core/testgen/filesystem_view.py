"""What a sandboxed run sees of the file system, as bubblewrap mount operations.

The run starts from an empty root: only the paths named here appear, each at its own place,
and everything else on the host (``/run``, ``/var/run`` and its sockets, the host's ``/tmp`` and
``/dev/shm``, ``/home``, ``/root``, Argus's own store) simply does not exist inside. Read-only:
``/usr`` (with the ``/bin``, ``/lib`` ... links of a merged-usr system), a short list of
``/etc`` files programs need to start, the interpreter's prefixes and the project's installed
dependency folders. Writable: the sandbox's own copy, home and temp folders. ``/proc`` is a new
one for the run's PID namespace, ``/dev`` a minimal one, ``/tmp`` and ``/dev/shm`` small empty
tmpfs. See docs/sandbox.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Top-level system folders: shown read-only, or re-created as the link they are on the host.
_SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# The /etc entries a program needs to start and resolve names of users, hosts and time zones;
# the rest of /etc (shadow, credentials of services, their configuration) stays out of view.
_ETC_ENTRIES = (
    "/etc/alternatives",
    "/etc/ca-certificates",
    "/etc/group",
    "/etc/host.conf",
    "/etc/hosts",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/mime.types",
    "/etc/nsswitch.conf",
    "/etc/os-release",
    "/etc/passwd",
    "/etc/ssl",
)
# Room for programs that insist on /tmp or POSIX shared memory (multiprocessing's semaphores).
_SCRATCH_BYTES = 64 << 20


@dataclass(frozen=True)
class Mount:
    """One bubblewrap operation: ``option`` followed by its ``operands``."""

    option: str
    operands: tuple[str, ...]

    @property
    def shows_host_path_read_only(self) -> bool:
        """True for a read-only bind of a host path (the launcher may stage its source)."""
        return self.option == "--ro-bind"

    def arguments(self) -> list[str]:
        """The command-line words of this operation."""
        return [self.option, *self.operands]


def system_mounts() -> list[Mount]:
    """The read-only system: ``/usr``, its merged-usr links, the needed ``/etc`` entries."""
    mounts = []
    for folder in _SYSTEM_FOLDERS:
        if os.path.islink(folder):
            mounts.append(Mount("--symlink", (os.readlink(folder), folder)))
        elif os.path.isdir(folder):
            mounts.append(Mount("--ro-bind", (folder, folder)))
    mounts.extend(Mount("--ro-bind", (entry, entry)) for entry in _ETC_ENTRIES if _exists(entry))
    return mounts


def kernel_mounts() -> list[Mount]:
    """A new ``/proc`` (this PID namespace's processes only), a minimal ``/dev``, scratch tmpfs."""
    size = str(_SCRATCH_BYTES)
    return [
        Mount("--proc", ("/proc",)),
        Mount("--dev", ("/dev",)),
        Mount("--size", (size,)),
        Mount("--tmpfs", ("/dev/shm",)),
        Mount("--size", (size,)),
        Mount("--tmpfs", ("/tmp",)),
    ]


def read_only(paths: Iterable[Path]) -> list[Mount]:
    """Bind each existing path read-only at its own place, skipping those already in view."""
    shown: list[Path] = []
    for path in sorted({Path(os.path.abspath(path)) for path in paths}):
        if not _exists(str(path)) or _inside_system(path):
            continue
        if any(path.is_relative_to(earlier) for earlier in shown):
            continue
        shown.append(path)
    return [Mount("--ro-bind", (str(path), str(path))) for path in shown]


def writable(paths: Iterable[Path]) -> list[Mount]:
    """Bind each folder read-write at its own place."""
    return [Mount("--bind", (str(path), str(path))) for path in paths]


def seal_root() -> Mount:
    """Make the empty root itself read-only, so nothing can be created beside the views."""
    return Mount("--remount-ro", ("/",))


def _inside_system(path: Path) -> bool:
    return any(
        path.is_relative_to(folder) for folder in _SYSTEM_FOLDERS if not os.path.islink(folder)
    )


def _exists(path: str) -> bool:
    return os.path.exists(path)


__all__ = ["Mount", "kernel_mounts", "read_only", "seal_root", "system_mounts", "writable"]
