"""pull_request opened, reopened, ready_for_review, synchronize: check run and sticky comment."""

from __future__ import annotations

from typing import Any

from core.errors import ArgusError
from core.predict.findings import Review, RiskLevel
from core.quality.reviews import review_record
from core.report import MARKER
from github_app.config import RepoConfig
from github_app.context import Context
from github_app.dispatch import Dispatcher
from github_app.events import Event
from github_app.render import (
    ACTIONS,
    CHECK_NAME,
    batches,
    check_annotations,
    check_summary,
    comment_body,
    file_link,
    review_summary,
)
from github_app.repo_review import review_with_history
from github_app.review_service import (
    NO_HISTORY_NOTE,
    PullRequestRef,
    pull_request_ref,
    shipped_model,
)

ACTIONS_REVIEWED = ("opened", "reopened", "ready_for_review", "synchronize")
_ORDER = [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH]


def register(dispatcher: Dispatcher) -> None:
    """Add this module's handlers to the table."""
    for action in ACTIONS_REVIEWED:
        dispatcher.add(f"pull_request.{action}", handle)


async def handle(ctx: Context, event: Event) -> None:
    """Review the PR (drafts wait for ready_for_review; paused PRs are skipped)."""
    pull_request = event.payload["pull_request"]
    if pull_request.get("draft") and event.action != "ready_for_review":
        ctx.log.info("draft pull request: not reviewed until it is ready")
        return
    await review_and_report(ctx, pull_request, pushed=event.action == "synchronize")


def conclusion_for(review: Review, config: RepoConfig) -> str:
    """``failure`` at or above ``fail_on``, else ``neutral``."""
    if config.fail_on is not None and _ORDER.index(review.level) >= _ORDER.index(config.fail_on):
        return "failure"
    return "neutral"


async def review_and_report(ctx: Context, pull_request: dict[str, Any], *, pushed: bool) -> None:
    """Check run in progress, review, complete it with annotations, and update the comment."""
    ref = pull_request_ref(ctx.owner, ctx.repo, pull_request)
    if ctx.state.is_paused(ctx.full_name, ref.number):
        ctx.log.info("reviews paused on %s#%s", ctx.full_name, ref.number)
        return
    if (
        ctx.installation_id
        and ctx.state.repository_enabled(ctx.installation_id, ctx.full_name) is False
    ):
        ctx.log.info("%s is beyond the plan's repository limit", ctx.full_name)
        return
    recorded = ctx.state.installation(ctx.installation_id) if ctx.installation_id else None
    if recorded is not None and recorded.suspended:
        ctx.log.info("installation %s is suspended", ctx.installation_id)
        return
    check = await start_check_run(ctx, ref.head_sha)
    config = await ctx.config(ref.base_sha)
    notes = [config.note] if config.note else []
    deps = ctx.services
    model = (deps.review_model if deps is not None else None) or shipped_model()
    ignored = ctx.state.ignored_globs(ctx.full_name, ref.number)
    try:
        reviewed = await review_with_history(
            ctx.github,
            ref,
            config,
            model,
            ignored,
            getattr(deps, "clones", None),
            ctx.installation_id,
            (ctx.event.payload.get("repository") or {}).get("default_branch"),
        )
        review = reviewed.review
    except ArgusError as error:
        # Bad input (a diff that does not parse, ...) will not get better on a retry.
        ctx.log.warning("review failed: %s", error)
        await ctx.github.update_check_run(
            ctx.owner,
            ctx.repo,
            int(check["id"]),
            status="completed",
            conclusion="neutral",
            output={"title": "Argus could not review this change", "summary": str(error)},
            actions=ACTIONS,
        )
        return
    if config.generate_tests and deps is not None and deps.generate_tests is not None:
        from github_app.handlers.tests import with_tests

        review, test_notes = await with_tests(ctx, review, config)
        notes.extend(test_notes)
    ctx.state.record_review(
        review_record(
            review,
            tenant=f"github-{ctx.installation_id}",
            repository=ctx.full_name,
            source="app",
            pull_request=ref.number,
        )
    )
    await complete_check_run(ctx, int(check["id"]), review, config, notes)
    await post_comment(
        ctx, ref, pull_request, review, notes, pushed=pushed, history_note=reviewed.history_note
    )


async def start_check_run(ctx: Context, head_sha: str) -> dict[str, Any]:
    """The "Argus" check run of ``head_sha``, in progress.

    An attempt that died mid-review (a killed worker, a crash) leaves its check run in
    progress; the retry takes that one over instead of leaving it spinning beside a new one.
    """
    left = await ctx.github.find_check_run(ctx.owner, ctx.repo, head_sha, CHECK_NAME)
    if left is not None:
        ctx.log.info("taking over check run %s left in progress", left.get("id"))
        return left
    return await ctx.github.create_check_run(
        ctx.owner, ctx.repo, name=CHECK_NAME, head_sha=head_sha, status="in_progress"
    )


async def complete_check_run(
    ctx: Context, check_id: int, review: Review, config: RepoConfig, notes: list[str]
) -> None:
    """Send the annotations 50 at a time; the last request completes the run."""
    title = f"{review.level.value.capitalize()} risk ({review.probability:.0%})"
    output: dict[str, Any] = {"title": title, "summary": check_summary(review, notes)}
    chunks = list(batches(check_annotations(review))) or [[]]
    for chunk in chunks[:-1]:
        await ctx.github.update_check_run(
            ctx.owner, ctx.repo, check_id, output={**output, "annotations": chunk}
        )
    last: dict[str, Any] = dict(output)
    if chunks[-1]:
        last["annotations"] = chunks[-1]
    await ctx.github.update_check_run(
        ctx.owner,
        ctx.repo,
        check_id,
        status="completed",
        conclusion=conclusion_for(review, config),
        output=last,
        actions=ACTIONS,
    )


async def post_comment(
    ctx: Context,
    ref: PullRequestRef,
    pull_request: dict[str, Any],
    review: Review,
    notes: list[str],
    *,
    pushed: bool,
    history_note: str | None = NO_HISTORY_NOTE,
) -> None:
    """Create the sticky comment, or update it in place (``history_note``: why the history
    is missing, None when it weighed in)."""
    previous = ctx.state.last_report(ctx.full_name, ref.number) if pushed else None
    link_for = file_link(str(pull_request.get("html_url", "")), ref.head_sha)
    body = comment_body(
        review, link_for=link_for, previous=previous, history_note=history_note, notes=notes
    )
    existing = await ctx.github.find_comment(ctx.owner, ctx.repo, ref.number, MARKER)
    if existing is None:
        await ctx.github.create_comment(ctx.owner, ctx.repo, ref.number, body)
    else:
        await ctx.github.update_comment(ctx.owner, ctx.repo, int(existing["id"]), body)
    summary = review_summary(review)
    summary["pull_request"] = {
        "number": ref.number,
        "html_url": pull_request.get("html_url", ""),
        "base": {"sha": ref.base_sha},
        "head": {"sha": ref.head_sha},
    }
    ctx.state.save_report(ctx.full_name, ref.number, summary)
