"""The shipped just-in-time risk model: load it, score a change, explain the score.

Pure Python at run time (no numpy): the model is a sum of shallow regression trees over
log-scaled and relative change features, followed by Platt scaling to a probability.
Explanations credit each split's change in expected value to the split's feature, so the
contributions of one change add up exactly to its log-odds score minus the model's baseline.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from argus.core.errors import ModelError
from argus.core.predict.findings import Factor

FORMAT_NAME = "argus-jit-model"
FORMAT_VERSION = 1
DEFAULT_MODEL_FILE = "risk-v2.json"

FEATURE_NAMES: tuple[str, ...] = (
    "ns",
    "nd",
    "nf",
    "entropy",
    "la",
    "ld",
    "lt",
    "fix",
    "ndev",
    "age",
    "nuc",
    "exp",
    "rexp",
    "sexp",
)

# Raw features beyond Kamei's fourteen that a model file may also name (see
# argus/core/predict/features.py: ``context_features``).
CONTEXT_FEATURE_NAMES: tuple[str, ...] = (
    "la_code",
    "ld_code",
    "nf_test",
    "nf_other",
    "prior_fixes",
    "owner_share",
)


def _log(value: float) -> float:
    return math.log1p(max(value, 0.0))


def _relative_added(raw: Mapping[str, float]) -> float:
    # Share of the touched files' code after the change that this change wrote.
    return raw["la"] / max(raw["lt"] + raw["la"], 1.0)


def _relative_deleted(raw: Mapping[str, float]) -> float:
    return min(raw["ld"] / max(raw["lt"], 1.0), 1.0)


def _spread(raw: Mapping[str, float]) -> float:
    # Entropy normalised by its maximum for this many files: 1.0 means evenly spread.
    files = max(raw["nf"], 1.0)
    return raw["entropy"] / math.log2(files) if files > 1 else 0.0


# Derived feature -> (raw feature it is credited to, formula). The list is part of the file
# format: a model file names the derived features it was trained on and must match this.
DERIVED_FEATURES: Mapping[str, tuple[str, Callable[[Mapping[str, float]], float]]] = {
    "log_ns": ("ns", lambda raw: _log(raw["ns"])),
    "log_nd": ("nd", lambda raw: _log(raw["nd"])),
    "log_nf": ("nf", lambda raw: _log(raw["nf"])),
    "entropy": ("entropy", lambda raw: raw["entropy"]),
    "log_la": ("la", lambda raw: _log(raw["la"])),
    "log_ld": ("ld", lambda raw: _log(raw["ld"])),
    "log_lt": ("lt", lambda raw: _log(raw["lt"])),
    "fix": ("fix", lambda raw: raw["fix"]),
    "log_ndev": ("ndev", lambda raw: _log(raw["ndev"])),
    "log_age": ("age", lambda raw: _log(raw["age"])),
    "log_nuc": ("nuc", lambda raw: _log(raw["nuc"])),
    "log_exp": ("exp", lambda raw: _log(raw["exp"])),
    "log_rexp": ("rexp", lambda raw: _log(raw["rexp"])),
    "log_sexp": ("sexp", lambda raw: _log(raw["sexp"])),
    "relative_added": ("la", _relative_added),
    "relative_deleted": ("ld", _relative_deleted),
    "log_added_per_file": ("la", lambda raw: _log(raw["la"] / max(raw["nf"], 1.0))),
    "log_size_per_file": ("lt", lambda raw: _log(raw["lt"] / max(raw["nf"], 1.0))),
    "spread": ("entropy", _spread),
    "log_la_code": ("la_code", lambda raw: _log(raw["la_code"])),
    "log_ld_code": ("ld_code", lambda raw: _log(raw["ld_code"])),
    "log_nf_test": ("nf_test", lambda raw: _log(raw["nf_test"])),
    "log_nf_other": ("nf_other", lambda raw: _log(raw["nf_other"])),
    "log_prior_fixes": ("prior_fixes", lambda raw: _log(raw["prior_fixes"])),
    "owner_share": ("owner_share", lambda raw: raw["owner_share"]),
    # How fix-prone the touched files' history is: log of fixes over log of all changes.
    "fix_share": ("prior_fixes", lambda raw: _log(raw["prior_fixes"]) - _log(raw["nuc"])),
}


def complete_features(
    features: Mapping[str, float],
    imputation: Mapping[str, float],
    names: Sequence[str] = FEATURE_NAMES,
) -> dict[str, float]:
    """The raw features ``names``, missing or non-finite ones replaced by ``imputation``."""
    completed: dict[str, float] = {}
    for name in names:
        value = features.get(name)
        if value is None or not math.isfinite(float(value)):
            fallback = _KIND_FALLBACKS.get(name)
            if fallback is not None and fallback in completed:
                # Without file kinds every changed line counts as code and no file as a test,
                # doc or config file: the reading that never hides a big change.
                value = completed[fallback] if fallback != "" else 0.0
            elif fallback == "":
                value = 0.0
            else:
                value = imputation.get(name, 0.0)
        completed[name] = float(value)
    return completed


# Context features whose absence means "no file kinds known": name -> raw feature to copy
# ("" for zero). Kamei's features come first in every model, so the copy is already complete.
_KIND_FALLBACKS: Mapping[str, str] = {
    "la_code": "la",
    "ld_code": "ld",
    "nf_test": "",
    "nf_other": "",
}


def derive_features(
    features: Mapping[str, float],
    names: Sequence[str],
    imputation: Mapping[str, float],
    raw_names: Sequence[str] = FEATURE_NAMES,
) -> list[float]:
    """The model's inputs, in ``names`` order, from raw features (imputing missing ones)."""
    raw = complete_features(features, imputation, raw_names)
    return [DERIVED_FEATURES[name][1](raw) for name in names]


