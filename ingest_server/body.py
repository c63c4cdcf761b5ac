"""Request bodies read with a size cap, and decoded (gzip, deflate, br) with the same cap.

Nothing here buffers more than the limit: the body is counted while it streams in, and a
compressed body is inflated a bounded piece at a time, so a gzip bomb costs at most
``limit`` bytes of memory before it is refused.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Callable

import brotli

from ingest_server.errors import Rejected

_PIECE = 64 * 1024


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


async def read_capped(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    """Collect a streamed body, refusing it (413) as soon as it passes ``limit`` bytes."""
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise too_large(f"more than {limit:,} bytes", limit)
    return bytes(body)


def decode_content(data: bytes, content_encoding: str | None, limit: int) -> bytes:
    """Undo ``Content-Encoding`` (``gzip``, ``deflate``, ``br``, ``identity``; stacked too).

    The decoded body is capped at ``limit`` bytes (413); a corrupt or truncated stream is a
    400 and an unknown encoding a 415.
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
        data = decoder(data, limit)
    return data


def _inflate(data: bytes, limit: int, wbits: int, coding: str) -> bytes:
    output = bytearray()
    pending = data
    while pending:
        inflater = zlib.decompressobj(wbits)
        try:
            while True:
                output += inflater.decompress(pending, limit + 1 - len(output))
                if len(output) > limit:
                    raise _bomb(coding, limit)
                pending = inflater.unconsumed_tail
                if not pending or inflater.eof:
                    break
            if not inflater.eof:
                output += inflater.flush(limit + 1 - len(output))
                if len(output) > limit:
                    raise _bomb(coding, limit)
                if not inflater.eof:
                    raise Rejected(
                        400, "bad_encoding", f"the {coding} body is truncated (stream not ended)"
                    )
        except zlib.error as error:
            detail = f"the body is not valid {coding}: {error}"
            raise Rejected(400, "bad_encoding", detail) from None
        # A gzip file may hold several members back to back; deflate holds exactly one.
        pending = inflater.unused_data if coding == "gzip" else b""
    return bytes(output)


def _gunzip(data: bytes, limit: int) -> bytes:
    return _inflate(data, limit, 16 + zlib.MAX_WBITS, "gzip")


def _undeflate(data: bytes, limit: int) -> bytes:
    # HTTP "deflate" means a zlib stream, but some clients send raw deflate: accept both.
    if len(data) >= 2 and (data[0] & 0x0F) == 8 and ((data[0] << 8) | data[1]) % 31 == 0:
        return _inflate(data, limit, zlib.MAX_WBITS, "deflate")
    return _inflate(data, limit, -zlib.MAX_WBITS, "deflate")


def _unbrotli(data: bytes, limit: int) -> bytes:
    decompressor = brotli.Decompressor()
    output = bytearray()
    try:
        output += decompressor.process(data, output_buffer_limit=limit + 1 - len(output))
        while len(output) <= limit and not decompressor.can_accept_more_data():
            output += decompressor.process(b"", output_buffer_limit=limit + 1 - len(output))
        if len(output) > limit:
            raise _bomb("br", limit)
        if not decompressor.is_finished():
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


_DECODERS: dict[str, Callable[[bytes, int], bytes]] = {
    "gzip": _gunzip,
    "x-gzip": _gunzip,
    "deflate": _undeflate,
    "br": _unbrotli,
}
