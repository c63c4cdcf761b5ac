"""The ChangeSet: what a diff changed, file by file, with line numbers on both sides."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class FileStatus(StrEnum):
    """How a file took part in the change."""

    ADDED = "added"
    DELETED = "deleted"
    MODIFIED = "modified"
    RENAMED = "renamed"
    COPIED = "copied"


@dataclass(frozen=True)
class Hunk:
    """One hunk; line numbers are 1-based, ``added`` on the new side, ``removed`` on the old."""

    source_start: int
    source_length: int
    target_start: int
    target_length: int
    section_header: str = ""
    added: tuple[int, ...] = ()
    removed: tuple[int, ...] = ()


@dataclass(frozen=True)
class FileChange:
    """One file of a change. ``old_path`` is None when added, ``new_path`` None when deleted."""

    old_path: str | None
    new_path: str | None
    status: FileStatus
    hunks: tuple[Hunk, ...] = ()
    is_binary: bool = False
    old_mode: str | None = None
    new_mode: str | None = None
    similarity: int | None = None

    @property
    def path(self) -> str:
        """The path that names the file after the change (the old one for a deletion)."""
        return self.new_path or self.old_path or ""

    @property
    def added_lines(self) -> frozenset[int]:
        """Line numbers on the new side that were added or changed."""
        return frozenset(n for h in self.hunks for n in h.added)

    @property
    def removed_lines(self) -> frozenset[int]:
        """Line numbers on the old side that were removed or changed."""
        return frozenset(n for h in self.hunks for n in h.removed)

    @property
    def lines_added(self) -> int:
        """Count of added lines."""
        return sum(len(h.added) for h in self.hunks)

    @property
    def lines_deleted(self) -> int:
        """Count of removed lines."""
        return sum(len(h.removed) for h in self.hunks)

    @property
    def mode_only(self) -> bool:
        """True when only the file mode changed."""
        return (
            not self.hunks
            and not self.is_binary
            and self.old_mode is not None
            and self.new_mode is not None
            and self.old_mode != self.new_mode
        )


@dataclass(frozen=True)
class ChangeSet:
    """All files of one change, with the refs it was taken between when known."""

    files: tuple[FileChange, ...] = ()
    base: str | None = None
    head: str | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def lines_added(self) -> int:
        """Total added lines."""
        return sum(f.lines_added for f in self.files)

    @property
    def lines_deleted(self) -> int:
        """Total removed lines."""
        return sum(f.lines_deleted for f in self.files)

    def is_empty(self) -> bool:
        """True when the diff changed nothing."""
        return not self.files
