"""Retry policy and circuit breaker, driven by a manual clock."""

from __future__ import annotations

import random

import pytest

from argus.core.router.errors import BadProviderAnswer, ProviderUnavailable, RateLimited
from argus.core.router.resilience import (
    BreakerState,
    CircuitBreaker,
    RetryOutcome,
    RetryPolicy,
    call_with_retries,
)
from tests.core.router.helpers import ManualClock, SleepRecorder

pytestmark = pytest.mark.anyio


def test_backoff_doubles_with_jitter_and_caps() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=0.5)
    generator = random.Random(0)
    delays = [policy.delay(retry, generator, None) for retry in range(1, 7)]
    for retry, delay in enumerate(delays, start=1):
        ceiling = min(5.0, 2.0 ** (retry - 1))
        assert ceiling * 0.5 <= delay <= ceiling
    assert max(delays) <= 5.0


def test_retry_after_wins_when_longer_and_is_refused_beyond_the_cap() -> None:
    policy = RetryPolicy(base_delay=0.5, max_retry_after=30.0)
    generator = random.Random(0)
    assert policy.delay(1, generator, 10.0) == 10.0
    assert policy.delay(1, generator, 0.0) <= 0.5
    assert policy.delay(1, generator, 31.0) < 0


async def test_call_with_retries_stops_on_non_retryable() -> None:
    calls = 0

    async def call() -> str:
        nonlocal calls
        calls += 1
        raise BadProviderAnswer("garbage", "p")

    sleep = SleepRecorder()
    with pytest.raises(BadProviderAnswer):
        await call_with_retries(call, RetryPolicy(max_attempts=5), RetryOutcome(), sleep=sleep)
    assert calls == 1 and sleep.waits == []


async def test_call_with_retries_succeeds_after_transient_errors() -> None:
    errors = [ProviderUnavailable("502", "p", 502), RateLimited("429", "p", retry_after=2.0)]

    async def call() -> str:
        if errors:
            raise errors.pop(0)
        return "done"

    sleep = SleepRecorder()
    outcome = RetryOutcome()
    failures: list[str] = []
    result = await call_with_retries(
        call,
        RetryPolicy(max_attempts=3, base_delay=0.1),
        outcome,
        sleep=sleep,
        generator=random.Random(1),
        on_failure=lambda error: failures.append(type(error).__name__),
    )
    assert result == "done" and outcome.tries == 3
    assert sleep.waits[1] == 2.0 and sleep.waits[0] <= 0.1
    assert failures == ["ProviderUnavailable", "RateLimited"]


def test_breaker_opens_after_threshold_and_half_opens_after_cool_down() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(failure_threshold=3, cool_down=10.0, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN and not breaker.allow()
    assert breaker.seconds_until_half_open() == pytest.approx(10.0)

    clock.advance(10.0)
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()  # the one trial call
    assert not breaker.allow()  # nobody else while it is in flight
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN  # a failed trial re-opens at once

    clock.advance(10.0)
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED and breaker.consecutive_failures == 0


def test_success_resets_the_count() -> None:
    breaker = CircuitBreaker(failure_threshold=2, cool_down=1.0, clock=ManualClock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED


def test_breaker_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=0)
