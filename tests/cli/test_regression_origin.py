"""The regression job names the commit that wrote the failing line, for the App's comment."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.event_codec import event_data
from argus.core.patterns.records import Pattern
from argus.core.predict.findings import GeneratedTest, TestValidation
from argus.regression_jobs import introduced_by
from tests.core.testgen.sandbox_repos import git
from tests.support import metrics_repo

SEEN = datetime(2026, 11, 30, tzinfo=UTC)


def pattern(occurrences: int) -> Pattern:
    return Pattern(
        "p-1", "shop", "h", "ZeroDivisionError", "division by zero",
        "ZeroDivisionError: division by zero", occurrences, SEEN, SEEN,
    )  # fmt: skip


def test_the_payload_names_the_line_its_commit_the_error_and_how_often(tmp_path: Path) -> None:
    repo, buggy, _ = metrics_repo(tmp_path / "metrics-service")
    line = next(
        number
        for number, text in enumerate((repo / "metrics/stats.py").read_text().splitlines(), 1)
        if "/" in text and "return" in text
    )
    event = ErrorEvent(
        "ZeroDivisionError",
        "division by zero",
        frames=(
            Frame(
                "summary", "metrics/report.py", "metrics.report", "/srv/app/metrics/report.py", 1
            ),
            Frame("mean", "metrics/stats.py", "metrics.stats", "/srv/app/metrics/stats.py", line),
        ),
        platform="python",
    )
    test = GeneratedTest(
        "metrics/stats.py", "mean", "python", "pytest", "tests/test_regression.py", "",
        "regression_test", TestValidation(fails_before=True, before=buggy), pattern_id="p-1",
    )  # fmt: skip
    origin = introduced_by(repo, test, pattern(3), {"event": event_data(event)})
    assert origin == {
        "commit": buggy,
        "path": "metrics/stats.py",
        "line": line,
        "function": "mean",
        "deployed": buggy,
        "error": "ZeroDivisionError: division by zero",
        "occurrences": 3,
        "pattern_id": "p-1",
    }
    # A line the repository does not have at the deployed commit: nothing to tell.
    far = Frame("mean", "metrics/stats.py", "metrics.stats", "/srv/app/metrics/stats.py", 999)
    lost = ErrorEvent("ZeroDivisionError", "division by zero", frames=(far,), platform="python")
    assert introduced_by(repo, test, pattern(3), {"event": event_data(lost)}) is None
    assert git(repo, "rev-parse", "main") == buggy
