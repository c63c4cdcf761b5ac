"""Typed settings of the ingestion server, validated once when built."""

from __future__ import annotations

from dataclasses import dataclass

from argus.core.errors import ConfigError
from argus.core.input_limits import UNAUTHENTICATED_BUDGET_BYTES
from argus.core.patterns.limits import MAX_INPUT_BYTES

DEFAULT_MAX_BODY_BYTES = MAX_INPUT_BYTES
DEFAULT_IN_FLIGHT_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class IngestSettings:
    """What the ingestion server needs to know; every field has a working default.

    ``max_body_bytes`` caps a request body both as sent and once decompressed.
    ``sentry_client_secret`` is the Sentry integration's client secret that signs its
    webhooks; without it the webhook endpoint refuses every request.
    ``unauthenticated_bytes`` caps the bytes (as sent plus decompressed) that all requests not
    yet authenticated hold at once, ``in_flight_bytes`` the same for authenticated ones;
    a request past either is refused with 503.
    """

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    sentry_client_secret: str | None = None
    unauthenticated_bytes: int = UNAUTHENTICATED_BUDGET_BYTES
    in_flight_bytes: int = DEFAULT_IN_FLIGHT_BYTES

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1024:
            raise ConfigError(
                f"the ingestion body limit must be at least 1024 bytes, not {self.max_body_bytes}"
            )
        if self.unauthenticated_bytes < 1 or self.in_flight_bytes < 1:
            raise ConfigError("the ingestion byte budgets must be positive")
        if self.sentry_client_secret is not None and not self.sentry_client_secret.strip():
            raise ConfigError("the Sentry client secret is empty; unset it or give its value")
