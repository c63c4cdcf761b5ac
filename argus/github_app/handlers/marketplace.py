"""marketplace_purchase: plans bought, changed and cancelled on GitHub Marketplace.

``purchased`` and ``changed`` put the account's installations on the plan (a ``changed`` is sent
when a change takes effect: upgrades at once, downgrades at the end of the billing cycle);
``pending_change`` records a downgrade or cancellation to come, ``pending_change_cancelled``
forgets it; ``cancelled`` puts the account back on Free. Repository limits follow the plan.
A payload that names no plan of ours is logged with the delivery id and ignored (a retry
would not make it valid).
"""

from __future__ import annotations

from dataclasses import replace

from argus.core.errors import ConfigError
from argus.github_app.context import Context
from argus.github_app.events import Event
from argus.github_app.marketplace import Purchase, apply_plan, read_purchase
from argus.github_app.plans import DEFAULT_PLAN


def _purchase(ctx: Context, event: Event) -> Purchase | None:
    try:
        return read_purchase(event.payload)
    except ConfigError as error:
        ctx.log.error("marketplace_purchase.%s ignored: %s", event.action, error)
        return None


def _apply(ctx: Context, purchase: Purchase) -> None:
    change = apply_plan(ctx.state, purchase)
    if change is None:
        ctx.log.info(
            "%s: a plan change later than %s is already recorded; this one is stale",
            purchase.account,
            purchase.effective_at,
        )
        return
    ctx.log.info(
        "%s is on the %s plan from %s (installations: %s)",
        purchase.account,
        purchase.plan,
        purchase.effective_at,
        ", ".join(f"{i} with {len(names)} repositories" for i, names in change.enabled.items())
        or "none yet",
    )


async def purchased(ctx: Context, event: Event) -> None:
    """A plan bought or changed: the account's installations are on it from now."""
    purchase = _purchase(ctx, event)
    if purchase is not None:
        _apply(ctx, purchase)


async def cancelled(ctx: Context, event: Event) -> None:
    """The plan ended: back to Free, with Free's repository limit."""
    purchase = _purchase(ctx, event)
    if purchase is not None:
        _apply(ctx, replace(purchase, plan=DEFAULT_PLAN))


async def pending_change(ctx: Context, event: Event) -> None:
    """A downgrade or cancellation at the end of the billing cycle: recorded, not applied."""
    purchase = _purchase(ctx, event)
    if purchase is None:
        return
    if ctx.state.account_plan(purchase.account) is None:
        ctx.log.warning("%s has no recorded purchase; pending change ignored", purchase.account)
        return
    ctx.state.save_pending_plan(purchase.account, purchase.plan, purchase.effective_at)
    ctx.log.info("%s moves to %s on %s", purchase.account, purchase.plan, purchase.effective_at)


async def pending_change_cancelled(ctx: Context, event: Event) -> None:
    """The change to come was called off: the current plan stays."""
    purchase = _purchase(ctx, event)
    if purchase is not None:
        ctx.state.save_pending_plan(purchase.account, None, None)
