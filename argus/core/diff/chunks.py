"""Cut a unified diff, read one line at a time, into small pieces for unidiff to parse.

Memory stays bounded whatever the size of the diff: the input is read line by line, hunk
lines are cut down to their one-character type (only line numbers are kept downstream), binary
patch data is skipped, and a file with very many hunk lines is cut into several pieces. Each
hunk is counted against its header here, so a malformed diff is reported at its exact line.
"""

from __future__ import annotations

import io
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from argus.core.errors import DiffParseError

# A line longer than this is cut short: only a hunk line's first character matters, and no
# header line (paths, modes) comes near it.
MAX_LINE_LENGTH = 1 << 20
# Hunk lines per piece before a big file is cut into several pieces.
PIECE_LINES = 5_000

HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)")
# Header handed to unidiff for a piece that carries on the previous piece's file.
_CONTINUATION_HEADER = ("--- a/continued\n", "+++ b/continued\n")

DiffSource = str | bytes | IO[bytes] | IO[str]


@dataclass
class Piece:
    """Lines of one file (or part of one) for unidiff, with their line numbers in the diff."""

    lines: list[str] = field(default_factory=list)
    numbers: array[int] = field(default_factory=lambda: array("q"))
    is_git: bool = False
    continues_file: bool = False
    continues_hunk: bool = False

    def add(self, number: int, line: str) -> None:
        """Append one line, remembering where it came from."""
        self.lines.append(line)
        self.numbers.append(number)


def iter_lines(source: DiffSource) -> Iterator[str]:
    """The lines of ``source``, split on LF only, each ending in LF, with CR before LF dropped.

    Bytes are decoded as UTF-8 with surrogateescape, so no input makes decoding fail.
    """
    if isinstance(source, str):
        yield from _text_lines(source)
        return
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    yield from _stream_lines(source)


def _text_lines(text: str) -> Iterator[str]:
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        stop = size if end < 0 else end + 1
        if stop - start > MAX_LINE_LENGTH:
            yield text[start : start + MAX_LINE_LENGTH] + "\n"
        else:
            yield _normalise(text[start:stop])
        start = stop


def _stream_lines(stream: IO[bytes] | IO[str]) -> Iterator[str]:
    while True:
        raw: str | bytes = stream.readline(MAX_LINE_LENGTH)
        if not raw:
            return
        line = raw if isinstance(raw, str) else raw.decode("utf-8", "surrogateescape")
        if len(raw) == MAX_LINE_LENGTH and not line.endswith("\n"):
            _skip_rest_of_line(stream)
            line += "\n"
        yield _normalise(line)


def _skip_rest_of_line(stream: IO[bytes] | IO[str]) -> None:
    while True:
        rest: str | bytes = stream.readline(MAX_LINE_LENGTH)
        if not rest or rest[-1:] in (b"\n", "\n"):
            return


def _normalise(line: str) -> str:
    if line.endswith("\r\n"):
        return line[:-2] + "\n"
    return line if line.endswith("\n") else line + "\n"


# Splitter states.
_OUTSIDE = "outside"  # preamble, commit messages, trailers: ignored
_GIT_HEADER = "git header"  # after `diff --git`, before the first hunk
_SOURCE = "source"  # after a plain `--- ` line, expecting `+++ `
_FILE = "file"  # after the file header or a complete hunk, expecting `@@`
_HUNK = "hunk"  # inside a hunk, counting its lines
_BINARY = "binary"  # inside `GIT binary patch` data: skipped


