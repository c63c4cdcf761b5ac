from __future__ import annotations

import pytest

from tests.servers.fixtures import anthropic_server, openai_server, workers_ai_server

__all__ = ["anthropic_server", "openai_server", "workers_ai_server"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
