"""The router's pattern cache over the pattern library's tests (a real in-memory library)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.service import PatternService, open_service
from argus.core.testgen.pattern_cache import PatternTestCache

EVENT = ErrorEvent(
    "ZeroDivisionError",
    "division by zero",
    (Frame("average", "metrics/stats.py", "metrics.stats", lineno=5, vars={"values": "[]"}),),
    platform="python",
)


@pytest.fixture
def library() -> Iterator[PatternService]:
    service = open_service(":memory:")
    yield service
    service.close()


def test_a_pattern_without_tests_is_a_miss(library: PatternService) -> None:
    pattern = library.ingest(EVENT, "acme").pattern
    cache = PatternTestCache(library, library.store, "acme")
    assert cache.lookup(pattern.id) is None
    assert cache.lookup("pat_unknown") is None
    assert cache.lookups == 2


def test_stored_test_is_served_and_reuse_moves_the_figures(library: PatternService) -> None:
    pattern = library.ingest(EVENT, "acme").pattern
    cache = PatternTestCache(library, library.store, "acme")
    cache.store(pattern.id, "tests/test_regression_average.py", "pytest", "def test_a(): pass\n")
    hit = cache.lookup(pattern.id)
    assert hit is not None and hit.text == "def test_a(): pass\n"
    assert (hit.test_id, hit.framework, hit.success_rate, hit.reuse_count) == (
        "tests/test_regression_average.py",
        "pytest",
        1.0,
        0,
    )
    after_pass = cache.record_outcome(pattern.id, hit, passed=True)
    assert (after_pass.success_rate, after_pass.reuse_count) == (1.0, 1)
    after_fail = cache.record_outcome(pattern.id, after_pass, passed=False)
    assert after_fail.reuse_count == 1
    assert after_fail.success_rate == pytest.approx(2 / 3)
    stored = library.store.tests_for(pattern.id)[0]
    assert stored.code == "def test_a(): pass\n"  # an update keeps the code
    assert (stored.reuse_count, stored.success_rate) == (1, pytest.approx(2 / 3))


def test_a_test_that_keeps_failing_is_no_longer_served(library: PatternService) -> None:
    pattern = library.ingest(EVENT, "acme").pattern
    cache = PatternTestCache(library, library.store, "acme")
    cache.store(pattern.id, "tests/test_r.py", "pytest", "def test_a(): pass\n")
    hit = cache.lookup(pattern.id)
    assert hit is not None
    hit = cache.record_outcome(pattern.id, hit, passed=False)  # 1/2
    assert cache.lookup(pattern.id) is not None
    cache.record_outcome(pattern.id, hit, passed=False)  # 1/3
    assert cache.lookup(pattern.id) is None


def test_another_tenants_pattern_cannot_be_written(library: PatternService) -> None:
    from argus.core.errors import StoreError

    pattern = library.ingest(EVENT, "acme").pattern
    other = PatternTestCache(library, library.store, "globex")
    with pytest.raises(StoreError):
        other.store(pattern.id, "tests/test_r.py", "pytest", "def test_a(): pass\n")
