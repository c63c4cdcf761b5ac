"""A Python traceback pasted as text, chained exceptions included.

Of a chain (``During handling of the above exception...`` or ``The above exception was the
direct cause...``) the last traceback is the error; the one before it becomes the cause summary.
"""

from __future__ import annotations

import re

from argus.core.patterns.errors import IngestError
from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.formats.document import Document
from argus.core.patterns.formats.fields import finish_event, in_app_default

_HEADER = "Traceback (most recent call last):"
_GROUP_HEADER = "Exception Group Traceback (most recent call last):"
_CHAIN_MARKERS = (
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)
_FRAME = re.compile(r'^\s*File "(?P<path>[^"]*)", line (?P<line>\d+)(?:, in (?P<function>.+))?$')
_REPEAT = re.compile(r"^\s*\[Previous line repeated \d+ more times?\]$")
_CARETS = re.compile(r"^\s*[~^\s]+$")
_EXCEPTION_LINE = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?::\s?(?P<message>.*))?$")
# Exception-group tracebacks prefix their lines with box drawing: "  | " and "  +-+---".
_GROUP_PREFIX = re.compile(r"^\s*(?:\||\+[-+]*)\s?")


class PythonTracebackFormat:
    """``Traceback (most recent call last):`` followed by frames and the exception line."""

    name = "python-traceback"
    description = "a Python traceback pasted as text ('Traceback (most recent call last):')"

    def accepts(self, document: Document) -> bool:
        """Any text holding a traceback header."""
        return document.json_value is None and _HEADER in document.text

    def parse(self, document: Document) -> ErrorEvent:
        """Parse the last traceback of the chain; the previous one becomes the cause."""
        lines = [_strip_group_prefix(line) for line in document.text.splitlines()]
        blocks = _split_chain(lines)
        if not blocks:
            raise IngestError("Python traceback has no 'Traceback (most recent call last):' line")
        frames, exception_type, message = _parse_block(blocks[-1])
        cause = None
        if len(blocks) > 1:
            _, cause_type, cause_message = _parse_block(blocks[-2])
            first = cause_message.split("\n", 1)[0]
            cause = f"{cause_type}: {first}" if first else cause_type
        return finish_event(
            exception_type,
            message,
            frames,
            platform="python",
            source_format=self.name,
            cause=cause,
        )


def _strip_group_prefix(line: str) -> str:
    if line.lstrip().startswith(("|", "+-")):
        return _GROUP_PREFIX.sub("", line, count=1)
    return line


def _split_chain(lines: list[str]) -> list[list[str]]:
    """Split the text into tracebacks, each starting at its header line.

    A traceback indented as a whole (pasted from a log or an e-mail) is dedented by its header's
    indentation, so that its exception line starts the line again.
    """
    blocks: list[list[str]] = []
    current: list[str] | None = None
    indent = ""
    for line in lines:
        stripped = line.strip()
        if stripped.endswith(_HEADER) or stripped == _GROUP_HEADER:
            current = []
            blocks.append(current)
            leading = line[: len(line) - len(line.lstrip())]
            indent = leading if line.lstrip() in (_HEADER, _GROUP_HEADER) else ""
            continue
        if stripped in _CHAIN_MARKERS:
            current = None
            continue
        if current is not None:
            current.append(line[len(indent) :] if indent and line.startswith(indent) else line)
    return blocks


def _parse_block(block: list[str]) -> tuple[list[Frame], str, str]:
    """Frames, exception type and message of one traceback (lines after its header)."""
    frames: list[Frame] = []
    index = 0
    while index < len(block):
        match = _FRAME.match(block[index])
        if match is None:
            line = block[index]
            if line.startswith(" ") or not line.strip() or _REPEAT.match(line):
                index += 1
                continue
            break
        index += 1
        # The frame's code line follows it, indented; 3.11+ caret lines come after that.
        context_line = None
        if index < len(block) and block[index].startswith("    "):
            candidate = block[index]
            if not _FRAME.match(candidate) and not _CARETS.match(candidate):
                if not _REPEAT.match(candidate):
                    context_line = candidate.strip()
                    index += 1
        path = match["path"]
        frames.append(
            Frame(
                function=(match["function"] or "<module>").strip(),
                filename=path,
                abs_path=path,
                lineno=int(match["line"]),
                in_app=in_app_default(path, None),
                context_line=context_line,
            )
        )
    rest = block[index:]
    while rest and not rest[-1].strip():
        rest.pop()
    if not rest:
        return frames, "Error", ""
    match = _EXCEPTION_LINE.match(rest[0].rstrip())
    if not match:
        return frames, "Error", "\n".join(rest).strip()
    message_lines = [match["message"] or ""] + rest[1:]
    return frames, match["type"], "\n".join(message_lines).strip()
