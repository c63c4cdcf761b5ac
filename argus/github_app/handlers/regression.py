"""Production errors into the repository: a PR adding the regression test generated for one."""

from __future__ import annotations

import re
from typing import Any

from argus.core.predict.findings import GeneratedTest
from argus.github_app.context import Context


def regression_branch(test: GeneratedTest) -> str:
    """The branch the test is pushed to (one per pattern, so a repeat does not pile up)."""
    key = test.pattern_id or f"{test.target_path}-{test.target_symbol}"
    return "argus/regression-" + re.sub(r"[^A-Za-z0-9._-]+", "-", key).strip("-")[:60]


async def open_regression_test_pr(
    ctx: Context, test: GeneratedTest, base: str = "main"
) -> dict[str, Any]:
    """Open a PR on ``base`` that adds ``test``; return GitHub's pull request JSON."""
    validation = test.validation
    checks = []
    if validation.fails_before:
        checks.append("fails on the code where the error happened")
    if validation.passes_after:
        checks.append(f"passes on the fix ({validation.passed_runs}/{validation.runs} runs)")
    body = (
        f"Argus generated this regression test for a production error in "
        f"`{test.target_symbol}` (`{test.target_path}`).\n\n"
        f"Validated: {', '.join(checks) or 'not validated'}.\n"
    )
    if validation.fails_before and validation.passes_after is None:
        body += "\nThe test fails until the error is fixed: merge it with the fix.\n"
    if test.pattern_id:
        body += f"\nError pattern: `{test.pattern_id}`\n"
    return await ctx.github.create_branch_commit_and_pr(
        ctx.owner,
        ctx.repo,
        base=base,
        branch=regression_branch(test),
        files={test.path: test.source},
        title=f"Regression test for {test.target_symbol}",
        body=body,
    )
