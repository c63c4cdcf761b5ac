"""The language server's stdin, framed strictly before pygls reads it.

pygls 2.x reads stdio in ``pygls.io_.run_async``: header lines with ``readline()``, then
``read(Content-Length)``. Fed as it is, ``Content-Length: 1000000000000`` makes it allocate a
terabyte (the server exits) and ``Content-Length: abc`` makes it take every later message for
a header (the server stops answering). :class:`FramedStdin` sits in between: it reads each
message itself, checks its ``Content-Length`` (digits only, at most :data:`MAX_MESSAGE_BYTES`),
logs a clear line for a message it drops, finds the next ``Content-Length:`` header and goes
on; pygls sees only well-formed messages.
"""

from __future__ import annotations

import logging
import threading
from typing import BinaryIO

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
"""Largest message body accepted (a whole large file in ``didOpen`` fits many times)."""
MAX_HEADER_BYTES = 8 * 1024
"""Longest header line read at once (headers are ``Name: value`` lines of a few bytes)."""

_HEADER = b"content-length:"
_LOG = logging.getLogger("argus.lsp.stdio")


class FramedStdin:
    """A ``readline()``/``read(n)`` stream of well-formed LSP messages read from ``raw``.

    Thread-safe enough for pygls (one reader thread at a time). A message with a missing,
    non-numeric, negative or over-limit ``Content-Length`` is dropped with an error logged,
    and reading resumes at the next ``Content-Length:`` header; end of input is end of input.
    """

    def __init__(self, raw: BinaryIO, max_message_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self._raw = raw
        self._max = max_message_bytes
        self._lines: list[bytes] = []
        self._body = b""
        self._lock = threading.Lock()
        #: Messages dropped so far (for tests).
        self.dropped = 0

    def readline(self) -> bytes:
        """The next header line of the next well-formed message (``b""`` at end of input)."""
        with self._lock:
            if not self._lines and not self._next_message():
                return b""
            return self._lines.pop(0)

    def read(self, size: int) -> bytes:
        """The body of the message whose headers were just read (``size`` is its length)."""
        with self._lock:
            body, self._body = self._body[:size], self._body[size:]
            return body

    # -- reading the raw stream ------------------------------------------------------------

    def _raw_line(self) -> bytes:
        return self._raw.readline(MAX_HEADER_BYTES)

    def _raw_read(self, size: int) -> bytes:
        parts = []
        remaining = size
        while remaining > 0:
            chunk = self._raw.read(min(remaining, 1024 * 1024))
            if not chunk:
                break
            parts.append(chunk)
            remaining -= len(chunk)
        return b"".join(parts)

    def _next_message(self) -> bool:
        """Read raw input up to one well-formed message; False at end of input."""
        while True:
            length = self._read_headers()
            if length is None:
                return False
            if length < 0:
                continue  # dropped: resynchronise on the next header
            body = self._raw_read(length)
            if len(body) < length:
                _LOG.error(
                    "argus lsp: input ended inside a message (%d of %d bytes)", len(body), length
                )
                return False
            self._lines = [f"Content-Length: {length}\r\n".encode(), b"\r\n"]
            self._body = body
            return True

    def _read_headers(self) -> int | None:
        """The checked length of the next message; -1 when it is dropped; None at the end."""
        length: int | None = None
        problem: str | None = None
        seen_header = False
        while True:
            line = self._raw_line()
            if not line:
                return None
            if not seen_header:
                # Before a message starts, anything but a Content-Length header is noise (the
                # rest of a dropped message): skip to the header, wherever it is in the line.
                start = line.lower().find(_HEADER)
                if start < 0:
                    continue
                line = line[start:]
                seen_header = True
            stripped = line.strip()
            if not stripped:
                break
            name, _, value = stripped.partition(b":")
            if name.strip().lower() != b"content-length":
                continue
            text = value.strip()
            if not text.isdigit():
                problem = f"Content-Length {text[:40].decode('latin-1')!r} is not a number"
            elif int(text) > self._max:
                problem = f"Content-Length {int(text):,} is over the {self._max:,} byte limit"
            else:
                length = int(text)
        if problem is not None or length is None:
            self.dropped += 1
            _LOG.error(
                "argus lsp: dropped a message: %s; reading on from the next message",
                problem or "no Content-Length header",
            )
            return -1
        return length
