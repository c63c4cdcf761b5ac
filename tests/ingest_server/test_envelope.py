"""Envelope parsing from bytes: lengths honoured, newline-delimited items, strict errors."""

from __future__ import annotations

import json

import pytest

from argus.ingest_server.envelope import parse_envelope
from argus.ingest_server.errors import Rejected

EVENT = json.dumps({"event_id": "9ec79c33ec9942ab8353589fcb2e04dc", "message": "a\nb"}).encode()
BINARY = bytes(range(256)) + b"\n\n{not json}\n"


def test_items_with_and_without_length() -> None:
    data = b"\n".join(
        [
            b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"http://k@h:1/42"}',
            b'{"type":"attachment","length":%d,"filename":"dump.bin"}' % len(BINARY),
            BINARY,
            b'{"type":"event"}',
            EVENT,
            b'{"type":"session"}',
            b'{"started":"2026-11-27T16:00:00Z"}',
        ]
    )
    envelope = parse_envelope(data)
    assert envelope.event_id == "9ec79c33ec9942ab8353589fcb2e04dc"
    assert envelope.dsn == "http://k@h:1/42"
    assert [item.type for item in envelope.items] == ["attachment", "event", "session"]
    assert envelope.items[0].payload == BINARY
    assert json.loads(envelope.items[1].payload)["message"] == "a\nb"
    assert all(item.is_known for item in envelope.items)


def test_a_length_item_at_the_very_end_needs_no_newline() -> None:
    data = b'{}\n{"type":"event","length":%d}\n%s' % (len(EVENT), EVENT)
    (item,) = parse_envelope(data).items
    assert item.payload == EVENT


def test_an_empty_payload_and_trailing_newlines() -> None:
    envelope = parse_envelope(b'{}\n{"type":"client_report","length":0}\n\n\n')
    assert [(item.type, item.payload) for item in envelope.items] == [("client_report", b"")]


def test_unknown_item_types_are_parsed_and_flagged() -> None:
    envelope = parse_envelope(b'{}\n{"type":"hologram"}\n{}\n')
    assert not envelope.items[0].is_known


@pytest.mark.parametrize(
    ("data", "reason", "says"),
    [
        (b"", "bad_envelope", "envelope header is not JSON"),
        (b"not json\n", "bad_envelope", "envelope header is not JSON"),
        (b"[1]\n", "bad_envelope", "not a JSON object"),
        (b'{}\n{"length":3}\nabc', "bad_envelope", "has no 'type'"),
        (b'{}\n{"type":"event","length":500}\n{"a":1}', "bad_envelope", "truncated"),
        (b'{}\n{"type":"event","length":-1}\n', "bad_envelope", "bad 'length'"),
        (b'{}\n{"type":"event","length":"3"}\nabc', "bad_envelope", "bad 'length'"),
        (b'{}\n{"type":"event"', "bad_envelope", "item 1 header is not JSON"),
        (b'{"dsn":"\xff"}\n', "invalid_utf8", "not valid UTF-8"),
    ],
)
def test_malformed_envelopes_are_bad_requests(data: bytes, reason: str, says: str) -> None:
    with pytest.raises(Rejected) as caught:
        parse_envelope(data)
    assert (caught.value.status, caught.value.reason) == (400, reason)
    assert says in caught.value.detail
