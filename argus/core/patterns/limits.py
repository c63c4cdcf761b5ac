"""Size limits applied to every ingested error, whatever its format.

An event may carry 10,000 frames (deep recursion) or a megabyte-long message; storing or
signing all of it buys nothing. Frames are capped to the innermost ``MAX_FRAMES`` with in-app
frames preferred, messages to ``MAX_MESSAGE_CHARS``.
"""

from __future__ import annotations

import re

from argus.core.patterns.errors import IngestError
from argus.core.patterns.event import Frame

MAX_INPUT_BYTES = 4 * 1024 * 1024
MAX_FRAMES = 50
MAX_MESSAGE_CHARS = 4096
TRUNCATION_MARK = "…[truncated]"

#: Characters kept of each field of a stored event, cut *after* scrubbing (docs/security.md).
FIELD_CHARS = {
    "message": MAX_MESSAGE_CHARS,
    "cause": 1024,
    "exception_type": 256,
    "module": 256,
    "function": 256,
    "release": 256,
    "environment": 128,
    "raw_id": 128,
    "filename": 1024,
    "abs_path": 1024,
    "context_line": 1024,
    "var_name": 128,
    "var_value": 512,
    "tag_key": 128,
    "tag_value": 256,
}
#: Scrubbing reads at most this many times a field's stored length: the regular expressions
#: never see more (their time is linear in it), and whatever straddles the stored cut is
#: scrubbed before the cut, so no prefix of a secret is left by truncation.
SCAN_FACTOR = 2
#: Characters of one event that scrubbing reads in all (its fields together, the error
#: first, then frames innermost first); the rest is cut before any regex reads it.
SCAN_BUDGET = 32 * 1024

_TOKEN_CHARS = re.compile(r"[\w.+/=~%-]*")

_LIBRARY_PATH = re.compile(
    r"(?:^|[\\/])(?:site-packages|dist-packages|node_modules|lib[\\/]python\d+(?:\.\d+)?)[\\/]"
    r"|^<frozen |^node:|^internal[\\/]|^<anonymous>$|^native$"
    # Windows CPython keeps its standard library in C:\PythonXY\Lib (no version directory).
    r"|^[A-Za-z]:[\\/](?:.*[\\/])?Python\d+[\\/]Lib[\\/]"
)


def decode_input(data: bytes | str) -> str:
    """Return the text of an ingested body; invalid UTF-8 is replaced, never fatal.

    Raises IngestError when the body is larger than ``MAX_INPUT_BYTES``.
    """
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "replace"))
    if size > MAX_INPUT_BYTES:
        raise IngestError(
            f"error report is {size:,} bytes, over the {MAX_INPUT_BYTES:,} byte limit; "
            "send one event per request"
        )
    if isinstance(data, bytes):
        text = data.decode("utf-8", errors="replace")
    else:
        text = data
    return text.lstrip("\ufeff")


def is_library_path(path: str) -> bool:
    """Tell whether a frame path belongs to an installed library or the runtime itself."""
    if not path:
        return False
    # Every alternative of the pattern needs one of these; most in-app paths have none.
    if (
        "packages" in path
        or "node_modules" in path
        or "ython" in path
        or path.startswith(("<", "node:", "internal", "native"))
    ):
        return _LIBRARY_PATH.search(path) is not None
    return False


def cut_text(text: str, limit: int, mark: str = "…") -> str:
    """``text`` cut to at most ``limit`` characters, ``mark`` included, when it is longer.

    The cut drops the word or token it falls in (never half a token: half a secret is a
    secret) unless that token is longer than half of ``limit`` and than 128 characters (no
    credential is), then adds ``mark``.
    """
    if len(text) <= limit:
        return text
    kept = text[: max(0, limit - len(mark))]
    if _TOKEN_CHARS.fullmatch(text, len(kept), len(kept) + 1):  # the cut is inside a token
        # Matched on the reversed text: anchored, so linear however long the token.
        tail = _TOKEN_CHARS.match(kept[::-1])
        # A "token" longer than half the room (and than 128) is no credential (those are
        # shorter): a message that is one long run of letters keeps its first part.
        if tail is not None and tail.end() <= max(limit // 2, 128):
            kept = kept[: len(kept) - tail.end()]
    return kept + mark


def cap_message(message: str) -> tuple[str, bool]:
    """Return the message cut to ``MAX_MESSAGE_CHARS`` and whether it was cut."""
    if len(message) <= MAX_MESSAGE_CHARS:
        return message, False
    return cut_text(message, MAX_MESSAGE_CHARS, TRUNCATION_MARK), True


def cap_frames(frames: list[Frame]) -> tuple[tuple[Frame, ...], int]:
    """Keep at most ``MAX_FRAMES`` frames: the innermost one, then innermost in-app frames.

    Frames stay outermost first. Returns the kept frames and how many were dropped.
    """
    if len(frames) <= MAX_FRAMES:
        return tuple(frames), 0
    last = len(frames) - 1
    # Priority: the raising frame, then in-app frames, then the rest, each innermost first.
    ranked = sorted(
        range(len(frames)),
        key=lambda index: (index != last, not frames[index].in_app, last - index),
    )
    kept = sorted(ranked[:MAX_FRAMES])
    return tuple(frames[index] for index in kept), len(frames) - MAX_FRAMES
