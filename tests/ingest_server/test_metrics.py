"""The Prometheus text page."""

from __future__ import annotations

from argus.ingest_server.metrics import IngestMetrics


def test_counters_render_in_the_prometheus_text_format() -> None:
    metrics = IngestMetrics()
    metrics.accepted("envelope")
    metrics.accepted("envelope")
    metrics.rejected("store", "bad_key")
    metrics.count("argus_ingest_items_ignored_total", type='odd"name')
    page = metrics.render()
    assert "# TYPE argus_ingest_accepted_total counter" in page
    assert 'argus_ingest_accepted_total{endpoint="envelope"} 2.0' in page
    assert 'argus_ingest_rejected_total{endpoint="store",reason="bad_key"} 1.0' in page
    assert 'argus_ingest_items_ignored_total{type="odd\\"name"} 1.0' in page
    assert metrics.value("argus_ingest_rejected_total", endpoint="store", reason="bad_key") == 1
    assert metrics.value("argus_ingest_accepted_total", endpoint="store") == 0
    assert page.endswith("\n")


def test_each_object_counts_for_itself() -> None:
    first, second = IngestMetrics(), IngestMetrics()
    first.accepted("store")
    assert (
        first.value("argus_ingest_accepted_total", endpoint="store"),
        second.value("argus_ingest_accepted_total", endpoint="store"),
    ) == (1, 0)
