"""Retries with exponential backoff and jitter, and a circuit breaker per provider.

Both take their clock (and the retry its sleep and random source) as arguments so tests run
without waiting.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from argus.core.router.errors import ProviderError, RateLimited

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a provider on 429, 5xx and timeouts.

    The n-th retry waits ``min(max_delay, base_delay * 2**(n-1))`` scaled by a random factor in
    ``[1 - jitter, 1]`` ("equal jitter" keeps retries of many clients apart). A 429's
    ``retry-after`` is honoured when it is longer; one longer than ``max_retry_after`` is not
    waited for at all: the router falls back to the next tier instead.
    """

    max_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.5
    max_retry_after: float = 30.0

    def delay(self, retry: int, generator: random.Random, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``retry`` (1-based); ``-1`` means do not retry."""
        backoff = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        backoff *= 1.0 - self.jitter * generator.random()
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                return -1.0
            return max(backoff, retry_after)
        return backoff


@dataclass
class RetryOutcome:
    """What :func:`call_with_retries` saw: the number of calls made and the waits between them."""

    tries: int = 0
    waits: list[float] = field(default_factory=list)


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    outcome: RetryOutcome,
    *,
    sleep: Sleep = asyncio.sleep,
    generator: random.Random | None = None,
    on_failure: Callable[[ProviderError], None] | None = None,
    may_retry: Callable[[], bool] | None = None,
) -> T:
    """Call ``call`` until it succeeds, a non-retryable error, or the policy gives up.

    ``on_failure`` sees every failed call (the breaker counts them); ``may_retry`` can stop the
    retries early (an open breaker). The last error is re-raised.
    """
    generator = generator or random.Random()
    while True:
        outcome.tries += 1
        try:
            return await call()
        except ProviderError as error:
            if on_failure is not None:
                on_failure(error)
            if not error.retryable or outcome.tries >= policy.max_attempts:
                raise
            if may_retry is not None and not may_retry():
                raise
            retry_after = error.retry_after if isinstance(error, RateLimited) else None
            wait = policy.delay(outcome.tries, generator, retry_after)
            if wait < 0:
                raise
            outcome.waits.append(wait)
            await sleep(wait)


class BreakerState(StrEnum):
    """Closed: calls flow. Open: calls are refused. Half-open: one trial call is let through."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Opens after ``failure_threshold`` consecutive failures; half-opens after ``cool_down``.

    In the half-open state one trial call is allowed: success closes the breaker, failure opens
    it again for another cool-down.
    """

    def __init__(
        self, failure_threshold: int = 5, cool_down: float = 30.0, clock: Clock = time.monotonic
    ):
        if failure_threshold < 1 or cool_down < 0:
            raise ValueError("failure_threshold must be >= 1 and cool_down >= 0")
        self.failure_threshold = failure_threshold
        self.cool_down = cool_down
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        """The state now (an open breaker whose cool-down is over reads as half-open)."""
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self.cool_down:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    @property
    def consecutive_failures(self) -> int:
        """Failures since the last success."""
        return self._failures

    def allow(self) -> bool:
        """Whether a call may go through now; in half-open, only the first caller's may."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._trial_in_flight:
            self._trial_in_flight = True
            return True
        return False

    def record_success(self) -> None:
        """A call succeeded: close the breaker."""
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False

    def record_failure(self) -> None:
        """A call failed: count it, and open (or re-open) the breaker when due."""
        self._failures += 1
        if self._trial_in_flight or self._failures >= self.failure_threshold:
            self._opened_at = self._clock()
        self._trial_in_flight = False

    def seconds_until_half_open(self) -> float:
        """How long an open breaker stays open (0 when it is not open)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self.cool_down - (self._clock() - self._opened_at))
