"""Fixtures the tests share: the App's key pair, the demo repository, and a fresh
composition root (argus.wiring) for each test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers.github_api import build_demo_repo, rsa_key_pair


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    """A fresh App key pair (private PEM, public PEM), one per test module."""
    return rsa_key_pair()


@pytest.fixture(scope="module")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo repository with its pull request's branches, one per test module."""
    return build_demo_repo(tmp_path_factory.mktemp("demo") / "orders")


@pytest.fixture(autouse=True)
def _one_wiring_per_test() -> Iterator[None]:
    """A test is a process of its own for argus.wiring: the parts a command built (settings
    read from the environment, open queues) end with the test."""
    yield
    wiring = sys.modules.get("argus.wiring")
    if wiring is not None:
        wiring.end_process()
