"""Plans of the App: monthly test-run quotas, repository limits and the model tier cap.

Quotas and tiers are argus/core/router/plans.py's; the repository limits are the App's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from argus.core.router.generation import Tier
from argus.core.router.plans import get_plan
from argus.github_app.state import AppState

REPOSITORY_LIMITS: dict[str, int | None] = {
    "free": 1,
    "pro": 5,
    "team": None,
    "enterprise": None,
}
DEFAULT_PLAN = "free"


@dataclass(frozen=True)
class Quota:
    """Where an installation stands this month."""

    plan: str
    used: int
    limit: int | None
    max_tier: Tier

    @property
    def exhausted(self) -> bool:
        """True when no test run is left this month."""
        return self.limit is not None and self.used >= self.limit


def current_month(now: datetime | None = None) -> str:
    """The metering month, ``YYYY-MM`` in UTC."""
    return (now or datetime.now(UTC)).strftime("%Y-%m")


def repository_limit(plan: str) -> int | None:
    """Repositories a plan covers (None: unlimited)."""
    get_plan(plan)
    return REPOSITORY_LIMITS.get(plan)


def quota_for(state: AppState, installation_id: int | None, month: str | None = None) -> Quota:
    """The installation's plan and its test runs used this month (unknown: the Free plan)."""
    installation = state.installation(installation_id) if installation_id is not None else None
    name = installation.plan if installation else DEFAULT_PLAN
    plan = get_plan(name)
    used = state.test_runs(installation_id, month or current_month()) if installation_id else 0
    return Quota(name, used, plan.monthly_test_runs, plan.max_tier)


def capped_tier(requested: Tier | None, quota: Quota) -> Tier:
    """The lower of the tier ``.argus.yml`` asks for and the plan's highest tier."""
    if requested is None:
        return quota.max_tier
    order = list(Tier)
    return requested if order.index(requested) <= order.index(quota.max_tier) else quota.max_tier
