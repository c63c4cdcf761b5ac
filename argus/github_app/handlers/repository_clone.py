"""push: fetch the repository's clone, and learn from its history in the background.

A push to the default branch fetches the App's clone (argus.github_app.clones) so the next review
finds it up to date, then runs ``argus learn``'s adaptation on it when it is due: once after
the first clone, then again every :data:`LEARN_EVERY` new commits. Learning runs on a thread
at low priority (nice 10) and keeps an adaptation only as ``argus.core.predict.adapt.learn`` does
(its never-worse rule). Nothing here fails the delivery: a fetch or a learning that fails is
logged and tried again on the next push.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from argus.github_app.context import Context
from argus.github_app.events import Event
from argus.github_app.repo_review import RepositoryClones, store_path

LEARN_EVERY = 200
"""New commits on the default branch after which the adaptation is learnt again."""
LEARN_NICE = 10
_LOG = logging.getLogger("argus.github_app.learn")


async def pushed(ctx: Context, event: Event) -> None:
    """Fetch the clone on a push to the default branch, and learn when it is due."""
    repositories: RepositoryClones | None = getattr(ctx.services, "clones", None)
    repository = event.payload.get("repository") or {}
    default_branch = str(repository.get("default_branch") or "")
    if repositories is None or ctx.installation_id is None or not default_branch:
        return
    if event.payload.get("ref") != f"refs/heads/{default_branch}" or event.payload.get("deleted"):
        return
    token = await repositories.token_for(ctx.installation_id)
    answer = await asyncio.to_thread(
        repositories.clones.ensure, ctx.owner, ctx.repo, token, (), default_branch
    )
    if answer.path is None:
        ctx.log.info("%s: no clone: %s", ctx.full_name, answer.reason)
        return
    report = await learn_if_due(answer.path)
    if report is not None:
        ctx.log.info("%s: learnt from the history: %s", ctx.full_name, report)


async def learn_if_due(clone: Path) -> dict[str, Any] | None:
    """Learn on ``clone`` when it never was, or :data:`LEARN_EVERY` commits ago; the
    report (``argus learn --format json``'s fields) or None when not due."""
    # A thread of its own, niced for good (nice cannot be undone without privileges).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="argus-learn") as pool:
        return await asyncio.get_running_loop().run_in_executor(pool, _learn_if_due, clone)


def _learn_if_due(clone: Path) -> dict[str, Any] | None:
    from argus.core.diff.git import run_git

    marker = clone.parent / f"{clone.name.removesuffix('.git')}.learned"
    count = int(run_git(clone, "rev-list", "--count", "HEAD").strip() or 0)
    try:
        learnt_at = int(json.loads(marker.read_text(encoding="utf-8"))["commits"])
    except (OSError, ValueError, KeyError, TypeError):
        learnt_at = None
    if learnt_at is not None and count - learnt_at < LEARN_EVERY:
        return None
    _lower_this_threads_priority()
    report = learn_on(clone)
    marker.write_text(json.dumps({"commits": count}), encoding="utf-8")
    return report


def learn_on(clone: Path) -> dict[str, Any]:
    """``argus learn`` on the clone, into the clone's store (where its reviews read it)."""
    from dataclasses import asdict

    from argus.core.predict.adapt import learn
    from argus.core.predict.model import load_model
    from argus.core.store.sqlite import SQLiteStore

    path = store_path(clone)
    path.parent.mkdir(parents=True, exist_ok=True)
    with SQLiteStore.open(path) as store:
        report = learn(store, clone, load_model(), workers=1)
    return {k: v for k, v in asdict(report).items() if isinstance(v, int | float | str | None)}


def _lower_this_threads_priority() -> None:
    # Linux nice values are per thread: only this learning thread yields to the reviews.
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, max(os.getpriority(os.PRIO_PROCESS, tid), LEARN_NICE))
    except OSError as error:
        _LOG.info("could not lower the learning thread's priority: %s", error)
