"""``argus doctor``'s checks of the shared pattern store: PostgreSQL's schema, or Cloudflare's
D1 database and Vectorize index, each answered with what is wrong and how to fix it."""

from __future__ import annotations

from collections.abc import Mapping

from argus.core.errors import ArgusError, ConfigError
from argus.store_backend import CloudflareLocation, shared_store

OK, WARN, FAIL = "ok", "warn", "fail"
#: (name, status, message, fix), as ``argus.doctor_command.Check`` takes them.
Check = tuple[str, str, str, str]


def check_shared_store(environ: Mapping[str, str]) -> list[Check]:
    """The pattern store's schema on PostgreSQL, or D1 and Vectorize answering on Cloudflare
    (no answer for the SQLite default: ``argus doctor``'s store check covers it)."""
    try:
        location = shared_store(environ)
    except ConfigError as error:
        return [("pattern store", FAIL, str(error), "set it in the environment or .env")]
    if location is None:
        return []  # the SQLite store is checked by the "store" check
    if isinstance(location, CloudflareLocation):
        return [_check_cloudflare(location)]
    from argus.core.store.postgres import pending

    try:
        waiting = pending(location.url, schema=location.schema)
    except ArgusError as error:
        first_line = str(error).splitlines()[0]
        fix = "upgrade this Argus" if "lacks" in first_line else "check ARGUS_DATABASE_URL"
        return [("pattern store", FAIL, first_line, fix)]
    if waiting:
        return [
            (
                "pattern store",
                WARN,
                f"PostgreSQL: {len(waiting)} migration(s) pending ({waiting[0]} first)",
                "run argus migrate (argus serve also migrates at start)",
            )
        ]
    return [("pattern store", OK, "PostgreSQL schema current", "")]


def _check_cloudflare(location: CloudflareLocation) -> Check:
    from argus.core.store.d1 import D1Executor
    from argus.core.store.vectorize import VectorizeIndex

    account, token, base = location.account_id, location.api_token, location.base_url
    d1 = D1Executor(account, location.database_id, token, base_url=base, timeout=10.0)
    index = VectorizeIndex(account, location.index_name, token, 768, base_url=base, timeout=10.0)
    try:
        try:
            d1.execute("SELECT 1 AS ok")
        except ArgusError as error:
            return (
                "pattern store",
                FAIL,
                f"D1 database {location.database_id}: {error}",
                "check ARGUS_D1_DATABASE_ID (wrangler d1 list) and the token's D1 permission",
            )
        try:
            index.info()
        except ArgusError as error:
            if "404" in str(error):
                return (
                    "pattern store",
                    WARN,
                    f"Vectorize index {location.index_name} does not exist yet",
                    "argus serve creates it at start (768 dimensions, cosine)",
                )
            return (
                "pattern store",
                FAIL,
                f"Vectorize index {location.index_name}: {error}",
                "check ARGUS_VECTORIZE_INDEX and the token's Vectorize permission",
            )
    finally:
        d1.close()
        index.close()
    return (
        "pattern store",
        OK,
        f"Cloudflare D1 {location.database_id} and Vectorize {location.index_name} answer",
        "",
    )
