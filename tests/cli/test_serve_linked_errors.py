"""`argus serve` hands the App's reviews the production errors ingested for the repository's
linked project (argus.serve.linked_error_locations)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from argus.serve import linked_error_locations
from core.patterns.event import ErrorEvent, Frame
from core.patterns.service import open_service
from ingest_server.keys import SQLiteProjectKeys

EVENT = ErrorEvent(
    exception_type="KeyError",
    message="'sku'",
    frames=(
        Frame(
            "place_bulk_order",
            "orders/service.py",
            module="orders.service",
            abs_path="/srv/app/orders/service.py",
            lineno=40,
            context_line="    sku = item['sku']",
        ),
    ),
    platform="python",
    source_format="sentry-envelope",
    timestamp=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
    raw_id="e1",
)


def test_errors_of_the_linked_project_only(tmp_path: Path) -> None:
    store = tmp_path / "argus.db"
    keys = SQLiteProjectKeys(store)
    keys.add("shop")
    keys.add("other")
    keys.link("shop", str(tmp_path), github_repository="acme/orders", installation_id=7)
    keys.close()
    service = open_service(store)
    service.ingest(EVENT, "shop")
    service.ingest(EVENT, "other")
    errors_for = linked_error_locations(store)
    found = errors_for("acme/orders")
    # As stored (the frame's path); core.patterns.risk_feedback matches it to the repository.
    assert [(path, function) for path, function, _ in found] == [
        ("/srv/app/orders/service.py", "place_bulk_order")
    ]
    assert sum(count for _, _, count in found) == 1
    assert errors_for("acme/unlinked") == []
