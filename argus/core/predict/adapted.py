"""The shipped model with this repository's learnt correction applied on top."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from argus.core.predict.adapt import EXTRA_FEATURES, Adaptation
from argus.core.predict.findings import Factor
from argus.core.predict.scoring import ScoringModel


class AdaptedModel:
    """A ScoringModel: the base model's probability recalibrated by an Adaptation.

    The adaptation's extra features (``file_fixes``, ``file_bugs``, already log1p-scaled) are
    read from the same feature mapping; absent ones count as zero.
    """

    def __init__(self, base: ScoringModel, adaptation: Adaptation):
        self.base = base
        self.adaptation = adaptation

    @property
    def version(self) -> str:
        """The base version, marked as adapted with the cut-off of the labels it learnt from."""
        return f"{self.base.version}+repo@{self.adaptation.cutoff_time}"

    def predict(self, features: Mapping[str, float]) -> float:
        """The base probability, recalibrated for this repository."""
        extras = {name: features.get(name, 0.0) for name in EXTRA_FEATURES}
        return self.adaptation.adjust(self.base.predict(features), extras)

    def assess(self, features: Mapping[str, float], top: int = 3) -> tuple[float, Sequence[Factor]]:
        """The adapted probability and its reasons, from one pass of the base model."""
        probability, factors = self.base.assess(features, top=top)
        extras = {name: features.get(name, 0.0) for name in EXTRA_FEATURES}
        return self.adaptation.adjust(probability, extras), self._with_own_history(
            features, list(factors), top
        )

    def assess_many(
        self, rows: Sequence[Mapping[str, float]], top: int = 3
    ) -> list[tuple[float, Sequence[Factor]]]:
        """:meth:`assess` for many changes, the base model scoring them in one batch."""
        results: list[tuple[float, Sequence[Factor]]] = []
        for features, (probability, factors) in zip(
            rows, self.base.assess_many(rows, top=top), strict=True
        ):
            extras = {name: features.get(name, 0.0) for name in EXTRA_FEATURES}
            results.append(
                (
                    self.adaptation.adjust(probability, extras),
                    self._with_own_history(features, list(factors), top),
                )
            )
        return results

    def explain(self, features: Mapping[str, float], top: int = 3) -> Sequence[Factor]:
        """The base model's reasons, plus the repository's own bug history when it weighs in."""
        return self._with_own_history(features, list(self.base.explain(features, top=top)), top)

    def _with_own_history(
        self, features: Mapping[str, float], factors: list[Factor], top: int
    ) -> list[Factor]:
        weight = self.adaptation.weights.get("file_bugs", 0.0)
        bugs = features.get("file_bugs", 0.0)
        if weight > 0 and bugs > 0:
            factors.append(
                Factor(
                    "file_bugs",
                    "these files had bugs introduced before (learnt from this repository)",
                    weight * bugs,
                    bugs,
                )
            )
        factors.sort(key=lambda factor: -factor.contribution)
        return factors[:top]
