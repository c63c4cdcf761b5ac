"""check_run requested_action (the "Generate tests" and "Re-run" buttons) and rerequested."""

from __future__ import annotations

from typing import Any

from argus.github_app.context import Context
from argus.github_app.delivery import Steps, reply
from argus.github_app.events import Event
from argus.github_app.render import CHECK_NAME
from argus.github_app.reporting import review_and_report
from argus.github_app.test_requests import tests_reply


def _pull_requests(ctx: Context, event: Event) -> list[dict[str, Any]]:
    check_run = event.payload["check_run"]
    if check_run.get("name") != CHECK_NAME:
        return []
    html_url = str((event.payload.get("repository") or {}).get("html_url", ""))
    found = []
    for pull_request in check_run.get("pull_requests") or []:
        found.append({**pull_request, "html_url": f"{html_url}/pull/{pull_request['number']}"})
    return found


async def requested_action(ctx: Context, event: Event) -> None:
    """Re-run the review, with tests when "Generate tests" was pressed."""
    identifier = (event.payload.get("requested_action") or {}).get("identifier")
    for pull_request in _pull_requests(ctx, event):
        if identifier == "generate_tests":
            number = int(pull_request["number"])
            answer = await tests_reply(ctx, pull_request, None)
            steps = Steps(ctx)
            await steps.run(
                "reply",
                lambda n=number, a=answer: reply(ctx, n, a, f"tests_{n}"),  # type: ignore[misc]
            )
            steps.finish()
        elif identifier == "rerun":
            await review_and_report(ctx, pull_request, pushed=True)


async def rerequested(ctx: Context, event: Event) -> None:
    """Review again when someone presses GitHub's own "Re-run"."""
    for pull_request in _pull_requests(ctx, event):
        await review_and_report(ctx, pull_request, pushed=True)


async def suite_rerequested(ctx: Context, event: Event) -> None:
    """Review again when someone re-runs all checks of a commit that has open PRs."""
    html_url = str((event.payload.get("repository") or {}).get("html_url", ""))
    for pull_request in event.payload["check_suite"].get("pull_requests") or []:
        number = pull_request["number"]
        await review_and_report(
            ctx, {**pull_request, "html_url": f"{html_url}/pull/{number}"}, pushed=True
        )
