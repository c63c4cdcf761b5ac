"""Counters of accepted and rejected requests, as a Prometheus page (prometheus_client).

Each metric is declared once below, with its help text and label names; add one by adding a
line. Every IngestMetrics object keeps its own registry, so two servers in one process (or
two tests) never share counts.
"""

from __future__ import annotations

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, generate_latest

# name -> (help, label names)
COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "argus_ingest_accepted_total": ("Requests accepted, by endpoint.", ("endpoint",)),
    "argus_ingest_rejected_total": (
        "Requests refused with a 4xx or 5xx, by endpoint and reason.",
        ("endpoint", "reason"),
    ),
    "argus_ingest_events_total": (
        "Events filed under a pattern, by endpoint and how matched.",
        ("endpoint", "matched"),
    ),
    "argus_ingest_items_ignored_total": (
        "Items and webhooks accepted and not stored, by type.",
        ("type",),
    ),
    "argus_ingest_items_dropped_total": (
        "Envelope items of types Sentry does not define.",
        ("type",),
    ),
}


class IngestMetrics:
    """Thread-safe counters; :meth:`render` gives the ``/metrics`` page."""

    def __init__(self) -> None:
        # The page shows the counts alone, not a `_created` timestamp series beside each.
        prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry()
        self._counters = {
            name: Counter(name, text, labels, registry=self.registry)
            for name, (text, labels) in COUNTERS.items()
        }

    def count(self, name: str, amount: int = 1, **labels: str) -> None:
        """Add ``amount`` to the counter ``name`` with ``labels``."""
        counter = self._counters[name]
        (counter.labels(**labels) if labels else counter).inc(amount)

    def accepted(self, endpoint: str) -> None:
        """Count one accepted request."""
        self.count("argus_ingest_accepted_total", endpoint=endpoint)

    def rejected(self, endpoint: str, reason: str) -> None:
        """Count one refused request."""
        self.count("argus_ingest_rejected_total", endpoint=endpoint, reason=reason)

    def value(self, name: str, **labels: str) -> int:
        """The current value of one counter (0 when never counted)."""
        return int(self.registry.get_sample_value(name, labels) or 0)

    def render(self) -> str:
        """The counters in the Prometheus text exposition format (version 0.0.4)."""
        return generate_latest(self.registry).decode("utf-8")
