"""Router settings read once at the edge, and the providers built from them.

``ProviderSettings.from_environment(os.environ)`` is for the composition root (``argus``); core
code receives the settings object, never the environment. A provider whose credentials are
absent is simply not built: with no key at all only the free tiers run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from argus.core.errors import ConfigError
from argus.core.router.generation import ModelProvider, Tier
from argus.core.router.providers.anthropic_messages import (
    HAIKU_MODEL,
    SONNET_MODEL,
    AnthropicProvider,
)
from argus.core.router.providers.local import LocalProvider
from argus.core.router.providers.openai_compatible import OpenAICompatibleProvider
from argus.core.router.providers.workers_ai import (
    DEFAULT_BASE_URL,
    DEFAULT_MODEL,
    WorkersAIProvider,
)
from argus.core.router.router import TIER_RANK, RouterSettings


@dataclass(frozen=True)
class ProviderSettings:
    """Credentials, endpoints, models and timeouts of the model providers.

    ``openai_replaces_workers_ai`` puts a configured OpenAI-compatible endpoint in Workers AI's
    place in the tier order (the usual self-hosted setup); otherwise it goes just before Haiku.
    """

    anthropic_api_key: str | None = None
    anthropic_base_url: str | None = None
    haiku_model: str = HAIKU_MODEL
    sonnet_model: str = SONNET_MODEL
    anthropic_timeout: float = 60.0
    cloudflare_account_id: str | None = None
    cloudflare_api_token: str | None = None
    workers_ai_base_url: str = DEFAULT_BASE_URL
    workers_ai_model: str = DEFAULT_MODEL
    workers_ai_timeout: float = 30.0
    openai_base_url: str | None = None
    openai_model: str | None = None
    openai_api_key: str | None = None
    openai_timeout: float = 60.0
    openai_replaces_workers_ai: bool = True
    max_tier: Tier = Tier.SONNET

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> ProviderSettings:
        """Read ``ANTHROPIC_API_KEY``, ``CLOUDFLARE_ACCOUNT_ID``/``CLOUDFLARE_API_TOKEN``,
        ``ARGUS_OPENAI_BASE_URL``/``ARGUS_OPENAI_MODEL``/``ARGUS_OPENAI_API_KEY``,
        ``ARGUS_MAX_TIER`` and the ``ARGUS_*_MODEL``/``ARGUS_*_BASE_URL`` overrides."""

        def text(name: str) -> str | None:
            value = environ.get(name, "").strip()
            return value or None

        max_tier_name = text("ARGUS_MAX_TIER") or str(Tier.SONNET)
        try:
            max_tier = Tier(max_tier_name)
        except ValueError:
            raise ConfigError(
                f"ARGUS_MAX_TIER={max_tier_name!r} is not a tier; use one of "
                f"{', '.join(str(tier) for tier in Tier)}"
            ) from None
        settings = cls(
            anthropic_api_key=text("ANTHROPIC_API_KEY"),
            anthropic_base_url=text("ARGUS_ANTHROPIC_BASE_URL"),
            haiku_model=text("ARGUS_HAIKU_MODEL") or HAIKU_MODEL,
            sonnet_model=text("ARGUS_SONNET_MODEL") or SONNET_MODEL,
            cloudflare_account_id=text("CLOUDFLARE_ACCOUNT_ID"),
            cloudflare_api_token=text("CLOUDFLARE_API_TOKEN"),
            workers_ai_base_url=text("ARGUS_WORKERS_AI_BASE_URL") or DEFAULT_BASE_URL,
            openai_base_url=text("ARGUS_OPENAI_BASE_URL"),
            openai_model=text("ARGUS_OPENAI_MODEL"),
            openai_api_key=text("ARGUS_OPENAI_API_KEY"),
            max_tier=max_tier,
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Reject half-configured providers with a message that says what is missing."""
        if bool(self.cloudflare_account_id) != bool(self.cloudflare_api_token):
            raise ConfigError(
                "Workers AI needs both CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN"
            )
        if bool(self.openai_base_url) != bool(self.openai_model):
            raise ConfigError(
                "an OpenAI-compatible endpoint needs both ARGUS_OPENAI_BASE_URL and "
                "ARGUS_OPENAI_MODEL"
            )
        for name in ("anthropic_timeout", "workers_ai_timeout", "openai_timeout"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be a positive number of seconds")


def build_providers(
    settings: ProviderSettings, local: LocalProvider | None = None
) -> tuple[list[ModelProvider], RouterSettings]:
    """The providers the settings allow, and router settings with the matching tier order."""
    settings.validate()
    providers: list[ModelProvider] = [local] if local is not None else []
    order: list[Tier] = []
    if settings.openai_base_url and settings.openai_model:
        providers.append(
            OpenAICompatibleProvider(
                settings.openai_base_url,
                settings.openai_model,
                api_key=settings.openai_api_key,
                timeout=settings.openai_timeout,
            )
        )
        order.append(Tier.OPENAI_COMPATIBLE)
    has_workers = bool(settings.cloudflare_account_id and settings.cloudflare_api_token)
    if has_workers and not (order and settings.openai_replaces_workers_ai):
        assert settings.cloudflare_account_id and settings.cloudflare_api_token
        providers.append(
            WorkersAIProvider(
                settings.cloudflare_account_id,
                settings.cloudflare_api_token,
                model=settings.workers_ai_model,
                base_url=settings.workers_ai_base_url,
                timeout=settings.workers_ai_timeout,
            )
        )
        order.insert(0, Tier.WORKERS_AI)
    if settings.anthropic_api_key:
        options = {"base_url": settings.anthropic_base_url, "timeout": settings.anthropic_timeout}
        providers.append(
            AnthropicProvider.haiku(
                settings.anthropic_api_key, model=settings.haiku_model, **options
            )
        )
        providers.append(
            AnthropicProvider.sonnet(
                settings.anthropic_api_key, model=settings.sonnet_model, **options
            )
        )
        order += [Tier.HAIKU, Tier.SONNET]
    order.sort(key=TIER_RANK.__getitem__)
    return providers, RouterSettings(paid_order=tuple(order), max_tier=settings.max_tier)
