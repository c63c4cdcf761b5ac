"""Credentials as each protocol carries them, and the webhook signature check.

- Sentry SDKs send the DSN's public key in ``X-Sentry-Auth: Sentry sentry_key=<key>, ...``,
  or as a ``sentry_key`` query parameter, or (browser tunnels) as the envelope header's ``dsn``.
- The generic endpoint takes ``Authorization: Bearer <project key>``.
- Sentry integration webhooks carry ``Sentry-Hook-Signature``: the hex HMAC-SHA256 of the
  raw request body keyed with the integration's client secret.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlsplit


def parse_sentry_auth(header: str) -> dict[str, str]:
    """The ``key=value`` pairs of an ``X-Sentry-Auth`` (or ``Authorization: Sentry``) header."""
    text = header.strip()
    if text[:7].lower() == "sentry ":
        text = text[7:]
    pairs: dict[str, str] = {}
    for part in text.split(","):
        name, equals, value = part.partition("=")
        if equals:
            pairs[name.strip().lower()] = value.strip()
    return pairs


def sentry_key_of(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The DSN public key from the ``X-Sentry-Auth`` header or the ``sentry_key`` query."""
    for name in ("x-sentry-auth", "authorization"):
        value = headers.get(name)
        if value and value.strip()[:7].lower() == "sentry ":
            key = parse_sentry_auth(value).get("sentry_key")
            if key:
                return key
    key = query.get("sentry_key")
    return key or None


def dsn_parts(dsn: str) -> tuple[str, str] | None:
    """``(public_key, project_id)`` of a DSN ``scheme://key@host[:port]/[path/]project``."""
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return None
    project = parts.path.rstrip("/").rsplit("/", 1)[-1]
    if not parts.username or not project:
        return None
    return parts.username, project


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def hook_signature(body: bytes, secret: str) -> str:
    """The ``Sentry-Hook-Signature`` Sentry sends with ``body``: hex HMAC-SHA256."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_hook_signature(body: bytes, signature: str | None, secret: str) -> bool:
    """Whether ``signature`` signs ``body`` with ``secret`` (compared in constant time)."""
    if not signature:
        return False
    expected = hook_signature(body, secret)
    return hmac.compare_digest(expected.encode("ascii"), signature.strip().lower().encode())
