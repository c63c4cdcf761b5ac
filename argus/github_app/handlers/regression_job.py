"""The queued job that opens a regression-test PR, so ingestion can hand the test over.

Ingestion (or any producer) enqueues ``regression_payload(...)`` with the kind
:data:`REGRESSION_KIND`; the worker runs :func:`handle`, which opens the PR via the port.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from argus.core.predict.findings import GeneratedTest, TestValidation
from argus.github_app.context import Context
from argus.github_app.events import Event
from argus.github_app.handlers.regression import open_regression_test_pr
from argus.github_app.handlers.regression_origin import tell_the_introducing_pull_request

REGRESSION_KIND = "argus_regression_test"


def regression_payload(
    installation_id: int,
    full_name: str,
    test: GeneratedTest,
    base: str = "main",
    origin: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The job payload for :func:`handle` (shaped like a webhook's, so the context works).

    ``origin`` (``argus.regression_jobs.introduced_by``) names the commit that wrote the
    failing line, the error and its occurrences: the App comments on that commit's pull request.
    """
    payload = {
        "installation": {"id": installation_id},
        "repository": {"full_name": full_name},
        "base": base,
        "test": asdict(test),
    }
    if origin is not None:
        payload["origin"] = origin
    return payload


async def handle(ctx: Context, event: Event) -> None:
    """Open the PR adding the test, for a repository of an installation the App knows.

    An unknown or suspended installation, or a repository the installation does not cover
    (or its plan does not enable), gets no PR: the job ends with the reason in the log.
    """
    refusal = _refusal(ctx)
    if refusal is not None:
        ctx.log.warning("no regression-test PR on %s: %s", ctx.full_name, refusal)
        return
    data = dict(event.payload["test"])
    data["validation"] = TestValidation(**data.get("validation") or {})
    pull = await open_regression_test_pr(
        ctx, GeneratedTest(**data), base=str(event.payload.get("base") or "main")
    )
    ctx.log.info("regression test PR opened: #%s", pull.get("number"))
    origin = event.payload.get("origin")
    if isinstance(origin, dict):
        await tell_the_introducing_pull_request(ctx, origin, pull)


def _refusal(ctx: Context) -> str | None:
    installation_id = ctx.installation_id
    installation = ctx.state.installation(installation_id) if installation_id else None
    if installation is None:
        return f"installation {installation_id} is not known to this App (never installed?)"
    if installation.suspended:
        return f"installation {installation_id} is suspended"
    enabled = ctx.state.repository_enabled(installation.installation_id, ctx.full_name)
    if enabled is None:
        return f"installation {installation_id} does not cover {ctx.full_name}"
    if not enabled:
        return f"{ctx.full_name} is beyond the {installation.plan} plan's repositories"
    return None
