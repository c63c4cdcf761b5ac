"""Delivering a report to GitHub: check run, annotation batches, sticky comment, replies.

Shared by the handlers. Each side effect is a separate *step*:

- **Exactly once.** Whatever a step creates carries the delivery id and the step name (the
  check run's ``external_id``, a hidden marker in a reply's body) and is looked up before it is
  created, so a job run again after a crash at any point finds it instead of making a second.
  The sticky comment is found by its own marker and updated in place; GitHub keeps one
  reaction per user and content. Annotation batches already appended are counted on the
  check run (``output.annotations_count``) and not sent again.
- **One failure never loses the rest.** A step GitHub refuses for good (422, 410, 404 ...) is
  logged with the delivery id, counted (``argus_github_step_failures_total``) and skipped; the
  other steps still happen. A step that failed for now (5xx, rate limit, no connection) makes
  the job fail *after* the other steps, so the queue retries it, and the retry redoes only
  what did not happen.
- **No check run left spinning.** When the review or the report cannot be completed and no
  retry will come, the check run is completed with a short failure summary.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from argus.github_app.context import Context
from argus.github_app.githubkit_adapter import GitHubAPIError
from argus.github_app.render import ACTIONS, ANNOTATIONS_PER_REQUEST, CHECK_NAME, batches

T = TypeVar("T")

PERMANENT_STATUSES = frozenset({400, 403, 404, 409, 410, 422})
FAILURE_TITLE = "Argus could not finish"
FAILURE_PREFIX = "Argus could not "
"""The start of every failure title: such a run is reported again by a later retry."""
FAILURE_SUMMARY_LIMIT = 1_000


class StepsIncomplete(Exception):
    """Some steps failed for now; the job is retried and redoes only those."""


def is_permanent(error: GitHubAPIError) -> bool:
    """Whether GitHub refused the call for good (a retry would get the same answer)."""
    if error.status is None or error.status not in PERMANENT_STATUSES:
        return False
    return not (error.status == 403 and "rate limit" in str(error).lower())


def step_marker(delivery_id: str, step: str) -> str:
    """The hidden marker of one step's comment: found again before it is posted twice."""
    return f"<!-- argus:step {delivery_id}/{step} -->"


def external_id(delivery_id: str, step: str = "check_run") -> str:
    """The check run's ``external_id``: which delivery and step created it."""
    return f"argus:{delivery_id}/{step}"[:200]


@dataclass
class Steps:
    """The steps of one job: what failed for good, what failed for now."""

    ctx: Context
    refused: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)

    async def run(self, name: str, call: Callable[[], Awaitable[T]]) -> T | None:
        """Run one step; a GitHub failure is recorded (None returned), never raised."""
        try:
            return await call()
        except GitHubAPIError as error:
            permanent = is_permanent(error)
            self.ctx.metrics.count(
                "argus_github_step_failures_total",
                step=name,
                status=str(error.status or "error"),
                permanent=str(permanent).lower(),
            )
            if permanent:
                self.ctx.log.warning("step %s refused by GitHub for good: %s", name, error)
                self.refused.append(f"{name}: {error}")
            else:
                self.ctx.log.warning("step %s failed, to be retried: %s", name, error)
                self.pending.append(f"{name}: {error}")
            return None

    def finish(self) -> None:
        """Raise :class:`StepsIncomplete` when a step is to be retried."""
        if self.pending:
            raise StepsIncomplete("; ".join(self.pending))


# -- replies -------------------------------------------------------------------------------


async def reply(ctx: Context, number: int, body: str, step: str = "reply") -> None:
    """Answer in the PR conversation, once per delivery and step (found again on a retry)."""
    delivery_id = ctx.event.delivery_id
    if not delivery_id:
        await ctx.github.create_comment(ctx.owner, ctx.repo, number, body)
        return
    marker = step_marker(delivery_id, step)
    if await ctx.github.find_comment(ctx.owner, ctx.repo, number, marker) is not None:
        ctx.log.info("reply %s was posted by an earlier attempt", step)
        return
    await ctx.github.create_comment(ctx.owner, ctx.repo, number, f"{body}\n\n{marker}")


async def react(ctx: Context, comment_id: int, content: str = "eyes") -> None:
    """React to a comment (GitHub keeps one reaction per user and content: a retry is free)."""
    await ctx.github.add_reaction(ctx.owner, ctx.repo, comment_id, content)


