"""The ingestion server under real uvicorn on a loopback port, with the real pattern service.

Good requests file patterns; every bad request gets a clear 4xx JSON error, is counted in
/metrics, and leaves every table of the store exactly as it was.
"""

from __future__ import annotations

import gzip
import json
import socket
import uuid
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import brotli
import pytest

from argus.core.patterns.service import open_service
from argus.core.store.vector import LocalAnnIndex
from argus.ingest_server.auth import hook_signature
from argus.ingest_server.keys import Project
from tests.ingest_server.running import RunningServer, running_server, store_snapshot

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "errors"
SENTRY_EVENT = (FIXTURES / "sentry_event.json").read_bytes()
ENVELOPE = (FIXTURES / "sentry_envelope.bin").read_bytes()
GENERIC = (FIXTURES / "generic.json").read_bytes()
TRACEBACK = (FIXTURES / "python_keyerror.txt").read_bytes()
SECRET = "s3cret"
GO_PANIC = (
    b"panic: runtime error: index out of range [5] with length 3\n\ngoroutine 1 [running]:\n"
    b"main.main()\n\t/srv/app/main.go:8 +0x1d\nexit status 2\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("ingest") / "argus.db", secret=SECRET) as server:
        yield server


def sdk_headers(server: RunningServer, key: str | None = None, **extra: str) -> dict[str, str]:
    key = key or server.project.public_key
    return {
        "X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7, sentry_client=test/1.0",
        **extra,
    }


def envelope_url(server: RunningServer, project_id: int | None = None) -> str:
    return f"/api/{project_id or server.project.project_id}/envelope/"


def store_url(server: RunningServer) -> str:
    return f"/api/{server.project.project_id}/store/"


def errors_url(server: RunningServer) -> str:
    return f"/api/{server.project.project_id}/errors"


def bearer(server: RunningServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.project.public_key}"}


def patterns_of(server: RunningServer, tenant: str) -> list:
    # An in-memory index: the test reads, and leaves the server's index files alone.
    with open_service(server.store_path, index=LocalAnnIndex(384, None)) as service:
        return service.list_patterns(tenant)


def envelope_with(*items: tuple[dict[str, object], bytes], header: bytes = b"{}") -> bytes:
    lines = [header]
    for item_header, payload in items:
        lines += [json.dumps(item_header).encode(), payload]
    return b"\n".join(lines) + b"\n"


def event_payload(
    exception_type: str, value: str, function: str, frames: int = 1, event_id: str | None = None
) -> bytes:
    """A Sentry event; each call has an ``event_id`` of its own unless one is given (an event
    sent again with the same id is stored once)."""
    frame_list = [
        {"filename": "shop/deep.py", "function": f"step{index}", "lineno": index, "in_app": True}
        for index in range(frames - 1)
    ]
    frame_list.append(
        {"filename": "shop/orders.py", "function": function, "lineno": 7, "in_app": True}
    )
    return json.dumps(
        {
            "event_id": event_id or uuid.uuid4().hex,
            "platform": "python",
            "exception": {
                "values": [
                    {"type": exception_type, "value": value, "stacktrace": {"frames": frame_list}}
                ]
            },
        }
    ).encode()


# -- accepted ---------------------------------------------------------------------------------


def test_a_recorded_sdk_envelope_files_a_pattern_and_answers_like_sentry(
    server: RunningServer,
) -> None:
    with server.client() as client:
        response = client.post(envelope_url(server), content=ENVELOPE, headers=sdk_headers(server))
    assert response.status_code == 200, response.text
    assert response.json() == {"id": "0224c28207474085a326b3f30e985a08"}
    titles = [pattern.title for pattern in patterns_of(server, "acme")]
    # The fixture is a KeyError re-raised as a RuntimeError: the last exception is the error.
    assert "RuntimeError: lookup of 'carol' failed" in titles
    assert patterns_of(server, "globex") == []  # nothing crosses tenants


def test_store_endpoint_with_each_encoding_counts_the_same_bug_once_per_event(
    server: RunningServer,
) -> None:
    def payload(number: int) -> bytes:
        return event_payload("ValueError", "bad sku 1234", "price_of", event_id=f"{number:032x}")

    encodings = {
        None: payload(1),
        "gzip": gzip.compress(payload(2)),
        "deflate": zlib.compress(payload(3)),
        "br": brotli.compress(payload(4)),
    }
    with server.client() as client:
        for number, (encoding, body) in enumerate(encodings.items(), start=1):
            headers = sdk_headers(server, **({"Content-Encoding": encoding} if encoding else {}))
            response = client.post(store_url(server), content=body, headers=headers)
            assert response.status_code == 200, response.text
            assert response.json() == {"id": f"{number:032x}"}
    (pattern,) = [p for p in patterns_of(server, "acme") if p.exception_type == "ValueError"]
    assert pattern.occurrences == 4


def test_the_key_may_come_from_the_query_or_the_envelope_dsn(server: RunningServer) -> None:
    payload = event_payload("LookupError", "no route 12", "route_for")
    dsn = f"http://{server.project.public_key}@127.0.0.1:1/{server.project.project_id}"
    with server.client() as client:
        by_query = client.post(
            envelope_url(server),
            params={"sentry_key": server.project.public_key, "sentry_version": "7"},
            content=envelope_with(
                ({"type": "event"}, event_payload("LookupError", "no route 12", "route_for"))
            ),
        )
        by_dsn = client.post(
            envelope_url(server),
            content=envelope_with(
                ({"type": "event", "length": len(payload)}, payload),
                header=json.dumps({"dsn": dsn}).encode(),
            ),
        )
    assert (by_query.status_code, by_dsn.status_code) == (200, 200), (by_query.text, by_dsn.text)
    (pattern,) = [p for p in patterns_of(server, "acme") if p.exception_type == "LookupError"]
    assert pattern.occurrences == 2


def test_known_items_without_events_are_accepted_and_ignored(server: RunningServer) -> None:
    before = store_snapshot(server.store_path)
    sessions_before = server.metric('argus_ingest_items_ignored_total{type="session"}')
    envelope = envelope_with(
        ({"type": "session"}, b'{"sid":"7c1a","status":"ok","started":"2026-11-27T16:00:00Z"}'),
        ({"type": "client_report"}, b'{"discarded_events":[]}'),
    )
    with server.client() as client:
        response = client.post(envelope_url(server), content=envelope, headers=sdk_headers(server))
    assert response.status_code == 200 and response.json() == {}
    assert store_snapshot(server.store_path) == before
    assert server.metric('argus_ingest_items_ignored_total{type="session"}') == sessions_before + 1


def test_an_unknown_item_beside_an_event_is_dropped_and_the_event_kept(
    server: RunningServer,
) -> None:
    dropped = server.metric('argus_ingest_items_dropped_total{type="unknown"}')
    payload = event_payload("IndexError", "list index out of range", "pick_slot")
    envelope = envelope_with(({"type": "hologram"}, b"{}"), ({"type": "event"}, payload))
    with server.client() as client:
        response = client.post(envelope_url(server), content=envelope, headers=sdk_headers(server))
    assert response.status_code == 200, response.text
    assert any(p.exception_type == "IndexError" for p in patterns_of(server, "acme"))
    assert server.metric('argus_ingest_items_dropped_total{type="unknown"}') == dropped + 1


def test_an_event_with_ten_thousand_frames_is_accepted_with_frames_capped(
    server: RunningServer,
) -> None:
    payload = event_payload("RecursionError", "maximum recursion depth", "walk", frames=10_000)
    with server.client() as client:
        response = client.post(store_url(server), content=payload, headers=sdk_headers(server))
    assert response.status_code == 200, response.text
    (pattern,) = [p for p in patterns_of(server, "acme") if p.exception_type == "RecursionError"]
    assert pattern.frames[0] == "orders.py:walk"
    assert len(pattern.frames) <= 8


def test_generic_json_and_pasted_tracebacks_go_to_the_keys_tenant(server: RunningServer) -> None:
    smuggled = json.loads(GENERIC)
    smuggled["tenant"] = "globex"  # the body may not choose its tenant
    with server.client() as client:
        generic = client.post(errors_url(server), json=smuggled, headers=bearer(server))
        pasted = client.post(errors_url(server), content=TRACEBACK, headers=bearer(server))
    assert generic.status_code == 200, generic.text
    body = generic.json()
    assert body["pattern"]["is_new"] is True and body["pattern"]["matched_by"] == "new"
    assert pasted.status_code == 200, pasted.text
    assert pasted.json()["pattern"]["title"].startswith("KeyError")
    assert patterns_of(server, "globex") == []


def test_an_event_sent_again_is_stored_once_and_answered_alike(server: RunningServer) -> None:
    """A sender that never got the answer (a timeout, a node killed after its commit) sends
    the event again: 200 with the same id both times, one occurrence, as Sentry does."""
    event_id = uuid.uuid4().hex
    payload = event_payload("OverflowError", "rate too large", "convert", event_id=event_id)
    envelope = envelope_with(
        ({"type": "event"}, payload), header=b'{"event_id": "%s"}' % (event_id.encode())
    )
    with server.client() as client:
        answers = [
            client.post(store_url(server), content=payload, headers=sdk_headers(server)),
            client.post(store_url(server), content=payload, headers=sdk_headers(server)),
            client.post(envelope_url(server), content=envelope, headers=sdk_headers(server)),
        ]
        metrics = client.get("/metrics").text
    assert [(a.status_code, a.json()) for a in answers] == [(200, {"id": event_id})] * 3
    (pattern,) = [p for p in patterns_of(server, "acme") if p.exception_type == "OverflowError"]
    assert pattern.occurrences == 1
    assert 'matched="duplicate"' in metrics
    # An envelope whose id is in its header only: the same.
    header_only = envelope_with(
        ({"type": "event"}, json.dumps({"message": "OverflowError: header id"}).encode()),
        header=json.dumps({"event_id": "e" * 32}).encode(),
    )
    with server.client() as client:
        for _ in range(2):
            answer = client.post(
                envelope_url(server), content=header_only, headers=sdk_headers(server)
            )
            assert (answer.status_code, answer.json()) == (200, {"id": "e" * 32})
    (header_pattern,) = [p for p in patterns_of(server, "acme") if "header id" in p.title]
    assert header_pattern.occurrences == 1
    # Another event of the same bug (another id) counts.
    with server.client() as client:
        other = event_payload("OverflowError", "rate too large", "convert")
        assert client.post(store_url(server), content=other, headers=sdk_headers(server)).is_success
    (pattern,) = [p for p in patterns_of(server, "acme") if p.exception_type == "OverflowError"]
    assert pattern.occurrences == 2


def test_concurrent_events_are_all_counted(server: RunningServer) -> None:
    def send(_: int) -> int:
        payload = event_payload("TimeoutError", "gave up after 30s", "fetch_rates")
        with server.client() as client:
            response = client.post(store_url(server), content=payload, headers=sdk_headers(server))
        return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, range(40)))
    assert statuses == [200] * 40
    (pattern,) = [p for p in patterns_of(server, "acme") if p.exception_type == "TimeoutError"]
    assert pattern.occurrences == 40


