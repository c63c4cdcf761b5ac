"""Merged pull requests, recorded for the dashboard's time to merge (no GitHub call)."""

from __future__ import annotations

from argus.github_app.context import Context
from argus.github_app.events import Event


async def handle(ctx: Context, event: Event) -> None:
    """Record when a merged pull request was opened and merged; closed unmerged: nothing."""
    pull_request = event.payload["pull_request"]
    if not pull_request.get("merged") or not pull_request.get("merged_at"):
        return
    ctx.state.record_merge(
        f"github-{ctx.installation_id}",
        ctx.full_name,
        int(pull_request["number"]),
        str(pull_request["created_at"]),
        str(pull_request["merged_at"]),
    )
