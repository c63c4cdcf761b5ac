"""The complexity classifier: table-driven cases and the split over the reference mix."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from argus.core.router.classifier import ComplexityFeatures, classify, complexity_score
from argus.core.router.generation import TaskKind, Tier
from tests.core.router.request_mix import sample_features


def features(**overrides: object) -> ComplexityFeatures:
    values: dict[str, object] = {
        "context_tokens": 900,
        "file_count": 1,
        "symbol_count": 1,
        "language": "python",
        "task": TaskKind.REGRESSION_TEST,
        "past_failures": 0,
    }
    values.update(overrides)
    return ComplexityFeatures(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "score", "tier"),
    [
        ({}, 0, Tier.WORKERS_AI),
        ({"language": "go"}, 1, Tier.WORKERS_AI),
        ({"task": TaskKind.PR_TEST, "file_count": 2, "context_tokens": 2500}, 3, Tier.WORKERS_AI),
        ({"task": TaskKind.PR_TEST, "file_count": 4, "context_tokens": 2500}, 4, Tier.HAIKU),
        ({"past_failures": 2}, 4, Tier.HAIKU),
        ({"past_failures": 9}, 6, Tier.HAIKU),
        ({"past_failures": 9, "language": "java"}, 7, Tier.SONNET),
        (
            {
                "task": TaskKind.EXPLAIN,
                "context_tokens": 20_000,
                "file_count": 5,
                "symbol_count": 9,
            },
            11,
            Tier.SONNET,
        ),
        # Too big for Llama 3.1 8B's 7,968-token window on Workers AI, however simple.
        ({"context_tokens": 7_500, "language": "python"}, 3, Tier.HAIKU),
    ],
)
def test_classify_table(overrides: dict[str, object], score: int, tier: Tier) -> None:
    subject = features(**overrides)
    assert complexity_score(subject) == score
    assert classify(subject) is tier


def test_each_feature_never_lowers_the_tier() -> None:
    order = [Tier.WORKERS_AI, Tier.HAIKU, Tier.SONNET]
    base = features(task=TaskKind.PR_TEST, context_tokens=2000, file_count=2)
    for bigger in (
        features(task=TaskKind.PR_TEST, context_tokens=9000, file_count=2),
        features(task=TaskKind.PR_TEST, context_tokens=2000, file_count=6),
        features(task=TaskKind.PR_TEST, context_tokens=2000, file_count=2, symbol_count=10),
        features(task=TaskKind.PR_TEST, context_tokens=2000, file_count=2, past_failures=1),
    ):
        assert order.index(classify(bigger)) >= order.index(classify(base))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_split_over_the_reference_mix_is_about_70_25_5(seed: int) -> None:
    generator = random.Random(seed)
    tiers = Counter(classify(sample_features(generator)) for _ in range(10_000))
    share = {tier: tiers[tier] / 10_000 for tier in (Tier.WORKERS_AI, Tier.HAIKU, Tier.SONNET)}
    assert share[Tier.WORKERS_AI] == pytest.approx(0.70, abs=0.03)
    assert share[Tier.HAIKU] == pytest.approx(0.25, abs=0.03)
    assert share[Tier.SONNET] == pytest.approx(0.05, abs=0.015)
