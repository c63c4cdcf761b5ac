"""A reference mix of generation requests, to check the classifier's split among paid tiers.

The shape, stated so it can be argued with: 60% regression tests from production errors (one
function, a stack trace, mostly small context), 35% PR tests (a changed function plus callers
and existing tests, more files), 5% explanations. Languages as a mostly Python/JS shop sees
them. Most patterns have never failed before; a few have failed once or twice.
"""

from __future__ import annotations

import random

from argus.core.router.classifier import ComplexityFeatures
from argus.core.router.generation import TaskKind

LANGUAGES = (
    ("python", 0.45),
    ("javascript", 0.2),
    ("typescript", 0.2),
    ("go", 0.1),
    ("java", 0.05),
)
TASKS = ((TaskKind.REGRESSION_TEST, 0.60), (TaskKind.PR_TEST, 0.35), (TaskKind.EXPLAIN, 0.05))
PAST_FAILURES = ((0, 0.85), (1, 0.10), (2, 0.04), (3, 0.01))


def _pick(generator: random.Random, table: tuple[tuple[object, float], ...]) -> object:
    roll = generator.random()
    for value, weight in table:
        roll -= weight
        if roll < 0:
            return value
    return table[-1][0]


def sample_features(generator: random.Random) -> ComplexityFeatures:
    """One request's features drawn from the reference mix."""
    task = _pick(generator, TASKS)
    assert isinstance(task, TaskKind)
    if task is TaskKind.REGRESSION_TEST:
        context = int(generator.lognormvariate(7.0, 0.5))  # median ~1,100 tokens
        files = 1 if generator.random() < 0.8 else generator.randint(2, 3)
        symbols = generator.randint(1, 3)
    elif task is TaskKind.PR_TEST:
        context = int(generator.lognormvariate(7.6, 0.55))  # median ~2,000 tokens
        files = generator.choice((1, 1, 2, 2, 3, 4, 5))
        symbols = generator.randint(1, 6)
    else:
        context = int(generator.lognormvariate(8.0, 0.6))  # median ~3,000 tokens
        files = generator.randint(1, 6)
        symbols = generator.randint(1, 8)
    language = _pick(generator, LANGUAGES)
    failures = _pick(generator, PAST_FAILURES)
    assert isinstance(language, str) and isinstance(failures, int)
    return ComplexityFeatures(
        context_tokens=context,
        file_count=files,
        symbol_count=symbols,
        language=language,
        task=task,
        past_failures=failures,
    )
