"""Unified diff text -> ChangeSet, one small piece at a time, with unidiff doing the parsing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchedFile, PatchSet

from argus.core.diff.changeset import ChangeSet, FileChange, FileStatus, Hunk
from argus.core.diff.chunks import DiffSource, Piece, Splitter, iter_lines
from argus.core.errors import DiffParseError

_DEV_NULL = "/dev/null"
_SIMILARITY = re.compile(r"^similarity index (\d+)%")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
# GNU `diff -N` dates a missing file at the epoch (in local time).
_EPOCH = re.compile(r"^19(70-01-01|69-12-31)")


def parse_diff(
    source: DiffSource, *, base: str | None = None, head: str | None = None
) -> ChangeSet:
    """Parse a unified diff (git or plain ``diff -u``) into a ChangeSet.

    ``source`` is the diff text, its bytes, or a file object read as a stream (binary, or text
    opened with ``newline="\\n"``); memory stays bounded whatever its size. Raises
    DiffParseError naming the diff line when it is malformed.
    """
    splitter = Splitter()
    files: list[FileChange] = []
    current: _FileBuilder | None = None
    for piece in splitter.split(iter_lines(source)):
        for index, patched in enumerate(_run_unidiff(piece)):
            if index == 0 and piece.continues_file and current is not None:
                current.extend(patched, merge_first=piece.continues_hunk)
                continue
            if current is not None:
                files.extend(current.build())
            current = _FileBuilder(_file_header(patched, piece))
            current.extend(patched, merge_first=False)
    if current is not None:
        files.extend(current.build())
    if not files and splitter.saw_text:
        raise DiffParseError(
            "no file changes found: expected `diff --git` or `--- `/`+++ ` lines", 1, None
        )
    return ChangeSet(files=tuple(files), base=base, head=head)


@dataclass
class _HunkBuilder:
    starts: tuple[int, int]
    lengths: tuple[int, int]
    section: str
    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    def build(self) -> Hunk:
        return Hunk(
            source_start=self.starts[0],
            source_length=self.lengths[0],
            target_start=self.starts[1],
            target_length=self.lengths[1],
            section_header=self.section,
            added=tuple(self.added),
            removed=tuple(self.removed),
        )


@dataclass
class _FileBuilder:
    """A file's header fields and its hunks' line numbers, gathered over one or more pieces."""

    header: FileChange
    hunks: list[_HunkBuilder] = field(default_factory=list)

    def extend(self, patched: PatchedFile, *, merge_first: bool) -> None:
        if self.header.is_binary:
            return
        for index, unidiff_hunk in enumerate(patched):
            added = [line.target_line_no for line in unidiff_hunk if line.is_added]
            removed = [line.source_line_no for line in unidiff_hunk if line.is_removed]
            if index == 0 and merge_first and self.hunks:
                # The second part of a hunk cut in two: add its lines to the first part.
                last = self.hunks[-1]
                last.lengths = (
                    last.lengths[0] + unidiff_hunk.source_length,
                    last.lengths[1] + unidiff_hunk.target_length,
                )
            else:
                last = _HunkBuilder(
                    (unidiff_hunk.source_start, unidiff_hunk.target_start),
                    (unidiff_hunk.source_length, unidiff_hunk.target_length),
                    _printable(unidiff_hunk.section_header),
                )
                self.hunks.append(last)
            last.added.extend(n for n in added if n is not None)
            last.removed.extend(n for n in removed if n is not None)

    def build(self) -> Iterator[FileChange]:
        header = self.header
        if header.old_path is None and header.new_path is None:
            return
        hunks = tuple(hunk.build() for hunk in self.hunks)
        yield FileChange(
            old_path=header.old_path,
            new_path=header.new_path,
            status=header.status,
            hunks=hunks,
            is_binary=header.is_binary,
            old_mode=header.old_mode,
            new_mode=header.new_mode,
            similarity=header.similarity,
        )


class _CountingLines:
    """Hands a piece's lines to unidiff, counting them so an error can name its line."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.consumed = 0

    def __iter__(self) -> _CountingLines:
        return self

    def __next__(self) -> str:
        if self.consumed >= len(self.lines):
            raise StopIteration
        self.consumed += 1
        return self.lines[self.consumed - 1]


