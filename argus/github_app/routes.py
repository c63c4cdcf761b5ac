"""The App's event table: every handler registered from this one place, Probot style.

Handlers are leaves: they import the context, the shared delivery steps and core, never the
dispatcher. Adding an event means writing its handler and one ``app.on`` line here.
"""

from __future__ import annotations

from argus.github_app.dispatch import Dispatcher
from argus.github_app.handlers import (
    check_run,
    installation,
    issue_comment,
    marketplace,
    merges,
    pull_request,
    regression_job,
    repository_clone,
)


def register(app: Dispatcher) -> Dispatcher:
    """Add every handler of the App to ``app`` and return it."""
    for action in pull_request.ACTIONS_REVIEWED:
        app.on(f"pull_request.{action}", pull_request.handle)
    app.on("issue_comment.created", issue_comment.handle)
    app.on("check_run.requested_action", check_run.requested_action)
    app.on("check_run.rerequested", check_run.rerequested)
    app.on("check_suite.rerequested", check_run.suite_rerequested)
    app.on("installation.created", installation.created)
    app.on("installation.deleted", installation.deleted)
    app.on("installation.suspend", installation.suspended)
    app.on("installation.unsuspend", installation.unsuspended)
    app.on("installation_repositories.added", installation.repositories_added)
    app.on("installation_repositories.removed", installation.repositories_removed)
    app.on(regression_job.REGRESSION_KIND, regression_job.handle)
    # Marketplace purchases: purchased and changed both put the account on the plan.
    app.on("marketplace_purchase.purchased", marketplace.purchased)
    app.on("marketplace_purchase.changed", marketplace.purchased)
    app.on("marketplace_purchase.cancelled", marketplace.cancelled)
    app.on("marketplace_purchase.pending_change", marketplace.pending_change)
    app.on("marketplace_purchase.pending_change_cancelled", marketplace.pending_change_cancelled)
    # A merged pull request: recorded for the dashboard's time to merge.
    app.on("pull_request.closed", merges.handle)
    # A push to the default branch: fetch the repository's clone (and learn in the background).
    app.on("push", repository_clone.pushed)
    return app


def default_dispatcher() -> Dispatcher:
    """The App's table: every handler registered."""
    return register(Dispatcher())
