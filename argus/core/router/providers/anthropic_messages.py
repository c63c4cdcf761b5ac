"""Anthropic's Messages API (Claude Haiku and Sonnet) through the official ``anthropic`` SDK."""

from __future__ import annotations

import importlib
import time
from typing import TYPE_CHECKING, Any

import anyio

from argus.core.router.errors import (
    BadProviderAnswer,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from argus.core.router.generation import Generation, GenerationRequest, Tier
from argus.core.router.providers.base import RemoteProvider
from argus.core.router.providers.http import parse_retry_after

if TYPE_CHECKING:
    import anthropic

HAIKU_MODEL = "claude-haiku-5-5"
SONNET_MODEL = "claude-sonnet-5-5"


class AnthropicProvider(RemoteProvider):
    """One Claude model. ``base_url`` points the SDK elsewhere (a proxy, or the test server)."""

    def __init__(
        self,
        api_key: str,
        model: str,
        tier: Tier,
        *,
        base_url: str | None = None,
        timeout: float = 60.0,
        client: anthropic.AsyncAnthropic | None = None,
        name: str = "anthropic",
    ):
        super().__init__(name, tier, model, client, timeout)
        self._api_key = api_key
        self._base_url = base_url

    @classmethod
    def haiku(cls, api_key: str, **options: Any) -> AnthropicProvider:
        """The Haiku tier."""
        return cls(api_key, options.pop("model", HAIKU_MODEL), Tier.HAIKU, **options)

    @classmethod
    def sonnet(cls, api_key: str, **options: Any) -> AnthropicProvider:
        """The Sonnet tier."""
        return cls(api_key, options.pop("model", SONNET_MODEL), Tier.SONNET, **options)

    def _sdk(self) -> anthropic.AsyncAnthropic:
        if self._client is None:
            sdk = _sdk_module()
            # max_retries=0: the router's RetryPolicy and circuit breaker decide whether and
            # when to retry; SDK retries underneath would multiply the attempts, hide 429s from
            # the breaker and let one request outlive the timeout we promise.
            self._client = sdk.AsyncAnthropic(
                api_key=self._api_key,
                base_url=self._base_url,
                timeout=self.timeout,
                max_retries=0,
            )
        client: anthropic.AsyncAnthropic = self._client
        return client

    async def generate(self, request: GenerationRequest) -> Generation:
        """Create one message; the text blocks of the answer are the generation."""
        client = self._sdk()
        anthropic = _sdk_module()
        started = time.monotonic()
        try:
            # The SDK's timeout bounds each phase; the deadline bounds the whole request.
            with anyio.fail_after(self.timeout):
                message = await client.messages.create(
                    model=self._model,
                    max_tokens=request.max_output_tokens,
                    system=request.prompt.system or anthropic.omit,
                    messages=[{"role": "user", "content": request.prompt.user}],
                )
        except TimeoutError as error:
            raise ProviderTimeout(
                f"no complete answer within {self.timeout:g}s", self._name
            ) from error
        except anthropic.APITimeoutError as error:
            raise ProviderTimeout(f"no answer within {self.timeout:g}s", self._name) from error
        except anthropic.APIConnectionError as error:
            raise ProviderUnavailable(
                f"cannot reach the Messages API: {error}", self._name
            ) from error
        except anthropic.RateLimitError as error:
            raise RateLimited(
                f"rate limited: {_describe(error)}",
                self._name,
                retry_after=parse_retry_after(error.response.headers.get("retry-after")),
            ) from error
        except anthropic.APIStatusError as error:
            status = error.status_code
            retryable = status in (408, 409) or status >= 500
            raise ProviderUnavailable(
                f"HTTP {status}: {_describe(error)}", self._name, status, retryable=retryable
            ) from error
        except anthropic.APIResponseValidationError as error:
            raise BadProviderAnswer(
                f"answer does not match the Messages API: {error}", self._name
            ) from error
        except (anthropic.AnthropicError, ValueError, TypeError) as error:
            # The SDK surfaces an undecodable body as a decode error or a plain string.
            raise BadProviderAnswer(f"unreadable answer: {error}", self._name) from error
        latency = time.monotonic() - started
        return _to_generation(message, self._name, self._tier, self._model, latency)

    async def _close_client(self, client: Any) -> None:
        await client.close()  # the SDK's client closes with close(), not aclose()


def _sdk_module() -> Any:
    """The ``anthropic`` package, imported on first use: it takes seconds to import, and most
    runs (no key, or a cache hit) never need it."""
    return importlib.import_module("anthropic")


def _describe(error: anthropic.APIStatusError) -> str:
    kind = error.type or "error"
    return f"{kind}: {error.api_message or error.message}"


def _to_generation(
    message: object, provider: str, tier: Tier, model: str, latency: float
) -> Generation:
    content = getattr(message, "content", None)
    usage = getattr(message, "usage", None)
    if not isinstance(content, list) or usage is None:
        raise BadProviderAnswer(f"not a message: {str(message)[:120]!r}", provider)
    texts = [block.text for block in content if getattr(block, "type", None) == "text"]
    if not texts:
        raise BadProviderAnswer("the message has no text content", provider)
    input_tokens = getattr(usage, "input_tokens", None)
    output_tokens = getattr(usage, "output_tokens", None)
    if not isinstance(input_tokens, int) or not isinstance(output_tokens, int):
        raise BadProviderAnswer("usage.input_tokens or usage.output_tokens is missing", provider)
    cache_read = getattr(usage, "cache_read_input_tokens", None) or 0
    # Cache writes are billed at 1.25x input; the table has no such column, so they are
    # counted as plain input (an under-estimate of a quarter of those tokens' price).
    cache_write = getattr(usage, "cache_creation_input_tokens", None) or 0
    request_id = getattr(message, "_request_id", None)
    return Generation(
        text="".join(texts),
        provider=provider,
        tier=tier,
        model=str(getattr(message, "model", None) or model),
        input_tokens=input_tokens + int(cache_write),
        output_tokens=output_tokens,
        cached_tokens=int(cache_read),
        latency_seconds=latency,
        request_id=request_id if isinstance(request_id, str) else None,
    )
