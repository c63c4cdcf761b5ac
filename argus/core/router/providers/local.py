"""The free tier: deterministic generators registered by the test-generation code."""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable

from argus.core.errors import ArgusError
from argus.core.router.errors import NoCandidate
from argus.core.router.generation import Generation, GenerationRequest, Tier

LocalGenerator = Callable[[GenerationRequest], str | None | Awaitable[str | None]]


class LocalProvider:
    """Asks each registered generator in turn; the first non-None text is the answer.

    Zero tokens, zero dollars. With no generator that applies, :class:`NoCandidate` is raised
    and the router moves on to the paid tiers.
    """

    def __init__(self, generators: list[tuple[str, LocalGenerator]] | None = None):
        self._generators: list[tuple[str, LocalGenerator]] = list(generators or [])

    def register(self, name: str, generator: LocalGenerator) -> None:
        """Add a generator (sync or async); earlier registrations are asked first."""
        self._generators.append((name, generator))

    @property
    def name(self) -> str:
        """Provider name in the ledger."""
        return "local"

    @property
    def tier(self) -> Tier:
        """Always the local tier."""
        return Tier.LOCAL

    @property
    def model(self) -> str:
        """The generators have no model; the ledger records the one that answered."""
        return "deterministic"

    async def generate(self, request: GenerationRequest) -> Generation:
        """The first generator's text, or :class:`NoCandidate`."""
        started = time.monotonic()
        refusals: list[str] = []
        for generator_name, generator in self._generators:
            try:
                produced = generator(request)
                text = await produced if inspect.isawaitable(produced) else produced
            except ArgusError as error:
                # A generator that cannot handle this input says so; the next one may.
                refusals.append(f"{generator_name}: {error}")
                continue
            if text is not None:
                return Generation(
                    text=text,
                    provider=self.name,
                    tier=Tier.LOCAL,
                    model=generator_name,
                    latency_seconds=time.monotonic() - started,
                )
        detail = f" ({'; '.join(refusals)})" if refusals else ""
        raise NoCandidate(f"no deterministic generator applies to this request{detail}", self.name)
