"""Review a pull request and deliver the report: the flow the handlers share.

A check run in progress, the review, the check run completed with its annotations, the sticky
comment. Each GitHub call is a step of :mod:`argus.github_app.delivery`: done exactly once across
retries, and one refused call never loses the others.
"""

from __future__ import annotations

from typing import Any

from argus.core.diff import parse_diff
from argus.core.errors import ArgusError
from argus.core.predict.findings import Review, RiskLevel
from argus.core.quality.reviews import review_record
from argus.core.report import MARKER
from argus.core.report.summary import plural
from argus.github_app.config import RepoConfig
from argus.github_app.context import Context
from argus.github_app.delivery import (
    CheckRun,
    Steps,
    complete_check_run,
    fail_check_run,
    open_check_run,
    step_marker,
    upsert_comment,
)
from argus.github_app.ports import by_bot
from argus.github_app.render import (
    ACTIONS,
    MAX_REVIEW_COMMENTS,
    check_annotations,
    check_summary,
    comment_body,
    file_link,
    posted_finding_keys,
    review_comments,
    review_summary,
)
from argus.github_app.repo_review import review_with_history
from argus.github_app.review_service import (
    NO_HISTORY_NOTE,
    PullRequestRef,
    pull_request_ref,
    shipped_model,
)
from argus.github_app.test_requests import with_tests

_ORDER = [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH]


def conclusion_for(review: Review, config: RepoConfig) -> str:
    """``failure`` at or above ``fail_on``, else ``neutral``."""
    if config.fail_on is not None and _ORDER.index(review.level) >= _ORDER.index(config.fail_on):
        return "failure"
    return "neutral"


def _skipped(ctx: Context, ref: PullRequestRef) -> str | None:
    """Why this PR is not reviewed (paused, beyond the plan, suspended), or None."""
    if ctx.state.is_paused(ctx.full_name, ref.number):
        return f"reviews paused on {ctx.full_name}#{ref.number}"
    installation_id = ctx.installation_id
    if installation_id and ctx.state.repository_enabled(installation_id, ctx.full_name) is False:
        return f"{ctx.full_name} is beyond the plan's repository limit"
    recorded = ctx.state.installation(installation_id) if installation_id else None
    if recorded is not None and recorded.suspended:
        return f"installation {installation_id} is suspended"
    return None


async def review_and_report(ctx: Context, pull_request: dict[str, Any], *, pushed: bool) -> None:
    """Check run in progress, review, complete it with annotations, and update the comment.

    Raises :class:`~argus.github_app.delivery.StepsIncomplete` (after every other step) when a step
    failed for now, so the job is retried; steps GitHub refused for good are only logged.
    """
    ref = pull_request_ref(ctx.owner, ctx.repo, pull_request)
    reason = _skipped(ctx, ref)
    if reason is not None:
        ctx.log.info("%s", reason)
        return
    steps = Steps(ctx)
    run = await steps.run("check_run_start", lambda: open_check_run(ctx, ref.head_sha))
    try:
        review, config, notes, history_note = await _review(ctx, ref)
    except ArgusError as error:
        # Bad input (a diff that does not parse, ...) will not get better on a retry.
        ctx.log.warning("review failed: %s", error)
        if run is not None:
            title = "Argus could not review this change"
            await fail_check_run(ctx, steps, run, str(error), title)
        steps.finish()
        return
    except BaseException as error:
        if run is not None and ctx.final_attempt:
            await fail_check_run(ctx, steps, run, f"{type(error).__name__}: {error}")
        raise
    await _complete(ctx, steps, run, review, config, notes)
    await steps.run(
        "sticky_comment",
        lambda: post_comment(
            ctx, ref, pull_request, review, notes, pushed=pushed, history_note=history_note
        ),
    )
    if review.bugs:
        await steps.run("review_comments", lambda: post_review_comments(ctx, ref, review))
    steps.finish()


