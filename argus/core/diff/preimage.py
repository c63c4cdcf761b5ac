"""Both sides of the files of a diff given as text, from the diff itself and the blobs its
``index`` lines name, never from whatever is checked out.

A git diff names each file's pre-image and post-image blobs (``index 1a2b3c4..5d6e7f8``). The
pre-image is read from the repository by that id; the post-image too when the repository has
it, else it is the pre-image with the patch applied (the hunks are checked against the
pre-image: a patch that does not apply is not guessed at). A new file's post-image is its
added lines. A file whose pre-image is not to be had (no ``index`` line, a blob the repository
lacks, no repository) has no contents: it is reviewed from the diff alone (size and history,
no functions, no findings), and one warning names those files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from argus.core.diff.blobs import read_objects
from argus.core.diff.changeset import ChangeSet, FileChange

_INDEX = re.compile(rb"^index ([0-9a-fA-F]{4,64})\.\.([0-9a-fA-F]{4,64})(?: [0-7]+)?\s*$")
_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_ABSENT = re.compile(rb"^0+$")


@dataclass
class _PatchHunk:
    old_start: int
    old_length: int
    lines: list[bytes] = field(default_factory=list)  # each with its one-byte marker


@dataclass
class FilePatch:
    """One ``diff --git`` section: the blob ids of its ``index`` line (None: absent, as for a
    new or deleted file, or no ``index`` line) and its hunks."""

    old_blob: str | None
    new_blob: str | None
    has_index: bool
    hunks: list[_PatchHunk] = field(default_factory=list)


def file_patches(diff: bytes) -> list[FilePatch]:
    """The ``diff --git`` sections of a diff, in order (a plain ``diff -u`` has none)."""
    patches: list[FilePatch] = []
    current: FilePatch | None = None
    hunk: _PatchHunk | None = None
    remaining = (0, 0)  # old and new lines the current hunk still has to show
    for line in diff.splitlines(keepends=True):
        if hunk is not None and (remaining[0] > 0 or remaining[1] > 0 or line[:1] == b"\\"):
            marker = line[:1]
            if marker == b"\\":
                hunk.lines.append(line)
                continue
            if marker in (b" ", b"-", b"+") or line in (b"\n", b"\r\n"):
                body = line if marker in (b" ", b"-", b"+") else b" " + line
                hunk.lines.append(body)
                old, new = remaining
                remaining = (
                    old - (body[:1] in (b" ", b"-")),
                    new - (body[:1] in (b" ", b"+")),
                )
                continue
            hunk = None
        if line.startswith(b"diff --git "):
            current = FilePatch(None, None, has_index=False)
            patches.append(current)
            hunk = None
            continue
        if current is None:
            continue
        if not current.hunks:
            found = _INDEX.match(line)
            if found:
                old_id, new_id = (group.decode("ascii") for group in found.groups())
                current.old_blob = None if _ABSENT.match(found.group(1)) else old_id
                current.new_blob = None if _ABSENT.match(found.group(2)) else new_id
                current.has_index = True
                continue
        header = _HUNK.match(line)
        if header:
            old_length = 1 if header.group(2) is None else int(header.group(2))
            new_length = 1 if header.group(4) is None else int(header.group(4))
            hunk = _PatchHunk(int(header.group(1)), old_length)
            current.hunks.append(hunk)
            remaining = (old_length, new_length)
    return patches


def apply_patch(pre_image: bytes, hunks: Sequence[_PatchHunk]) -> bytes | None:
    """The post-image: ``pre_image`` with the hunks applied; None when a context or removed
    line does not match the pre-image (it is not the file the diff was taken from)."""
    old = pre_image.splitlines(keepends=True)
    out: list[bytes] = []
    position = 0
    for hunk in hunks:
        start = hunk.old_start - 1 if hunk.old_length > 0 else hunk.old_start
        if start < position or start > len(old):
            return None
        out.extend(old[position:start])
        position = start
        last: str | None = None
        for line in hunk.lines:
            marker, text = line[:1], line[1:]
            if marker == b"\\":
                # "\ No newline at end of file": the line before has no newline on its side.
                if last in ("+", " ") and out:
                    out[-1] = out[-1].rstrip(b"\r\n") if out[-1].endswith(b"\n") else out[-1]
                continue
            if marker in (b" ", b"-"):
                if position >= len(old) or old[position].rstrip(b"\r\n") != text.rstrip(b"\r\n"):
                    return None
                if marker == b" ":
                    out.append(old[position])
                position += 1
            else:
                out.append(text)
            last = marker.decode("ascii")
    out.extend(old[position:])
    return b"".join(out)


@dataclass(frozen=True)
class DiffSources:
    """Both sides of a diff's files, by path (None: not to be had), and what was missing."""

    old: dict[str, bytes | None]
    new: dict[str, bytes | None]
    warnings: tuple[str, ...] = ()


def sources_from_diff(repo: Path | None, diff: bytes, changeset: ChangeSet) -> DiffSources:
    """Both sides of ``changeset``'s files (parsed from ``diff``), from the blobs the diff's
    ``index`` lines name (read from ``repo`` when there is one) and the diff itself."""
    patches = file_patches(diff)
    files = [f for f in changeset.files]
    if len(patches) != len(files):
        # A plain diff (no `diff --git` sections), or sections this reader does not match.
        patches = [FilePatch(None, None, has_index=False) for _ in files]
    wanted = [
        blob
        for patch in patches
        if patch.has_index
        for blob in (patch.old_blob, patch.new_blob)
        if blob is not None
    ]
    objects = read_objects(repo, wanted) if repo is not None and wanted else {}
    old: dict[str, bytes | None] = {}
    new: dict[str, bytes | None] = {}
    alone: list[str] = []
    for change, patch in zip(files, patches, strict=True):
        if change.is_binary:
            continue
        before, after = _sides(change, patch, objects)
        if change.old_path:
            old[change.old_path] = before
        if change.new_path:
            new[change.new_path] = after
        if (change.old_path and before is None) or (change.new_path and after is None):
            alone.append(change.path)
    warnings: tuple[str, ...] = ()
    if alone:
        shown = ", ".join(alone[:5]) + (f" and {len(alone) - 5} more" if len(alone) > 5 else "")
        why = (
            "no repository to read them from"
            if repo is None
            else "the blobs its index lines name are not in this repository"
        )
        warnings = (
            f"the contents of {_count(len(alone))} of the diff were not available ({why}): "
            f"{shown} reviewed from the diff alone, without functions or findings; "
            "pass a `git diff` taken in this repository (with its index lines) to review them",
        )
    return DiffSources(old=old, new=new, warnings=warnings)


def _sides(
    change: FileChange, patch: FilePatch, objects: dict[str, bytes | None]
) -> tuple[bytes | None, bytes | None]:
    """(pre-image, post-image) of one file; None where it is not to be had."""
    if not patch.has_index:
        if change.old_path is None and change.new_path is not None:
            return None, apply_patch(b"", patch.hunks) if patch.hunks else None
        return None, None
    before = b"" if patch.old_blob is None else objects.get(patch.old_blob)
    if before is None:
        return None, None
    after: bytes | None = None
    if change.new_path is not None:
        after = objects.get(patch.new_blob) if patch.new_blob else None
        if after is None:
            after = apply_patch(before, patch.hunks)
            if after is None:
                return None, None
    return (None if change.old_path is None else before), after


def _count(number: int) -> str:
    return f"{number} file" if number == 1 else f"{number} files"
