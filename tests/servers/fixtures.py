"""Pytest fixtures: each scripted server on a free loopback port (import them in a conftest)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers.scripted import ScriptedServer


@pytest.fixture
def anthropic_server() -> Iterator[ScriptedServer]:
    with ScriptedServer("anthropic") as server:
        yield server


@pytest.fixture
def workers_ai_server() -> Iterator[ScriptedServer]:
    with ScriptedServer("workers_ai") as server:
        yield server


@pytest.fixture
def openai_server() -> Iterator[ScriptedServer]:
    with ScriptedServer("openai") as server:
        yield server
