"""The router: cache, then the free tier, then paid tiers from the classifier's pick upwards.

Each candidate is validated by the caller's ``validate``; a rejected one escalates to the next
tier. Provider errors are retried with backoff (429/5xx/timeouts), each provider sits behind
its own circuit breaker, and a tier that is down falls back to the next one (and, when every
tier above is down too, to the paid tiers below the starting one). Every request is written to
the cost ledger; a tenant over its monthly budget gets the free tiers only, and the result says
so.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from argus.core.errors import ArgusError, ConfigError
from argus.core.router.cache import PatternCache, cached_text
from argus.core.router.classifier import classify_request
from argus.core.router.errors import BudgetExceeded, NoCandidate, ProviderError, ProviderTimeout
from argus.core.router.generation import (
    Attempt,
    Generation,
    GenerationRequest,
    ModelProvider,
    Outcome,
    RoutedResult,
    Tier,
    ValidationResult,
)
from argus.core.router.ledger import CostLedger, LedgerEntry
from argus.core.router.prices import PriceTable
from argus.core.router.providers.base import RemoteProvider
from argus.core.router.resilience import (
    CircuitBreaker,
    Clock,
    RetryOutcome,
    RetryPolicy,
    Sleep,
    call_with_retries,
)

Validate = Callable[[Generation], Awaitable[ValidationResult]]

#: Cost rank of each tier; ``max_tier`` and the classifier's pick compare by rank, so a
#: self-hosted ``openai_compatible`` endpoint configured in place of Workers AI ranks with it.
TIER_RANK = {
    Tier.CACHE: 0,
    Tier.LOCAL: 1,
    Tier.WORKERS_AI: 2,
    Tier.OPENAI_COMPATIBLE: 2,
    Tier.HAIKU: 3,
    Tier.SONNET: 4,
}

DEFAULT_PAID_ORDER = (Tier.WORKERS_AI, Tier.HAIKU, Tier.SONNET)


@dataclass(frozen=True)
class RouterSettings:
    """Tier order, caps and resilience knobs; validated once, passed in explicitly."""

    paid_order: tuple[Tier, ...] = DEFAULT_PAID_ORDER
    max_tier: Tier = Tier.SONNET
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker_failure_threshold: int = 5
    breaker_cool_down: float = 30.0

    def __post_init__(self) -> None:
        bad = [tier for tier in self.paid_order if tier in (Tier.CACHE, Tier.LOCAL)]
        if bad or len(set(self.paid_order)) != len(self.paid_order):
            raise ConfigError("paid_order lists paid tiers, each once (cache and local are free)")


class Router:
    """Routes generation requests through the tiers; see the module docstring."""

    def __init__(
        self,
        providers: Sequence[ModelProvider],
        prices: PriceTable,
        *,
        ledger: CostLedger | None = None,
        cache: PatternCache | None = None,
        settings: RouterSettings | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        generator: random.Random | None = None,
    ):
        self.settings = settings or RouterSettings()
        self.prices = prices
        self.ledger = ledger
        self.cache = cache
        self._sleep = sleep
        self._random = generator or random.Random()
        self.providers: dict[Tier, ModelProvider] = {}
        for provider in providers:
            if provider.tier in self.providers:
                raise ConfigError(f"two providers for tier {provider.tier}")
            if provider.tier is not Tier.LOCAL and provider.tier not in self.settings.paid_order:
                raise ConfigError(
                    f"provider {provider.name} serves tier {provider.tier}, which is not in "
                    f"the paid order {[str(t) for t in self.settings.paid_order]}"
                )
            prices.price(provider.name, provider.model)  # fail now on an unpriced model
            self.providers[provider.tier] = provider
        self.breakers = {
            tier: CircuitBreaker(
                self.settings.breaker_failure_threshold, self.settings.breaker_cool_down, clock
            )
            for tier in self.providers
        }

    async def aclose(self) -> None:
        """Close the providers' HTTP clients (each makes a new one when next asked).

        A client belongs to the event loop it was first used on: whoever runs the router on a
        loop of its own closes it before that loop ends, else the client's connections outlive
        the loop and are only torn down by the garbage collector, inside whatever loop is
        running then (an "Event loop is closed" error in unrelated code).
        """
        for provider in self.providers.values():
            if isinstance(provider, RemoteProvider):
                await provider.aclose()

    async def route(
        self, request: GenerationRequest, validate: Validate, *, max_tier: Tier | None = None
    ) -> RoutedResult:
        """The cheapest validated generation for ``request``, with every attempt recorded."""
        ceiling = self._ceiling(request, max_tier)
        run = _Run(uuid.uuid4().hex, request)
        if self.cache is not None and request.cache_key is not None:
            found = await self._from_cache(run, validate)
            if found is not None:
                return found
        if Tier.LOCAL in self.providers and TIER_RANK[ceiling] >= TIER_RANK[Tier.LOCAL]:
            found = await self._try_tier(run, Tier.LOCAL, validate)
            if found is not None:
                return found
        for tier, fallback_only in self._paid_plan(request, ceiling):
            if fallback_only and run.answered_above:
                break
            budget_reason = self._budget_refusal(request, tier)
            if budget_reason is not None:
                run.budget_limited = True
                run.reason = budget_reason
                run.attempts.append(
                    Attempt(
                        tier,
                        self.providers[tier].name,
                        self.providers[tier].model,
                        Outcome.SKIPPED,
                        budget_reason,
                    )
                )
                break
            found = await self._try_tier(run, tier, validate)
            if found is not None:
                return found
        return run.result(self._no_result_reason(run, ceiling))

    def _ceiling(self, request: GenerationRequest, max_tier: Tier | None) -> Tier:
        """The lowest of: the caller's cap, the router's, and the tenant's plan's."""
        caps = [self.settings.max_tier]
        if max_tier is not None:
            caps.append(max_tier)
        if self.ledger is not None:
            caps.append(self.ledger.plan_for(request.tenant).max_tier)
        return min(caps, key=TIER_RANK.__getitem__)

    def _paid_plan(self, request: GenerationRequest, ceiling: Tier) -> list[tuple[Tier, bool]]:
        """Paid tiers to try: from the classifier's pick up to the ceiling, then the ones below
        the pick (only tried when no tier above gave an answer at all)."""
        allowed = [
            tier
            for tier in self.settings.paid_order
            if tier in self.providers and TIER_RANK[tier] <= TIER_RANK[ceiling]
        ]
        if not allowed:
            return []
        start_rank = TIER_RANK[classify_request(request)]
        upward = [tier for tier in allowed if TIER_RANK[tier] >= start_rank] or allowed[-1:]
        below = [tier for tier in allowed if tier not in upward]
        return [(tier, False) for tier in upward] + [(tier, True) for tier in reversed(below)]

    def _budget_refusal(self, request: GenerationRequest, tier: Tier) -> str | None:
        if self.ledger is None:
            return None
        provider = self.providers[tier]
        estimate = self.prices.dollars(
            provider.name,
            provider.model,
            request.estimated_context_tokens,
            request.max_output_tokens,
            0,
        )
        if estimate == 0:
            return None
        try:
            self.ledger.budget(request.tenant).check(estimate)
        except BudgetExceeded as error:
            return f"budget: {error} (the {tier} request was estimated at ${estimate:.4f})"
        return None

    async def _from_cache(self, run: _Run, validate: Validate) -> RoutedResult | None:
        assert self.cache is not None and run.request.cache_key is not None
        started = time.monotonic()
        hit = self.cache.lookup(run.request.cache_key)
        latency = time.monotonic() - started
        if hit is None:
            self._record(
                run,
                Tier.CACHE,
                "pattern_cache",
                "-",
                Outcome.MISS,
                latency=latency,
                reason="no cached test for this pattern",
            )
            run.attempts.append(
                Attempt(
                    Tier.CACHE,
                    "pattern_cache",
                    "-",
                    Outcome.MISS,
                    "no cached test for this pattern",
                    tries=1,
                )
            )
            return None
        generation = Generation(
            cached_text(hit), "pattern_cache", Tier.CACHE, "-", latency_seconds=latency
        )
        verdict = await _checked(validate, generation)
        outcome = Outcome.OK if verdict.ok else Outcome.INVALID
        self._record(
            run,
            Tier.CACHE,
            "pattern_cache",
            "-",
            outcome,
            latency=latency,
            cache_hit=True,
            reason=verdict.reason,
        )
        run.attempts.append(
            Attempt(
                Tier.CACHE,
                "pattern_cache",
                "-",
                outcome,
                verdict.reason,
                latency_seconds=latency,
                tries=1,
            )
        )
        if verdict.ok:
            return run.result(None, generation, verdict, cache_hit=True)
        return None

    async def _try_tier(self, run: _Run, tier: Tier, validate: Validate) -> RoutedResult | None:
        provider = self.providers[tier]
        breaker = self.breakers[tier]
        if not breaker.allow():
            reason = (
                f"circuit open after {breaker.consecutive_failures} consecutive failures; "
                f"retry in {breaker.seconds_until_half_open():.0f}s"
            )
            run.attempts.append(
                Attempt(tier, provider.name, provider.model, Outcome.SKIPPED, reason)
            )
            return None
        retries = RetryOutcome()

        def failed(error: ProviderError) -> None:
            if isinstance(error, NoCandidate):
                return
            breaker.record_failure()
            outcome = Outcome.TIMEOUT if isinstance(error, ProviderTimeout) else Outcome.ERROR
            self._record(run, tier, provider.name, provider.model, outcome, reason=str(error))

        try:
            generation = await call_with_retries(
                lambda: provider.generate(run.request),
                self.settings.retry,
                retries,
                sleep=self._sleep,
                generator=self._random,
                on_failure=failed,
                may_retry=breaker.allow,
            )
        except NoCandidate as error:
            self._record(run, tier, provider.name, provider.model, Outcome.MISS, reason=str(error))
            run.attempts.append(
                Attempt(
                    tier,
                    provider.name,
                    provider.model,
                    Outcome.MISS,
                    str(error),
                    tries=retries.tries,
                )
            )
            return None
        except ProviderError as error:
            outcome = Outcome.TIMEOUT if isinstance(error, ProviderTimeout) else Outcome.ERROR
            run.attempts.append(
                Attempt(
                    tier, provider.name, provider.model, outcome, str(error), tries=retries.tries
                )
            )
            return None
        breaker.record_success()
        if tier is not Tier.LOCAL:
            run.answered_above = True
        dollars = self.prices.dollars(
            provider.name,
            provider.model,
            generation.input_tokens,
            generation.output_tokens,
            generation.cached_tokens,
        )
        verdict = await _checked(validate, generation)
        outcome = Outcome.OK if verdict.ok else Outcome.INVALID
        self._record(
            run,
            tier,
            provider.name,
            generation.model,
            outcome,
            generation=generation,
            dollars=dollars,
            reason=verdict.reason,
        )
        run.attempts.append(
            Attempt(
                tier,
                provider.name,
                generation.model,
                outcome,
                verdict.reason,
                generation.input_tokens,
                generation.output_tokens,
                generation.cached_tokens,
                dollars,
                generation.latency_seconds,
                retries.tries,
            )
        )
        if verdict.ok:
            return run.result(None, generation, verdict)
        run.last_rejected = (generation, verdict)
        return None

    def _record(
        self,
        run: _Run,
        tier: Tier,
        provider: str,
        model: str,
        outcome: Outcome,
        *,
        generation: Generation | None = None,
        dollars: float = 0.0,
        latency: float = 0.0,
        cache_hit: bool = False,
        reason: str | None = None,
    ) -> None:
        if self.ledger is None:
            return
        prompt = run.request.prompt
        self.ledger.record(
            LedgerEntry(
                routing_id=run.routing_id,
                tenant=run.request.tenant,
                tier=tier,
                provider=provider,
                model=model,
                outcome=outcome,
                task=str(run.request.task),
                prompt_name=prompt.name,
                prompt_version=prompt.version,
                prompt_hash=prompt.content_hash,
                input_tokens=generation.input_tokens if generation else 0,
                output_tokens=generation.output_tokens if generation else 0,
                cached_tokens=generation.cached_tokens if generation else 0,
                dollars=dollars,
                cache_hit=cache_hit,
                latency_seconds=generation.latency_seconds if generation else latency,
                reason=reason,
                provider_request_id=generation.request_id if generation else None,
            )
        )

    def _no_result_reason(self, run: _Run, ceiling: Tier) -> str:
        if run.reason is not None:
            return run.reason
        if not any(TIER_RANK[t] <= TIER_RANK[ceiling] for t in self.providers if t != Tier.LOCAL):
            return (
                f"no tier up to {ceiling} produced a valid candidate, and no paid provider "
                "is configured within that cap"
            )
        return f"every tier up to {ceiling} was tried; none produced a valid candidate"


async def _checked(validate: Validate, generation: Generation) -> ValidationResult:
    """Run the caller's validator; an ArgusError from it rejects the candidate with its reason."""
    try:
        return await validate(generation)
    except ArgusError as error:
        return ValidationResult(False, f"validation failed: {error}")


@dataclass
class _Run:
    routing_id: str
    request: GenerationRequest
    attempts: list[Attempt] = field(default_factory=list)
    budget_limited: bool = False
    reason: str | None = None
    answered_above: bool = False
    last_rejected: tuple[Generation, ValidationResult] | None = None

    def result(
        self,
        reason: str | None,
        generation: Generation | None = None,
        validation: ValidationResult | None = None,
        cache_hit: bool = False,
    ) -> RoutedResult:
        if generation is None and self.last_rejected is not None:
            # Nothing passed: hand back the last rejected candidate with its verdict, so the
            # caller can show why (result.ok stays False).
            generation, validation = self.last_rejected
        return RoutedResult(
            generation=generation,
            validation=validation,
            attempts=list(self.attempts),
            cache_hit=cache_hit,
            budget_limited=self.budget_limited,
            reason=reason if reason is not None else self.reason,
        )
