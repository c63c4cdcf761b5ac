"""Errors of the model router; every provider adapter translates its library's errors to these."""

from __future__ import annotations

from argus.core.errors import ArgusError


class ProviderError(ArgusError):
    """A model provider could not give an answer; the router retries or falls back a tier."""

    #: Whether another try at the same provider may succeed (429, 5xx, timeouts).
    retryable = True

    def __init__(self, message: str, provider: str = "", status: int | None = None):
        self.provider = provider
        self.status = status
        prefix = f"{provider}: " if provider else ""
        super().__init__(f"{prefix}{message}")


class ProviderUnavailable(ProviderError):
    """The provider is down, refused the connection, answered 5xx, or rejected our credentials."""

    def __init__(
        self, message: str, provider: str = "", status: int | None = None, retryable: bool = True
    ):
        super().__init__(message, provider, status)
        self.retryable = retryable


class RateLimited(ProviderError):
    """The provider answered 429; ``retry_after`` is its advice in seconds, when it gave one."""

    def __init__(self, message: str, provider: str = "", retry_after: float | None = None):
        super().__init__(message, provider, 429)
        self.retry_after = retry_after


class ProviderTimeout(ProviderError):
    """The provider did not answer within its timeout."""


class BadProviderAnswer(ProviderError):
    """The provider answered, but not in its documented format (not JSON, fields missing)."""

    retryable = False


class NoCandidate(ProviderError):
    """The provider has nothing to offer for this request (no deterministic generator applies)."""

    retryable = False


class BudgetExceeded(ArgusError):
    """A tenant's monthly paid-model budget is spent; only the free tiers may run."""

    def __init__(self, tenant: str, plan: str, budget: float, spent: float):
        self.tenant = tenant
        self.plan = plan
        self.budget = budget
        self.spent = spent
        super().__init__(
            f"tenant {tenant!r} (plan {plan}) has spent ${spent:.4f} of its ${budget:g} "
            "monthly paid-model budget; only the free tiers were used. Raise the plan's budget "
            "or wait for next month"
        )


class PromptError(ArgusError):
    """A prompt template is missing, malformed, or was rendered without a variable it needs."""
