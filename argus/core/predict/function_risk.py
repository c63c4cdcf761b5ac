"""The risk of one changed function: the change model applied to the function's own slice of
the change, then adjusted by what is known about the function itself.

The shipped model is trained on whole commits (public just-in-time defect data). A function's
slice of a change is scored as if it were a one-file commit: its lines added and deleted, the
file's size and history, the author's experience. Facts the commit-level data cannot carry —
earlier bug fixes in this very function, its complexity and how much the change raised it,
production errors seen in it — shift the log-odds by prior weights. ``argus learn`` refits these
weights on the repository's own history (see argus/core/predict/adapt.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from argus.core.predict.findings import Factor
from argus.core.predict.scoring import ScoringModel


@dataclass(frozen=True)
class FunctionFacts:
    """What is known about one changed function (or a file, for file-level entries)."""

    lines_added: int
    lines_deleted: int
    file_lines_before: int
    complexity_before: int | None = None
    complexity_after: int | None = None
    fix_touches: int = 0
    fix_touches_last_year: int = 0
    file_developers: int = 0
    file_changes: int = 0
    file_age_days: float = 0.0
    author_file_changes: int | None = None
    production_errors: int = 0
    is_new: bool = False


@dataclass(frozen=True)
class FunctionWeights:
    """Log-odds shifts on top of the change model; priors, refit by ``argus learn``."""

    fix_history: float = 0.45
    complexity: float = 0.20
    complexity_increase: float = 0.35
    production_errors: float = 0.50
    first_change_by_author: float = 0.25
    extra: Mapping[str, float] = field(default_factory=dict)


def _logit(probability: float) -> float:
    clipped = min(max(probability, 1e-6), 1 - 1e-6)
    return math.log(clipped / (1 - clipped))


def _sigmoid(value: float) -> float:
    if value >= 0:
        return 1 / (1 + math.exp(-value))
    exponential = math.exp(value)
    return exponential / (1 + exponential)


def slice_features(change: Mapping[str, float], facts: FunctionFacts) -> dict[str, float]:
    """The change features of the function's slice, scored as a one-file change."""
    features = dict(change)
    features.update(
        la=float(facts.lines_added),
        ld=float(facts.lines_deleted),
        nf=1.0,
        nd=1.0,
        ns=1.0,
        entropy=0.0,
        lt=float(facts.file_lines_before),
        ndev=float(facts.file_developers),
        nuc=float(facts.file_changes),
        age=float(facts.file_age_days),
        # A function's slice is code in one file: none of it is a test, doc or config file.
        la_code=float(facts.lines_added),
        ld_code=float(facts.lines_deleted),
        nf_test=0.0,
        nf_other=0.0,
    )
    return features


def function_risk(
    model: ScoringModel,
    change: Mapping[str, float],
    facts: FunctionFacts,
    weights: FunctionWeights | None = None,
) -> tuple[float, list[Factor]]:
    """Probability that this function's change introduces a bug, and the factors behind it."""
    return function_risks(model, change, [facts], weights)[0]


def function_risks(
    model: ScoringModel,
    change: Mapping[str, float],
    facts: Sequence[FunctionFacts],
    weights: FunctionWeights | None = None,
) -> list[tuple[float, list[Factor]]]:
    """:func:`function_risk` for many functions, scored by the model in one batch."""
    weights = weights or FunctionWeights()
    assessed = model.assess_many([slice_features(change, each) for each in facts], top=4)
    return [
        _adjusted(base, list(explained), each, weights)
        for (base, explained), each in zip(assessed, facts, strict=True)
    ]


def _adjusted(
    base: float, factors: list[Factor], facts: FunctionFacts, weights: FunctionWeights
) -> tuple[float, list[Factor]]:
    """Shift the model's probability by what is known about the function itself."""
    shift = 0.0

    if facts.fix_touches:
        weight = weights.fix_history * math.log1p(facts.fix_touches)
        shift += weight
        recent = facts.fix_touches_last_year
        when = f"{recent} this year" if recent else "none this year"
        factors.append(
            Factor(
                "fix_history",
                f"changed in {_count(facts.fix_touches, 'bug fix', 'bug fixes')} before ({when})",
                weight,
                float(facts.fix_touches),
            )
        )
    after = facts.complexity_after
    if after is not None and after > 5:
        weight = weights.complexity * math.log1p(after - 5)
        shift += weight
        before = facts.complexity_before
        text = (
            f"complexity {before} → {after}"
            if before is not None and before != after
            else f"complexity {after}"
        )
        factors.append(Factor("complexity", text, weight, float(after)))
    if after is not None and facts.complexity_before is not None:
        increase = after - facts.complexity_before
        if increase > 0:
            weight = weights.complexity_increase * math.log1p(increase)
            shift += weight
            factors.append(
                Factor(
                    "complexity_increase",
                    f"complexity {facts.complexity_before} → {after} (+{increase})",
                    weight,
                    float(increase),
                )
            )
    if facts.production_errors:
        weight = weights.production_errors * math.log1p(facts.production_errors)
        shift += weight
        factors.append(
            Factor(
                "production_errors",
                f"{_count(facts.production_errors, 'production error', 'production errors')}"
                " seen here",
                weight,
                float(facts.production_errors),
            )
        )
    if facts.author_file_changes == 0 and facts.file_changes > 0:
        weight = weights.first_change_by_author
        shift += weight
        factors.append(
            Factor("first_change", "first change to this file by its author", weight, 0.0)
        )

    probability = _sigmoid(_logit(base) + shift)
    return probability, _rank_factors(factors)


# Factors that say the same thing in other words: only the strongest of a family is shown.
_FAMILIES = {
    "exp": "author_experience",
    "rexp": "author_experience",
    "sexp": "author_experience",
    "first_change": "author_experience",
    "complexity": "complexity",
    "complexity_increase": "complexity",
    "la": "size",
    "ld": "size",
}


def _rank_factors(factors: list[Factor]) -> list[Factor]:
    """Risk-raising factors first, strongest first; one factor per family, and a complexity
    change is preferred to the plain complexity figure."""
    kept: dict[str, Factor] = {}
    for factor in factors:
        family = _FAMILIES.get(factor.name, factor.name)
        current = kept.get(family)
        stronger = current is not None and factor.contribution > current.contribution
        if (
            current is None
            or factor.name == "complexity_increase"
            or (current.name != "complexity_increase" and stronger)
        ):
            kept[family] = factor
    return sorted(kept.values(), key=lambda factor: -factor.contribution)


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number} {singular if number == 1 else plural}"