async def _review(
    ctx: Context, ref: PullRequestRef
) -> tuple[Review, RepoConfig, list[str], str | None]:
    """The review (on the repository's clone when there is one), its configuration, the notes
    for the report, and why the history is missing (None when it weighed in)."""
    config = await ctx.config(ref.base_sha)
    notes = [config.note] if config.note else []
    model = ctx.services.review_model or shipped_model()
    ignored = ctx.state.ignored_globs(ctx.full_name, ref.number)
    reviewed = await review_with_history(
        ctx.github,
        ref,
        config,
        model,
        ignored,
        ctx.services.clones,
        ctx.installation_id,
        (ctx.event.payload.get("repository") or {}).get("default_branch"),
        await ctx.attributes(ref.base_sha),
    )
    review = reviewed.review
    if config.generate_tests and ctx.services.generate_tests is not None:
        review, test_notes = await with_tests(ctx, review, config)
        notes.extend(test_notes)
    # The dashboard's point for this head (a retried delivery replaces it, never adds one).
    ctx.state.record_review(
        review_record(
            review,
            tenant=f"github-{ctx.installation_id}",
            repository=ctx.full_name,
            source="app",
            pull_request=ref.number,
        )
    )
    return review, config, notes, reviewed.history_note


async def _complete(
    ctx: Context,
    steps: Steps,
    run: CheckRun | None,
    review: Review,
    config: RepoConfig,
    notes: list[str],
) -> None:
    if run is None:
        return
    title = f"{review.level.value.capitalize()} risk ({review.probability:.0%})"
    output: dict[str, Any] = {"title": title, "summary": check_summary(review, notes)}
    await complete_check_run(
        ctx,
        steps,
        run,
        output,
        check_annotations(review),
        conclusion=conclusion_for(review, config),
        actions=ACTIONS,
    )


async def post_review_comments(ctx: Context, ref: PullRequestRef, review: Review) -> None:
    """The findings on lines the pull request adds, as one ``COMMENT`` review with line comments
    (a suggestion block where the fix is mechanical).

    Exactly once: the body of Argus's review (one written by a bot account) carries this
    delivery's step marker and the keys of the findings it comments on; a retry finds the
    marker, and a later push comments only on findings no earlier Argus review has (a finding
    keeps its key when its line moves). At most
    :data:`~argus.github_app.render.MAX_REVIEW_COMMENTS` comments a review.
    """
    github = ctx.github
    # Without a delivery id (a job made here, not by GitHub), the head commit names the attempt.
    marker = step_marker(ctx.event.delivery_id or ref.head_sha, "review_comments")
    # Only an App's reviews count: a person's review quoting the markers must not suppress ours.
    earlier = [
        r.get("body") or ""
        for r in await github.list_reviews(ctx.owner, ctx.repo, ref.number)
        if by_bot(r)
    ]
    if any(marker in body for body in earlier):
        return
    diff = await github.get_pull_request_diff(ctx.owner, ctx.repo, ref.number)
    added = {f.path: f.added_lines for f in parse_diff(diff).files if f.new_path is not None}
    posted = posted_finding_keys(earlier)
    fresh = [c for c in review_comments(review, added) if c["key"] not in posted]
    fresh = fresh[:MAX_REVIEW_COMMENTS]
    if not fresh:
        return
    keys = " ".join(c.pop("key") for c in fresh)
    body = (
        f"Argus: {plural(len(fresh), 'finding')} on lines this pull request changes "
        "(the summary is in Argus's comment).\n\n"
        f"{marker}\n<!-- argus:findings {keys} -->"
    )
    await github.create_review(
        ctx.owner, ctx.repo, ref.number, commit_id=ref.head_sha, body=body, comments=fresh
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
    """Create the sticky comment, or update it in place; remember the report
    (``history_note``: why the history is missing, None when it weighed in)."""
    previous = ctx.state.last_report(ctx.full_name, ref.number) if pushed else None
    link_for = file_link(str(pull_request.get("html_url", "")), ref.head_sha)
    body = comment_body(
        review, link_for=link_for, previous=previous, history_note=history_note, notes=notes
    )
    await upsert_comment(ctx, ref.number, MARKER, body)
    summary = review_summary(review)
    summary["pull_request"] = {
        "number": ref.number,
        "html_url": pull_request.get("html_url", ""),
        "base": {"sha": ref.base_sha},
        "head": {"sha": ref.head_sha},
    }
    ctx.state.save_report(ctx.full_name, ref.number, summary)
