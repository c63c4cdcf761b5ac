"""Counters of accepted and rejected requests, rendered in the Prometheus text format."""

from __future__ import annotations

import threading
from collections import Counter

_HELP = {
    "argus_ingest_accepted_total": "Requests accepted, by endpoint.",
    "argus_ingest_rejected_total": "Requests refused with a 4xx or 5xx, by endpoint and reason.",
    "argus_ingest_events_total": "Events filed under a pattern, by endpoint and how matched.",
    "argus_ingest_items_ignored_total": "Items and webhooks accepted and not stored, by type.",
    "argus_ingest_items_dropped_total": "Envelope items of types Sentry does not define.",
}


class IngestMetrics:
    """Thread-safe counters; :meth:`render` gives the ``/metrics`` page."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()

    def count(self, name: str, amount: int = 1, **labels: str) -> None:
        """Add ``amount`` to the counter ``name`` with ``labels``."""
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            self._counts[key] += amount

    def accepted(self, endpoint: str) -> None:
        """Count one accepted request."""
        self.count("argus_ingest_accepted_total", endpoint=endpoint)

    def rejected(self, endpoint: str, reason: str) -> None:
        """Count one refused request."""
        self.count("argus_ingest_rejected_total", endpoint=endpoint, reason=reason)

    def value(self, name: str, **labels: str) -> int:
        """The current value of one counter (0 when never counted)."""
        with self._lock:
            return self._counts[(name, tuple(sorted(labels.items())))]

    def render(self) -> str:
        """The counters in the Prometheus text exposition format (version 0.0.4)."""
        with self._lock:
            counts = sorted(self._counts.items())
        lines: list[str] = []
        for name, help_text in _HELP.items():
            lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} counter")
            for (counted, labels), value in counts:
                if counted != name:
                    continue
                rendered = ",".join(f'{key}="{_escape(text)}"' for key, text in labels)
                lines.append(f"{name}{{{rendered}}} {value}" if rendered else f"{name} {value}")
        return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
