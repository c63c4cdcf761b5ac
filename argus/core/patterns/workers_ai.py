"""Embeddings from Cloudflare Workers AI (``@cf/baai/bge-base-en-v1.5``, 768 dimensions).

``POST {base}/accounts/{account_id}/ai/run/{model}`` with ``{"text": [...]}`` answers
``{"result": {"shape": [n, 768], "data": [[...], ...]}, "success": true, "errors": [],
"messages": []}``. Texts go in batches of ``batch_size``; failures become ``EmbeddingError``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import httpx

from argus.core.errors import ArgusError
from argus.core.store import cloudflare

DEFAULT_MODEL = "@cf/baai/bge-base-en-v1.5"
DEFAULT_DIMENSIONS = 768
DEFAULT_BATCH_SIZE = 100
#: bge-base reads at most 512 tokens; longer texts are cut (by characters, generously).
MAX_TEXT_CHARS = 2000


class EmbeddingError(ArgusError):
    """A remote embedder failed or answered something that is not the expected embeddings."""


class WorkersAIEmbedder:
    """:class:`argus.core.patterns.embed.Embedder` over Workers AI's REST API."""

    def __init__(
        self,
        account_id: str,
        api_token: str,
        *,
        model: str = DEFAULT_MODEL,
        dimensions: int = DEFAULT_DIMENSIONS,
        base_url: str = cloudflare.DEFAULT_BASE_URL,
        batch_size: int = DEFAULT_BATCH_SIZE,
        client: httpx.Client | None = None,
        timeout: float = 30.0,
    ) -> None:
        if not account_id or not api_token:
            raise EmbeddingError("Workers AI needs an account id and an API token")
        if batch_size < 1:
            raise EmbeddingError(f"batch size must be at least 1, not {batch_size}")
        self.url = f"{base_url.rstrip('/')}/accounts/{account_id}/ai/run/{model}"
        self.model = model
        self._dimensions = dimensions
        self._token = api_token
        self.batch_size = batch_size
        self._client = client or httpx.Client()
        self._owns_client = client is None
        self.timeout = timeout
        self.requests = 0

    @property
    def dimensions(self) -> int:
        """768 for bge-base-en-v1.5."""
        return self._dimensions

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One L2-normalised vector per text, in order."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = [
                text[:MAX_TEXT_CHARS] or " " for text in texts[start : start + self.batch_size]
            ]
            vectors.extend(self._embed_batch(batch))
        return vectors

    def _embed_batch(self, batch: list[str]) -> list[list[float]]:
        self.requests += 1
        result = cloudflare.call(
            self._client,
            "POST",
            self.url,
            self._token,
            EmbeddingError,
            f"Workers AI {self.model}",
            json_body={"text": batch},
            timeout=self.timeout,
        )
        data = result.get("data") if isinstance(result, dict) else None
        if not isinstance(data, list) or len(data) != len(batch):
            raise EmbeddingError(
                f"Workers AI {self.model}: expected {len(batch)} vectors in result.data"
            )
        vectors = []
        for row in data:
            if not isinstance(row, list) or len(row) != self._dimensions:
                raise EmbeddingError(
                    f"Workers AI {self.model}: a vector is not {self._dimensions} numbers"
                )
            try:
                values = [float(value) for value in row]
            except (TypeError, ValueError) as error:
                raise EmbeddingError(f"Workers AI {self.model}: non-numeric vector") from error
            norm = math.sqrt(math.fsum(value * value for value in values))
            vectors.append([value / norm for value in values] if norm else values)
        return vectors

    def close(self) -> None:
        """Close the HTTP client when this embedder created it."""
        if self._owns_client:
            self._client.close()
