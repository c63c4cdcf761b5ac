"""Any OpenAI-compatible chat-completions endpoint: vLLM, Ollama, llama.cpp server, ..."""

from __future__ import annotations

import httpx

from argus.core.router.errors import BadProviderAnswer
from argus.core.router.generation import Generation, GenerationRequest, Tier
from argus.core.router.providers.base import RemoteProvider
from argus.core.router.providers.http import chat_messages, post_json, require_int, require_str


class OpenAICompatibleProvider(RemoteProvider):
    """``POST {base_url}/chat/completions``; usage from ``prompt_tokens``/``completion_tokens``.

    ``base_url`` includes the API prefix (``http://localhost:8000/v1`` for vLLM,
    ``http://localhost:11434/v1`` for Ollama). The tier is configuration: a self-hosted model
    typically replaces ``workers_ai``.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        client: httpx.AsyncClient | None = None,
        name: str = "openai_compatible",
        tier: Tier = Tier.OPENAI_COMPATIBLE,
    ):
        super().__init__(name, tier, model, client, timeout)
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key

    async def generate(self, request: GenerationRequest) -> Generation:
        """Send a chat completion; the first choice's message is the answer."""
        client = self._client or httpx.AsyncClient()
        self._client = client
        messages = chat_messages(request.prompt)
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        answer = await post_json(
            client,
            self._name,
            f"{self._base_url}/chat/completions",
            {"model": self._model, "messages": messages, "max_tokens": request.max_output_tokens},
            headers,
            self.timeout,
            _describe_error,
        )
        body = answer.body
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices:
            raise BadProviderAnswer("choices is missing or empty", self._name)
        message = choices[0].get("message") if isinstance(choices[0], dict) else None
        text = require_str(message, "content", self._name, "choices[0].message")
        usage = body.get("usage")
        prompt_tokens = require_int(usage, "prompt_tokens", self._name, "usage")
        details = usage.get("prompt_tokens_details") if isinstance(usage, dict) else None
        cached = details.get("cached_tokens") if isinstance(details, dict) else None
        cached_tokens = cached if isinstance(cached, int) and 0 <= cached <= prompt_tokens else 0
        request_id = body.get("id")
        return Generation(
            text=text,
            provider=self._name,
            tier=self._tier,
            model=str(body.get("model") or self._model),
            # OpenAI counts cached prompt tokens inside prompt_tokens; ours are kept apart.
            input_tokens=prompt_tokens - cached_tokens,
            output_tokens=require_int(usage, "completion_tokens", self._name, "usage"),
            cached_tokens=cached_tokens,
            latency_seconds=answer.latency_seconds,
            request_id=request_id if isinstance(request_id, str) else None,
        )


def _describe_error(body: object) -> str:
    """OpenAI's error body: ``{"error": {"message", "type", "code", ...}}``."""
    if not isinstance(body, dict):
        raise TypeError("not an error body")
    error = body["error"]
    if isinstance(error, str):
        return error
    return f"{error.get('type') or error.get('code')}: {error.get('message')}"
