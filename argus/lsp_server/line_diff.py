"""A line diff for buffers: LF/CRLF-blind, patience-anchored, fast on long files.

Common prefix and suffix are found by binary search (C-speed slice comparisons), lines unique
on both sides anchor the match (patience diff), and difflib runs only inside small gaps.
"""

from __future__ import annotations

import bisect
import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

from argus.core.diff.changeset import Hunk


@dataclass
class LineDiff:
    """The hunks between two versions of a file and the lines each side touches."""

    hunks: tuple[Hunk, ...]
    touched_old: set[int] = field(default_factory=set)
    touched_new: set[int] = field(default_factory=set)
    runs: list[tuple[int, int, int]] = field(default_factory=list)

    def new_line(self, old_line: int) -> int | None:
        """Where an unchanged old line (1-based) sits in the new version; None if changed."""
        place = bisect.bisect_right(self.runs, (old_line - 1, 1 << 62, 0)) - 1
        if place < 0:
            return None
        old_start, new_start, length = self.runs[place]
        offset = old_line - 1 - old_start
        return new_start + offset + 1 if 0 <= offset < length else None


def split_lines(source: bytes) -> list[bytes]:
    """Lines without their newline (LF or CRLF); a final newline makes no extra empty line.

    CRLF and LF compare equal, so a checkout converting line endings (core.autocrlf) does not
    make every line look changed.
    """
    lines = source.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if b"\r" in source:
        lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    return lines


def _common_prefix(a: Sequence[object], b: Sequence[object]) -> int:
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: Sequence[object], b: Sequence[object], limit: int) -> int:
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle :] == b[len(b) - middle :]:
            low = middle
        else:
            high = middle - 1
    return low


def matching_lines(old: Sequence[bytes], new: Sequence[bytes]) -> list[tuple[int, int, int]]:
    """Runs (old index, new index, length) of lines kept unchanged, in order (a patience diff).

    Lines unique on both sides anchor the match; the gaps between anchors are matched the
    same way, and a gap without unique lines falls back to difflib (it is small then).
    """
    runs: list[tuple[int, int, int]] = []
    _match(old, new, 0, len(old), 0, len(new), runs)
    return [run for run in runs if run[2]]


def _match(
    old: Sequence[bytes],
    new: Sequence[bytes],
    old_low: int,
    old_high: int,
    new_low: int,
    new_high: int,
    runs: list[tuple[int, int, int]],
) -> None:
    same = _common_prefix(old[old_low:old_high], new[new_low:new_high])
    runs.append((old_low, new_low, same))
    old_low, new_low = old_low + same, new_low + same
    limit = min(old_high - old_low, new_high - new_low)
    tail = _common_suffix(old[old_low:old_high], new[new_low:new_high], limit)
    old_high, new_high = old_high - tail, new_high - tail
    if old_low < old_high and new_low < new_high:
        anchors = _unique_anchors(old, new, old_low, old_high, new_low, new_high)
        if anchors:
            previous_old, previous_new = old_low, new_low
            for old_index, new_index in anchors:
                _match(old, new, previous_old, old_index, previous_new, new_index, runs)
                runs.append((old_index, new_index, 1))
                previous_old, previous_new = old_index + 1, new_index + 1
            _match(old, new, previous_old, old_high, previous_new, new_high, runs)
        else:
            matcher = difflib.SequenceMatcher(
                None, old[old_low:old_high], new[new_low:new_high], autojunk=False
            )
            for block in matcher.get_matching_blocks():
                runs.append((old_low + block.a, new_low + block.b, block.size))
    runs.append((old_high, new_high, tail))


def _unique_anchors(
    old: Sequence[bytes],
    new: Sequence[bytes],
    old_low: int,
    old_high: int,
    new_low: int,
    new_high: int,
) -> list[tuple[int, int]]:
    """The longest increasing run of lines that occur exactly once on each side."""
    in_old: dict[bytes, int] = {}
    for index in range(old_low, old_high):
        line = old[index]
        in_old[line] = -1 if line in in_old else index
    in_new: dict[bytes, int] = {}
    for index in range(new_low, new_high):
        line = new[index]
        in_new[line] = -1 if line in in_new else index
    candidates = [
        (old_index, in_new[line])
        for line, old_index in in_old.items()
        if old_index >= 0 and in_new.get(line, -1) >= 0
    ]
    candidates.sort(key=lambda pair: pair[1])
    # Longest increasing subsequence of old indexes (patience sorting).
    tops: list[int] = []
    top_items: list[int] = []
    back: list[int] = []
    for position, (old_index, _) in enumerate(candidates):
        place = bisect.bisect_left(tops, old_index)
        back.append(top_items[place - 1] if place else -1)
        if place == len(tops):
            tops.append(old_index)
            top_items.append(position)
        else:
            tops[place] = old_index
            top_items[place] = position
    chain: list[tuple[int, int]] = []
    position = top_items[-1] if top_items else -1
    while position >= 0:
        chain.append(candidates[position])
        position = back[position]
    chain.reverse()
    return chain


def line_diff(old: list[bytes], new: list[bytes]) -> LineDiff:
    """Hunks from ``old`` to ``new`` (1-based line numbers, as git's ``-U0`` would give)."""
    result = LineDiff(hunks=())
    hunks: list[Hunk] = []
    old_next, new_next = 0, 0
    result.runs = matching_lines(old, new)
    for old_index, new_index, length in [*result.runs, (len(old), len(new), 0)]:
        if old_index > old_next or new_index > new_next:
            removed = tuple(range(old_next + 1, old_index + 1))
            added = tuple(range(new_next + 1, new_index + 1))
            hunks.append(
                Hunk(
                    source_start=old_next + 1 if removed else old_next,
                    source_length=len(removed),
                    target_start=new_next + 1 if added else new_next,
                    target_length=len(added),
                    added=added,
                    removed=removed,
                )
            )
            # The lines on either side of a change belong to the blocks it changed.
            result.touched_old.update(removed or (old_next, old_next + 1))
            result.touched_new.update(added or (new_next, new_next + 1))
        old_next, new_next = old_index + length, new_index + length
    result.hunks = tuple(hunks)
    return result
