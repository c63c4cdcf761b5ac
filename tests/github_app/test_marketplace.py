"""marketplace_purchase deliveries set plans; installation events enforce repository limits; a
used-up quota is said once on a pull request.

The marketplace_purchase payloads in tests/fixtures/marketplace-webhooks/ follow the schemas of
@octokit/openapi-webhooks 12.1.0 (webhook-marketplace-purchase-*; checked with jsonschema when
they were written).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
from pathlib import Path

import pytest

from argus.github_app.dispatch import dispatch
from argus.github_app.events import Event
from argus.github_app.plans import current_month, quota_for
from argus.github_app.state import AppState
from tests.github_app.changes import added_file_diff, risky_module
from tests.github_app.conftest import HEAD, payload
from tests.postgres_support import BACKENDS, row_store


@pytest.fixture(params=BACKENDS)
def state(request, tmp_path):
    """The App's state on SQLite and on the shared PostgreSQL store: the same tests on both."""
    with row_store(request.param, tmp_path) as store:
        yield AppState(store)


MARKETPLACE = Path(__file__).resolve().parents[1] / "fixtures" / "marketplace-webhooks"
ACCOUNT = "Codertocat"
INSTALLATION = payload("installation.created.payload.json")["installation"]["id"]


def fixture(name: str) -> dict:
    if name.startswith("marketplace_purchase."):
        return json.loads((MARKETPLACE / name).read_text(encoding="utf-8"))
    return payload(name)


_DELIVERIES = itertools.count(1)


def deliver(deps, name: str, change=None) -> None:
    """One delivery of the recorded payload ``name``, with a delivery id of its own (as GitHub
    gives every delivery: the App's side effects are exactly-once per delivery)."""
    data = fixture(name)
    if change:
        change(data)
    delivery = f"delivery-{next(_DELIVERIES)}"
    asyncio.run(dispatch(Event(name.split(".", 1)[0], data, delivery), deps))


def marketplace(deps, action: str, change=None) -> None:
    deliver(deps, f"marketplace_purchase.{action}.payload.json", change)


def install_with(deps, repositories: int) -> None:
    def with_repositories(data):
        data["repositories"] = [{"full_name": f"{ACCOUNT}/r{i}"} for i in range(repositories)]

    deliver(deps, "installation.created.payload.json", with_repositories)


def test_a_purchase_before_the_install_gives_the_new_installation_its_plan(deps, state):
    marketplace(deps, "purchased")  # Pro
    install_with(deps, 7)

    installation = state.installation(INSTALLATION)
    assert installation.plan == "pro"
    assert installation.repositories == tuple(f"{ACCOUNT}/r{i}" for i in range(5))
    assert quota_for(state, INSTALLATION).limit == 1_000


def test_purchase_change_and_cancel_move_the_plan_and_the_repository_limit(deps, state):
    install_with(deps, 7)
    assert state.installation(INSTALLATION).repositories == (f"{ACCOUNT}/r0",)

    marketplace(deps, "purchased")  # Free -> Pro: five repositories
    assert state.installation(INSTALLATION).plan == "pro"
    assert state.enabled_repository_count(INSTALLATION) == 5

    marketplace(deps, "changed")  # Pro -> Team: all of them
    assert state.installation(INSTALLATION).plan == "team"
    assert state.enabled_repository_count(INSTALLATION) == 7
    assert quota_for(state, INSTALLATION).limit == 10_000

    marketplace(deps, "cancelled")  # back to Free: the first repository stays
    assert state.installation(INSTALLATION).plan == "free"
    assert state.installation(INSTALLATION).repositories == (f"{ACCOUNT}/r0",)
    assert state.repository_enabled(INSTALLATION, f"{ACCOUNT}/r3") is False


def test_a_pending_downgrade_waits_for_its_changed_event(deps, state):
    install_with(deps, 3)
    marketplace(deps, "changed")  # Team
    marketplace(deps, "pending_change")  # Free, at the end of the billing cycle

    assert state.installation(INSTALLATION).plan == "team"
    assert state.enabled_repository_count(INSTALLATION) == 3
    bought = state.account_plan(ACCOUNT)
    assert (bought.plan, bought.pending_plan) == ("team", "free")
    assert bought.pending_effective_at == "2026-12-01T00:00:00+00:00"

    marketplace(deps, "pending_change_cancelled")
    assert state.account_plan(ACCOUNT).pending_plan is None
    assert state.installation(INSTALLATION).plan == "team"

    marketplace(deps, "pending_change")

    def downgrade_takes_effect(data):
        data["marketplace_purchase"]["plan"] = fixture(
            "marketplace_purchase.pending_change.payload.json"
        )["marketplace_purchase"]["plan"]
        data["effective_date"] = "2026-12-01T00:00:00Z"

    marketplace(deps, "changed", downgrade_takes_effect)
    assert state.installation(INSTALLATION).plan == "free"
    assert state.enabled_repository_count(INSTALLATION) == 1
    assert state.account_plan(ACCOUNT).pending_plan is None


