"""The App's metrics, shared by the web app, the queue worker and the GitHub adapter.

One :class:`AppMetrics` object is created per process and handed to each part; ``render``
gives the Prometheus text format (version 0.0.4, by prometheus_client). Names:

- ``argus_github_deliveries_total{event, outcome}`` (outcome: ``queued``, ``duplicate``,
  ``bad_signature``, ``unreadable``, ``ignored``, ``error``: could not be stored, 500)
- ``argus_github_jobs_total{kind, outcome}`` (``done``, ``failed``, ``retried``)
- ``argus_github_job_seconds`` (histogram: buckets, ``_sum`` and ``_count``)
- ``argus_github_api_calls_total{endpoint, status}``
- ``argus_github_rate_limit_waits_total{kind}`` and ``argus_github_rate_limit_wait_seconds_total``
- ``argus_github_queue_depth`` (gauge, read from the queue when rendered)
- ``argus_github_dead_jobs`` (gauge: jobs that failed for good, ``argus jobs list --failed``)
- ``argus_github_step_failures_total{step, status, permanent}`` (GitHub calls of a job that
  failed; the job's other steps still ran)

A counter is declared once in ``COUNTERS`` (help and label names); add one by adding a line.
"""

from __future__ import annotations

from collections.abc import Callable

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# name -> (help, label names)
COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "argus_github_deliveries_total": (
        "Webhook deliveries received, by event and outcome.",
        ("event", "outcome"),
    ),
    "argus_github_jobs_total": ("Jobs worked, by kind and outcome.", ("kind", "outcome")),
    "argus_github_api_calls_total": (
        "GitHub REST calls made, by endpoint and status.",
        ("endpoint", "status"),
    ),
    "argus_github_rate_limit_waits_total": ("Waits for GitHub rate limits, by kind.", ("kind",)),
    "argus_github_rate_limit_wait_seconds_total": ("Seconds spent waiting for rate limits.", ()),
    "argus_github_step_failures_total": (
        "GitHub steps of a job that failed, by step and status.",
        ("step", "status", "permanent"),
    ),
}
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class AppMetrics:
    """Thread-safe counters, a job-latency histogram and a queue-depth gauge, in a registry
    of their own (two apps in one process, or two tests, never share counts)."""

    def __init__(self) -> None:
        # The page shows the counts alone, not a `_created` timestamp series beside each.
        prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry()
        self._counters = {
            name: Counter(name, text, labels, registry=self.registry)
            for name, (text, labels) in COUNTERS.items()
        }
        self._job_seconds = Histogram(
            "argus_github_job_seconds",
            "Job latency in seconds.",
            buckets=BUCKETS,
            registry=self.registry,
        )
        self._depth: Gauge | None = None
        self._dead: Gauge | None = None

    def count(self, name: str, amount: float = 1, **labels: str) -> None:
        """Add ``amount`` to the counter ``name`` with ``labels``."""
        counter = self._counters[name]
        (counter.labels(**labels) if labels else counter).inc(amount)

    def delivery(self, event: str, outcome: str) -> None:
        """Count one webhook delivery."""
        self.count("argus_github_deliveries_total", event=event, outcome=outcome)

    def job(self, kind: str, outcome: str, seconds: float | None = None) -> None:
        """Count one job run, and observe its latency when given."""
        self.count("argus_github_jobs_total", kind=kind, outcome=outcome)
        if seconds is not None:
            self.observe_job_seconds(seconds)

    def observe_job_seconds(self, seconds: float) -> None:
        """Record one job's latency (delivery received to job finished, or run time)."""
        self._job_seconds.observe(seconds)

    def api_call(self, endpoint: str, status: int | str) -> None:
        """Count one GitHub REST call."""
        self.count("argus_github_api_calls_total", endpoint=endpoint, status=str(status))

    def rate_limit_wait(self, kind: str, seconds: float) -> None:
        """Count one wait for a rate limit (``primary`` or ``secondary``) and its length."""
        self.count("argus_github_rate_limit_waits_total", kind=kind)
        self.count("argus_github_rate_limit_wait_seconds_total", seconds)

    def track_queue_depth(self, depth: Callable[[], int]) -> None:
        """Read the queue depth from ``depth`` whenever the page is rendered."""
        if self._depth is None:
            self._depth = Gauge(
                "argus_github_queue_depth", "Jobs waiting or running.", registry=self.registry
            )
        self._depth.set_function(lambda: float(depth()))

    def track_dead_jobs(self, failed: Callable[[], int]) -> None:
        """Read the number of jobs that failed for good from ``failed`` when rendering."""
        if self._dead is None:
            self._dead = Gauge(
                "argus_github_dead_jobs",
                "Jobs that failed for good (dead letters).",
                registry=self.registry,
            )
        self._dead.set_function(lambda: float(failed()))

    def value(self, name: str, **labels: str) -> float:
        """The current value of one counter (0 when never counted)."""
        return self.registry.get_sample_value(name, labels) or 0.0

    def render(self) -> str:
        """The metrics in the Prometheus text exposition format."""
        return generate_latest(self.registry).decode("utf-8")