# -- webhooks ---------------------------------------------------------------------------------


def signed(body: bytes, resource: str, secret: str = SECRET) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Sentry-Hook-Resource": resource,
        "Sentry-Hook-Timestamp": "1764262281",
        "Sentry-Hook-Signature": hook_signature(body, secret),
    }


@pytest.mark.parametrize(
    ("fixture", "resource"),
    [
        ("sentry_webhook_event_alert.json", "event_alert"),
        ("sentry_webhook_error.json", "error"),
        ("sentry_webhook_issue.json", "issue"),
    ],
)
def test_signed_webhooks_are_ingested(server: RunningServer, fixture: str, resource: str) -> None:
    body = (FIXTURES / fixture).read_bytes()
    with server.client() as client:
        response = client.post(
            "/webhooks/sentry/hooked", content=body, headers=signed(body, resource)
        )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ingested"
    assert response.json()["pattern"]["occurrences"] >= 1
    assert patterns_of(server, "hooked")


@pytest.mark.parametrize(
    ("resource", "body"),
    [
        ("installation", b'{"action":"created","installation":{"uuid":"x"},"data":{}}'),
        ("comment", b'{"action":"created","data":{"comment":"looks bad"}}'),
        ("issue", b'{"action":"resolved","data":{"issue":{"metadata":{"type":"KeyError"}}}}'),
    ],
)
def test_other_webhooks_are_acknowledged_and_not_stored(
    server: RunningServer, resource: str, body: bytes
) -> None:
    before = store_snapshot(server.store_path)
    with server.client() as client:
        response = client.post(
            "/webhooks/sentry/hooked", content=body, headers=signed(body, resource)
        )
    assert response.status_code == 200
    assert response.json() == {"status": "ignored", "resource": resource}
    assert store_snapshot(server.store_path) == before