@dataclass(frozen=True)
class _Tree:
    # Parallel arrays; a node with feature -1 is a leaf. ``value`` holds the expected
    # contribution of every node (for internal nodes: the training-count weighted mean).
    feature: tuple[int, ...]
    threshold: tuple[float, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    value: tuple[float, ...]


@dataclass(frozen=True)
class RiskModel:
    """A loaded model: calibrated probability and per-feature reasons for one change."""

    version: str
    feature_names: tuple[str, ...]
    derived_names: tuple[str, ...]
    imputation: Mapping[str, float]
    baseline: float
    trees: tuple[_Tree, ...]
    calibration_slope: float
    calibration_intercept: float
    decision_threshold: float
    metadata: Mapping[str, Any]

    def margin(self, features: Mapping[str, float]) -> float:
        """The uncalibrated log-odds score of a change."""
        inputs = derive_features(features, self.derived_names, self.imputation, self.feature_names)
        total = self.baseline
        for tree in self.trees:
            node = 0
            feature = tree.feature
            while feature[node] >= 0:
                if inputs[feature[node]] <= tree.threshold[node]:
                    node = tree.left[node]
                else:
                    node = tree.right[node]
            total += tree.value[node]
        return total

    def calibrate(self, margin: float) -> float:
        """The probability for a log-odds score (Platt scaling fitted on held-out changes)."""
        z = self.calibration_slope * margin + self.calibration_intercept
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        exp_z = math.exp(z)
        return exp_z / (1.0 + exp_z)

    def predict(self, features: Mapping[str, float]) -> float:
        """Calibrated probability that the change introduces a bug."""
        return self.calibrate(self.margin(features))

    def contributions(self, features: Mapping[str, float]) -> dict[str, float]:
        """Signed log-odds contribution per raw feature (they sum to margin minus base)."""
        totals = self._path_totals(features)
        # Calibration rescales log-odds; report contributions on the calibrated scale.
        return {name: value * self.calibration_slope for name, value in totals.items()}

    def assess(self, features: Mapping[str, float], top: int = 3) -> tuple[float, list[Factor]]:
        """``predict`` and ``explain`` in one walk of the trees (what a review needs)."""
        totals = self._path_totals(features)
        probability = self.calibrate(self._root_total + sum(totals.values()))
        scaled = {name: value * self.calibration_slope for name, value in totals.items()}
        return probability, self._factors(features, scaled, top)

    def assess_many(
        self, rows: Sequence[Mapping[str, float]], top: int = 3
    ) -> list[tuple[float, Sequence[Factor]]]:
        """:meth:`assess` for many changes. (Vectorising with numpy was measured: its import
        costs more than the tree walks it saves for a few hundred functions.)"""
        return [self.assess(row, top) for row in rows]

    def _path_totals(self, features: Mapping[str, float]) -> dict[str, float]:
        inputs = derive_features(features, self.derived_names, self.imputation, self.feature_names)
        owners = [DERIVED_FEATURES[name][0] for name in self.derived_names]
        totals = dict.fromkeys(self.feature_names, 0.0)
        for tree in self.trees:
            node = 0
            while tree.feature[node] >= 0:
                index = tree.feature[node]
                if inputs[index] <= tree.threshold[node]:
                    child = tree.left[node]
                else:
                    child = tree.right[node]
                totals[owners[index]] += tree.value[child] - tree.value[node]
                node = child
        return totals

    @cached_property
    def _root_total(self) -> float:
        return self.baseline + sum(tree.value[0] for tree in self.trees)

    @property
    def base_log_odds(self) -> float:
        """Calibrated log-odds of a change whose every contribution is zero."""
        return self.calibration_slope * self._root_total + self.calibration_intercept

    def explain(self, features: Mapping[str, float], top: int = 3) -> list[Factor]:
        """The ``top`` features that moved the score most, strongest first, in plain words."""
        return self._factors(features, self.contributions(features), top)

    def _factors(
        self, features: Mapping[str, float], contributions: Mapping[str, float], top: int
    ) -> list[Factor]:
        raw = complete_features(features, self.imputation, self.feature_names)
        ranked = sorted(contributions.items(), key=lambda item: (-abs(item[1]), item[0]))
        factors: list[Factor] = []
        for name, contribution in ranked:
            # An imputed feature is not a fact about this change, so it is no reason to show.
            if len(factors) >= top or contribution == 0.0:
                break
            if name not in features:
                continue
            twin = _SAME_COUNT.get(name)
            if twin and any(f.name == twin for f in factors) and raw[twin] == raw[name]:
                continue  # "169 lines added" after "169 lines of code added": the same fact
            factors.append(
                Factor(
                    name=name,
                    text=describe(name, raw),
                    contribution=round(contribution, 4),
                    value=raw[name],
                )
            )
        return factors


# Counts that say the same thing when every changed line is code.
_SAME_COUNT = {"la": "la_code", "la_code": "la", "ld": "ld_code", "ld_code": "ld"}


def _count(value: float) -> str:
    return f"{round(value):,}"


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number:,}{suffix}"


