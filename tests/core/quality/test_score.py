"""The AI Quality Score's formula, case by case (docs/dashboard.md states it)."""

from __future__ import annotations

import pytest

from argus.core.quality.score import MIN_SAMPLES, QualityFacts, quality_score


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        # Nothing measured: no number, never a made-up one.
        (QualityFacts(), None),
        # Below MIN_SAMPLES in every part: still no number.
        (QualityFacts(high_risk_reviews=4, high_risk_reviews_with_tests=4, patterns=4), None),
        # One part counts: the score is that part.
        (QualityFacts(high_risk_reviews=10, high_risk_reviews_with_tests=7), 70),
        (QualityFacts(patterns=8, patterns_with_test=2), 25),
        (QualityFacts(patterns_fixed=5, patterns_recurred_after_fix=1), 80),
        (QualityFacts(reviews_below_high_checked=20, reviews_below_high_blamed=5), 75),
        # Two parts: weighted 0.3 and 0.2 -> (0.3*0.5 + 0.2*1.0) / 0.5 = 0.7.
        (
            QualityFacts(
                high_risk_reviews=10,
                high_risk_reviews_with_tests=5,
                patterns=5,
                patterns_with_test=5,
            ),
            70,
        ),
        # Every part: (0.3*1 + 0.2*0.5 + 0.3*0 + 0.2*0.75) / 1.0 = 0.55.
        (
            QualityFacts(
                high_risk_reviews=6,
                high_risk_reviews_with_tests=6,
                patterns=10,
                patterns_with_test=5,
                patterns_fixed=5,
                patterns_recurred_after_fix=5,
                reviews_below_high_checked=8,
                reviews_below_high_blamed=2,
            ),
            55,
        ),
        # A part under the minimum is left out, not counted as zero.
        (QualityFacts(patterns=10, patterns_with_test=10, high_risk_reviews=3), 100),
    ],
)
def test_score_of_facts(facts: QualityFacts, expected: int | None) -> None:
    result = quality_score(facts)
    assert result.score == expected
    assert result.summary == ("not enough data" if expected is None else f"{expected} / 100")


def test_every_part_is_shown_with_its_counts_even_when_it_does_not_count() -> None:
    result = quality_score(QualityFacts(high_risk_reviews=10, high_risk_reviews_with_tests=3))
    parts = {part.name: part for part in result.parts}
    assert set(parts) == {"tested_risk", "regression_coverage", "no_recurrence", "caught_defects"}
    assert parts["tested_risk"].value == pytest.approx(0.3)
    assert (parts["tested_risk"].good, parts["tested_risk"].total) == (3, 10)
    assert parts["regression_coverage"].value is None


def test_minimum_is_inclusive() -> None:
    facts = QualityFacts(patterns=MIN_SAMPLES, patterns_with_test=MIN_SAMPLES - 1)
    assert quality_score(facts).score == round(100 * (MIN_SAMPLES - 1) / MIN_SAMPLES)


@pytest.mark.parametrize(
    "facts",
    [
        QualityFacts(high_risk_reviews=5, high_risk_reviews_with_tests=6),
        QualityFacts(patterns=-1),
        QualityFacts(patterns_fixed=5, patterns_recurred_after_fix=6),
    ],
)
def test_inconsistent_counts_are_refused(facts: QualityFacts) -> None:
    with pytest.raises(ValueError, match="inconsistent counts"):
        quality_score(facts)
