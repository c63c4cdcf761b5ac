"""Provider settings from the environment, and the providers and tier order built from them."""

from __future__ import annotations

import pytest

from argus.core.errors import ConfigError
from argus.core.router.config import ProviderSettings, build_providers
from argus.core.router.generation import Tier
from argus.core.router.prices import load_price_table
from argus.core.router.providers.local import LocalProvider
from argus.core.router.router import Router


def test_no_keys_means_free_tiers_only() -> None:
    providers, settings = build_providers(ProviderSettings.from_environment({}), LocalProvider())
    assert [p.tier for p in providers] == [Tier.LOCAL]
    assert settings.paid_order == ()
    Router(providers, load_price_table(), settings=settings)


def test_all_keys_give_the_default_order() -> None:
    environment = {
        "ANTHROPIC_API_KEY": "sk",
        "CLOUDFLARE_ACCOUNT_ID": "acct",
        "CLOUDFLARE_API_TOKEN": "tok",
        "ARGUS_MAX_TIER": "haiku",
    }
    providers, settings = build_providers(ProviderSettings.from_environment(environment))
    assert settings.paid_order == (Tier.WORKERS_AI, Tier.HAIKU, Tier.SONNET)
    assert settings.max_tier is Tier.HAIKU
    assert [p.model for p in providers] == [
        "@cf/meta/llama-3.1-8b-instruct",
        "claude-haiku-5-5",
        "claude-sonnet-5-5",
    ]
    Router(providers, load_price_table(), settings=settings)


def test_self_hosted_endpoint_replaces_workers_ai_or_sits_beside_it() -> None:
    environment = {
        "CLOUDFLARE_ACCOUNT_ID": "acct",
        "CLOUDFLARE_API_TOKEN": "tok",
        "ARGUS_OPENAI_BASE_URL": "http://127.0.0.1:11434/v1",
        "ARGUS_OPENAI_MODEL": "llama3.1:8b",
    }
    replaced = ProviderSettings.from_environment(environment)
    _, settings = build_providers(replaced)
    assert settings.paid_order == (Tier.OPENAI_COMPATIBLE,)
    beside = ProviderSettings(**{**replaced.__dict__, "openai_replaces_workers_ai": False})
    _, settings = build_providers(beside)
    assert settings.paid_order == (Tier.WORKERS_AI, Tier.OPENAI_COMPATIBLE)


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"CLOUDFLARE_ACCOUNT_ID": "acct"}, "both CLOUDFLARE_ACCOUNT_ID"),
        ({"ARGUS_OPENAI_BASE_URL": "http://x/v1"}, "ARGUS_OPENAI_MODEL"),
        ({"ARGUS_MAX_TIER": "opus"}, "not a tier"),
    ],
)
def test_half_configured_providers_are_refused(environment: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ProviderSettings.from_environment(environment)