async def upsert_comment(ctx: Context, number: int, marker: str, body: str) -> None:
    """Create the comment holding ``marker``, or update it in place."""
    existing = await ctx.github.find_comment(ctx.owner, ctx.repo, number, marker)
    if existing is None:
        await ctx.github.create_comment(ctx.owner, ctx.repo, number, body)
    else:
        await ctx.github.update_comment(ctx.owner, ctx.repo, int(existing["id"]), body)


# -- the check run -------------------------------------------------------------------------


@dataclass
class CheckRun:
    """The check run a job reports to, and how much of it an earlier attempt did."""

    id: int
    completed: bool = False
    annotations_sent: int = 0


async def open_check_run(ctx: Context, head_sha: str) -> CheckRun:
    """This delivery's "Argus" check run on ``head_sha``, in progress.

    Found again by its ``external_id`` when an earlier attempt of this delivery created it
    (completed or not); else a run left in progress by a killed attempt is taken over;
    else one is created.
    """
    wanted = external_id(ctx.event.delivery_id)
    found = await ctx.github.find_check_run(
        ctx.owner, ctx.repo, head_sha, CHECK_NAME, external_id=wanted
    )
    if found is None:
        found = await ctx.github.find_check_run(ctx.owner, ctx.repo, head_sha, CHECK_NAME)
        if found is not None:
            ctx.log.info("taking over check run %s left in progress", found.get("id"))
    if found is not None:
        output = found.get("output") or {}
        # A run completed with a failure summary is reported again (argus jobs retry).
        failed = str(output.get("title") or "").startswith(FAILURE_PREFIX)
        return CheckRun(
            int(found["id"]),
            completed=found.get("status") == "completed" and not failed,
            annotations_sent=int(output.get("annotations_count") or 0),
        )
    created = await ctx.github.create_check_run(
        ctx.owner,
        ctx.repo,
        name=CHECK_NAME,
        head_sha=head_sha,
        status="in_progress",
        external_id=wanted,
    )
    return CheckRun(int(created["id"]))


async def complete_check_run(
    ctx: Context,
    steps: Steps,
    run: CheckRun,
    output: dict[str, Any],
    annotations: list[dict[str, Any]],
    **fields: Any,
) -> None:
    """Send the annotations 50 at a time (skipping batches already sent), then complete.

    The last request completes the run; when GitHub refuses it, the run is completed with a
    short failure summary instead of staying in progress.
    """
    if run.completed:
        return
    chunks = list(batches(annotations)) or [[]]
    already = run.annotations_sent // ANNOTATIONS_PER_REQUEST  # sent by an earlier attempt
    for index, chunk in enumerate(chunks[:-1]):
        if index < already:
            continue
        name = f"annotations_{index + 1}"
        sent = await steps.run(
            name,
            lambda chunk=chunk: ctx.github.update_check_run(  # type: ignore[misc]
                ctx.owner, ctx.repo, run.id, output={**output, "annotations": chunk}
            ),
        )
        if sent is None and steps.pending and steps.pending[-1].startswith(name + ":"):
            # The retry sends this batch and the rest, in order; none comes after the last try.
            if ctx.final_attempt:
                await fail_check_run(ctx, steps, run, steps.pending[-1])
            return
    last: dict[str, Any] = dict(output)
    if chunks[-1] and len(chunks) - 1 >= already:
        last["annotations"] = chunks[-1]
    done = await steps.run(
        "check_run",
        lambda: ctx.github.update_check_run(
            ctx.owner, ctx.repo, run.id, status="completed", output=last, **fields
        ),
    )
    if done is None:
        failures = [*steps.refused, *steps.pending]
        reason = next((f for f in reversed(failures) if f.startswith("check_run:")), "")
        refused = any(f.startswith("check_run:") for f in steps.refused)
        if refused or ctx.final_attempt:
            await fail_check_run(ctx, steps, run, reason)


async def fail_check_run(
    ctx: Context,
    steps: Steps,
    run: CheckRun,
    reason: str,
    title: str = FAILURE_TITLE,
) -> None:
    """Complete the run, neutral, with a short failure summary (never left in progress)."""
    summary = f"{title}: {reason}"[:FAILURE_SUMMARY_LIMIT]
    await steps.run(
        "check_run_failure",
        lambda: ctx.github.update_check_run(
            ctx.owner,
            ctx.repo,
            run.id,
            status="completed",
            conclusion="neutral",
            output={"title": title, "summary": summary},
            actions=ACTIONS,
        ),
    )
