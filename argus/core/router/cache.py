"""The pattern cache port: a known error pattern's validated test, reused for free."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class CachedTestLike(Protocol):
    """What a cache hit carries: at least the test's source text."""

    @property
    def text(self) -> str:
        """The test's source code."""
        ...


class PatternCache(Protocol):
    """Anything with ``lookup(key)``; the error-pattern store implements it for real."""

    def lookup(self, key: str) -> CachedTestLike | str | None:
        """The cached test for ``key`` (a pattern hash), or None."""
        ...


@dataclass(frozen=True)
class CachedTest:
    """A cached test as the in-memory cache keeps it."""

    text: str
    source: str = "memory"


class InMemoryPatternCache:
    """A dict-backed :class:`PatternCache` for tests and single runs."""

    def __init__(self, entries: dict[str, str] | None = None):
        self._entries = {key: CachedTest(text) for key, text in (entries or {}).items()}
        self.lookups = 0

    def lookup(self, key: str) -> CachedTest | None:
        """The stored test for ``key``."""
        self.lookups += 1
        return self._entries.get(key)

    def store(self, key: str, text: str) -> None:
        """Keep ``text`` as the test for ``key``."""
        self._entries[key] = CachedTest(text)


def cached_text(hit: CachedTestLike | str) -> str:
    """The source text of a cache hit, whichever shape the cache returned."""
    return hit if isinstance(hit, str) else hit.text
