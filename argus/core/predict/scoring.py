"""The interface a risk model offers to the review (the shipped model and its adaptations)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from argus.core.predict.findings import Factor


class ScoringModel(Protocol):
    """Anything that turns change features into a calibrated probability with reasons."""

    @property
    def version(self) -> str:
        """A version string shown in reports."""
        ...

    def predict(self, features: Mapping[str, float]) -> float:
        """Calibrated probability that the change introduces a bug."""
        ...

    def explain(self, features: Mapping[str, float], top: int = 3) -> Sequence[Factor]:
        """The features that moved the score most, in plain words, strongest first."""
        ...

    def assess(self, features: Mapping[str, float], top: int = 3) -> tuple[float, Sequence[Factor]]:
        """``predict`` and ``explain`` together (one pass where the model allows it)."""
        ...

    def assess_many(
        self, rows: Sequence[Mapping[str, float]], top: int = 3
    ) -> list[tuple[float, Sequence[Factor]]]:
        """:meth:`assess` for many changes at once (vectorised where the model allows it)."""
        ...
