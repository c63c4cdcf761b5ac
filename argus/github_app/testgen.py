"""Test generation for the App, in local clones the operator keeps under one directory.

The API gives no checkout, and tests must run in the sandbox against real files, so the App
generates tests only for repositories cloned at ``<root>/<owner>/<repo>`` that hold the PR's
head commit. Anything else gives no tests (and the reply or comment says so).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from argus.core.diff.git import changeset_for_review, run_git
from argus.core.errors import ArgusError
from argus.core.predict.findings import GeneratedTest, Review
from argus.core.router.generation import Tier
from argus.core.testgen.service import GenerationLog, changed_lines_of, generate_for_review_async


def matching(review: Review, target: str | None) -> Review:
    """``review`` narrowed to ``path`` or ``path:function`` (all of it when None)."""
    if not target:
        return review
    path, _, function = target.partition(":")
    symbols = tuple(
        s for s in review.symbols if s.path == path and (not function or s.name == function)
    )
    return replace(review, symbols=symbols)


class CheckoutTestGenerator:
    """``Deps.generate_tests``: validated tests from the clone of the PR's repository.

    ``router_for(plan)`` builds the model router whose ledger meters the plan's budget.
    """

    def __init__(self, root: Path, router_for: Callable[[str], Any], max_tests: int = 3) -> None:
        self.root = root
        self.router_for = router_for
        self.max_tests = max_tests

    def checkout(self, owner: str, repo: str, head: str | None) -> Path | None:
        """The clone of ``owner/repo`` when it holds ``head``, else None."""
        path = self.root / owner / repo
        if head is None or not (path / ".git").exists():
            return None
        found = run_git(path, "cat-file", "-t", head, check=False).strip()
        return path if found == b"commit" else None

    async def __call__(
        self, *, ctx: Any, review: Review, tier: Tier, target: str | None
    ) -> tuple[GeneratedTest, ...]:
        """Tests for the riskiest (or the targeted) changed functions; () without a clone."""
        repo = self.checkout(ctx.owner, ctx.repo, review.head)
        if repo is None:
            ctx.log.info("no clone of %s at %s: no tests", ctx.full_name, review.head)
            return ()
        try:
            changeset = await asyncio.to_thread(
                changeset_for_review, repo, review.base, review.head
            )
        except ArgusError as error:
            ctx.log.warning("cannot diff the clone: %s", error)
            return ()
        installation = ctx.state.installation(ctx.installation_id) if ctx.installation_id else None
        router = self.router_for(installation.plan if installation else "free")
        log = GenerationLog()
        try:
            tests = await generate_for_review_async(
                matching(review, target),
                repo,
                review.head,
                changed_lines_of(changeset.files),
                router=router,
                max_tests=self.max_tests,
                tenant=f"github-{ctx.installation_id}",
                max_tier=tier,
                log=log,
            )
        finally:
            await router.aclose()  # a router per job: its clients end with it
        for note in log.notes[-3:]:
            ctx.log.info("test generation: %s", note)
        return tuple(tests)
