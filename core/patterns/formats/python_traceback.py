"""A Python traceback pasted as text, chained exceptions included.

Of a chain (``During handling of the above exception...`` or ``The above exception was the
direct cause...``) the last traceback is the error; the one before it becomes the cause summary.
"""

from __future__ import annotations

import re

from core.patterns.errors import IngestError
from core.patterns.event import ErrorEvent, Frame
from core.patterns.formats.document import Document
from core.patterns.formats.fields import finish_event, in_app_default

_HEADER = "Traceback (most recent call last):"
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
    """Split the text into tracebacks, each starting at its header line."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in lines:
        stripped = line.strip()
        if (
            stripped.endswith(_HEADER)
            or stripped == "Exception Group Traceback (most recent call last):"
        ):
            current = []
            blocks.append(current)
            continue
        if stripped in _CHAIN_MARKERS:
            current = None
            continue
        if current is not None:
            current.append(line)
    return blocks


def _parse_block(block: list[str]) -> tuple[list[Frame], str, str]:
    """Frames, exception type and message of one traceback (lines after its header)."""
    frames: list[Frame] = []
    index = 0
    pending: Frame | None = None
    while index < len(block):
        line = block[index]
        match = _FRAME.match(line)
        if match:
            if pending is not None:
                frames.append(pending)
            path = match["path"]
            pending = Frame(
                function=(match["function"] or "<module>").strip(),
                filename=path,
                abs_path=path,
                lineno=int(match["line"]),
                in_app=in_app_default(path, None),
            )
            index += 1
            continue
        if pending is not None and line.startswith("    ") and not _CARETS.match(line):
            if pending.context_line is None and not _REPEAT.match(line):
                pending = Frame(
                    function=pending.function,
                    filename=pending.filename,
                    abs_path=pending.abs_path,
                    lineno=pending.lineno,
                    in_app=pending.in_app,
                    context_line=line.strip(),
                )
            index += 1
            continue
        if _REPEAT.match(line) or _CARETS.match(line) or not line.strip():
            index += 1
            continue
        if line.startswith(" "):
            index += 1
            continue
        break
    if pending is not None:
        frames.append(pending)
    rest = [line for line in block[index:]]
    while rest and not rest[-1].strip():
        rest.pop()
    if not rest:
        return frames, "Error", ""
    match = _EXCEPTION_LINE.match(rest[0].rstrip())
    if not match:
        return frames, "Error", "\n".join(rest).strip()
    message_lines = [match["message"] or ""] + rest[1:]
    return frames, match["type"], "\n".join(message_lines).strip()
