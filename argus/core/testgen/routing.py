"""The router test generation uses: the free tier, the configured paid providers, the ledger.

One function for every front-end (the CLI, ``argus serve``'s regression-test jobs, the GitHub
App's ``/argus tests``), so they route alike; each passes its own store (the ledger's home), plan
and provider settings, read at its edge.
"""

from __future__ import annotations

from argus.core.router.cache import PatternCache
from argus.core.router.config import ProviderSettings, build_providers
from argus.core.router.ledger import CostLedger, LedgerStore
from argus.core.router.prices import load_price_table
from argus.core.router.providers.local import LocalProvider
from argus.core.router.router import Router
from argus.core.testgen.service import register_free_tier


def generation_router(
    store: LedgerStore,
    settings: ProviderSettings,
    *,
    cache: PatternCache | None = None,
    default_plan: str = "free",
) -> Router:
    """A router with the free tier and whichever paid providers ``settings`` configure.

    Every request is recorded in the cost ledger kept in ``store``; a tenant with no plan of
    its own is metered on ``default_plan``.
    """
    local = LocalProvider()
    register_free_tier(local)
    providers, router_settings = build_providers(settings, local=local)
    return Router(
        providers,
        load_price_table(),
        ledger=CostLedger(store, default_plan=default_plan),
        cache=cache,
        settings=router_settings,
    )
