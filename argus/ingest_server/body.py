"""Request bodies read with a size cap, and decoded (gzip, deflate, br) with the same cap.

Nothing here buffers more than the limit: the body is counted while it streams in, and a
compressed body is inflated a bounded piece at a time, so a gzip bomb costs at most
``limit`` bytes of memory before it is refused. A gzip body holds at most
:data:`MAX_GZIP_MEMBERS` members (4 MiB of empty members cost 10 s of CPU to walk).

Every byte buffered (as sent and as inflated) is first taken from a :class:`Held` share of
a :class:`~argus.core.input_limits.ByteBudget`; a request the budget cannot cover is a 503, so the
memory all concurrent requests hold stays under the budget (docs/security.md).
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Callable

import brotli

from argus.core.input_limits import ByteBudget
from argus.ingest_server.errors import Rejected

_PIECE = 64 * 1024
MAX_GZIP_MEMBERS = 16
"""Most gzip members a body may hold (SDKs send one)."""


class Held:
    """The bytes one request holds of a budget: taken piece by piece, given back at the end."""

    def __init__(self, budget: ByteBudget | None, what: str) -> None:
        self.budget = budget
        self.what = what
        self.amount = 0

    def take(self, amount: int) -> None:
        """Take ``amount`` more bytes; a 503 when the budget cannot cover them."""
        if self.budget is None or amount <= 0:
            return
        if not self.budget.take(amount):
            raise Rejected(
                503,
                "busy",
                f"this server is holding as many {self.what} bodies as it allows "
                f"({self.budget.total:,} bytes); send it again shortly",
            )
        self.amount += amount

    def release(self) -> None:
        """Give back everything taken."""
        if self.budget is not None and self.amount:
            self.budget.give(self.amount)
        self.amount = 0


def too_large(size_text: str, limit: int) -> Rejected:
    """The 413 refusal for a body over ``limit`` bytes."""
    return Rejected(
        413,
        "body_too_large",
        f"the request body is {size_text}, over this server's {limit:,} byte limit "
        "(ARGUS_INGEST_MAX_BYTES); send one event per request",
    )


def check_declared_length(content_length: str | None, limit: int) -> None:
    """Refuse early when the ``Content-Length`` header already says the body is too big."""
    if content_length is None:
        return
    try:
        declared = int(content_length)
    except ValueError:
        raise Rejected(400, "bad_content_length", "Content-Length is not a number") from None
    if declared > limit:
        raise too_large(f"{declared:,} bytes", limit)


async def read_capped(chunks: AsyncIterator[bytes], limit: int, held: Held | None = None) -> bytes:
    """Collect a streamed body, refusing it (413) as soon as it passes ``limit`` bytes.

    Each chunk is taken from ``held`` before it is kept (503 when the budget is spent).
    """
    body = bytearray()
    async for chunk in chunks:
        if len(body) + len(chunk) > limit:
            raise too_large(f"more than {limit:,} bytes", limit)
        if held is not None:
            held.take(len(chunk))
        body += chunk
    return bytes(body)


def codings_of(content_encoding: str | None) -> list[str]:
    """The codings of a ``Content-Encoding`` header, ``identity`` left out, as applied."""
    if not content_encoding:
        return []
    parts = (part.strip().lower() for part in content_encoding.split(","))
    return [part for part in parts if part and part != "identity"]


def decode_content(
    data: bytes,
    content_encoding: str | None,
    limit: int,
    held: Held | None = None,
    *,
    prefix: bool = False,
) -> bytes:
    """Undo ``Content-Encoding`` (``gzip``, ``deflate``, ``br``, ``identity``; stacked too).

    The decoded body is capped at ``limit`` bytes (413), each piece taken from ``held``
    before it is kept; a corrupt or truncated stream is a 400, an unknown encoding a 415.
    With ``prefix`` (one coding only) the first ``limit`` decoded bytes are returned and the
    rest is never inflated: enough to read an envelope's header before authenticating.
    """
    if not content_encoding:
        return data
    codings = [part.strip().lower() for part in content_encoding.split(",") if part.strip()]
    # Codings are listed in the order they were applied: undo them last first.
    for coding in reversed(codings):
        if coding == "identity":
            continue
        decoder = _DECODERS.get(coding)
        if decoder is None:
            raise Rejected(
                415,
                "unsupported_encoding",
                f"Content-Encoding {coding!r} is not supported; use gzip, deflate or br",
            )
        data = decoder(data, limit, held or Held(None, ""), prefix)
    return data


def _inflate(data: bytes, limit: int, wbits: int, coding: str, held: Held, prefix: bool) -> bytes:
    output = bytearray()
    pending = data
    members = 0
    while pending:
        members += 1
        if members > MAX_GZIP_MEMBERS:
            raise Rejected(
                400,
                "bad_encoding",
                f"the {coding} body holds more than {MAX_GZIP_MEMBERS} members; send one",
            )
        inflater = zlib.decompressobj(wbits)
        try:
            while not inflater.eof:
                room = limit + 1 - len(output)
                piece = inflater.decompress(pending, min(_PIECE, room))
                held.take(len(piece))
                output += piece
                if len(output) > limit:
                    if prefix:
                        return bytes(output[:limit])
                    raise _bomb(coding, limit)
                pending = inflater.unconsumed_tail
                if not pending and not piece:
                    break
            if not inflater.eof:
                piece = inflater.flush(limit + 1 - len(output))
                held.take(len(piece))
                output += piece
                if len(output) > limit:
                    if prefix:
                        return bytes(output[:limit])
                    raise _bomb(coding, limit)
                if not inflater.eof:
                    if prefix:
                        return bytes(output)
                    raise Rejected(
                        400, "bad_encoding", f"the {coding} body is truncated (stream not ended)"
                    )
        except zlib.error as error:
            detail = f"the body is not valid {coding}: {error}"
            raise Rejected(400, "bad_encoding", detail) from None
        # A gzip file may hold several members back to back; deflate holds exactly one.
        pending = inflater.unused_data if coding == "gzip" else b""
    return bytes(output)


def _gunzip(data: bytes, limit: int, held: Held, prefix: bool) -> bytes:
    return _inflate(data, limit, 16 + zlib.MAX_WBITS, "gzip", held, prefix)


def _undeflate(data: bytes, limit: int, held: Held, prefix: bool) -> bytes:
    # HTTP "deflate" means a zlib stream, but some clients send raw deflate: accept both.
    if len(data) >= 2 and (data[0] & 0x0F) == 8 and ((data[0] << 8) | data[1]) % 31 == 0:
        return _inflate(data, limit, zlib.MAX_WBITS, "deflate", held, prefix)
    return _inflate(data, limit, -zlib.MAX_WBITS, "deflate", held, prefix)


def _unbrotli(data: bytes, limit: int, held: Held, prefix: bool) -> bytes:
    decompressor = brotli.Decompressor()
    output = bytearray()
    try:
        piece = decompressor.process(data, output_buffer_limit=min(_PIECE, limit + 1))
        held.take(len(piece))
        output += piece
        while len(output) <= limit and not decompressor.can_accept_more_data():
            room = limit + 1 - len(output)
            piece = decompressor.process(b"", output_buffer_limit=min(_PIECE, room))
            held.take(len(piece))
            output += piece
        if len(output) > limit:
            if prefix:
                return bytes(output[:limit])
            raise _bomb("br", limit)
        if not decompressor.is_finished():
            if prefix:
                return bytes(output)
            raise Rejected(400, "bad_encoding", "the br body is truncated (stream not ended)")
    except brotli.error as error:
        raise Rejected(400, "bad_encoding", f"the body is not valid br: {error}") from None
    return bytes(output)


def _bomb(coding: str, limit: int) -> Rejected:
    return Rejected(
        413,
        "decoded_too_large",
        f"the {coding} body inflates past this server's {limit:,} byte limit "
        "(ARGUS_INGEST_MAX_BYTES)",
    )


_DECODERS: dict[str, Callable[[bytes, int, Held, bool], bytes]] = {
    "gzip": _gunzip,
    "x-gzip": _gunzip,
    "deflate": _undeflate,
    "br": _unbrotli,
}
