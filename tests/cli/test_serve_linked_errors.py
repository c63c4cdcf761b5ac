"""`argus serve` hands the App's reviews the production errors ingested for the repository's
linked project (argus.serve.linked_error_locations)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from argus.core.patterns.event import ErrorEvent, Frame
from argus.serve import linked_error_locations
from argus.store_backend import PostgresLocation, open_pattern_service, open_project_keys
from tests.postgres_support import BACKENDS, fresh_schema

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


@pytest.fixture(params=BACKENDS)
def shared(request):
    """None (the SQLite file) or a PostgreSQL schema of its own (as `argus worker` on another
    machine than `argus serve` reads it)."""
    if request.param == "sqlite":
        yield None
        return
    with fresh_schema() as (url, schema):
        yield PostgresLocation(url, schema)


def test_errors_of_the_linked_project_only(tmp_path: Path, shared) -> None:
    store = tmp_path / "argus.db"
    keys = open_project_keys(shared, store)
    keys.add("shop")
    keys.add("other")
    keys.link("shop", str(tmp_path), github_repository="acme/orders", installation_id=7)
    keys.close()
    service = open_pattern_service(shared or store)
    service.ingest(EVENT, "shop")
    service.ingest(EVENT, "other")
    service.close()
    # The worker's node has no store file of its own when the store is shared.
    errors_for = linked_error_locations(tmp_path / "elsewhere" / "argus.db", shared)
    if shared is None:
        errors_for = linked_error_locations(store)
    found = errors_for("acme/orders")
    # As stored (the frame's path); argus.core.patterns.risk_feedback matches it to the repository.
    assert [(path, function) for path, function, _ in found] == [
        ("/srv/app/orders/service.py", "place_bulk_order")
    ]
    assert sum(count for _, _, count in found) == 1
    assert errors_for("acme/unlinked") == []
