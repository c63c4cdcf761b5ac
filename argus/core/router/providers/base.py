"""What every remote provider shares: its identity in the ledger and its client's lifetime."""

from __future__ import annotations

from typing import Any, Self

from argus.core.router.generation import Tier


class RemoteProvider:
    """A provider's name, tier and model, and a client it closes only if it opened it.

    Subclasses set ``_client`` lazily (``None`` until the first request) and say how to close
    it in :meth:`_close_client`; one passed in by the caller is left open.
    """

    _client: Any

    def __init__(self, name: str, tier: Tier, model: str, client: Any, timeout: float) -> None:
        self._name = name
        self._tier = tier
        self._model = model
        self._client = client
        self._owns_client = client is None
        self.timeout = timeout

    @property
    def name(self) -> str:
        """Provider name in the ledger."""
        return self._name

    @property
    def tier(self) -> Tier:
        """The tier this provider serves."""
        return self._tier

    @property
    def model(self) -> str:
        """The model id requests go to."""
        return self._model

    async def _close_client(self, client: Any) -> None:
        await client.aclose()

    async def aclose(self) -> None:
        """Close the client (one passed in by the caller stays open)."""
        if self._client is not None and self._owns_client:
            await self._close_client(self._client)
            self._client = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
