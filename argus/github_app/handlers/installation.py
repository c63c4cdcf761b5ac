"""installation and installation_repositories: installations, plans and repository limits."""

from __future__ import annotations

from argus.github_app.context import Context
from argus.github_app.events import Event
from argus.github_app.marketplace import plan_for_new_installation
from argus.github_app.plans import repository_limit


def _names(repositories: list[dict[str, object]] | None) -> list[str]:
    return [str(r["full_name"]) for r in repositories or [] if r.get("full_name")]


def _add(ctx: Context, installation_id: int, names: list[str]) -> None:
    installation = ctx.state.installation(installation_id)
    plan = installation.plan if installation else "free"
    limit = repository_limit(plan)
    room = (
        len(names)
        if limit is None
        else max(0, limit - ctx.state.enabled_repository_count(installation_id))
    )
    ctx.state.add_repositories(installation_id, names, enabled=room)
    if room < len(names):
        ctx.log.info(
            "plan %s covers %s repositories: %d not enabled", plan, limit, len(names) - room
        )


async def created(ctx: Context, event: Event) -> None:
    """Record a new installation, on the plan its account bought on Marketplace (else Free),
    with as many of its repositories as the plan covers."""
    installation = event.payload["installation"]
    installation_id = int(installation["id"])
    account = str((installation.get("account") or {}).get("login", ""))
    ctx.state.record_installation(
        installation_id, account, plan_for_new_installation(ctx.state, account)
    )
    _add(ctx, installation_id, _names(event.payload.get("repositories")))


async def deleted(ctx: Context, event: Event) -> None:
    """Forget an uninstalled installation."""
    ctx.state.delete_installation(int(event.payload["installation"]["id"]))


async def suspended(ctx: Context, event: Event) -> None:
    """Mark an installation suspended."""
    ctx.state.set_suspended(int(event.payload["installation"]["id"]), True)


async def unsuspended(ctx: Context, event: Event) -> None:
    """Mark an installation active again."""
    ctx.state.set_suspended(int(event.payload["installation"]["id"]), False)


async def repositories_added(ctx: Context, event: Event) -> None:
    """Enable added repositories up to the plan's limit."""
    installation = event.payload["installation"]
    installation_id = int(installation["id"])
    if ctx.state.installation(installation_id) is None:
        account = str((installation.get("account") or {}).get("login", ""))
        ctx.state.record_installation(installation_id, account)
    _add(ctx, installation_id, _names(event.payload.get("repositories_added")))


async def repositories_removed(ctx: Context, event: Event) -> None:
    """Forget removed repositories; the room they leave goes to repositories beyond the limit."""
    installation_id = int(event.payload["installation"]["id"])
    ctx.state.remove_repositories(
        installation_id, _names(event.payload.get("repositories_removed"))
    )
    installation = ctx.state.installation(installation_id)
    if installation is not None:
        ctx.state.enforce_repository_limit(installation_id, repository_limit(installation.plan))
