"""Node.js events from the real @sentry/node SDK are accepted, grouped, and kept with their
frame variables (the Node crash test generator reads them back)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from argus.core.patterns.event_codec import event_from_data
from argus.core.patterns.service import open_service
from argus.core.store.vector import LocalAnnIndex
from tests.ingest_server.running import RunningServer, running_server

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "node_crash"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("ingest-node") / "argus.db") as server:
        yield server


def test_node_envelopes_are_grouped_and_keep_their_variables(server: RunningServer) -> None:
    headers = {
        "X-Sentry-Auth": (
            f"Sentry sentry_key={server.project.public_key}, sentry_version=7, "
            "sentry_client=sentry.javascript.node/10.78.0"
        ),
        "Content-Type": "application/x-sentry-envelope",
    }
    url = f"/api/{server.project.project_id}/envelope/"
    shop = (FIXTURES / "shop_envelope.bin").read_bytes()
    names = (FIXTURES / "names_envelope.bin").read_bytes()
    # The same crash again, as a second event (an id of its own: the same id is one event).
    again = shop.replace(b"fb1144e700e64d258995d86260bb52d2", b"fb1144e700e64d258995d86260bb52d3")
    assert again != shop
    with server.client() as client:
        for body in (shop, again, names):
            response = client.post(url, content=body, headers=headers)
            assert response.status_code == 200, response.text
    with open_service(server.store_path, index=LocalAnnIndex(384, None)) as service:
        patterns = {pattern.title: pattern for pattern in service.list_patterns("acme")}
        coupon = patterns["TypeError: Cannot read properties of undefined (reading 'percent')"]
        assert coupon.occurrences == 2  # the same crash twice is one pattern
        assert "TypeError: Cannot read properties of undefined (reading 'toUpperCase')" in patterns
        assert any("coupons.js" in location.path for location in coupon.locations)
        (kept, *_) = service.store.events_of(coupon.id)
    event = event_from_data(kept["event"])
    assert event.platform == "node"
    crash = event.frames[-1]
    assert (crash.function, crash.in_app, crash.lineno) == ("applyCoupon", True, 5)
    assert crash.vars["coupon"] == "<undefined>"
    assert crash.vars["order"] == str({"total": 40, "items": 2})
    assert [frame.in_app for frame in event.frames[:2]] == [False, False]
    assert json.loads(shop.split(b"\n")[0])["sdk"]["name"] == "sentry.javascript.node"