def _plural(value: float, word: str) -> str:
    shown = round(value)
    return f"{shown:,} {word}" + ("" if shown == 1 else "s")


def describe(name: str, raw: Mapping[str, float]) -> str:
    """Plain words for one raw feature of a change."""
    value = raw[name]
    texts: dict[str, Callable[[], str]] = {
        "la": lambda: f"{_plural(value, 'line')} added",
        "ld": lambda: f"{_plural(value, 'line')} deleted",
        "lt": lambda: f"touched files held {_plural(value, 'line')} before the change",
        "nf": lambda: (
            f"touches {_plural(value, 'file')} in {_plural(raw['nd'], 'directory')}"
            if round(raw["nd"]) == 1
            else f"touches {_plural(value, 'file')} in {_count(raw['nd'])} directories"
        ),
        "nd": lambda: f"spans {_count(value)} director{'y' if round(value) == 1 else 'ies'}",
        "ns": lambda: f"spans {_plural(value, 'subsystem')}",
        "entropy": lambda: (
            f"edits spread across files (entropy {value:.2f} bits)"
            if value >= 1.0
            else f"edits concentrated in few files (entropy {value:.2f} bits)"
        ),
        # A range's "fix" is the share of its commits that are fixes (range_features).
        "fix": lambda: (
            "a bug-fix change"
            if value >= 0.999
            else "not a bug-fix change"
            if value <= 0.001
            else f"{value:.0%} of its commits are bug fixes"
        ),
        "ndev": lambda: f"files changed by {_plural(value, 'developer')} before",
        "age": lambda: f"files last changed {_plural(value, 'day')} before, on average",
        "nuc": lambda: f"files changed in {_plural(value, 'earlier commit')}",
        "exp": lambda: f"author's {_ordinal(round(value) + 1)} change to the project",
        "rexp": lambda: f"author's recent experience {value:,.1f} (changes weighted by recency)",
        "sexp": lambda: f"author's {_ordinal(round(value) + 1)} change to this subsystem",
        "la_code": lambda: f"{_plural(value, 'line')} of code added (tests and docs aside)",
        "ld_code": lambda: f"{_plural(value, 'line')} of code deleted (tests and docs aside)",
        "nf_test": lambda: (
            f"changes {_plural(value, 'test file')}" if value >= 0.5 else "changes no test file"
        ),
        "nf_other": lambda: f"{_plural(value, 'file')} of docs, configuration or data",
        "prior_fixes": lambda: f"touched files needed {_plural(value, 'bug fix')} before",
        "owner_share": lambda: f"author wrote {value:.0%} of the touched files' earlier changes",
    }
    return texts[name]() if name in texts else f"{name} = {value:g}"


