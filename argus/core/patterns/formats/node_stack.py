"""A JavaScript / Node.js (V8) stack trace pasted as text.

Reads ``Type: message`` followed by ``    at ...`` lines in every V8 form: ``at fn (file:1:2)``,
``at file:1:2``, ``at async fn (...)``, ``at new Foo (...)``, ``at Array.map (<anonymous>)``.
V8 prints the innermost frame first; the event stores them outermost first.
"""

from __future__ import annotations

import re

from argus.core.patterns.errors import IngestError
from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.formats.document import Document
from argus.core.patterns.formats.fields import finish_event, in_app_default

_EVAL_LOCATION = re.compile(r"\((?P<location>[^()]*)\)")
_HEADER = re.compile(
    r"^(?:Uncaught\s+)?(?P<type>[A-Za-z_$][\w$.]*(?:\s\[[A-Z_0-9]+\])?)(?::\s?(?P<message>.*))?$"
)
_PATH_SCHEMES = ("file://", "webpack://", "app://")


class NodeStackFormat:
    """V8 ``Error.stack`` text as Node.js and Chromium print it."""

    name = "node-stack"
    description = "a JavaScript/Node.js stack trace pasted as text ('TypeError: ...\\n    at ...')"

    def accepts(self, document: Document) -> bool:
        """Text with at least one ``    at ...`` line preceded by a header line."""
        if document.json_value is not None:
            return False
        return _first_at_line(document.text.splitlines()) is not None

    def parse(self, document: Document) -> ErrorEvent:
        """Parse the header above the first ``at`` line and the ``at`` lines below it."""
        lines = document.text.splitlines()
        first = _first_at_line(lines)
        if first is None:
            raise IngestError("JavaScript stack trace has no '    at ...' frame line")
        exception_type, message = _header(lines[:first])
        innermost_first: list[Frame] = []
        for line in lines[first:]:
            body = _at_body(line)
            if body is None:
                if not line.strip():
                    continue
                break
            innermost_first.append(_frame(body))
        innermost_first.reverse()
        return finish_event(
            exception_type,
            message,
            innermost_first,
            platform="javascript",
            source_format=self.name,
        )


def _at_body(line: str) -> str | None:
    """What follows ``at`` on an indented ``    at ...`` line, else None."""
    if not line[:1].isspace():
        return None
    stripped = line.strip()
    if not stripped.startswith("at ") or len(stripped) < 4:
        return None
    return stripped[3:].lstrip()


def _first_at_line(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if index > 0 and _at_body(line) is not None:
            return index
    return None


def _header(lines: list[str]) -> tuple[str, str]:
    """Find ``Type: message`` above the frames; the message may span several lines."""
    for start in range(len(lines) - 1, -1, -1):
        match = _HEADER.match(lines[start].strip())
        if match and (match["message"] is not None or _looks_like_error_name(match["type"])):
            message_lines = [match["message"] or ""] + [
                line.rstrip() for line in lines[start + 1 :]
            ]
            return match["type"], "\n".join(message_lines).strip()
    text = "\n".join(line for line in lines if line.strip()).strip()
    return "Error", text


def _looks_like_error_name(name: str) -> bool:
    return name.endswith(("Error", "Exception")) or name == "Error"


def _frame(body: str) -> Frame:
    if body.startswith("async "):
        body = body[len("async ") :]
    if body.endswith(")") and " (" in body:
        function, _, location = body[:-1].partition(" (")
        function = function.strip()
        if location.startswith("eval at "):
            # "eval at fn (file:1:2), <anonymous>:1:1": the outer call site is the useful one.
            inner = _EVAL_LOCATION.search(location)
            location = inner["location"] if inner else location
    else:
        function, location = "<anonymous>", body
    if function.startswith("new "):
        function = function[len("new ") :].strip()
    if " [as " in function:
        function = function.split(" [as ", 1)[0]
    path, lineno = _split_location(location)
    filename = path
    for scheme in _PATH_SCHEMES:
        if filename.startswith(scheme):
            filename = filename[len(scheme) :]
            break
    return Frame(
        function=function or "<anonymous>",
        filename=filename,
        abs_path=path,
        lineno=lineno,
        in_app=in_app_default(path, None),
    )


def _split_location(location: str) -> tuple[str, int | None]:
    """``path:line:column`` (or ``path:line``, or a bare path) → path and line."""
    parts = location.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return parts[0], int(parts[1])
    if len(parts) >= 2 and parts[-1].isdigit():
        return location.rsplit(":", 1)[0], int(parts[-1])
    return location, None
