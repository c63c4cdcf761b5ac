"""Test generation from the App: quota first, tier capped by plan and ``.argus.yml``, metered."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from argus.core.predict.findings import GeneratedTest, Review
from argus.core.report.markdown import escape
from argus.github_app.config import RepoConfig
from argus.github_app.context import Context
from argus.github_app.notices import pull_request_number, quota_marker, say_once
from argus.github_app.plans import capped_tier, current_month, quota_for
from argus.github_app.review_service import pull_request_ref, review_pull_request, shipped_model

NO_GENERATOR = (
    "Test generation needs a checkout of the repository on the Argus server, and none is "
    "configured; the review above is complete without tests."
)


def quota_note(ctx: Context) -> str | None:
    """A polite refusal when the installation's monthly test runs are used up, else None."""
    quota = quota_for(ctx.state, ctx.installation_id)
    if not quota.exhausted:
        return None
    return (
        f"The {quota.plan.capitalize()} plan's {quota.limit} test runs for this month are used "
        "up; tests will be generated again next month (or on a larger plan)."
    )


async def with_tests(
    ctx: Context, review: Review, config: RepoConfig, target: str | None = None
) -> tuple[Review, list[str]]:
    """``review`` with generated tests when the plan allows; notes say why not otherwise, except
    a used-up quota, which is said once on the pull request (argus/github_app/notices.py)."""
    deps = ctx.services
    if deps.generate_tests is None:
        return review, [NO_GENERATOR]
    refusal = quota_note(ctx)
    if refusal:
        # Said once on the PR (a comment of its own), not in the report of every push.
        number = pull_request_number(ctx.event)
        if number is None:
            return review, [refusal]
        await say_once(ctx, number, quota_marker(), refusal)
        return review, []
    quota = quota_for(ctx.state, ctx.installation_id)
    tier = capped_tier(config.max_tier, quota)
    tests: tuple[GeneratedTest, ...] = await deps.generate_tests(
        ctx=ctx, review=review, tier=tier, target=target
    )
    if ctx.installation_id is not None:
        ctx.state.add_test_runs(ctx.installation_id, current_month(), max(1, len(tests)))
    return replace(review, tests=tuple(review.tests) + tuple(tests)), []


async def tests_reply(ctx: Context, pull_request: dict[str, Any], target: str | None) -> str:
    """Generate tests for a PR (``/argus tests``, the "Generate tests" button): the reply."""
    refusal = quota_note(ctx)
    if refusal:
        return refusal
    ref = pull_request_ref(ctx.owner, ctx.repo, pull_request)
    config = await ctx.config(ref.base_sha)
    ignored = ctx.state.ignored_globs(ctx.full_name, ref.number)
    model = ctx.services.review_model or shipped_model()
    attributes = await ctx.attributes(ref.base_sha)
    review = await review_pull_request(ctx.github, ref, config, model, ignored, attributes)
    review, notes = await with_tests(ctx, review, config, target)
    if notes:
        return "\n\n".join(notes)
    if not review.tests:
        return (
            "No generated test survived validation (or the repository has no clone on the "
            "Argus server holding this commit)."
        )
    lines = [f"Generated {len(review.tests)} tests:"]
    for test in review.tests:
        validation = test.validation
        lines.append(
            f"- `{escape(test.path, 120)}` for `{escape(test.target_symbol, 80)}`: "
            f"passed {validation.passed_runs}/{validation.runs} runs"
        )
    return "\n".join(lines)