def _require(condition: bool, source: str, problem: str) -> None:
    if not condition:
        raise ModelError(f"model file {source} is corrupt: {problem}; reinstall or retrain it")


def _tree_from(data: Any, derived_count: int, source: str) -> _Tree:
    _require(isinstance(data, dict), source, "a tree is not an object")
    try:
        tree = _Tree(
            feature=tuple(int(x) for x in data["feature"]),
            threshold=tuple(float(x) for x in data["threshold"]),
            left=tuple(int(x) for x in data["left"]),
            right=tuple(int(x) for x in data["right"]),
            value=tuple(float(x) for x in data["value"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ModelError(f"model file {source} is corrupt: bad tree ({error})") from error
    size = len(tree.feature)
    _require(size > 0, source, "empty tree")
    _require(
        all(len(part) == size for part in (tree.threshold, tree.left, tree.right, tree.value)),
        source,
        "tree arrays differ in length",
    )
    for node in range(size):
        if tree.feature[node] >= 0:
            _require(tree.feature[node] < derived_count, source, "split on an unknown feature")
            # Children come after their parent, so walking a tree always terminates.
            _require(
                node < tree.left[node] < size and node < tree.right[node] < size,
                source,
                "tree child out of range",
            )
    return tree


def model_from_dict(data: Any, source: str = "<memory>") -> RiskModel:
    """Build a model from the parsed JSON document; raises ModelError if it is not one."""
    _require(isinstance(data, dict), source, "top level is not an object")
    _require(data.get("format") == FORMAT_NAME, source, f"format is not {FORMAT_NAME!r}")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelError(
            f"model file {source} has format version {version!r}; this Argus reads version "
            f"{FORMAT_VERSION} (upgrade Argus or retrain with scripts/train_model.py)"
        )
    try:
        feature_names = tuple(str(x) for x in data["feature_names"])
        derived_names = tuple(str(x) for x in data["derived_features"])
        imputation = {str(k): float(v) for k, v in data["imputation"]["values"].items()}
        calibration = data["calibration"]
        model = RiskModel(
            version=str(data["model_version"]),
            feature_names=feature_names,
            derived_names=derived_names,
            imputation=imputation,
            baseline=float(data["baseline"]),
            trees=tuple(_tree_from(tree, len(derived_names), source) for tree in data["trees"]),
            calibration_slope=float(calibration["slope"]),
            calibration_intercept=float(calibration["intercept"]),
            decision_threshold=float(data["decision_threshold"]),
            metadata=dict(data.get("training", {})),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ModelError(f"model file {source} is corrupt: missing or bad {error}") from error
    _require(
        feature_names in (FEATURE_NAMES, FEATURE_NAMES + CONTEXT_FEATURE_NAMES),
        source,
        "unexpected feature names",
    )
    unknown = [name for name in derived_names if name not in DERIVED_FEATURES]
    _require(not unknown, source, f"unknown derived features {unknown}")
    _require(
        all(DERIVED_FEATURES[name][0] in feature_names for name in derived_names)
        and "nuc" in feature_names,
        source,
        "a derived feature needs a raw feature the file does not name",
    )
    _require(set(imputation) >= set(feature_names), source, "imputation values incomplete")
    return model


def load_model(path: Path | None = None) -> RiskModel:
    """Load a model file; without ``path``, the model shipped inside ``argus.core.predict``."""
    try:
        if path is None:
            source = f"argus.core.predict/model/{DEFAULT_MODEL_FILE}"
            text = resources.files("argus.core.predict").joinpath("model", DEFAULT_MODEL_FILE)
            content = text.read_text(encoding="utf-8")
        else:
            source = str(path)
            content = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ModelError(f"cannot read model file: {error}") from error
    try:
        data = json.loads(content)
    except json.JSONDecodeError as error:
        raise ModelError(f"model file {source} is not valid JSON ({error})") from error
    return model_from_dict(data, source)