def _run_unidiff(piece: Piece) -> PatchSet:
    lines = _CountingLines(piece.lines)
    try:
        return PatchSet(lines)
    except UnidiffParseError as error:
        index = max(lines.consumed - 1, 0)
        raise DiffParseError(str(error), piece.numbers[index], piece.lines[index]) from error


def _file_header(patched: PatchedFile, piece: Piece) -> FileChange:
    """The file-level facts (paths, status, modes, similarity) of a piece's file."""
    fields = _extended_header(piece)
    old_raw = fields.get("rename from") or fields.get("copy from")
    new_raw = fields.get("rename to") or fields.get("copy to")
    old_path = _clean_path(old_raw, "") if old_raw else None
    new_path = _clean_path(new_raw, "") if new_raw else None
    if old_path is None and patched.source_file != _DEV_NULL:
        old_path = _clean_path(fields.get("---") or patched.source_file, "a/")
    if new_path is None and patched.target_file != _DEV_NULL:
        new_path = _clean_path(fields.get("+++") or patched.target_file, "b/")
    if not piece.is_git:
        old_path, new_path = _plain_diff_paths(patched, old_path, new_path)
    similarity = _SIMILARITY.match(fields.get("similarity index", ""))
    return FileChange(
        old_path=old_path,
        new_path=new_path,
        status=_status(old_path, new_path, fields, is_git=piece.is_git),
        is_binary=patched.is_binary_file,
        old_mode=patched.source_mode,
        new_mode=patched.target_mode,
        similarity=int(similarity.group(1)) if similarity else None,
    )


def _extended_header(piece: Piece) -> dict[str, str]:
    """The header lines of a piece before its first hunk, by keyword."""
    fields: dict[str, str] = {}
    keys = ("rename from", "rename to", "copy from", "copy to", "---", "+++")
    for line in piece.lines:
        if line.startswith("@@"):
            break
        text = line.rstrip("\n")
        if text.startswith("similarity index "):
            fields["similarity index"] = text
        for key in keys:
            if text.startswith(key + " "):
                value = text[len(key) + 1 :]
                # `--- name<TAB>timestamp`: the name ends at the tab (git quotes names with tabs).
                fields[key] = value.split("\t", 1)[0] if key in ("---", "+++") else value
    return fields


def _plain_diff_paths(
    patched: PatchedFile, old_path: str | None, new_path: str | None
) -> tuple[str | None, str | None]:
    """``diff -N`` marks a missing side by an epoch date rather than /dev/null."""
    if _EPOCH.match(patched.source_timestamp or ""):
        return None, new_path
    if _EPOCH.match(patched.target_timestamp or ""):
        return old_path, None
    return old_path, new_path


def _status(
    old_path: str | None, new_path: str | None, fields: dict[str, str], *, is_git: bool
) -> FileStatus:
    if old_path is None:
        return FileStatus.ADDED
    if new_path is None:
        return FileStatus.DELETED
    if "copy from" in fields:
        return FileStatus.COPIED
    # Plain `diff -u old/x new/x` names both sides differently without renaming anything.
    if "rename from" in fields or (is_git and old_path != new_path):
        return FileStatus.RENAMED
    return FileStatus.MODIFIED


def _clean_path(raw: str, prefix: str) -> str | None:
    """A diff path without quotes and its ``a/``/``b/`` prefix; None for /dev/null."""
    if raw == _DEV_NULL:
        return None
    path = unquote_path(raw)
    if prefix and path.startswith(prefix):
        path = path[len(prefix) :]
    return path


def unquote_path(text: str) -> str:
    """Undo git's C-style quoting of a path (``"caf\\303\\251.py"`` -> ``café.py``).

    Bytes that are not UTF-8 come back as surrogate escapes, as ``os.fsdecode`` gives them.
    """
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        return text
    body = text[1:-1]
    out = bytearray()
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\" or index + 1 == len(body):
            out += char.encode("utf-8", "surrogateescape")
            index += 1
            continue
        following = body[index + 1]
        octal = body[index + 1 : index + 4]
        if len(octal) == 3 and all(c in "01234567" for c in octal):
            out.append(int(octal, 8) & 0xFF)
            index += 4
        else:
            escaped = _ESCAPES.get(following)
            out += bytes([escaped]) if escaped else following.encode("utf-8", "surrogateescape")
            index += 2
    return out.decode("utf-8", "surrogateescape")


def _printable(text: str) -> str:
    """Section headers are shown to people: replace undecodable bytes rather than keep them."""
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
