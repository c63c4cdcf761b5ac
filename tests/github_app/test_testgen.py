"""Slash-command test generation in a real clone, through the free tier's real sandbox."""

from __future__ import annotations

import asyncio
from pathlib import Path

from argus.core.router.ledger import CostLedger
from argus.core.router.prices import load_price_table
from argus.core.router.providers.local import LocalProvider
from argus.core.router.router import Router
from argus.core.store.sqlite import SQLiteStore
from argus.core.testgen.service import register_free_tier
from argus.github_app.dispatch import dispatch
from argus.github_app.plans import current_month
from argus.github_app.testgen import CheckoutTestGenerator
from tests.core.testgen.sandbox_repos import git
from tests.core.testgen.test_service import PRICING_AFTER, PRICING_BEFORE
from tests.github_app.conftest import payload, webhook_event


def _clone(root: Path) -> tuple[Path, str, str]:
    repo = root / "Codertocat" / "Hello-World"
    (repo / "shop").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "shop" / "__init__.py").write_text("")
    (repo / "shop" / "pricing.py").write_text(PRICING_BEFORE)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "prices")
    base = git(repo, "rev-parse", "HEAD")
    (repo / "shop" / "pricing.py").write_text(PRICING_AFTER)
    git(repo, "commit", "-q", "-am", "refuse bad quantities")
    return repo, base, git(repo, "rev-parse", "HEAD")


def test_argus_tests_generates_validated_tests_in_the_clone_and_meters_them(
    tmp_path: Path, github, deps, state
):
    repo, base, head = _clone(tmp_path / "clones")
    github.diff = git(repo, "diff", base, head, "--", ".") + "\n"
    github.files[("shop/pricing.py", base)] = PRICING_BEFORE.encode()
    github.files[("shop/pricing.py", head)] = PRICING_AFTER.encode()
    github.permissions["Codertocat"] = "write"
    ledger_store = SQLiteStore.open(tmp_path / "ledger.db")

    def router_for(plan: str) -> Router:
        local = LocalProvider()
        register_free_tier(local)
        return Router(
            [local], load_price_table(), ledger=CostLedger(ledger_store, default_plan=plan)
        )

    deps.generate_tests = CheckoutTestGenerator(tmp_path / "clones", router_for)
    state.record_installation(1, "Codertocat")

    opened = payload("pull_request.opened.payload.json")
    opened["pull_request"]["base"]["sha"], opened["pull_request"]["head"]["sha"] = base, head
    asyncio.run(dispatch(webhook_event("pull_request", opened, "d-1"), deps))

    comment = payload("issue_comment.created.with-installation.payload.json")
    comment["issue"]["number"] = 2
    comment["issue"]["pull_request"] = {"url": "x"}
    comment["comment"]["body"] = "/argus tests shop/pricing.py:unit_price"
    asyncio.run(dispatch(webhook_event("issue_comment", comment, "d-2"), deps))

    reply = [f["body"] for n, f in github.calls if n == "create_comment"][-1]
    assert reply.startswith("Generated 1 tests"), reply
    assert "for `unit\\_price`: passed 3/3 runs" in reply
    assert state.test_runs(1, current_month()) == 1
    ledger_store.close()


def test_no_clone_means_no_tests(tmp_path: Path, github, deps):
    generator = CheckoutTestGenerator(tmp_path, lambda plan: None)
    assert generator.checkout("Codertocat", "Hello-World", "abc") is None


def test_build_deps_generates_tests_in_the_clones_of_argus_github_checkouts(tmp_path: Path):
    from argus.github_app.settings import AppSettings
    from argus.github_app.worker import build_deps
    from tests.servers.github_api import rsa_key_pair

    private_key, _ = rsa_key_pair()
    (tmp_path / "clones").mkdir()
    settings = AppSettings(
        1, private_key, "secret", database_url=f"sqlite:///{tmp_path / 'app.db'}"
    )
    store = SQLiteStore.open(tmp_path / "state.db")
    assert build_deps(settings, store=store).generate_tests is None

    wired = AppSettings(
        1,
        private_key,
        "secret",
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        checkouts_dir=tmp_path / "clones",
    )
    generator = build_deps(wired, store=store).generate_tests
    assert isinstance(generator, CheckoutTestGenerator)
    assert generator.root == tmp_path / "clones"
    router = generator.router_for("pro")  # the CLI's router, metered on the plan asked for
    assert isinstance(router, Router) and router.ledger.default_plan == "pro"
    store.close()
