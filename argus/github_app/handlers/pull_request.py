"""pull_request opened, reopened, ready_for_review, synchronize: check run and sticky comment."""

from __future__ import annotations

from argus.github_app.context import Context
from argus.github_app.events import Event
from argus.github_app.reporting import review_and_report

ACTIONS_REVIEWED = ("opened", "reopened", "ready_for_review", "synchronize")


async def handle(ctx: Context, event: Event) -> None:
    """Review the PR (drafts wait for ready_for_review; paused PRs are skipped)."""
    pull_request = event.payload["pull_request"]
    if pull_request.get("draft") and event.action != "ready_for_review":
        ctx.log.info("draft pull request: not reviewed until it is ready")
        return
    await review_and_report(ctx, pull_request, pushed=event.action == "synchronize")
