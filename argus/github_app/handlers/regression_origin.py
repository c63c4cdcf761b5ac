"""Regression tests reach the people who wrote the code: a comment on the pull request that
introduced the failing line of a production error, linking the test's pull request.

The line's commit comes from the regression job (``git blame`` at the deployed commit, in the
linked clone); GitHub says which pull request brought that commit in
(``GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls``). The comment is posted once per error
pattern and pull request (a hidden marker; argus/github_app/notices.py), and a failure here never
undoes or repeats the test's pull request: it is logged and the job ends.
"""

from __future__ import annotations

from typing import Any

from argus.core.errors import ArgusError
from argus.github_app.context import Context
from argus.github_app.notices import say_once


def origin_marker(pattern_id: str) -> str:
    """The hidden marker of the comment about ``pattern_id``."""
    return f"<!-- argus:regression-origin {pattern_id} -->"


def introducing_pull_request(
    pulls: list[dict[str, Any]], exclude: int | None = None
) -> dict[str, Any] | None:
    """The pull request that brought a commit in: the merged one GitHub lists, else the first
    open one (a commit not on the default branch yet); never ``exclude``."""
    candidates = [pull for pull in pulls if pull.get("number") != exclude]
    merged = [pull for pull in candidates if pull.get("merged_at")]
    found = merged or candidates
    return found[0] if found else None


def origin_comment(origin: dict[str, Any], test_pull: dict[str, Any]) -> str:
    """The comment's Markdown: the error, where, how often, and the test's pull request."""
    error = str(origin.get("error") or "an error").replace("```", "'''")
    occurrences = int(origin.get("occurrences") or 1)
    times = "once" if occurrences == 1 else f"{occurrences:,} times"
    where = f"`{origin['path']}` line {origin['line']}"
    if origin.get("function"):
        where += f" (`{origin['function']}`)"
    deployed = str(origin.get("deployed") or "")[:12]
    link = test_pull.get("html_url") or f"#{test_pull.get('number')}"
    return (
        f"A production error was raised at {where}, a line this pull request introduced "
        f"(commit {str(origin['commit'])[:12]}). It has happened **{times}** so far:\n\n"
        f"```\n{error}\n```\n\n"
        f"Argus generated a regression test that fails with this error on the deployed code"
        f"{f' ({deployed})' if deployed else ''}: {link} (#{test_pull.get('number')}). "
        "Merge it with the fix."
    )


async def tell_the_introducing_pull_request(
    ctx: Context, origin: dict[str, Any], test_pull: dict[str, Any]
) -> int | None:
    """Comment on the pull request that introduced ``origin``'s line; its number, or None when
    GitHub knows of none (a commit pushed straight to the branch) or a call failed."""
    try:
        pulls = await ctx.github.list_commit_pull_requests(
            ctx.owner, ctx.repo, str(origin["commit"])
        )
        target = introducing_pull_request(pulls, exclude=test_pull.get("number"))
        if target is None:
            ctx.log.info("no pull request introduced commit %s: no comment", origin["commit"])
            return None
        number = int(target["number"])
        marker = origin_marker(str(origin.get("pattern_id") or origin["commit"]))
        await say_once(ctx, number, marker, origin_comment(origin, test_pull))
    except (ArgusError, KeyError, ValueError) as error:
        ctx.log.warning("could not comment on the pull request that introduced the line: %s", error)
        return None
    ctx.log.info("told #%s of the production error in its line", number)
    return number
