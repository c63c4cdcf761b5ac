"""The router's pattern cache over the pattern library's tests (``pattern_tests``).

The cache key is a pattern id. A lookup returns the pattern's best stored test (highest success
rate, then most reused) that has code and has not failed more often than it passed. After the
router validated a cached test, :meth:`PatternTestCache.record_outcome` feeds the result back:
a reuse that passed adds one to ``reuse_count``; every validation moves ``success_rate``.

The store keeps a rate and a reuse count, not a count of failures, so the rate is a running
mean over ``reuse_count + 1`` validations (the first validation, when the test was stored, and
each passing reuse): a failed reuse weighs as one more validation with outcome 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from argus.core.patterns.records import PatternTest

#: A stored test whose success rate fell below this is no longer served from the cache.
MIN_SUCCESS_RATE = 0.5


class PatternTestStore(Protocol):
    """What the cache needs of the pattern library (``PatternService`` fits)."""

    def record_test(
        self,
        tenant: str,
        pattern_id: str,
        test_id: str,
        *,
        framework: str = "",
        success_rate: float = 0.0,
        reuse_count: int = 0,
        code: str | None = None,
    ) -> None:
        """Insert or update a test of one of the tenant's patterns."""
        ...


class PatternTestReader(Protocol):
    """Reads a pattern's tests (the library's store: ``PatternService.store``)."""

    def tests_for(self, pattern_id: str) -> list[PatternTest]:
        """A pattern's tests, best success rate first."""
        ...


@dataclass(frozen=True)
class StoredTest:
    """A cache hit: the test's code, and where it goes (``test_id`` is its file path)."""

    text: str
    test_id: str
    framework: str
    success_rate: float
    reuse_count: int


class PatternTestCache:
    """:class:`argus.core.router.cache.PatternCache` backed by the tenant's pattern tests."""

    def __init__(
        self,
        library: PatternTestStore,
        reader: PatternTestReader,
        tenant: str,
        *,
        min_success_rate: float = MIN_SUCCESS_RATE,
    ):
        self.library = library
        self.reader = reader
        self.tenant = tenant
        self.min_success_rate = min_success_rate
        self.lookups = 0
        self.last_hit: dict[str, StoredTest] = {}

    def lookup(self, key: str) -> StoredTest | None:
        """The best usable stored test of pattern ``key``, or None."""
        self.lookups += 1
        for test in self.reader.tests_for(key):
            if test.code and test.success_rate >= self.min_success_rate:
                hit = StoredTest(
                    test.code, test.test_id, test.framework, test.success_rate, test.reuse_count
                )
                self.last_hit[key] = hit
                return hit
        return None

    def store(self, pattern_id: str, test_id: str, framework: str, code: str) -> None:
        """Keep a freshly validated test for the pattern (rate 1.0, not reused yet)."""
        self.library.record_test(
            self.tenant,
            pattern_id,
            test_id,
            framework=framework,
            success_rate=1.0,
            reuse_count=0,
            code=code,
        )

    def record_outcome(self, pattern_id: str, test: StoredTest, passed: bool) -> StoredTest:
        """Feed one validation of a cached test back; returns the updated figures."""
        validations = test.reuse_count + 1
        rate = (test.success_rate * validations + (1.0 if passed else 0.0)) / (validations + 1)
        reuse_count = test.reuse_count + (1 if passed else 0)
        self.library.record_test(
            self.tenant,
            pattern_id,
            test.test_id,
            framework=test.framework,
            success_rate=min(1.0, max(0.0, rate)),
            reuse_count=reuse_count,
        )
        return StoredTest(test.text, test.test_id, test.framework, rate, reuse_count)
