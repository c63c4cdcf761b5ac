"""Cloudflare Workers AI over its REST API (``/accounts/{id}/ai/run/{model}``)."""

from __future__ import annotations

import httpx

from argus.core.router.errors import BadProviderAnswer
from argus.core.router.generation import Generation, GenerationRequest, Tier
from argus.core.router.providers.base import RemoteProvider
from argus.core.router.providers.http import chat_messages, post_json, require_int, require_str

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
DEFAULT_MODEL = "@cf/meta/llama-3.1-8b-instruct"

#: The model's context window on Workers AI, in tokens (prompt and answer together).
CONTEXT_WINDOW = 7968


class WorkersAIProvider(RemoteProvider):
    """Runs a text-generation model on Workers AI; usage comes from ``result.usage``."""

    def __init__(
        self,
        account_id: str,
        api_token: str,
        *,
        model: str = DEFAULT_MODEL,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 30.0,
        client: httpx.AsyncClient | None = None,
        name: str = "workers_ai",
        tier: Tier = Tier.WORKERS_AI,
    ):
        super().__init__(name, tier, model, client, timeout)
        self._account_id = account_id
        self._api_token = api_token
        self._base_url = base_url.rstrip("/")

    async def generate(self, request: GenerationRequest) -> Generation:
        """Send the rendered prompt as chat messages; translate the answer or the error."""
        client = self._client or httpx.AsyncClient()
        self._client = client
        messages = chat_messages(request.prompt)
        answer = await post_json(
            client,
            self._name,
            f"{self._base_url}/accounts/{self._account_id}/ai/run/{self._model}",
            {"messages": messages, "max_tokens": request.max_output_tokens},
            {"Authorization": f"Bearer {self._api_token}"},
            self.timeout,
            _describe_error,
        )
        body = answer.body
        if body.get("success") is False:
            raise BadProviderAnswer(f"success is false: {_describe_error(body)}", self._name)
        result = body.get("result")
        text = require_str(result, "response", self._name, "result")
        usage = result.get("usage") if isinstance(result, dict) else None
        return Generation(
            text=text,
            provider=self._name,
            tier=self._tier,
            model=self._model,
            input_tokens=require_int(usage, "prompt_tokens", self._name, "result.usage"),
            output_tokens=require_int(usage, "completion_tokens", self._name, "result.usage"),
            latency_seconds=answer.latency_seconds,
            request_id=answer.headers.get("cf-ray"),
        )


def _describe_error(body: object) -> str:
    """Cloudflare's envelope: ``{"success": false, "errors": [{"code", "message"}], ...}``."""
    if not isinstance(body, dict):
        raise TypeError("not an envelope")
    errors = body["errors"]
    parts = [
        f"{item.get('code')}: {item.get('message')}" for item in errors if isinstance(item, dict)
    ]
    return "; ".join(parts) or "no error detail"