def test_a_late_redelivery_of_an_older_change_does_not_undo_a_newer_one(deps, state):
    install_with(deps, 1)
    marketplace(deps, "changed")  # Team, 2026-11-10
    marketplace(deps, "purchased")  # Pro, 2026-11-01: older, arrives late
    assert state.installation(INSTALLATION).plan == "team"


def test_a_plan_that_is_not_ours_is_logged_and_changes_nothing(deps, state, caplog):
    install_with(deps, 1)
    marketplace(deps, "purchased")

    def unknown_plan(data):
        data["marketplace_purchase"]["plan"]["name"] = "Platinum"

    with caplog.at_level(logging.ERROR, logger="argus.github_app"):
        marketplace(deps, "changed", unknown_plan)
    assert state.installation(INSTALLATION).plan == "pro"
    assert re.search(r"\[delivery-\d+\] marketplace_purchase.changed ignored", caplog.text)
    assert "'Platinum'" in caplog.text and "Pro, Team" in caplog.text


def test_a_free_priced_listing_plan_of_another_name_is_the_free_plan(deps, state):
    install_with(deps, 1)
    marketplace(deps, "changed")

    def open_source(data):
        data["marketplace_purchase"]["plan"].update(name="Open source", price_model="FREE")
        data["effective_date"] = "2026-11-20T00:00:00+00:00"

    marketplace(deps, "changed", open_source)
    assert state.installation(INSTALLATION).plan == "free"


def test_a_removed_repository_makes_room_for_one_beyond_the_limit(deps, state):
    install_with(deps, 3)
    assert state.installation(INSTALLATION).repositories == (f"{ACCOUNT}/r0",)

    def remove_r0(data):
        data["installation"]["id"] = INSTALLATION
        data["repositories_removed"] = [{"full_name": f"{ACCOUNT}/r0"}]

    deliver(deps, "installation_repositories.removed.payload.json", remove_r0)
    assert state.repository_enabled(INSTALLATION, f"{ACCOUNT}/r0") is None
    assert state.installation(INSTALLATION).repositories == (f"{ACCOUNT}/r1",)


def test_repositories_added_beyond_the_free_limit_are_recorded_but_not_enabled(deps, state):
    install_with(deps, 1)

    def add_two(data):
        data["installation"]["id"] = INSTALLATION
        data["repositories_added"] = [{"full_name": f"{ACCOUNT}/x{i}"} for i in range(2)]

    deliver(deps, "installation_repositories.added.payload.json", add_two)
    assert state.installation(INSTALLATION).repositories == (f"{ACCOUNT}/r0",)
    assert state.repository_enabled(INSTALLATION, f"{ACCOUNT}/x0") is False


# --- a quota used up mid-month ------------------------------------------------------------------


@pytest.fixture
def generating_deps(deps, github):
    """The App with a test generator that yields one test per call."""
    calls: list[str] = []

    async def generate_tests(**kwargs):
        calls.append(kwargs["ctx"].full_name)
        return ()

    deps.generate_tests = generate_tests
    text = risky_module(2)
    github.diff = added_file_diff("app/service.py", text)
    github.files[("app/service.py", HEAD)] = text.encode()
    github.files[
        (".argus.yml", payload("pull_request.opened.payload.json")["pull_request"]["base"]["sha"])
    ] = b"generate_tests: true\n"
    deps.generated = calls
    return deps


def quota_comments(github) -> list[dict]:
    return [c for c in github.comments.values() if "argus:quota-exhausted" in c["body"]]


def test_a_quota_used_up_mid_month_is_said_once_on_the_pull_request(
    generating_deps, github, state: AppState
):
    installation_id = payload("pull_request.opened.payload.json")["installation"]["id"]
    state.record_installation(installation_id, ACCOUNT)
    state.add_repositories(installation_id, ["Codertocat/Hello-World"], enabled=1)
    state.add_test_runs(installation_id, current_month(), 99)

    deliver(generating_deps, "pull_request.opened.payload.json")  # the 100th test run
    assert generating_deps.generated == ["Codertocat/Hello-World"]
    assert quota_for(state, installation_id).exhausted
    assert quota_comments(github) == []

    for _ in range(3):  # three more pushes once the quota is used up
        deliver(generating_deps, "pull_request.synchronize.payload.json")
    assert generating_deps.generated == ["Codertocat/Hello-World"]  # no more generation
    said = quota_comments(github)
    assert len(said) == 1
    assert f"<!-- argus:quota-exhausted {current_month()} -->" in said[0]["body"]
    assert "Free plan's 100 test runs for this month are used up" in said[0]["body"]
    # The sticky report does not repeat it on every push.
    sticky = [c for c in github.comments.values() if "argus:review" in c["body"]]
    assert len(sticky) == 1 and "used up" not in sticky[0]["body"]
    # The pushes are still reviewed.
    assert github.names().count("create_check_run") == 4
