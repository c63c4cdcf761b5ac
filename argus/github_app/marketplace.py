"""GitHub Marketplace purchases -> the plans of the account's installations.

A ``marketplace_purchase`` webhook names an *account* (user or organisation), not an
installation, and may arrive before the App is installed on it: the plan is kept per account
(``gh_marketplace_accounts``) and given to every installation on the account, now and when one
is created later. Marketplace plan names map onto the App's plans by name (``Free``, ``Pro``,
``Team``, ``Enterprise``, any case); a plan with ``price_model: FREE`` is the Free plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from argus.core.errors import ConfigError
from argus.github_app.plans import DEFAULT_PLAN, repository_limit
from argus.github_app.state import AppState

MARKETPLACE_PLANS = ("free", "pro", "team", "enterprise")


@dataclass(frozen=True)
class Purchase:
    """What a ``marketplace_purchase`` payload says: whose plan, which, from when."""

    account: str
    account_id: int | None
    plan: str
    effective_at: str


@dataclass(frozen=True)
class PlanChange:
    """An applied plan: the installations it reached and the repositories each now covers."""

    plan: str
    enabled: dict[int, list[str]]


def plan_name(listing_plan: dict[str, Any]) -> str:
    """The App plan of a Marketplace listing plan; ConfigError when it is none of ours."""
    name = str(listing_plan.get("name") or "").strip().lower()
    if name in MARKETPLACE_PLANS:
        return name
    if listing_plan.get("price_model") == "FREE":
        return DEFAULT_PLAN
    raise ConfigError(
        f"Marketplace plan {listing_plan.get('name')!r} (id {listing_plan.get('id')}) is not "
        f"one of Argus's plans ({', '.join(p.capitalize() for p in MARKETPLACE_PLANS)}): "
        "name the listing's plans after them"
    )


def effective_at(value: object) -> str:
    """``effective_date`` as an ISO 8601 UTC timestamp that sorts in time order."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"effective_date {value!r} is not an ISO 8601 date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def read_purchase(payload: dict[str, Any]) -> Purchase:
    """The purchase a ``marketplace_purchase`` payload describes; ConfigError when malformed."""
    purchase = payload.get("marketplace_purchase")
    if not isinstance(purchase, dict):
        raise ConfigError("marketplace_purchase event without a marketplace_purchase object")
    account = purchase.get("account") or {}
    login = str(account.get("login") or "")
    if not login:
        raise ConfigError("marketplace_purchase.account has no login")
    account_id = account.get("id")
    return Purchase(
        account=login,
        account_id=int(account_id) if isinstance(account_id, int) else None,
        plan=plan_name(purchase.get("plan") or {}),
        effective_at=effective_at(payload.get("effective_date")),
    )


def apply_plan(state: AppState, purchase: Purchase) -> PlanChange | None:
    """Give ``purchase.plan`` to the account and each of its installations, enabling as many of
    their repositories as the plan covers; None when a later change is already recorded."""
    if not state.save_account_plan(
        purchase.account, purchase.account_id, purchase.plan, purchase.effective_at
    ):
        return None
    enabled: dict[int, list[str]] = {}
    for installation_id in state.installations_of(purchase.account):
        enabled[installation_id] = set_installation_plan(state, installation_id, purchase.plan)
    return PlanChange(purchase.plan, enabled)


def set_installation_plan(state: AppState, installation_id: int, plan: str) -> list[str]:
    """Put one installation on ``plan`` and enforce its repository limit; the enabled names."""
    state.set_plan(installation_id, plan)
    return state.enforce_repository_limit(installation_id, repository_limit(plan))


def plan_for_new_installation(state: AppState, account: str) -> str:
    """The plan an installation on ``account`` starts on: the account's purchase, else Free."""
    bought = state.account_plan(account)
    return bought.plan if bought is not None else DEFAULT_PLAN
