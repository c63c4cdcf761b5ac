"""The provider price table, kept as data in ``argus/core/router/data/prices.toml`` ($ per Mtok)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from argus.core.errors import ConfigError

_PER_TOKEN = 1_000_000


def default_price_path() -> Path:
    """The price table shipped with Argus (package data of ``argus.core.router``)."""
    return Path(__file__).resolve().parent / "data" / "prices.toml"


@dataclass(frozen=True)
class ModelPrice:
    """Dollars per million tokens for one provider's model (``model="*"``: any model)."""

    provider: str
    model: str
    input: float
    output: float
    cached_input: float

    def dollars(self, input_tokens: int, output_tokens: int, cached_tokens: int = 0) -> float:
        """Cost of one request; ``input_tokens`` excludes the cached ones."""
        return (
            input_tokens * self.input
            + output_tokens * self.output
            + cached_tokens * self.cached_input
        ) / _PER_TOKEN


class PriceTable:
    """Looks up a (provider, model) price; a provider's ``*`` row covers its other models."""

    def __init__(self, prices: list[ModelPrice]):
        self._prices = {(price.provider, price.model): price for price in prices}

    def price(self, provider: str, model: str) -> ModelPrice:
        """The price of ``model`` at ``provider``; :class:`ConfigError` when none is listed."""
        found = self._prices.get((provider, model)) or self._prices.get((provider, "*"))
        if found is None:
            raise ConfigError(
                f"no price for model {model!r} of provider {provider!r}; add a [[price]] row "
                "to argus/core/router/data/prices.toml"
            )
        return found

    def dollars(
        self, provider: str, model: str, input_tokens: int, output_tokens: int, cached_tokens: int
    ) -> float:
        """Cost of one request at ``provider``'s ``model``."""
        return self.price(provider, model).dollars(input_tokens, output_tokens, cached_tokens)

    def __len__(self) -> int:
        return len(self._prices)


def load_price_table(path: Path | None = None) -> PriceTable:
    """Read the TOML price table; any malformed row is a :class:`ConfigError`."""
    source = path or default_price_path()
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read the price table {source}: {error}") from error
    rows = data.get("price")
    if not isinstance(rows, list):
        raise ConfigError(f"{source}: expected [[price]] rows")
    prices = []
    for index, row in enumerate(rows, start=1):
        try:
            price = ModelPrice(
                provider=str(row["provider"]),
                model=str(row["model"]),
                input=float(row["input"]),
                output=float(row["output"]),
                cached_input=float(row.get("cached_input", row["input"])),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ConfigError(f"{source}: price row {index} is malformed ({error})") from error
        if min(price.input, price.output, price.cached_input) < 0:
            raise ConfigError(f"{source}: price row {index} has a negative price")
        prices.append(price)
    return PriceTable(prices)
