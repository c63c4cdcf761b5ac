"""The App's counters, shared by the web app, the queue worker and the GitHub adapter.

One :class:`AppMetrics` object is created per process and handed to each part; ``render``
gives the Prometheus text format (version 0.0.4). Names:

- ``argus_github_deliveries_total{event, outcome}`` (outcome: ``queued``, ``duplicate``,
  ``bad_signature``, ``unreadable``, ``ignored``, ``error``: could not be stored, 500)
- ``argus_github_jobs_total{kind, outcome}`` (``done``, ``failed``, ``retried``)
- ``argus_github_job_seconds`` (summary: ``_sum`` and ``_count``; and histogram buckets)
- ``argus_github_api_calls_total{endpoint, status}``
- ``argus_github_rate_limit_waits_total{kind}`` and ``argus_github_rate_limit_wait_seconds_total``
- ``argus_github_queue_depth`` (gauge, read from the queue when rendered)
- ``argus_github_dead_jobs`` (gauge: jobs that failed for good, ``argus jobs list --failed``)
- ``argus_github_step_failures_total{step, status, permanent}`` (GitHub calls of a job that
  failed; the job's other steps still ran)
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

_COUNTERS = {
    "argus_github_deliveries_total": "Webhook deliveries received, by event and outcome.",
    "argus_github_jobs_total": "Jobs worked, by kind and outcome.",
    "argus_github_typed_total": "Jobs whose payload githubkit's models accepted (typed=true).",
    "argus_github_api_calls_total": "GitHub REST calls made, by endpoint and status.",
    "argus_github_rate_limit_waits_total": "Waits for GitHub rate limits, by kind.",
    "argus_github_rate_limit_wait_seconds_total": "Seconds spent waiting for rate limits.",
    "argus_github_step_failures_total": "GitHub steps of a job that failed, by step and status.",
}
_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class AppMetrics:
    """Thread-safe counters, a job-latency histogram and a queue-depth gauge."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()
        self._bucket_counts = [0] * len(_BUCKETS)
        self._latency_sum = 0.0
        self._latency_count = 0
        self._depth: Callable[[], int] | None = None
        self._dead: Callable[[], int] | None = None

    def count(self, name: str, amount: float = 1, **labels: str) -> None:
        """Add ``amount`` to the counter ``name`` with ``labels``."""
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            self._counts[key] += amount  # type: ignore[assignment]

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
        with self._lock:
            self._latency_sum += seconds
            self._latency_count += 1
            for index, bound in enumerate(_BUCKETS):
                if seconds <= bound:
                    self._bucket_counts[index] += 1

    def api_call(self, endpoint: str, status: int | str) -> None:
        """Count one GitHub REST call."""
        self.count("argus_github_api_calls_total", endpoint=endpoint, status=str(status))

    def rate_limit_wait(self, kind: str, seconds: float) -> None:
        """Count one wait for a rate limit (``primary`` or ``secondary``) and its length."""
        self.count("argus_github_rate_limit_waits_total", kind=kind)
        self.count("argus_github_rate_limit_wait_seconds_total", seconds)

    def track_queue_depth(self, depth: Callable[[], int]) -> None:
        """Read the queue depth from ``depth`` whenever the page is rendered."""
        self._depth = depth

    def track_dead_jobs(self, failed: Callable[[], int]) -> None:
        """Read the number of jobs that failed for good from ``failed`` when rendering."""
        self._dead = failed

    def value(self, name: str, **labels: str) -> float:
        """The current value of one counter (0 when never counted)."""
        with self._lock:
            return self._counts[(name, tuple(sorted(labels.items())))]

    def render(self) -> str:
        """The metrics in the Prometheus text exposition format."""
        with self._lock:
            counts = sorted(self._counts.items())
            buckets = list(self._bucket_counts)
            total, observed = self._latency_sum, self._latency_count
        lines: list[str] = []
        for name, help_text in _COUNTERS.items():
            lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} counter")
            for (counted, labels), value in counts:
                if counted == name:
                    lines.append(f"{name}{_labels(labels)} {_number(value)}")
        lines.append("# HELP argus_github_job_seconds Job latency in seconds.")
        lines.append("# TYPE argus_github_job_seconds histogram")
        for bound, bucket in zip(_BUCKETS, buckets, strict=True):
            lines.append(f'argus_github_job_seconds_bucket{{le="{bound}"}} {bucket}')
        lines.append(f'argus_github_job_seconds_bucket{{le="+Inf"}} {observed}')
        lines.append(f"argus_github_job_seconds_sum {_number(total)}")
        lines.append(f"argus_github_job_seconds_count {observed}")
        if self._depth is not None:
            lines.append("# HELP argus_github_queue_depth Jobs waiting or running.")
            lines.append("# TYPE argus_github_queue_depth gauge")
            lines.append(f"argus_github_queue_depth {self._depth()}")
        if self._dead is not None:
            lines.append("# HELP argus_github_dead_jobs Jobs that failed for good (dead letters).")
            lines.append("# TYPE argus_github_dead_jobs gauge")
            lines.append(f"argus_github_dead_jobs {self._dead()}")
        return "\n".join(lines) + "\n"


def _labels(labels: tuple[tuple[str, str], ...]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{key}="{_escape(text)}"' for key, text in labels)
    return "{" + inner + "}"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
