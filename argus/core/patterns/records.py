"""The pattern library's records: what the store returns and the service hands to front-ends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Location:
    """An in-app code location errors of a pattern passed through, with how many occurrences."""

    path: str
    function: str
    count: int = 0


@dataclass(frozen=True, slots=True)
class PatternTest:
    """A test generated for a pattern (the test-generation capability records these)."""

    test_id: str
    framework: str = ""
    success_rate: float = 0.0
    reuse_count: int = 0
    code: str | None = None
    created: datetime | None = None


@dataclass(frozen=True, slots=True)
class Pattern:
    """One error pattern of a tenant: similar errors filed together.

    ``message`` is the masked message (volatile values replaced by ``<number>``, ``<str>``...).
    ``releases`` and ``environments`` are ``(name, occurrences)`` most frequent first (an empty
    name stands for "not given"). ``shared`` is True for a pattern of the shared pool shown to
    another tenant (then ``tenant`` is ``"shared"``, and locations, releases and tests are empty).
    ``aliases`` are the other pattern hashes filed under this pattern by similarity.
    """

    id: str
    tenant: str
    pattern_hash: str
    exception_type: str
    message: str
    title: str
    occurrences: int
    first_seen: datetime
    last_seen: datetime
    locations: tuple[Location, ...] = ()
    releases: tuple[tuple[str, int], ...] = ()
    environments: tuple[tuple[str, int], ...] = ()
    tests: tuple[PatternTest, ...] = ()
    shared: bool = False
    aliases: tuple[str, ...] = ()
    frames: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (times as ISO 8601 UTC strings)."""
        return {
            "id": self.id,
            "tenant": self.tenant,
            "pattern_hash": self.pattern_hash,
            "exception_type": self.exception_type,
            "message": self.message,
            "title": self.title,
            "occurrences": self.occurrences,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "locations": [
                {"path": item.path, "function": item.function, "count": item.count}
                for item in self.locations
            ],
            "releases": [{"release": name, "count": count} for name, count in self.releases],
            "environments": [
                {"environment": name, "count": count} for name, count in self.environments
            ],
            "tests": [
                {
                    "test_id": test.test_id,
                    "framework": test.framework,
                    "success_rate": test.success_rate,
                    "reuse_count": test.reuse_count,
                    "created": test.created.isoformat() if test.created else None,
                }
                for test in self.tests
            ],
            "shared": self.shared,
            "aliases": list(self.aliases),
            "frames": list(self.frames),
        }


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What ingesting one error did: the pattern it was filed under and how it was matched.

    ``matched_by`` is ``"hash"`` (same signature hash), ``"similarity"`` (nearest pattern at or
    above the threshold; ``similarity`` holds the cosine) or ``"new"`` (a new pattern).
    To keep ingestion cheap, ``pattern`` carries the pattern's own columns (counts, first/last
    seen, frames) but empty ``locations``, ``releases``, ``environments``, ``tests`` and
    ``aliases``; ``PatternService.get`` returns them all.
    """

    pattern: Pattern
    is_new: bool
    matched_by: str
    similarity: float | None = None
