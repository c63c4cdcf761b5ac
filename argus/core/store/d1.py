"""Cloudflare D1 over its REST API, as a :class:`argus.core.patterns.store.SqlExecutor`.

``POST {base}/accounts/{account_id}/d1/database/{database_id}/query`` takes ``{"sql",
"params"}`` or ``{"batch": [{"sql", "params"}, ...]}`` and answers ``{"result": [{"results":
[row objects], "success", "meta"}, ...], "success", "errors", "messages"}``: one result per
statement. D1 documents batches as transactions (rolled back whole when a statement fails)
for its Workers binding; the REST ``batch`` form is relied on to behave the same. Parameters
travel as JSON values (numbers, strings, null; embeddings are base64 text). The same numbered
migrations as the SQLite store (``argus/core/store/migrations``) are applied and recorded in
``schema_migrations``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from argus.core.errors import StoreError
from argus.core.store import cloudflare
from argus.core.store.sqlite import _split_statements, migration_scripts

Row = dict[str, Any]


class D1Executor:
    """Runs SQL on one D1 database."""

    def __init__(
        self,
        account_id: str,
        database_id: str,
        api_token: str,
        *,
        base_url: str = cloudflare.DEFAULT_BASE_URL,
        client: httpx.Client | None = None,
        timeout: float = 30.0,
    ) -> None:
        if not account_id or not database_id or not api_token:
            raise StoreError("D1 needs an account id, a database id and an API token")
        self.url = f"{base_url.rstrip('/')}/accounts/{account_id}/d1/database/{database_id}/query"
        self._token = api_token
        self._client = client or httpx.Client()
        self._owns_client = client is None
        self.timeout = timeout

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Run one statement; rows as dicts."""
        results = self._post({"sql": sql, "params": list(params)}, "D1 query")
        return _rows(results[0] if results else None)

    def execute_batch(self, statements: Sequence[tuple[str, Sequence[object]]]) -> list[list[Row]]:
        """Run statements as one D1 batch (one transaction); the rows of each."""
        if not statements:
            return []
        batch = [{"sql": sql, "params": list(params)} for sql, params in statements]
        results = self._post({"batch": batch}, "D1 batch")
        if len(results) != len(statements):
            raise StoreError(f"D1 batch: {len(results)} results for {len(statements)} statements")
        return [_rows(result) for result in results]

    def migrate(self) -> int:
        """Apply the numbered migrations not yet applied (each as one batch); the version."""
        self.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version INTEGER PRIMARY KEY, name TEXT NOT NULL)"
        )
        applied = {
            int(row["version"]) for row in self.execute("SELECT version FROM schema_migrations")
        }
        known = migration_scripts()
        newest = max((version for version, _, _ in known), default=0)
        if applied and max(applied) > newest:
            raise StoreError(
                f"the D1 database was written by a newer Argus (schema {max(applied)}, this one "
                f"knows {newest}); upgrade Argus"
            )
        for version, name, sql in known:
            if version in applied:
                continue
            statements: list[tuple[str, Sequence[object]]] = [
                (statement, ()) for statement in _split_statements(sql)
            ]
            statements.append(
                ("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (version, name))
            )
            self.execute_batch(statements)
        return max([version for version, _, _ in known] + list(applied), default=0)

    def close(self) -> None:
        """Close the HTTP client when this executor created it."""
        if self._owns_client:
            self._client.close()

    def _post(self, payload: dict[str, Any], what: str) -> list[Any]:
        result = cloudflare.call(
            self._client,
            "POST",
            self.url,
            self._token,
            StoreError,
            what,
            json_body=payload,
            timeout=self.timeout,
        )
        if not isinstance(result, list):
            raise StoreError(f"{what}: the answer's result is not a list of statement results")
        for item in result:
            if isinstance(item, dict) and item.get("success") is False:
                raise StoreError(f"{what}: a statement failed: {item.get('error') or item}")
        return result


def _rows(result: Any) -> list[Row]:
    if result is None:
        return []
    if not isinstance(result, dict):
        raise StoreError("D1: a statement result is not an object")
    rows = result.get("results") or []
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise StoreError("D1: a statement's results are not a list of row objects")
    return rows
