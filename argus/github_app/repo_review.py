"""A pull request reviewed with its repository's history: the App's clone of the repository
(argus.github_app.clones) handed to core's review service, as ``argus review`` does on a checkout,
so the review carries the history factors and the adaptation ``argus learn`` saved in the clone's
store.

Whenever there is no usable clone (none configured, the token could not be had, the fetch
failed, the repository is beyond the disk budget) the review runs from the API alone and the
comment's footer says why; the delivery is never held up by the clone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from argus.core.classify import GitAttributes
from argus.core.diff import parse_diff
from argus.core.errors import ArgusError, ConfigError
from argus.core.predict.findings import Review
from argus.core.predict.service import ReviewService, ServiceOptions
from argus.core.report.markdown import escape
from argus.github_app.clones import CloneManager
from argus.github_app.config import RepoConfig
from argus.github_app.ports import GitHubPort
from argus.github_app.review_service import (
    NO_HISTORY_NOTE,
    PullRequestRef,
    fetch_linter_configs,
    fetch_sources,
    filtered,
    review_pull_request,
)

_LOG = logging.getLogger("argus.github_app.repo_review")

TokenSource = Callable[[int], Awaitable[str]]
"""``token_for(installation_id)``: an installation access token (contents: read)."""
ErrorLocations = Callable[[str], Sequence[tuple[str, str, int]]]
"""``errors_for("owner/name")``: the production errors filed for the repository, as
``(path, function, occurrences)`` (``argus.core.patterns`` location counts); blocking."""


@dataclass
class RepositoryClones:
    """What history-aware reviews need: the clones, a source of installation tokens and, when
    error ingestion runs beside the App, the production errors of each repository."""

    clones: CloneManager
    token_for: TokenSource
    errors_for: ErrorLocations | None = None
    wait_seconds: float = 120.0
    """How long a review waits for the clone or fetch; a longer one (a big repository's first
    clone) goes on in the background and this review runs from the API."""


@dataclass(frozen=True)
class HistoryReview:
    """A review and the footer note saying why history is missing (None: it weighed in)."""

    review: Review
    history_note: str | None


def repository_clones_from_environment(
    token_for: TokenSource,
    api_url: str,
    environ: Mapping[str, str],
    errors_for: ErrorLocations | None = None,
) -> RepositoryClones | None:
    """The clones ``ARGUS_GITHUB_CLONES`` (a directory) configures, None when unset.

    ``ARGUS_GITHUB_CLONE_BUDGET_MB`` caps their disk use (default 20480);
    ``ARGUS_GITHUB_GIT_URL`` is the git host (default: github.com for api.github.com, the
    Enterprise host for ``https://host/api/v3``)."""
    root = environ.get("ARGUS_GITHUB_CLONES", "").strip()
    if not root:
        return None
    budget_text = environ.get("ARGUS_GITHUB_CLONE_BUDGET_MB", "").strip() or "20480"
    try:
        budget = int(float(budget_text) * 1024**2)
    except ValueError:
        raise ConfigError(
            f"ARGUS_GITHUB_CLONE_BUDGET_MB must be a number of megabytes, got {budget_text!r}"
        ) from None
    if budget <= 0:
        raise ConfigError(f"ARGUS_GITHUB_CLONE_BUDGET_MB must be positive, got {budget_text!r}")
    git_url = environ.get("ARGUS_GITHUB_GIT_URL", "").strip() or git_host_for(api_url)
    return RepositoryClones(
        CloneManager(Path(root).expanduser(), git_url, budget_bytes=budget), token_for, errors_for
    )


def git_host_for(api_url: str) -> str:
    """Where git clones live for the REST API at ``api_url``."""
    url = api_url.rstrip("/")
    if url == "https://api.github.com":
        return "https://github.com"
    return url.removesuffix("/api/v3")


def store_path(clone: Path) -> Path:
    """The clone's store: where ``argus review --repo <clone>`` keeps its history and
    adaptation, so history, adaptation and reviews agree with the command line."""
    return clone / ".argus" / "argus.db"


async def review_with_history(
    github: GitHubPort,
    ref: PullRequestRef,
    config: RepoConfig,
    model: Any,
    extra_ignored: list[str],
    repositories: RepositoryClones | None,
    installation_id: int | None,
    default_branch: str | None = None,
    attributes: GitAttributes | None = None,
) -> HistoryReview:
    """The PR's review on the repository's clone when there is one, else from the API alone
    (``history_note`` then says why). The history is ``default_branch``'s (the webhook's
    ``repository.default_branch``; None: the remote's HEAD). Faults of the clone never raise;
    the API's do."""
    reason = None
    clone: Path | None = None
    if repositories is None or installation_id is None:
        reason = "no repository clone is configured for the App"
    else:
        try:
            token = await repositories.token_for(installation_id)
            # The thread goes on when the wait is over: the clone is there for a later review.
            fetching = asyncio.ensure_future(
                asyncio.to_thread(
                    repositories.clones.ensure,
                    ref.owner,
                    ref.repo,
                    token,
                    (ref.base_sha, ref.head_sha),
                    default_branch,
                )
            )
            done, _ = await asyncio.wait({fetching}, timeout=repositories.wait_seconds)
            if done:
                answer = fetching.result()
                clone, reason = answer.path, answer.reason
            else:
                fetching.add_done_callback(_log_late)
                reason = (
                    f"the repository is still being fetched after {repositories.wait_seconds:g} s;"
                    " later reviews will carry its history"
                )
        except Exception as error:  # noqa: BLE001 - no clone never blocks the review
            _LOG.warning("%s/%s: no clone: %s", ref.owner, ref.repo, error)
            reason = f"the repository could not be fetched ({type(error).__name__})"
    if clone is None:
        review = await review_pull_request(github, ref, config, model, extra_ignored, attributes)
        return HistoryReview(review, _note(reason))
    diff = await github.get_pull_request_diff(ref.owner, ref.repo, ref.number)
    changeset = filtered(
        parse_diff(diff, base=ref.base_sha, head=ref.head_sha), config, extra_ignored
    )
    sources = await fetch_sources(github, ref, changeset)
    options = ServiceOptions(
        thresholds=config.thresholds,
        rules=config.rules,
        rule_levels=dict(config.rule_levels),
        attributes=attributes,
        linter_configs=await fetch_linter_configs(github, ref, changeset),
    )
    assert repositories is not None
    errors_for = repositories.errors_for

    def run() -> tuple[Review, str | None]:
        locations = _locations(errors_for, f"{ref.owner}/{ref.repo}")
        service = _CloneReviewService(clone, locations, store_path=store_path(clone), model=model)
        with service:
            return service.review(changeset, sources, options), service.history_problem

    try:
        review, problem = await asyncio.to_thread(run)
    except (ArgusError, OSError) as error:
        _LOG.warning("%s/%s: review on the clone failed: %s", ref.owner, ref.repo, error)
        review = await review_pull_request(github, ref, config, model, extra_ignored, attributes)
        return HistoryReview(review, _note("the repository's clone could not be read"))
    if problem:
        # Said once, in the footer where the App says what the history could not give.
        review = replace(review, warnings=tuple(w for w in review.warnings if w != problem))
        return HistoryReview(review, escape(f"History factors left out: {problem.rstrip('.')}."))
    return HistoryReview(review, None)


def _log_late(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        _LOG.warning("a clone finished late with an error: %s", task.exception())


class _CloneReviewService(ReviewService):
    """The review service on a clone, with the production errors filed for the repository
    where ingestion keeps them (None: the clone's own store, as ``argus review``)."""

    def __init__(
        self, clone: Path, locations: Sequence[tuple[str, str, int]] | None, **options: Any
    ) -> None:
        super().__init__(clone, **options)
        self._linked = locations

    def production_errors(self, paths: Iterable[str]) -> dict[tuple[str, str], int]:
        """Counts from the repository's linked ingestion project, when one is known."""
        if self._linked is None:
            return super().production_errors(paths)
        from argus.core.patterns.risk_feedback import count_by_function

        return count_by_function(self._linked, paths) if self._linked else {}


def _locations(
    errors_for: ErrorLocations | None, full_name: str
) -> Sequence[tuple[str, str, int]] | None:
    if errors_for is None:
        return None
    try:
        return list(errors_for(full_name))
    except Exception as error:  # noqa: BLE001 - errors are a factor, never a reason to fail
        _LOG.warning("%s: production errors not read: %s", full_name, error)
        return []


def _note(reason: str | None) -> str:
    if not reason:
        return NO_HISTORY_NOTE
    return f"{NO_HISTORY_NOTE} Why: {reason.rstrip('.')}."
