"""The values that flow through the router: requests, generations, attempts and the result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from argus.core.router.prompts import RenderedPrompt


class Tier(StrEnum):
    """Tiers from cheapest to dearest; ``openai_compatible`` is placed by configuration."""

    CACHE = "cache"
    LOCAL = "local"
    WORKERS_AI = "workers_ai"
    OPENAI_COMPATIBLE = "openai_compatible"
    HAIKU = "haiku"
    SONNET = "sonnet"


#: Tiers that cost nothing per request (the cache and the deterministic generators).
FREE_TIERS = frozenset({Tier.CACHE, Tier.LOCAL})


class TaskKind(StrEnum):
    """What the generation is for; harder kinds start at a higher tier."""

    REGRESSION_TEST = "regression_test"
    PR_TEST = "pr_test"
    EXPLAIN = "explain"


class Outcome(StrEnum):
    """How one attempt ended (the ledger's ``outcome`` column)."""

    OK = "ok"
    INVALID = "invalid"
    ERROR = "error"
    TIMEOUT = "timeout"
    MISS = "miss"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class GenerationRequest:
    """One thing to generate, with what the classifier needs to pick a starting tier.

    ``context`` carries whatever the local (deterministic) generator needs (the function, the
    error event, ...); paid providers only see ``prompt``.
    """

    task: TaskKind
    prompt: RenderedPrompt
    tenant: str = "local"
    cache_key: str | None = None
    language: str | None = None
    file_count: int = 1
    symbol_count: int = 1
    past_failures: int = 0
    context_tokens: int | None = None
    max_output_tokens: int = 1024
    context: Mapping[str, object] = field(default_factory=dict)

    @property
    def estimated_context_tokens(self) -> int:
        """``context_tokens`` when given, else the prompt's size (four characters a token)."""
        if self.context_tokens is not None:
            return self.context_tokens
        return self.prompt.estimated_tokens


@dataclass(frozen=True)
class Generation:
    """A provider's answer. ``input_tokens`` excludes cached input, counted in ``cached_tokens``."""

    text: str
    provider: str
    tier: Tier
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    latency_seconds: float = 0.0
    request_id: str | None = None


@dataclass(frozen=True)
class ValidationResult:
    """What the validator said about a candidate: ``ok``, or the reason it was rejected."""

    ok: bool
    reason: str | None = None


@dataclass(frozen=True)
class Attempt:
    """One step of a routing: a cache lookup, a provider request (after its retries), or a skip."""

    tier: Tier
    provider: str
    model: str
    outcome: Outcome
    reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    dollars: float = 0.0
    latency_seconds: float = 0.0
    tries: int = 0


@dataclass
class RoutedResult:
    """The end of a routing: the accepted generation (if any) and every attempt that led there."""

    generation: Generation | None
    validation: ValidationResult | None
    attempts: list[Attempt]
    cache_hit: bool = False
    budget_limited: bool = False
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """True when a generation passed validation."""
        return self.generation is not None and self.validation is not None and self.validation.ok

    @property
    def tier(self) -> Tier | None:
        """The tier of the accepted generation."""
        return None if self.generation is None else self.generation.tier

    @property
    def dollars(self) -> float:
        """What all attempts of this routing cost."""
        return sum(attempt.dollars for attempt in self.attempts)


class ModelProvider(Protocol):
    """One narrow port per model service: a name, a tier, and ``generate``.

    ``generate`` raises only :class:`argus.core.router.errors.ProviderError` subclasses.
    """

    @property
    def name(self) -> str:
        """Provider name as recorded in the ledger (``anthropic``, ``workers_ai``, ...)."""
        ...

    @property
    def tier(self) -> Tier:
        """The tier this provider serves."""
        ...

    @property
    def model(self) -> str:
        """The model id requests go to."""
        ...

    async def generate(self, request: GenerationRequest) -> Generation:
        """Answer ``request`` or raise a ``ProviderError``."""
        ...
