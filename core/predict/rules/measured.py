"""Each rule's precision measured on labelled real findings, and whether it runs by default.

The figures come from ``benchmarks/findings_precision.py`` over the labels in
``benchmarks/findings/labels.csv`` (real commits of public repositories, every finding read in
its code). A rule runs by default only when at least ``MIN_SAMPLE`` labelled findings show it
right at least ``MIN_PRECISION`` of the time; the others are opt-in (``rules: enable:`` in
``.argus.yml``).
"""

from __future__ import annotations

MIN_PRECISION = 0.7
MIN_SAMPLE = 15

MEASURED: dict[str, tuple[float, int]] = {}
"""Rule id -> (precision, labelled findings), TRUE counting 1 and DEBATABLE 0.5."""

OFF_BY_DEFAULT: frozenset[str] = frozenset()
"""Rules kept off by default whatever their sample says (measured below the bar)."""


def measured_precision(rule_id: str, prior: float) -> tuple[float, int, bool]:
    """The confidence to show for a rule, its sample size, and whether it runs by default."""
    if rule_id in MEASURED:
        precision, sample = MEASURED[rule_id]
        default_on = (
            rule_id not in OFF_BY_DEFAULT and sample >= MIN_SAMPLE and precision >= MIN_PRECISION
        )
        return max(precision, 0.01), sample, default_on
    return prior, 0, rule_id not in OFF_BY_DEFAULT
