from __future__ import annotations

import json
from pathlib import Path

import pytest

from argus.core.store.sqlite import SQLiteStore
from argus.github_app.events import Event
from argus.github_app.routes import default_dispatcher
from argus.github_app.services import Deps
from argus.github_app.state import AppState
from tests.github_app.fake_github import FakeGitHub
from tests.servers.github_contract import assert_webhook

WEBHOOKS = Path(__file__).resolve().parents[1] / "fixtures" / "github-webhooks"
BASE = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"


def payload(name: str) -> dict:
    """A recorded delivery, checked against GitHub's webhook schema of its event."""
    data = json.loads((WEBHOOKS / name).read_text(encoding="utf-8"))
    assert_webhook(name.split(".", 1)[0], data)
    return data


def webhook_event(name: str, data: dict, delivery: str = "") -> Event:
    """The event of a delivery the test sends, checked against GitHub's webhook schema."""
    assert_webhook(name, data)
    return Event(name, data, delivery)


@pytest.fixture
def state(tmp_path: Path) -> AppState:
    store = SQLiteStore.open(tmp_path / "app.db")
    yield AppState(store)
    store.close()


@pytest.fixture
def github() -> FakeGitHub:
    return FakeGitHub()


@pytest.fixture
def deps(github: FakeGitHub, state: AppState) -> Deps:
    return Deps(
        github_for=lambda installation_id: github, state=state, dispatcher=default_dispatcher()
    )