def test_health_and_metrics_pages(server: RunningServer) -> None:
    with server.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        home = client.get("/").json()  # says what the server is (it was a 404)
        assert "ingestion" in home["what"] and home["links"]["health"] == "/healthz"
        metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE argus_ingest_rejected_total counter" in metrics.text


# -- refused ----------------------------------------------------------------------------------

# 16 MiB of JSON whitespace, four times the server's limit, in a few kilobytes.
GZIP_BOMB = gzip.compress(b"{" + b" " * (16 * 1024 * 1024) + b"}")
BR_BOMB = brotli.compress(b"{" + b" " * (16 * 1024 * 1024) + b"}", quality=5)
TEN_MB_EVENT = json.dumps(
    {
        "event_id": "1" * 32,
        "exception": {"values": [{"type": "ValueError", "value": "x" * (10 * 1024 * 1024)}]},
    }
).encode()


def chunked(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), 256 * 1024):
        yield data[start : start + 256 * 1024]


def refused_cases(server: RunningServer) -> list[tuple[str, str, dict, object, int, str]]:
    """(case, url, headers, body, status, reason)."""
    sdk = sdk_headers(server)
    event = event_payload("KeyError", "'sku'", "price_of")
    other_key = server.other_project.public_key
    hook = b'{"action":"triggered","data":{"event":{"exception":{"values":[]}}}}'
    return [
        ("truncated JSON", store_url(server), sdk, SENTRY_EVENT[:200], 400, "invalid_json"),
        ("non-JSON body", store_url(server), sdk, b"hello there", 400, "invalid_json"),
        ("JSON array", store_url(server), sdk, b"[1, 2]", 400, "invalid_json"),
        ("empty body", store_url(server), sdk, b"", 400, "empty_body"),
        (
            "invalid UTF-8",
            store_url(server),
            sdk,
            event.replace(b"sku", b"\xff\xfe"),
            400,
            "invalid_utf8",
        ),
        (
            "no exception, no message",
            store_url(server),
            sdk,
            b'{"event_id": "ab", "level": "error"}',
            400,
            "unreadable_event",
        ),
        ("10 MB event", store_url(server), sdk, TEN_MB_EVENT, 413, "body_too_large"),
        (
            "10 MB event, chunked",
            store_url(server),
            sdk,
            chunked(TEN_MB_EVENT),
            413,
            "body_too_large",
        ),
        (
            "gzip bomb",
            envelope_url(server),
            {**sdk, "Content-Encoding": "gzip"},
            GZIP_BOMB,
            413,
            "decoded_too_large",
        ),
        (
            "br bomb",
            store_url(server),
            {**sdk, "Content-Encoding": "br"},
            BR_BOMB,
            413,
            "decoded_too_large",
        ),
        (
            "corrupt gzip",
            store_url(server),
            {**sdk, "Content-Encoding": "gzip"},
            gzip.compress(event)[:-10],
            400,
            "bad_encoding",
        ),
        (
            "unknown encoding",
            store_url(server),
            {**sdk, "Content-Encoding": "zstd"},
            event,
            415,
            "unsupported_encoding",
        ),
        (
            "envelope of unknown items",
            envelope_url(server),
            sdk,
            envelope_with(({"type": "hologram"}, b"{}")),
            400,
            "unknown_item_type",
        ),
        ("truncated envelope", envelope_url(server), sdk, ENVELOPE[:1000], 400, "bad_envelope"),
        (
            "bad event item",
            envelope_url(server),
            sdk,
            envelope_with(({"type": "session"}, b"{}"), ({"type": "event"}, event[:40])),
            400,
            "invalid_json",
        ),
        ("missing key", store_url(server), {}, event, 401, "missing_key"),
        ("wrong key", store_url(server), sdk_headers(server, key="0" * 32), event, 401, "bad_key"),
        (
            "another project's key",
            store_url(server),
            sdk_headers(server, key=other_key),
            event,
            401,
            "bad_key",
        ),
        (
            "DSN of another project",
            envelope_url(server),
            {},
            envelope_with(
                ({"type": "event"}, event),
                header=json.dumps(
                    {"dsn": f"http://{other_key}@h/{server.other_project.project_id}"}
                ).encode(),
            ),
            401,
            "bad_key",
        ),
        ("generic without bearer", errors_url(server), {}, GENERIC, 401, "missing_key"),
        (
            "generic with wrong bearer",
            errors_url(server),
            {"Authorization": "Bearer nope"},
            GENERIC,
            401,
            "bad_key",
        ),
        (
            "traceback of unknown format",
            errors_url(server),
            bearer(server),
            GO_PANIC,
            400,
            "unknown_format",
        ),
        (
            "generic invalid UTF-8",
            errors_url(server),
            bearer(server),
            b"Traceback \xff\xfe",
            400,
            "invalid_utf8",
        ),
        (
            "webhook without signature",
            "/webhooks/sentry/hooked",
            {"Sentry-Hook-Resource": "event_alert"},
            hook,
            401,
            "missing_signature",
        ),
        (
            "webhook with wrong signature",
            "/webhooks/sentry/hooked",
            signed(hook, "event_alert", secret="guess"),
            hook,
            401,
            "bad_signature",
        ),
        (
            "webhook signed for another body",
            "/webhooks/sentry/hooked",
            signed(b"{}", "event_alert"),
            hook,
            401,
            "bad_signature",
        ),
        (
            "webhook without resource",
            "/webhooks/sentry/hooked",
            {"Sentry-Hook-Signature": hook_signature(hook, SECRET)},
            hook,
            400,
            "missing_resource",
        ),
        (
            "webhook with an empty event",
            "/webhooks/sentry/hooked",
            signed(hook, "event_alert"),
            hook,
            400,
            "unreadable_event",
        ),
        (
            "webhook to a bad tenant name",
            "/webhooks/sentry/-bad",
            signed(hook, "event_alert"),
            hook,
            400,
            "bad_tenant",
        ),
    ]


