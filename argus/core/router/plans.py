"""Plans and their monthly paid-model budgets (documented in docs/router.md)."""

from __future__ import annotations

from dataclasses import dataclass

from argus.core.errors import ConfigError
from argus.core.router.generation import Tier


@dataclass(frozen=True)
class Plan:
    """A plan: test runs a month (None: unlimited), paid-model dollars a month (None: no cap)."""

    name: str
    monthly_test_runs: int | None
    monthly_budget_dollars: float | None
    max_tier: Tier


PLANS: dict[str, Plan] = {
    plan.name: plan
    for plan in (
        Plan("free", 100, 0.50, Tier.HAIKU),
        Plan("pro", 1_000, 10.00, Tier.SONNET),
        Plan("team", 10_000, 80.00, Tier.SONNET),
        Plan("enterprise", None, 1_000.00, Tier.SONNET),
        # The CLI on a developer's machine, paying with the developer's own keys.
        Plan("local", None, None, Tier.SONNET),
    )
}


def get_plan(name: str) -> Plan:
    """The plan called ``name``; :class:`ConfigError` for an unknown one."""
    try:
        return PLANS[name]
    except KeyError:
        raise ConfigError(
            f"unknown plan {name!r}; choose one of {', '.join(sorted(PLANS))}"
        ) from None
