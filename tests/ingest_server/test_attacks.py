"""The attacks of issue #10 on the ingestion endpoints, each against a real server on loopback.

A backtracking line, planted secrets, lone surrogates shared with another tenant's events, an
envelope of good and bad events, JSON nested 100,000 deep, 4 MiB of empty gzip members and a
flood of unauthenticated bodies held open: each one refused clearly or handled, quickly, with
nothing lost and nothing leaked.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import logging
import socket
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from argus.cli import main as argus_main
from argus.ingest_server.app import create_ingest_app
from argus.ingest_server.keys import StaticProjectKeys
from argus.ingest_server.settings import IngestSettings
from tests.ingest_server.planted import planted_events, survivors
from tests.ingest_server.running import RunningServer, running_server, serving, store_snapshot
from tests.ingest_server.test_app import (
    envelope_url,
    envelope_with,
    event_payload,
    patterns_of,
    sdk_headers,
    store_url,
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    with running_server(tmp_path / "argus.db") as server:
        yield server


def other_headers(server: RunningServer) -> dict[str, str]:
    return sdk_headers(server, key=server.other_project.public_key)


def other_store_url(server: RunningServer) -> str:
    return f"/api/{server.other_project.project_id}/store/"


# -- one event must not freeze the server --------------------------------------------------------


def test_a_backtracking_code_line_is_scrubbed_while_the_server_keeps_answering(
    server: RunningServer,
) -> None:
    # Before: 8-15 s for 20 KB and 63 s for 40 KB, during which /healthz waited too.
    hostile = "a-" * 20_000 + " token=x"
    body = json.dumps(
        {
            "exception": {
                "values": [
                    {
                        "type": "ValueError",
                        "value": hostile,
                        "stacktrace": {
                            "frames": [
                                {"function": "f", "filename": "a.py", "context_line": hostile}
                            ]
                        },
                    }
                ]
            }
        }
    ).encode()
    with server.client() as client, ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        sent = pool.submit(
            client.post, store_url(server), content=body, headers=sdk_headers(server)
        )
        health = []
        while not sent.done():
            began = time.monotonic()
            assert httpx.get(f"{server.url}/healthz", timeout=30).status_code == 200
            health.append(time.monotonic() - began)
        answer = sent.result()
        took = time.monotonic() - started
    assert answer.status_code == 200, answer.text
    # Generous bounds (a shared machine): the point is seconds against a minute.
    assert took < 5, f"the hostile event took {took:.1f} s"
    assert max(health, default=0) < 2


# -- secrets -----------------------------------------------------------------------------------


def store_text(path: Path) -> str:
    return json.dumps(store_snapshot(path), default=repr, ensure_ascii=False)


def cli(*args: str) -> str:
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = argus_main(list(args))
    assert code in (0, None), output.getvalue()
    return output.getvalue()


def test_no_planted_secret_survives_in_the_store_the_cli_or_the_log(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Before: 46 of 324 planted secrets were found afterwards.
    events, planted = planted_events()
    assert len(planted) >= 300
    caplog.set_level(logging.DEBUG)
    with server.client() as client:
        for event in events:
            answer = client.post(
                store_url(server), content=json.dumps(event), headers=sdk_headers(server)
            )
            assert answer.status_code == 200, answer.text
    monkeypatch.setenv("ARGUS_HOME", str(server.store_path.parent))
    listed = cli("patterns", "list", "--tenant", "acme")
    listed_json = cli("patterns", "list", "--tenant", "acme", "--format", "json")
    shown = [
        cli("patterns", "show", pattern["id"], "--tenant", "acme", *form)
        for pattern in json.loads(listed_json)["patterns"]
        for form in ((), ("-f", "json"))
    ]
    exported = cli("patterns", "export", "--tenant", "acme")
    assert len(shown) >= 8  # look-alike scrubbed events share patterns: every pattern shown
    left = survivors(
        planted, store_text(server.store_path), listed, listed_json, *shown, exported, caplog.text
    )
    assert left == [], [(secret.kind, secret.field) for secret in left]


# -- one tenant's bad input never touches another's ---------------------------------------------

SURROGATE_EVENT = (
    b'{"exception": {"values": [{"type": "KeyError", "value": "bad \\ud800 key",'
    b' "stacktrace": {"frames": [{"function": "f\\udfff", "filename": "a.py"}]}}]}}'
)


def test_lone_surrogates_cost_no_other_tenant_a_single_event(server: RunningServer) -> None:
    # Before: the bad event failed the group commit it shared: the other tenant got 500s.
    def send(bad: bool) -> int:
        good = event_payload("ValueError", "fine", "price_of")  # an event id of its own
        with server.client() as client:
            if bad:
                return client.post(
                    store_url(server), content=SURROGATE_EVENT, headers=sdk_headers(server)
                ).status_code
            return client.post(
                other_store_url(server), content=good, headers=other_headers(server)
            ).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(send, [index % 2 == 0 for index in range(120)]))
    good_statuses = statuses[1::2]
    bad_statuses = statuses[0::2]
    assert good_statuses == [200] * 60
    assert all(status == 200 or 400 <= status < 500 for status in bad_statuses), bad_statuses
    (pattern,) = patterns_of(server, "globex")
    assert pattern.occurrences == 60
    stored = [p for p in patterns_of(server, "acme") if p.exception_type == "KeyError"]
    assert sum(p.occurrences for p in stored) == bad_statuses.count(200)
    assert all("\\ud800" in p.title for p in stored)  # stored escaped, readable


def test_an_envelope_of_good_events_and_a_bad_one_is_stored_whole(server: RunningServer) -> None:
    # Before: 20 good + 1 bad was a 500 with 10 of the good events stored.
    good = [({"type": "event"}, event_payload("LookupError", f"no {n}", "find")) for n in range(20)]
    body = envelope_with(*good[:10], ({"type": "event"}, SURROGATE_EVENT), *good[10:])
    with server.client() as client:
        answer = client.post(envelope_url(server), content=body, headers=sdk_headers(server))
    assert answer.status_code == 200, answer.text
    occurrences = {p.exception_type: p.occurrences for p in patterns_of(server, "acme")}
    assert occurrences == {"LookupError": 20, "KeyError": 1}


def test_an_envelope_with_an_unreadable_event_stores_none_of_its_events(
    server: RunningServer,
) -> None:
    good = [({"type": "event"}, event_payload("LookupError", f"no {n}", "find")) for n in range(20)]
    body = envelope_with(*good, ({"type": "event"}, b'{"exception": 5}'))
    before = store_snapshot(server.store_path)
    with server.client() as client:
        answer = client.post(envelope_url(server), content=body, headers=sdk_headers(server))
    assert answer.status_code == 400
    assert store_snapshot(server.store_path) == before


# -- parsers that cannot be crashed --------------------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize(
    "body",
    [
        DEEP + b"\n" + b'{"type": "event"}\n{}\n',  # the envelope header
        b'{}\n{"type": "event", "x": ' + DEEP + b"}\n{}\n",  # an item header
        envelope_with(({"type": "event"}, b'{"exception": ' + DEEP + b"}")),  # the event
    ],
    ids=["envelope header", "item header", "event"],
)
def test_json_nested_100k_deep_is_a_clear_400(server: RunningServer, body: bytes) -> None:
    # Before: a RecursionError and a 500.
    with server.client() as client:
        answer = client.post(envelope_url(server), content=body, headers=sdk_headers(server))
    assert answer.status_code == 400, answer.text
    assert "deeper than" in answer.json()["detail"]


def test_a_deep_event_on_the_store_and_generic_endpoints_is_a_400(server: RunningServer) -> None:
    deep_event = b'{"exception": {"values": [' + DEEP + b"]}}"
    with server.client() as client:
        stored = client.post(store_url(server), content=deep_event, headers=sdk_headers(server))
        generic = client.post(
            f"/api/{server.project.project_id}/errors",
            content=b'{"type": "E", "message": "m", "x": ' + DEEP + b"}",
            headers={"Authorization": f"Bearer {server.project.public_key}"},
        )
    assert stored.status_code == 400 and stored.json()["error"] == "json_too_deep"
    assert generic.status_code == 400, generic.text


# -- compressed input ------------------------------------------------------------------------------

EMPTY_MEMBERS = gzip.compress(b"") * (4 * 1024 * 1024 // len(gzip.compress(b"")))


def test_4_mib_of_empty_gzip_members_is_refused_at_once(server: RunningServer) -> None:
    # Before: 10.7 s of CPU to walk them, with no key at all.
    with server.client() as client:
        for url, headers in (
            (envelope_url(server), {}),  # unauthenticated: the DSN is inside the body
            (envelope_url(server), sdk_headers(server)),
            (store_url(server), sdk_headers(server)),
        ):
            started = time.process_time(), time.monotonic()
            answer = client.post(
                url, content=EMPTY_MEMBERS, headers={**headers, "Content-Encoding": "gzip"}
            )
            took = time.monotonic() - started[1]
            assert answer.status_code == 400, answer.text
            assert "members" in answer.json()["detail"]
            assert took < 2, f"{url}: {took:.1f} s"


def test_an_unauthenticated_compressed_envelope_inflates_only_its_header(
    server: RunningServer,
) -> None:
    # A gzip bomb behind a DSN of another project: refused on the header, not inflated.
    header = json.dumps({"dsn": f"http://{'0' * 32}@h/{server.project.project_id}"}).encode()
    bomb = gzip.compress(header + b"\n" + b" " * (64 * 1024 * 1024))
    with server.client() as client:
        answer = client.post(
            envelope_url(server), content=bomb, headers={"Content-Encoding": "gzip"}
        )
        keyed = client.post(
            envelope_url(server),
            content=gzip.compress(
                json.dumps(
                    {"dsn": f"http://{server.project.public_key}@h/{server.project.project_id}"}
                ).encode()
                + b"\n"
                + json.dumps({"type": "event"}).encode()
                + b"\n"
                + event_payload("ValueError", "via dsn", "f")
                + b"\n"
            ),
            headers={"Content-Encoding": "gzip"},
        )
    assert answer.status_code == 401 and answer.json()["error"] == "bad_key"
    assert keyed.status_code == 200, keyed.text


# -- concurrency --------------------------------------------------------------------------------


class CountingService:
    def __init__(self) -> None:
        self.events = 0

    def ingest(self, data, tenant):  # noqa: ANN001, ANN201 - the EventIngestor protocol
        raise AssertionError("nothing here is authenticated")


def test_unauthenticated_bodies_held_open_are_bounded_by_the_budget() -> None:
    budget = 1024 * 1024
    settings = IngestSettings(unauthenticated_bytes=budget, sentry_client_secret="s3cret")
    app = create_ingest_app(CountingService(), settings, StaticProjectKeys())
    with serving(app) as url:
        port = int(url.rsplit(":", 1)[1])
        held_open: list[socket.socket] = []
        answers: list[bytes] = []
        try:
            for index in range(8):  # each sends 300 KiB of a declared 2 MiB body, then waits
                path = b"/api/1/envelope/" if index % 2 else b"/webhooks/sentry/acme"
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                sock.sendall(
                    b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n"
                    b"Sentry-Hook-Signature: 00\r\n\r\n" + b"x" * (300 * 1024)
                )
                held_open.append(sock)
            time.sleep(1.0)
            for sock in held_open:
                sock.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    answers.append(sock.recv(4096))
        finally:
            for sock in held_open:
                sock.close()
        busy = [answer for answer in answers if answer.startswith(b"HTTP/1.1 503")]
        # 1 MiB holds three 300 KiB bodies: the others are refused at once, not buffered.
        assert len(busy) >= 4, answers
        assert all(b'"busy"' in answer for answer in busy)
        metrics = httpx.get(f"{url}/metrics").text
    assert 'reason="busy"' in metrics


def test_a_sqlite_store_snapshot_sees_every_table(tmp_path: Path) -> None:
    # store_text reads every table: a secret stored anywhere is seen.
    path = tmp_path / "x.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (a TEXT)")
        connection.execute("INSERT INTO t VALUES ('needle')")
    assert "needle" in store_text(path)
