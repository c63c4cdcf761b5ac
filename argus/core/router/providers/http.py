"""What the httpx-based adapters share: one POST with its errors translated to ours."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import anyio
import httpx

from argus.core.router.errors import (
    BadProviderAnswer,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from argus.core.router.prompts import RenderedPrompt


def chat_messages(prompt: RenderedPrompt) -> list[dict[str, str]]:
    """The rendered prompt as chat messages (system first when there is one)."""
    messages = []
    if prompt.system:
        messages.append({"role": "system", "content": prompt.system})
    messages.append({"role": "user", "content": prompt.user})
    return messages


@dataclass(frozen=True)
class JsonAnswer:
    """A 2xx answer decoded to a JSON object, with its latency and response headers."""

    body: dict[str, object]
    latency_seconds: float
    headers: httpx.Headers


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``retry-after`` header, in either form (delta-seconds or HTTP-date)."""
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


async def post_json(
    client: httpx.AsyncClient,
    provider: str,
    url: str,
    payload: Mapping[str, object],
    headers: Mapping[str, str],
    timeout: float,
    describe_error: Callable[[object], str],
) -> JsonAnswer:
    """POST ``payload``; return the decoded 2xx body or raise a ``ProviderError``.

    ``describe_error`` turns a decoded error body into a short message in the provider's terms.
    """
    started = time.monotonic()
    try:
        # httpx's timeout bounds each phase (connect, each read); the deadline bounds the whole
        # request, so a server that trickles bytes still costs at most ``timeout``.
        with anyio.fail_after(timeout):
            response = await client.post(
                url, json=dict(payload), headers=dict(headers), timeout=timeout
            )
    except TimeoutError as error:
        raise ProviderTimeout(f"no complete answer within {timeout:g}s", provider) from error
    except httpx.TimeoutException as error:
        raise ProviderTimeout(
            f"no answer within {timeout:g}s ({type(error).__name__})", provider
        ) from error
    except httpx.HTTPError as error:
        raise ProviderUnavailable(f"cannot reach {url}: {error}", provider) from error
    latency = time.monotonic() - started
    if response.status_code >= 400:
        message = _error_message(response, describe_error)
        status = response.status_code
        if status == 429:
            raise RateLimited(
                f"rate limited: {message}",
                provider,
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )
        if status in (408, 409) or status >= 500:
            raise ProviderUnavailable(f"HTTP {status}: {message}", provider, status)
        # 4xx other than 408/409/429: our request or credentials are wrong; retrying won't help.
        raise ProviderUnavailable(f"HTTP {status}: {message}", provider, status, retryable=False)
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BadProviderAnswer(
            f"answer is not JSON ({error}): {response.text[:120]!r}", provider
        ) from error
    if not isinstance(body, dict):
        raise BadProviderAnswer(
            f"answer is JSON but not an object: {response.text[:120]!r}", provider
        )
    return JsonAnswer(body=body, latency_seconds=latency, headers=response.headers)


def _error_message(response: httpx.Response, describe_error: Callable[[object], str]) -> str:
    try:
        return describe_error(response.json())
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, IndexError):
        return response.text[:200] or response.reason_phrase


def require_int(container: object, key: str, provider: str, where: str) -> int:
    """``container[key]`` as a non-negative int, or :class:`BadProviderAnswer`."""
    value = container.get(key) if isinstance(container, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadProviderAnswer(f"{where}.{key} is missing or not a count: {value!r}", provider)
    return value


def require_str(container: object, key: str, provider: str, where: str) -> str:
    """``container[key]`` as a string, or :class:`BadProviderAnswer`."""
    value = container.get(key) if isinstance(container, dict) else None
    if not isinstance(value, str):
        raise BadProviderAnswer(f"{where}.{key} is missing or not text: {value!r}", provider)
    return value
