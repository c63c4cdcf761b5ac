"""Cloudflare Vectorize v2 over its REST API, as a :class:`argus.core.store.vector.VectorIndex`.

- upsert: ``POST .../vectorize/v2/indexes/{name}/upsert``, an NDJSON body
  (``application/x-ndjson``), one ``{"id", "values", "namespace", "metadata"}`` per line;
- query: ``POST .../query`` with ``{"vector", "topK", "returnMetadata": "all",
  "returnValues": false, "namespace"}``, answering ``{"result": {"count", "matches": [{"id",
  "score", "metadata"}]}}``;
- delete: ``POST .../delete_by_ids`` with ``{"ids": [...]}``.

Writes are asynchronous on Cloudflare (a mutation id comes back; vectors become queryable a few
seconds later), so a pattern created moments ago may not be found by similarity yet: the
pattern store's exact-hash match covers the repeats of the same error meanwhile. Scores are
cosine similarities when the index was created with the ``cosine`` metric (required here).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np

from argus.core.errors import StoreError
from argus.core.store import cloudflare
from argus.core.store.vector import FloatMatrix, Metadata, VectorMatch, as_matrix

#: Vectors per upsert request (NDJSON lines); larger upserts are split into several requests.
UPSERT_BATCH = 500


class VectorizeIndex:
    """One Vectorize v2 index; namespaces partition it per tenant."""

    def __init__(
        self,
        account_id: str,
        index_name: str,
        api_token: str,
        dimensions: int,
        *,
        base_url: str = cloudflare.DEFAULT_BASE_URL,
        client: httpx.Client | None = None,
        timeout: float = 30.0,
    ) -> None:
        if not account_id or not index_name or not api_token:
            raise StoreError("Vectorize needs an account id, an index name and an API token")
        self.base = (
            f"{base_url.rstrip('/')}/accounts/{account_id}/vectorize/v2/indexes/{index_name}"
        )
        self.indexes_url = f"{base_url.rstrip('/')}/accounts/{account_id}/vectorize/v2/indexes"
        self.index_name = index_name
        self.dimensions = dimensions
        self._token = api_token
        self._client = client or httpx.Client()
        self._owns_client = client is None
        self.timeout = timeout
        self.last_mutation: str | None = None

    def create(self, metric: str = "cosine", description: str = "") -> None:
        """Create the index (``POST .../vectorize/v2/indexes``)."""
        self._call(
            "POST",
            self.indexes_url,
            "Vectorize create index",
            json_body={
                "name": self.index_name,
                "description": description,
                "config": {"dimensions": self.dimensions, "metric": metric},
            },
        )

    def info(self) -> dict[str, Any]:
        """The index's description (``GET .../indexes/{name}``); checks its dimensions."""
        result = self._call("GET", self.base, "Vectorize get index")
        if not isinstance(result, dict):
            raise StoreError("Vectorize get index: the result is not an object")
        config = result.get("config") or {}
        if isinstance(config, dict) and config.get("dimensions") not in (None, self.dimensions):
            raise StoreError(
                f"Vectorize index {self.index_name} has {config.get('dimensions')} dimensions; "
                f"the embedder gives {self.dimensions}"
            )
        return result

    def upsert(
        self,
        namespace: str,
        ids: Sequence[str],
        vectors: Sequence[Sequence[float]] | FloatMatrix,
        metadata: Sequence[Metadata] | None = None,
    ) -> None:
        """Upsert vectors as NDJSON, in requests of at most ``UPSERT_BATCH`` lines."""
        matrix = as_matrix(vectors, self.dimensions)
        if len(ids) != len(matrix):
            raise StoreError(f"{len(ids)} ids for {len(matrix)} vectors")
        for start in range(0, len(ids), UPSERT_BATCH):
            lines = []
            for position in range(start, min(start + UPSERT_BATCH, len(ids))):
                record: dict[str, Any] = {
                    "id": ids[position],
                    "values": [float(value) for value in matrix[position]],
                    "namespace": namespace,
                }
                if metadata is not None and metadata[position]:
                    record["metadata"] = dict(metadata[position])
                lines.append(json.dumps(record, separators=(",", ":")))
            result = self._call(
                "POST",
                f"{self.base}/upsert",
                "Vectorize upsert",
                content=("\n".join(lines) + "\n").encode("utf-8"),
                content_type="application/x-ndjson",
            )
            if isinstance(result, dict) and isinstance(result.get("mutationId"), str):
                self.last_mutation = result["mutationId"]

    def query(self, namespace: str, vector: Sequence[float], top_k: int) -> list[VectorMatch]:
        """The ``top_k`` nearest vectors of the namespace (cosine scores)."""
        if top_k <= 0:
            return []
        values = as_matrix([vector], self.dimensions)[0]
        if not np.any(values):
            return []
        result = self._call(
            "POST",
            f"{self.base}/query",
            "Vectorize query",
            json_body={
                "vector": [float(value) for value in values],
                "topK": top_k,
                "returnValues": False,
                "returnMetadata": "all",
                "namespace": namespace,
            },
        )
        matches = result.get("matches") if isinstance(result, dict) else None
        if not isinstance(matches, list):
            raise StoreError("Vectorize query: the result has no list of matches")
        found = []
        for match in matches:
            if not isinstance(match, dict) or not isinstance(match.get("id"), str):
                raise StoreError("Vectorize query: a match without an id")
            if match.get("namespace") not in (None, namespace):
                continue
            metadata = match.get("metadata")
            found.append(
                VectorMatch(
                    match["id"],
                    float(match.get("score") or 0.0),
                    metadata if isinstance(metadata, dict) else {},
                )
            )
        return found

    def delete(self, namespace: str, ids: Sequence[str]) -> None:
        """Delete vectors by id (Vectorize ids are index-wide; the namespace is not needed)."""
        if ids:
            self._call(
                "POST",
                f"{self.base}/delete_by_ids",
                "Vectorize delete",
                json_body={"ids": list(ids)},
            )

    def close(self) -> None:
        """Close the HTTP client when this adapter created it."""
        if self._owns_client:
            self._client.close()

    def _call(
        self,
        method: str,
        url: str,
        what: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        content_type: str | None = None,
    ) -> Any:
        return cloudflare.call(
            self._client,
            method,
            url,
            self._token,
            StoreError,
            what,
            json_body=json_body,
            content=content,
            content_type=content_type,
            timeout=self.timeout,
        )
