"""Each rule's precision measured on labelled real findings, and whether it runs by default.

The figures come from ``benchmarks/findings_precision.py --measured`` over the labels in
``benchmarks/findings/labels.csv`` (real commits of public repositories, every finding read in
its code and labelled TRUE, DEBATABLE or FALSE; only TRUE counts as right). A rule runs by
default only when at least ``MIN_SAMPLE`` labelled findings show it right at least
``MIN_PRECISION`` of the time, and all default-on rules together are right at least
``MIN_COMBINED`` of the time; the others are opt-in (``rules:`` in ``.argus.yml``) until they
are measured there.

The confidence a finding shows is the rule's precision: the measured share when the sample
reaches ``MIN_SAMPLE``, otherwise the rule-of-succession estimate ``(right + 1) / (n + 2)``,
which is 0.5 for a rule never seen firing and never claims certainty from a handful of hits.
"""

from __future__ import annotations

MIN_PRECISION = 0.7
MIN_SAMPLE = 15

MEASURED: dict[str, tuple[int, int]] = {
    "JS001": (0, 13),
    "JS002": (0, 134),
    "JS003": (13, 59),
    "JS004": (0, 24),
    "JS006": (0, 7),
    "JS007": (0, 9),
    "JS013": (0, 2),
    "PY001": (3, 35),
    "PY002": (0, 41),
    "PY003": (0, 41),
    "PY004": (0, 5),
    "PY005": (1, 128),
    "PY006": (0, 1),
    "PY008": (0, 4),
    "PY010": (0, 27),
    "PY011": (0, 2),
    "PY013": (1, 6),
    "PY014": (0, 6),
    "PY015": (0, 1),
    "PY016": (39, 46),
    "PY017": (1, 6),
    "PY018": (0, 1),
    "PY020": (0, 17),
    "PY021": (0, 9),
    "PY022": (0, 1),
    "PY023": (0, 52),
}
"""Rule id -> (findings labelled TRUE, findings labelled) on the findings corpus."""


MIN_COMBINED = 0.8
"""All default-on rules together must be right at least this often on their labelled findings."""


def default_on_rules(measured: dict[str, tuple[int, int]] | None = None) -> frozenset[str]:
    """The rules that run by default: each right at least ``MIN_PRECISION`` of the time on at
    least ``MIN_SAMPLE`` labelled findings, and, should the ones that pass leave the set under
    ``MIN_COMBINED`` together, the least precise of them left out until it is not."""
    table = MEASURED if measured is None else measured
    passing = sorted(
        (
            (right / sample, rule_id)
            for rule_id, (right, sample) in table.items()
            if sample >= MIN_SAMPLE and right / sample >= MIN_PRECISION
        ),
        reverse=True,
    )
    while passing:
        right = sum(table[rule_id][0] for _, rule_id in passing)
        sample = sum(table[rule_id][1] for _, rule_id in passing)
        if right / sample >= MIN_COMBINED:
            break
        passing.pop()
    return frozenset(rule_id for _, rule_id in passing)


_DEFAULT_ON = default_on_rules()


def measured_precision(
    rule_id: str, prior: float, measured: dict[str, tuple[int, int]] | None = None
) -> tuple[float, int, bool]:
    """The confidence to show for a rule, its sample size, and whether it runs by default.

    ``prior`` (the registration's guess) is no longer shown: only what was measured is.
    ``measured`` replaces the table (to preview new labels before writing them here).
    """
    table = MEASURED if measured is None else measured
    right, sample = table.get(rule_id, (0, 0))
    default_on = rule_id in (_DEFAULT_ON if measured is None else default_on_rules(table))
    if sample >= MIN_SAMPLE:
        return max(right / sample, 0.01), sample, default_on
    return (right + 1) / (sample + 2), sample, False
