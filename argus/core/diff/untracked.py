"""Untracked files of the working tree as added FileChanges, counted without git's help."""

from __future__ import annotations

import stat
from pathlib import Path

from argus.core.diff.changeset import FileChange, FileStatus, Hunk

# git calls a file binary when a NUL byte shows up in its first 8000 bytes.
_BINARY_SNIFF = 8000
_BLOCK = 1 << 16


def untracked_change(root: Path, path: str) -> FileChange | None:
    """The FileChange adding ``path`` (relative to ``root``); None when it is not a file."""
    full = root / path
    try:
        info = full.lstat()
    except OSError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return _added(path, "120000", is_binary=False, line_count=1)
    if not stat.S_ISREG(info.st_mode):
        return None
    mode = "100755" if info.st_mode & stat.S_IXUSR else "100644"
    try:
        is_binary, line_count = _count_lines(full)
    except OSError:
        return None
    return _added(path, mode, is_binary=is_binary, line_count=line_count)


def _count_lines(path: Path) -> tuple[bool, int]:
    """(is binary, number of lines), reading the file in blocks."""
    newlines = 0
    last = b""
    with path.open("rb") as handle:
        first = handle.read(_BINARY_SNIFF)
        if b"\0" in first:
            return True, 0
        block = first
        while block:
            newlines += block.count(b"\n")
            last = block[-1:]
            block = handle.read(_BLOCK)
    return False, newlines + (1 if last not in (b"", b"\n") else 0)


def _added(path: str, mode: str, *, is_binary: bool, line_count: int) -> FileChange:
    hunks: tuple[Hunk, ...] = ()
    if line_count:
        hunks = (Hunk(0, 0, 1, line_count, added=tuple(range(1, line_count + 1))),)
    return FileChange(
        old_path=None,
        new_path=path,
        status=FileStatus.ADDED,
        hunks=hunks,
        is_binary=is_binary,
        new_mode=mode,
    )