_PLACEHOLDER = RunningServer("", Path(), Project(1, "a", "a", "k"), Project(2, "b", "b", "j"))
CASE_NAMES = [case[0] for case in refused_cases(_PLACEHOLDER)]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_bad_input_is_refused_counted_and_changes_nothing(server: RunningServer, case: str) -> None:
    (name, url, headers, body, status, reason) = next(
        each for each in refused_cases(server) if each[0] == case
    )
    endpoint = "webhook" if url.startswith("/webhooks") else url.rstrip("/").rsplit("/", 1)[-1]
    metric = f'argus_ingest_rejected_total{{endpoint="{endpoint}",reason="{reason}"}}'
    counted = server.metric(metric)
    before = store_snapshot(server.store_path)
    with server.client() as client:
        response = client.post(url, content=body, headers=headers)
    assert response.status_code == status, (name, response.text)
    error = response.json()
    assert error["error"] == reason
    assert error["detail"]
    assert store_snapshot(server.store_path) == before
    assert server.metric(metric) == counted + 1


def test_a_bigger_limit_still_caps_one_event_and_webhooks_need_a_secret(tmp_path: Path) -> None:
    with running_server(
        tmp_path / "argus.db", max_body_bytes=16 * 1024 * 1024, secret=None
    ) as server:
        before = store_snapshot(server.store_path)
        hook = (FIXTURES / "sentry_webhook_error.json").read_bytes()
        with server.client() as client:
            big = client.post(store_url(server), content=TEN_MB_EVENT, headers=sdk_headers(server))
            webhook = client.post(
                "/webhooks/sentry/hooked", content=hook, headers=signed(hook, "error")
            )
        assert (big.status_code, big.json()["error"]) == (413, "event_too_large")
        assert (webhook.status_code, webhook.json()["error"]) == (401, "webhooks_disabled")
        assert store_snapshot(server.store_path) == before


def test_an_oversized_declared_length_is_refused_before_the_body_is_read(
    server: RunningServer,
) -> None:
    # Only the headers are sent: the server must answer without waiting for 100 MB.
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            (
                f"POST {store_url(server)} HTTP/1.1\r\nHost: {host}\r\n"
                f"X-Sentry-Auth: Sentry sentry_key={server.project.public_key}\r\n"
                "Content-Length: 104857600\r\n\r\n"
            ).encode()
        )
        answer = b""
        while b"body_too_large" not in answer:
            piece = connection.recv(4096)
            if not piece:
                break
            answer += piece
    answer_text = answer.decode()
    assert answer_text.startswith("HTTP/1.1 413")
    assert "body_too_large" in answer_text
