"""A pull request reviewed through the API: diff and both sides of each file from the port,
then core's review service on the change alone. No clone, so no history: the comment's footer
says so.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

from argus.core.classify import GitAttributes
from argus.core.diff import ChangeSet, parse_diff
from argus.core.lang.languages import language_for_path
from argus.core.predict.findings import Review
from argus.core.predict.linters import ruff_config_paths
from argus.core.predict.review import Sources
from argus.core.predict.service import ReviewService, ServiceOptions
from argus.core.predict.service import shipped_model as _shipped_model
from argus.github_app.config import RepoConfig
from argus.github_app.ports import GitHubPort

NO_HISTORY_NOTE = (
    "Reviewed from the pull request alone: no repository history is available through the "
    "GitHub API, so the history factors (past fixes, authors, age) did not weigh in."
)
MAX_FILES = 300
# Ruff configuration files looked for (pyproject.toml, ruff.toml, .ruff.toml per folder).
MAX_CONFIG_FILES = 30


@dataclass(frozen=True)
class PullRequestRef:
    """Where a PR's two sides are."""

    owner: str
    repo: str
    number: int
    base_sha: str
    head_sha: str


def pull_request_ref(owner: str, repo: str, pull_request: dict[str, Any]) -> PullRequestRef:
    """The ref of a PR from its webhook JSON."""
    return PullRequestRef(
        owner,
        repo,
        int(pull_request["number"]),
        str(pull_request["base"]["sha"]),
        str(pull_request["head"]["sha"]),
    )


def filtered(changeset: ChangeSet, config: RepoConfig, extra_ignored: list[str]) -> ChangeSet:
    """The change without ignored paths and, when ``languages`` is set, other languages."""
    kept = []
    for change in changeset.files:
        if config.ignores(change.path, extra_ignored):
            continue
        if config.languages:
            language = language_for_path(change.path)
            if language is None or language.lower() not in config.languages:
                continue
        kept.append(change)
    return replace(changeset, files=tuple(kept))


async def fetch_sources(github: GitHubPort, ref: PullRequestRef, changeset: ChangeSet) -> Sources:
    """Both sides of every changed text file, fetched concurrently."""
    files = [f for f in changeset.files if not f.is_binary][:MAX_FILES]
    olds = [f.old_path for f in files if f.old_path]
    news = [f.new_path for f in files if f.new_path]

    async def fetch(path: str, sha: str) -> bytes | None:
        return await github.get_file(ref.owner, ref.repo, path, sha)

    old_texts = await asyncio.gather(*(fetch(path, ref.base_sha) for path in olds))
    new_texts = await asyncio.gather(*(fetch(path, ref.head_sha) for path in news))
    return Sources(
        old=dict(zip(olds, old_texts, strict=True)), new=dict(zip(news, new_texts, strict=True))
    )


async def fetch_linter_configs(
    github: GitHubPort, ref: PullRequestRef, changeset: ChangeSet
) -> dict[str, bytes]:
    """The repository's ruff configuration files for the changed Python files, from the base
    (like ``.argus.yml``: a pull request does not get to switch the rules off for itself)."""
    paths = sorted(ruff_config_paths(changeset), key=lambda path: (path.count("/"), path))
    paths = paths[:MAX_CONFIG_FILES]
    texts = await asyncio.gather(
        *(github.get_file(ref.owner, ref.repo, path, ref.base_sha) for path in paths)
    )
    return {path: text for path, text in zip(paths, texts, strict=True) if text is not None}


async def review_pull_request(
    github: GitHubPort,
    ref: PullRequestRef,
    config: RepoConfig,
    model: Any,
    extra_ignored: list[str],
    attributes: GitAttributes | None = None,
) -> Review:
    """Core's review of the PR, history-free, with the repository's thresholds (and its
    ``.gitattributes``)."""
    diff = await github.get_pull_request_diff(ref.owner, ref.repo, ref.number)
    changeset = parse_diff(diff, base=ref.base_sha, head=ref.head_sha)
    changeset = filtered(changeset, config, extra_ignored)
    sources = await fetch_sources(github, ref, changeset)
    service = ReviewService(None, model=model)
    options = ServiceOptions(
        thresholds=config.thresholds,
        rules=config.rules,
        rule_levels=dict(config.rule_levels),
        attributes=attributes,
        linter_configs=await fetch_linter_configs(github, ref, changeset),
    )
    # Parsing and scoring are CPU work: off the event loop.
    return await asyncio.to_thread(service.review, changeset, sources, options)


def shipped_model() -> Any:
    """The scoring model shipped with Argus (loaded once per process)."""
    return _shipped_model()