class Splitter:
    """A line-by-line state machine that yields one :class:`Piece` per file (or part of one)."""

    def __init__(self) -> None:
        self.state = _OUTSIDE
        self.piece: Piece | None = None
        self.saw_text = False
        self.saw_source = False
        self.just_closed = False
        self.stray: tuple[int, str] | None = None
        # The hunk being read: its header's line, what the header declared, and, for the part
        # of it in the current piece, where it starts, its length and the lines still expected.
        self.hunk_number = 0
        self.declared = (0, 0)
        self.section = ""
        self.header_index = 0
        self.starts = (0, 0)
        self.lengths = (0, 0)
        self.left = (0, 0)

    def split(self, lines: Iterator[str]) -> Iterator[Piece]:
        """Feed every line of the diff and yield its pieces, then check the diff ended well."""
        for number, line in enumerate(lines, 1):
            yield from self.feed(number, line)
        yield from self.finish()

    def feed(self, number: int, line: str) -> Iterator[Piece]:
        """Take one line (ending in LF) of the diff; yield any piece it completes."""
        if not self.saw_text and line.strip():
            self.saw_text = True
        if self.state == _HUNK:
            yield from self._hunk_line(number, line)
            return
        just_closed, self.just_closed = self.just_closed, False
        if line.startswith("diff --git "):
            yield from self._start(number, line, _GIT_HEADER, is_git=True)
        elif line.startswith(("diff --cc ", "diff --combined ")):
            raise DiffParseError(
                "combined diffs of merge commits are not supported; diff against one parent",
                number,
                line,
            )
        elif self.state == _BINARY:
            return
        elif line.startswith("--- ") and not (self.state == _GIT_HEADER and not self.saw_source):
            yield from self._start(number, line, _SOURCE)
        elif self.state == _SOURCE:
            yield from self._after_source(number, line)
        elif line.startswith("@@"):
            yield from self._hunk_header(number, line)
        elif self.state == _GIT_HEADER:
            self._git_header_line(number, line)
        elif line.startswith("Binary files "):
            yield from self._start(number, line, _OUTSIDE)
        elif self.state == _FILE:
            self._file_line(number, line, just_closed)

    def finish(self) -> Iterator[Piece]:
        """Yield the last piece; DiffParseError when the diff ends inside a hunk."""
        if self.state == _HUNK:
            raise DiffParseError(
                f"the diff ends inside this hunk: {self._expected()}", self.hunk_number, None
            )
        if self.piece is not None and self.state != _SOURCE:
            yield self.piece
        self.piece = None

    def _start(
        self, number: int, line: str, state: str, *, is_git: bool = False
    ) -> Iterator[Piece]:
        if self.piece is not None and self.state != _SOURCE:
            yield self.piece
        self.piece = Piece(is_git=is_git)
        self.piece.add(number, line)
        self.state = state
        self.saw_source = line.startswith("--- ")
        self.stray = None

    def _after_source(self, number: int, line: str) -> Iterator[Piece]:
        assert self.piece is not None
        if line.startswith("+++ "):
            self.piece.add(number, line)
            self.state = _FILE
            return
        # A `--- ` line not followed by `+++ ` was text (a commit message), not a file header.
        self.piece = None
        self.state = _OUTSIDE
        yield from self.feed(number, line)

    def _git_header_line(self, number: int, line: str) -> None:
        assert self.piece is not None
        self.piece.add(number, line)
        if line.startswith("--- "):
            self.saw_source = True
        elif line.startswith("+++ "):
            self.state = _FILE
        elif line == "GIT binary patch\n":
            self.state = _BINARY

    def _file_line(self, number: int, line: str, just_closed: bool) -> None:
        assert self.piece is not None
        if line.startswith("\\") and just_closed:
            self.piece.add(number, line)
            self.just_closed = True
        elif not line.strip():
            return
        elif just_closed and line[0] in "+- " and line != "-- \n":
            raise DiffParseError(
                f"more lines follow the hunk at diff line {self.hunk_number} than its header "
                f"{self._declared()} counts",
                number,
                line,
            )
        else:
            # Text after a file's hunks (a mail signature, the next commit's message) ends it.
            self.stray = (number, line)
            self.state = _OUTSIDE

    def _hunk_header(self, number: int, line: str) -> Iterator[Piece]:
        if self.piece is None or self.state not in (_FILE, _GIT_HEADER):
            if self.stray is not None:
                raise DiffParseError("unexpected text before a hunk header", *self.stray)
            raise DiffParseError(
                "hunk header without a file header before it "
                "(expected `diff --git` or `--- `/`+++ ` lines)",
                number,
                line,
            )
        match = HUNK_HEADER.match(line)
        if match is None:
            raise DiffParseError("malformed hunk header, expected `@@ -a,b +c,d @@`", number, line)
        old_start, old_length, new_start, new_length, section = match.groups()
        self.hunk_number = number
        self.declared = (_count(old_length), _count(new_length))
        self.section = section
        self.starts = (int(old_start), int(new_start))
        self.lengths = self.left = self.declared
        if len(self.piece.lines) >= PIECE_LINES:
            yield self._next_piece(continues_hunk=False)
        self.header_index = len(self.piece.lines)
        self.piece.add(number, line)
        self.state = _HUNK if self.left != (0, 0) else _FILE

    def _hunk_line(self, number: int, line: str) -> Iterator[Piece]:
        assert self.piece is not None
        kind = line[0]
        if kind == "\\":
            self.piece.add(number, line)
            return
        old_left, new_left = self.left
        if kind in " \n":
            old_left, new_left, short = old_left - 1, new_left - 1, " \n"
        elif kind == "-":
            old_left, short = old_left - 1, "-\n"
        elif kind == "+":
            new_left, short = new_left - 1, "+\n"
        else:
            raise DiffParseError(self._early_end(line), number, line)
        if old_left < 0 or new_left < 0:
            side = "old" if old_left < 0 else "new"
            raise DiffParseError(
                f"the hunk at diff line {self.hunk_number} has more {side} lines than its "
                f"header {self._declared()} counts",
                number,
                line,
            )
        if len(self.piece.lines) >= PIECE_LINES and self.left != self.lengths:
            yield self._cut_hunk()
        self.left = (old_left, new_left)
        self.piece.add(number, short)
        if self.left == (0, 0):
            self.state = _FILE
            self.just_closed = True

    def _cut_hunk(self) -> Piece:
        """End the current piece inside a hunk; the rest of the hunk goes on in a new piece."""
        assert self.piece is not None
        done = (self.lengths[0] - self.left[0], self.lengths[1] - self.left[1])
        self.piece.lines[self.header_index] = _header(self.starts, done, self.section)
        self.starts = (self.starts[0] + done[0], self.starts[1] + done[1])
        self.lengths = self.left
        finished = self._next_piece(continues_hunk=True)
        self.header_index = len(self.piece.lines)
        self.piece.add(self.hunk_number, _header(self.starts, self.lengths, ""))
        return finished

    def _next_piece(self, *, continues_hunk: bool) -> Piece:
        """Start a piece that carries on the current file; return the finished one."""
        assert self.piece is not None
        finished = self.piece
        self.piece = Piece(
            is_git=finished.is_git, continues_file=True, continues_hunk=continues_hunk
        )
        for text in _CONTINUATION_HEADER:
            self.piece.add(self.hunk_number, text)
        return finished

    def _expected(self) -> str:
        return (
            f"its header {self._declared()} expects {self.left[0]} more old and "
            f"{self.left[1]} more new lines"
        )

    def _early_end(self, line: str) -> str:
        if line.startswith(("diff --git ", "@@", "--- ", "+++ ")):
            return f"the hunk at diff line {self.hunk_number} ends early: {self._expected()}"
        return (
            f"unexpected text inside the hunk at diff line {self.hunk_number}: {self._expected()}"
        )

    def _declared(self) -> str:
        return f"(-{self.declared[0]} +{self.declared[1]})"


def _count(text: str | None) -> int:
    return 1 if text is None else int(text)


def _header(starts: tuple[int, int], lengths: tuple[int, int], section: str) -> str:
    tail = f" {section}" if section else ""
    return f"@@ -{starts[0]},{lengths[0]} +{starts[1]},{lengths[1]} @@{tail}\n"
