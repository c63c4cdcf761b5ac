"""Things the App says once on a pull request (a used-up quota), not on every push.

Each notice is an issue comment carrying a hidden marker; it is posted only when no comment
with the marker is on the pull request yet, so a retried or repeated delivery never says it
twice, and a notice stays on the conversation after the sticky report is rewritten.
"""

from __future__ import annotations

from argus.github_app.context import Context
from argus.github_app.events import Event
from argus.github_app.plans import current_month


def quota_marker(month: str | None = None) -> str:
    """The marker of the month's quota notice (``month``: ``YYYY-MM``, default this month)."""
    return f"<!-- argus:quota-exhausted {month or current_month()} -->"


def pull_request_number(event: Event) -> int | None:
    """The pull request a delivery is about (pull_request, issue_comment, check_run), or None."""
    payload = event.payload
    for key in ("pull_request", "issue"):
        number = (payload.get(key) or {}).get("number")
        if isinstance(number, int):
            return number
    for key in ("check_run", "check_suite"):
        container = payload.get(key) or {}
        pulls = container.get("pull_requests") or (container.get("check_suite") or {}).get(
            "pull_requests"
        )
        if pulls and isinstance(pulls[0].get("number"), int):
            return int(pulls[0]["number"])
    return None


async def say_once(ctx: Context, number: int, marker: str, body: str) -> bool:
    """Comment ``body`` on pull request ``number`` unless a comment with ``marker`` is there
    already; True when it was posted now."""
    if await ctx.github.find_comment(ctx.owner, ctx.repo, number, marker) is not None:
        return False
    await ctx.github.create_comment(ctx.owner, ctx.repo, number, f"{marker}\n{body}")
    return True
