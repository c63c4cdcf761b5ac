"""The shipped JIT model, its loader, its explanations and the training recipe."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from argus.core.errors import ModelError
from argus.core.predict.findings import Factor
from argus.core.predict.jit_data import LabelledChange
from argus.core.predict.model import (
    CONTEXT_FEATURE_NAMES,
    FEATURE_NAMES,
    RiskModel,
    load_model,
    model_from_dict,
)

ONE_LINER = {
    "ns": 1, "nd": 1, "nf": 1, "entropy": 0.0, "la": 1, "ld": 0, "lt": 300, "fix": 0,
    "ndev": 3, "age": 40.0, "nuc": 5, "exp": 800, "rexp": 60.0, "sexp": 150,
}  # fmt: skip
HUGE_DIFFUSE = {
    "ns": 5, "nd": 14, "nf": 40, "entropy": 4.8, "la": 3200, "ld": 900, "lt": 25000, "fix": 1,
    "ndev": 45, "age": 4.0, "nuc": 400, "exp": 2, "rexp": 0.5, "sexp": 1,
}  # fmt: skip


@pytest.fixture(scope="module")
def model() -> RiskModel:
    return load_model()


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    root = Path(__file__).resolve().parents[3]
    path = root / "argus" / "core" / "predict" / "model" / "risk-v2.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def test_shipped_model_loads_with_the_fourteen_and_the_context_features(model: RiskModel) -> None:
    assert model.version == "risk-v2"
    assert model.feature_names == FEATURE_NAMES + CONTEXT_FEATURE_NAMES
    assert len(FEATURE_NAMES) == 14
    assert model.trees


def test_shipped_model_records_its_training(document: dict[str, Any]) -> None:
    training = document["training"]
    # Trained on the mined corpus of real histories (benchmarks/history_corpus).
    assert {"flask", "requests", "pytest", "gin", "express"} <= set(training["projects"])
    assert 0.0 < training["positive_rate"] < 1.0
    assert len(training["recipe_hash"]) == 64
    assert document["calibration"]["method"] == "platt"
    assert set(document["imputation"]["values"]) == set(FEATURE_NAMES + CONTEXT_FEATURE_NAMES)


@pytest.mark.parametrize("features", [ONE_LINER, HUGE_DIFFUSE, {}, {"la": 10, "ld": 2}])
def test_predictions_are_probabilities(model: RiskModel, features: dict[str, float]) -> None:
    assert 0.0 <= model.predict(features) <= 1.0


def test_huge_diffuse_change_scores_above_one_liner(model: RiskModel) -> None:
    assert model.predict(HUGE_DIFFUSE) > model.predict(ONE_LINER) + 0.2


def test_more_added_lines_do_not_lower_the_risk_much(model: RiskModel) -> None:
    scores = [model.predict({**ONE_LINER, "la": la}) for la in (1, 10, 100, 1000)]
    assert scores[-1] > scores[0]


def test_missing_lt_is_imputed(model: RiskModel) -> None:
    without_lt = {key: value for key, value in HUGE_DIFFUSE.items() if key != "lt"}
    imputed = {**without_lt, "lt": model.imputation["lt"]}
    assert model.predict(without_lt) == pytest.approx(model.predict(imputed))


def test_explain_returns_at_most_top_factors_with_text(model: RiskModel) -> None:
    for top in (1, 3, 5):
        factors = model.explain(HUGE_DIFFUSE, top=top)
        assert 0 < len(factors) <= top
        assert all(isinstance(factor, Factor) and factor.text for factor in factors)
        magnitudes = [abs(factor.contribution) for factor in factors]
        assert magnitudes == sorted(magnitudes, reverse=True)


def test_explain_signs_follow_the_prediction(model: RiskModel) -> None:
    risky = model.explain(HUGE_DIFFUSE, top=1)[0]
    safe = model.explain(ONE_LINER, top=1)[0]
    assert risky.contribution > 0
    assert safe.contribution < 0


def test_contributions_add_up_to_the_score(model: RiskModel) -> None:
    import math

    for features in (ONE_LINER, HUGE_DIFFUSE):
        total = model.base_log_odds + sum(model.contributions(features).values())
        probability = 1.0 / (1.0 + math.exp(-total))
        assert probability == pytest.approx(model.predict(features), abs=1e-9)


def test_explanation_text_is_plain_words(model: RiskModel) -> None:
    texts = {factor.name: factor.text for factor in model.explain(HUGE_DIFFUSE, top=14)}
    assert texts.get("la") == "3,200 lines added"
    assert texts.get("fix", "a bug-fix change") == "a bug-fix change"


def test_imputed_features_are_not_given_as_reasons(model: RiskModel) -> None:
    factors = model.explain({"la": 5000}, top=14)
    assert [factor.name for factor in factors] == ["la"]


def test_json_round_trips(document: dict[str, Any], model: RiskModel) -> None:
    again = model_from_dict(json.loads(json.dumps(document)))
    assert again.predict(HUGE_DIFFUSE) == model.predict(HUGE_DIFFUSE)


def test_corrupt_file_raises_model_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="not valid JSON"):
        load_model(broken)


def test_missing_file_raises_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot read"):
        load_model(tmp_path / "absent.json")


def test_unknown_format_version_raises_model_error(
    tmp_path: Path, document: dict[str, Any]
) -> None:
    future = tmp_path / "future.json"
    future.write_text(json.dumps({**document, "format_version": 99}), encoding="utf-8")
    with pytest.raises(ModelError, match="format version 99"):
        load_model(future)


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.pop("trees"),
        lambda d: d["trees"][0].update(left=[5] * len(d["trees"][0]["left"])),
        lambda d: d["trees"][0].update(feature=[99] + d["trees"][0]["feature"][1:]),
        lambda d: d.update(derived_features=["no_such_feature"] + d["derived_features"][1:]),
        lambda d: d["calibration"].update(slope="steep"),
    ],
)
def test_damaged_document_raises_model_error(document: dict[str, Any], damage: Any) -> None:
    copy = json.loads(json.dumps(document))
    damage(copy)
    with pytest.raises(ModelError):
        model_from_dict(copy)


def _synthetic_changes(count: int, seed: int) -> list[LabelledChange]:
    generator = random.Random(seed)
    changes = []
    for index in range(count):
        la = generator.randint(0, 400)
        fix = generator.random() < 0.3
        features = {name: float(generator.randint(0, 50)) for name in FEATURE_NAMES}
        features.update(la=float(la), fix=float(fix), lt=float(generator.randint(10, 5000)))
        buggy = generator.random() < min(0.9, 0.1 + la / 500 + (0.2 if fix else 0.0))
        changes.append(
            LabelledChange(
                project="p1" if index % 2 else "p2",
                commit=f"{index:040x}",
                date=1_500_000_000 + index * 3600,
                buggy=buggy,
                features=features,
            )
        )
    return changes


def test_training_is_deterministic_and_loadable() -> None:
    from argus.core.predict.jit_training import dumps, train

    changes = _synthetic_changes(600, seed=7)
    first = dumps(train(changes))
    second = dumps(train(list(reversed(changes))))
    assert first == second
    trained = model_from_dict(json.loads(first))
    assert trained.predict({**ONE_LINER, "la": 390, "fix": 1}) > trained.predict(ONE_LINER)
    assert trained.metadata["projects"]["p1"]["rows"] == 300


def test_a_fourteen_feature_model_still_loads_and_ignores_context() -> None:
    from argus.core.predict.jit_training import JIT_V1_RECIPE, train

    document = train(_synthetic_changes(400, seed=3), JIT_V1_RECIPE, "jit-v1")
    loaded = model_from_dict(json.loads(json.dumps(document)))
    assert loaded.feature_names == FEATURE_NAMES
    assert loaded.predict({**ONE_LINER, "la_code": 9999.0}) == loaded.predict(ONE_LINER)


def test_a_file_naming_unknown_raw_features_is_refused(document: dict[str, Any]) -> None:
    copy = json.loads(json.dumps(document))
    copy["feature_names"] = [*copy["feature_names"], "lines_of_emoji"]
    with pytest.raises(ModelError, match="unexpected feature names"):
        model_from_dict(copy)


def test_context_features_are_explained_in_plain_words(model: RiskModel) -> None:
    features = {**HUGE_DIFFUSE, "la_code": 0.0, "ld_code": 0.0, "nf_test": 3.0, "nf_other": 2.0}
    texts = {factor.name: factor.text for factor in model.explain(features, top=20)}
    assert texts.get("la_code", "0 lines of code added (tests and docs aside)") == (
        "0 lines of code added (tests and docs aside)"
    )
    assert any(name in texts for name in CONTEXT_FEATURE_NAMES)


def test_lines_added_is_said_once_when_every_added_line_is_code(model: RiskModel) -> None:
    all_code = {**HUGE_DIFFUSE, "la_code": 3200.0, "ld_code": 900.0}
    texts = [factor.text for factor in model.explain(all_code, top=6)]
    assert sum("3,200 lines" in text for text in texts) == 1, texts
    some_tests = {**HUGE_DIFFUSE, "la_code": 2000.0, "ld_code": 900.0}
    names = [factor.name for factor in model.explain(some_tests, top=20)]
    assert {"la", "la_code"} <= set(names)  # different counts: both are facts
