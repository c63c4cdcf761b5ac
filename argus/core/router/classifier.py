"""The complexity classifier: which paid tier a generation request should start at.

A pure function of the request's shape. Points add up from six features; the total picks the
tier. The thresholds were set so that, over the reference mix of requests in
``tests/core/router/request_mix.py`` (mostly one-function regression tests from stack traces,
a third PR tests, a few explanations), paid requests split about 70 / 25 / 5 between Workers AI,
Haiku and Sonnet, the seed's target. docs/router.md lists the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from argus.core.router.generation import GenerationRequest, TaskKind, Tier

#: Upper bounds (inclusive) of context size in tokens for 0, 1, 2 and 3 points; above: 5.
CONTEXT_POINTS = ((1_500, 0), (3_000, 1), (6_000, 2), (12_000, 3))
CONTEXT_POINTS_ABOVE = 5
#: Files touched: 1 → 0 points, 2–3 → 1, 4 or more → 2.
FILE_POINTS = ((1, 0), (3, 1))
FILE_POINTS_ABOVE = 2
#: Symbols (functions, classes) involved: up to 3 → 0, up to 6 → 1, more → 2.
SYMBOL_POINTS = ((3, 0), (6, 1))
SYMBOL_POINTS_ABOVE = 2
#: Languages the small model handles well cost nothing; others one point.
EASY_LANGUAGES = frozenset({"python", "javascript", "typescript", "tsx"})
LANGUAGE_POINTS_OTHER = 1
TASK_POINTS = {TaskKind.REGRESSION_TEST: 0, TaskKind.PR_TEST: 1, TaskKind.EXPLAIN: 2}
#: Each past failure of this pattern adds two points, up to six.
FAILURE_POINTS_EACH = 2
FAILURE_POINTS_MAX = 6

#: Totals up to this start at Workers AI; up to HAIKU_MAX_SCORE at Haiku; above at Sonnet.
WORKERS_AI_MAX_SCORE = 3
HAIKU_MAX_SCORE = 6

#: Workers AI's Llama 3.1 8B window (prompt plus answer); larger requests start at Haiku.
SMALL_MODEL_CONTEXT_WINDOW = 7_968


@dataclass(frozen=True)
class ComplexityFeatures:
    """The six features the classifier reads."""

    context_tokens: int
    file_count: int
    symbol_count: int
    language: str | None
    task: TaskKind
    past_failures: int
    max_output_tokens: int = 1024

    @classmethod
    def of(cls, request: GenerationRequest) -> ComplexityFeatures:
        """The features of ``request``."""
        return cls(
            context_tokens=request.estimated_context_tokens,
            file_count=request.file_count,
            symbol_count=request.symbol_count,
            language=request.language,
            task=request.task,
            past_failures=request.past_failures,
            max_output_tokens=request.max_output_tokens,
        )


def _banded(value: int, bands: tuple[tuple[int, int], ...], above: int) -> int:
    for upper, points in bands:
        if value <= upper:
            return points
    return above


def complexity_score(features: ComplexityFeatures) -> int:
    """The sum of the feature points (0 for the simplest request)."""
    language = (features.language or "").lower()
    return (
        _banded(features.context_tokens, CONTEXT_POINTS, CONTEXT_POINTS_ABOVE)
        + _banded(features.file_count, FILE_POINTS, FILE_POINTS_ABOVE)
        + _banded(features.symbol_count, SYMBOL_POINTS, SYMBOL_POINTS_ABOVE)
        + (0 if language in EASY_LANGUAGES else LANGUAGE_POINTS_OTHER)
        + TASK_POINTS[features.task]
        + min(FAILURE_POINTS_MAX, FAILURE_POINTS_EACH * max(0, features.past_failures))
    )


def classify(features: ComplexityFeatures) -> Tier:
    """The paid tier to start at: ``WORKERS_AI``, ``HAIKU`` or ``SONNET``."""
    score = complexity_score(features)
    if score <= WORKERS_AI_MAX_SCORE:
        tier = Tier.WORKERS_AI
    elif score <= HAIKU_MAX_SCORE:
        tier = Tier.HAIKU
    else:
        tier = Tier.SONNET
    fits_small_model = (
        features.context_tokens + features.max_output_tokens <= SMALL_MODEL_CONTEXT_WINDOW
    )
    if tier is Tier.WORKERS_AI and not fits_small_model:
        return Tier.HAIKU
    return tier


def classify_request(request: GenerationRequest) -> Tier:
    """:func:`classify` applied to a request."""
    return classify(ComplexityFeatures.of(request))
