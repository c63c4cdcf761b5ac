"""One call to Cloudflare's v4 REST API: Bearer auth, the ``{success, errors, result}``
envelope, and every failure turned into an Argus error of the caller's choosing."""

from __future__ import annotations

import json
from typing import Any

import httpx

from argus.core.errors import ArgusError

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"


def call(
    client: httpx.Client,
    method: str,
    url: str,
    token: str,
    error: type[ArgusError],
    what: str,
    *,
    json_body: Any = None,
    content: bytes | None = None,
    content_type: str | None = None,
    timeout: float = 30.0,
) -> Any:
    """Send one request; return the envelope's ``result`` or raise ``error`` saying why."""
    headers = {"Authorization": f"Bearer {token}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    try:
        response = client.request(
            method, url, json=json_body, content=content, headers=headers, timeout=timeout
        )
    except httpx.TimeoutException as failure:
        raise error(f"{what}: no answer from Cloudflare within {timeout:g}s") from failure
    except httpx.HTTPError as failure:
        raise error(f"{what}: cannot reach Cloudflare ({failure})") from failure
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise error(f"{what}: HTTP {response.status_code} with a body that is not a JSON object")
    if response.status_code >= 400 or body.get("success") is not True:
        hint = " (check the API token)" if response.status_code in (401, 403) else ""
        raise error(f"{what}: HTTP {response.status_code}: {describe_errors(body)}{hint}")
    return body.get("result")


def describe_errors(body: dict[str, Any]) -> str:
    """``code: message; ...`` from an envelope's ``errors`` list."""
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        parts = []
        for item in errors[:5]:
            if isinstance(item, dict):
                parts.append(f"{item.get('code', '?')}: {item.get('message', '')}".strip())
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return "success is not true and no errors were given"
