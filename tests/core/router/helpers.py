"""Shared builders for the router tests."""

from __future__ import annotations

from argus.core.router.generation import Generation, GenerationRequest, TaskKind, ValidationResult
from argus.core.router.prompts import RenderedPrompt

PROMPT = RenderedPrompt(
    name="generate_test",
    version="v1+0123abcd",
    system="You write tests.",
    user="def add(a, b):\n    return a + b\n",
    content_hash="0123abcd" * 8,
)


def make_request(**overrides: object) -> GenerationRequest:
    values: dict[str, object] = {
        "task": TaskKind.REGRESSION_TEST,
        "prompt": PROMPT,
        "tenant": "acme",
        "language": "python",
        "context_tokens": 800,
        "max_output_tokens": 400,
    }
    values.update(overrides)
    return GenerationRequest(**values)  # type: ignore[arg-type]


async def accept_all(generation: Generation) -> ValidationResult:
    return ValidationResult(True)


async def reject_all(generation: Generation) -> ValidationResult:
    return ValidationResult(False, "test fails on the head")


def accept_containing(marker: str):  # type: ignore[no-untyped-def]
    async def validate(generation: Generation) -> ValidationResult:
        if marker in generation.text:
            return ValidationResult(True)
        return ValidationResult(False, f"candidate lacks {marker!r}")

    return validate


class SleepRecorder:
    """An ``asyncio.sleep`` stand-in that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class ManualClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
