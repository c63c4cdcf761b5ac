"""Fixtures the GitHub App's tests share: the App's key pair and the demo repository."""

from __future__ import annotations

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
