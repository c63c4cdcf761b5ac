"""Body reading and Content-Encoding decoding: every limit holds, corrupt streams are 400s."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import AsyncIterator

import brotli
import pytest

from argus.ingest_server.body import check_declared_length, decode_content, read_capped
from argus.ingest_server.errors import Rejected

PAYLOAD = b'{"exception": {"values": [{"type": "KeyError", "value": "user"}]}}' * 20
LIMIT = 64 * 1024


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "encoded"),
    [
        (None, PAYLOAD),
        ("identity", PAYLOAD),
        ("gzip", gzip.compress(PAYLOAD, mtime=0)),
        ("x-gzip", gzip.compress(PAYLOAD, mtime=0)),
        ("GZIP", gzip.compress(PAYLOAD, mtime=0)),
        ("deflate", zlib.compress(PAYLOAD)),
        ("deflate", raw_deflate(PAYLOAD)),
        ("br", brotli.compress(PAYLOAD)),
        ("gzip, br", brotli.compress(gzip.compress(PAYLOAD, mtime=0))),
        # Two gzip members back to back form one gzip stream.
        ("gzip", gzip.compress(PAYLOAD[:100], mtime=0) + gzip.compress(PAYLOAD[100:], mtime=0)),
    ],
)
def test_every_supported_encoding_decodes(encoding: str | None, encoded: bytes) -> None:
    assert decode_content(encoded, encoding, LIMIT) == PAYLOAD


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", lambda data: brotli.compress(data, quality=5)),
    ],
)
def test_a_compression_bomb_stops_at_the_limit(encoding: str, compress) -> None:
    bomb = compress(b"\0" * (50 * 1024 * 1024))
    assert len(bomb) < 100 * 1024
    with pytest.raises(Rejected) as caught:
        decode_content(bomb, encoding, LIMIT)
    assert caught.value.status == 413
    assert caught.value.reason == "decoded_too_large"


def test_a_body_exactly_at_the_limit_is_accepted() -> None:
    data = b"x" * LIMIT
    assert decode_content(gzip.compress(data), "gzip", LIMIT) == data
    assert decode_content(brotli.compress(data), "br", LIMIT) == data


@pytest.mark.parametrize(
    ("encoding", "encoded"),
    [
        ("gzip", b"this is not gzip at all"),
        ("gzip", gzip.compress(PAYLOAD, mtime=0)[:-12]),
        ("deflate", zlib.compress(PAYLOAD)[:-8]),
        ("br", b"\xff\xff\xff not brotli"),
        ("br", brotli.compress(PAYLOAD)[:-4]),
    ],
)
def test_corrupt_or_truncated_streams_are_bad_requests(encoding: str, encoded: bytes) -> None:
    with pytest.raises(Rejected) as caught:
        decode_content(encoded, encoding, LIMIT)
    assert (caught.value.status, caught.value.reason) == (400, "bad_encoding")


def test_an_unknown_encoding_is_unsupported_media() -> None:
    with pytest.raises(Rejected) as caught:
        decode_content(b"data", "zstd", LIMIT)
    assert caught.value.status == 415
    assert "zstd" in caught.value.detail


async def chunks(pieces: list[bytes], consumed: list[int]) -> AsyncIterator[bytes]:
    for piece in pieces:
        consumed.append(len(piece))
        yield piece


def test_reading_stops_as_soon_as_the_body_passes_the_limit() -> None:
    consumed: list[int] = []
    pieces = [b"a" * 1024] * 1000  # 1 MB offered, 4 KB allowed
    with pytest.raises(Rejected) as caught:
        asyncio.run(read_capped(chunks(pieces, consumed), 4096))
    assert caught.value.status == 413
    assert sum(consumed) == 5 * 1024  # not one piece more than needed to know


def test_reading_a_body_within_the_limit_returns_it_whole() -> None:
    body = asyncio.run(read_capped(chunks([b"ab", b"", b"cd"], []), 4))
    assert body == b"abcd"


@pytest.mark.parametrize(
    ("header", "status"), [("10", None), ("4096", None), ("4097", 413), ("ten", 400)]
)
def test_declared_length_is_checked_before_reading(header: str, status: int | None) -> None:
    if status is None:
        check_declared_length(header, 4096)
        return
    with pytest.raises(Rejected) as caught:
        check_declared_length(header, 4096)
    assert caught.value.status == status


# -- issue #10: inflate only what authentication needs, and within the byte budget -------------

BOMB_TEXT = b'{"dsn": "http://k@h/1"}\n' + b" " * (32 * 1024 * 1024)


@pytest.mark.parametrize(
    ("encoding", "encoded"),
    [
        ("gzip", gzip.compress(BOMB_TEXT)),
        ("deflate", zlib.compress(BOMB_TEXT)),
        ("br", brotli.compress(BOMB_TEXT, quality=5)),
    ],
)
def test_prefix_inflates_only_the_first_bytes(encoding: str, encoded: bytes) -> None:
    from argus.core.input_limits import ByteBudget
    from argus.ingest_server.body import Held

    budget = ByteBudget(1024 * 1024)
    held = Held(budget, "unauthenticated")
    head = decode_content(encoded, encoding, 4096, held, prefix=True)
    assert head.startswith(b'{"dsn": "http://k@h/1"}\n') and len(head) <= 4096
    assert budget.peak <= 4096 + 64 * 1024  # never more than a piece past the prefix
    held.release()
    assert budget.held == 0


def test_gzip_members_past_the_cap_are_refused() -> None:
    from argus.ingest_server.body import MAX_GZIP_MEMBERS

    ok = gzip.compress(b"{") + gzip.compress(b"}")
    assert decode_content(ok, "gzip", LIMIT) == b"{}"
    many = gzip.compress(b"") * (MAX_GZIP_MEMBERS + 1)
    with pytest.raises(Rejected, match="members") as refused:
        decode_content(many, "gzip", LIMIT)
    assert refused.value.status == 400


def test_reading_and_inflating_past_the_budget_is_a_503() -> None:
    from argus.core.input_limits import ByteBudget
    from argus.ingest_server.body import Held

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b"x" * 1024

    budget = ByteBudget(4 * 1024)
    held = Held(budget, "unauthenticated")
    with pytest.raises(Rejected) as refused:
        asyncio.run(read_capped(chunks(), LIMIT, held))
    assert refused.value.status == 503 and refused.value.reason == "busy"
    held.release()
    inflating = Held(ByteBudget(8 * 1024), "authenticated")
    with pytest.raises(Rejected) as refused:
        decode_content(gzip.compress(b" " * 60_000), "gzip", LIMIT, inflating)
    assert refused.value.status == 503
