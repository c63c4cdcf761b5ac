"""The AI Quality Score (0-100): how well a project's risky code is guarded, from what Argus
measured. Pure: counts in, score and its parts out (docs/dashboard.md states the formula).

Each part is a share in [0, 1] where 1 is good:

- ``tested_risk``: high-risk reviews that shipped with at least one validated test;
- ``regression_coverage``: error patterns that have a regression test;
- ``no_recurrence``: patterns given a regression test that did not occur again after it;
- ``caught_defects``: reviews rated below high whose commit a later fix did not blame (SZZ).

A part counts only when its denominator reaches ``MIN_SAMPLES``; the score is the weighted
mean of the parts that count, times 100, rounded. With no part counting there is no score.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_SAMPLES = 5
"""The fewest cases a part needs before it says anything."""

WEIGHTS: dict[str, float] = {
    "tested_risk": 0.3,
    "regression_coverage": 0.2,
    "no_recurrence": 0.3,
    "caught_defects": 0.2,
}
"""How much each part weighs (renormalised over the parts that count)."""

LABELS: dict[str, str] = {
    "tested_risk": "High-risk changes shipped with a validated test",
    "regression_coverage": "Error patterns with a regression test",
    "no_recurrence": "Patterns that did not recur after their regression test",
    "caught_defects": "Changes rated low/medium that no later fix blamed",
}


@dataclass(frozen=True)
class QualityFacts:
    """The counts the score is made of (all for one tenant, optionally one repository)."""

    high_risk_reviews: int = 0
    high_risk_reviews_with_tests: int = 0
    patterns: int = 0
    patterns_with_test: int = 0
    patterns_fixed: int = 0
    patterns_recurred_after_fix: int = 0
    reviews_below_high_checked: int = 0
    reviews_below_high_blamed: int = 0


@dataclass(frozen=True)
class ScorePart:
    """One part of the score: its share ``good / total``, or None below ``MIN_SAMPLES``."""

    name: str
    label: str
    good: int
    total: int
    weight: float
    value: float | None


@dataclass(frozen=True)
class QualityScore:
    """The score (None: not enough data) and every part, counting or not."""

    score: int | None
    parts: tuple[ScorePart, ...]

    @property
    def summary(self) -> str:
        """The number as people read it: ``"72 / 100"`` or ``"not enough data"``."""
        return "not enough data" if self.score is None else f"{self.score} / 100"


def quality_score(facts: QualityFacts) -> QualityScore:
    """The AI Quality Score of ``facts``.

    Raises ValueError when a count is negative or a part's good count exceeds its total.
    """
    pairs = {
        "tested_risk": (facts.high_risk_reviews_with_tests, facts.high_risk_reviews),
        "regression_coverage": (facts.patterns_with_test, facts.patterns),
        "no_recurrence": (
            facts.patterns_fixed - facts.patterns_recurred_after_fix,
            facts.patterns_fixed,
        ),
        "caught_defects": (
            facts.reviews_below_high_checked - facts.reviews_below_high_blamed,
            facts.reviews_below_high_checked,
        ),
    }
    parts = []
    for name, (good, total) in pairs.items():
        if good < 0 or total < 0 or good > total:
            raise ValueError(f"inconsistent counts for {name}: {good} good of {total}")
        value = good / total if total >= MIN_SAMPLES else None
        parts.append(ScorePart(name, LABELS[name], good, total, WEIGHTS[name], value))
    counting = [part for part in parts if part.value is not None]
    if not counting:
        return QualityScore(None, tuple(parts))
    weight = sum(part.weight for part in counting)
    mean = sum(part.weight * (part.value or 0.0) for part in counting) / weight
    return QualityScore(round(100 * mean), tuple(parts))
