"""Sign-in for the dashboard: one-time links made by ``argus dashboard link``, and sessions.

Only SHA-256 digests of link tokens and session ids are stored, so a copy of the store does
not sign anyone in. A link works once, before it expires; a session carries its CSRF token.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from dataclasses import dataclass

from argus.core.errors import ConfigError

SESSION_SECONDS = 12 * 3600
COOKIE_NAME = "argus_session"
_AGAIN = " Make a new one with `argus dashboard link`."


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_ttl(text: str) -> float:
    """Seconds in ``30s``, ``10m``, ``2h`` or ``1d``; ConfigError for anything else."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value = text.strip().lower()
    if len(value) < 2 or value[-1] not in units or not value[:-1].isdigit():
        raise ConfigError(f"--ttl {text!r} is not a duration like 30s, 10m, 2h or 1d")
    seconds = int(value[:-1]) * units[value[-1]]
    if not 0 < seconds <= 7 * 86400:
        raise ConfigError(f"--ttl {text!r} must be more than 0 and at most 7d")
    return float(seconds)


def create_link(
    db: sqlite3.Connection, tenant: str, ttl_seconds: float, now: float | None = None
) -> str:
    """Store a one-time link for ``tenant``; return its token (shown once, never stored)."""
    if not tenant.strip():
        raise ConfigError("--tenant must not be blank")
    token = secrets.token_urlsafe(32)
    moment = time.time() if now is None else now
    db.execute(
        "INSERT INTO dashboard_links (token_hash, tenant, expires_at) VALUES (?, ?, ?)",
        (_digest(token), tenant, moment + ttl_seconds),
    )
    return token


class LinkRefused(Exception):
    """A sign-in link that cannot be used; the message says why, for the page."""


@dataclass(frozen=True)
class Session:
    """A signed-in session: the tenant shown, the CSRF token its forms carry, and the
    tenants it may switch to (a GitHub user's installations; empty for a link's session)."""

    tenant: str
    csrf_token: str
    tenants: tuple[str, ...] = ()


def redeem_link(
    db: sqlite3.Connection, token: str, now: float | None = None
) -> tuple[str, Session]:
    """Use the link ``token`` once: (session id for the cookie, the session).

    Raises LinkRefused for an unknown, used or expired link.
    """
    moment = time.time() if now is None else now
    db.execute("BEGIN IMMEDIATE")
    try:
        row = db.execute(
            "SELECT tenant, expires_at, used_at FROM dashboard_links WHERE token_hash = ?",
            (_digest(token),),
        ).fetchone()
        if row is None:
            raise LinkRefused("This sign-in link is not known." + _AGAIN)
        tenant, expires_at, used_at = row
        if used_at is not None:
            raise LinkRefused("This sign-in link was already used; each link works once." + _AGAIN)
        if moment >= expires_at:
            raise LinkRefused("This sign-in link has expired." + _AGAIN)
        db.execute(
            "UPDATE dashboard_links SET used_at = ? WHERE token_hash = ?", (moment, _digest(token))
        )
        session_id, session = _insert_session(db, str(tenant), (), moment)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return session_id, session


def start_session(
    db: sqlite3.Connection, tenants: tuple[str, ...], now: float | None = None
) -> tuple[str, Session]:
    """A session showing ``tenants[0]`` that may switch among ``tenants`` (GitHub sign-in)."""
    if not tenants:
        raise ValueError("a session needs at least one tenant")
    moment = time.time() if now is None else now
    return _insert_session(db, tenants[0], tenants, moment)


def _insert_session(
    db: sqlite3.Connection, tenant: str, tenants: tuple[str, ...], moment: float
) -> tuple[str, Session]:
    session_id = secrets.token_urlsafe(32)
    session = Session(tenant, secrets.token_urlsafe(24), tenants)
    db.execute(
        "INSERT INTO dashboard_sessions (session_hash, tenant, tenants, csrf_token, expires_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (
            _digest(session_id),
            tenant,
            json.dumps(list(tenants)),
            session.csrf_token,
            moment + SESSION_SECONDS,
        ),
    )
    db.execute("DELETE FROM dashboard_sessions WHERE expires_at < ?", (moment,))
    return session_id, session


def switch_tenant(db: sqlite3.Connection, session_id: str, session: Session, tenant: str) -> bool:
    """Show ``tenant`` in the session when it is one of the session's tenants."""
    if tenant not in session.tenants:
        return False
    db.execute(
        "UPDATE dashboard_sessions SET tenant = ? WHERE session_hash = ?",
        (tenant, _digest(session_id)),
    )
    return True


def session_for(
    db: sqlite3.Connection, session_id: str | None, now: float | None = None
) -> Session | None:
    """The live session of the cookie value ``session_id``, else None."""
    if not session_id:
        return None
    moment = time.time() if now is None else now
    row = db.execute(
        "SELECT tenant, csrf_token, tenants FROM dashboard_sessions"
        " WHERE session_hash = ? AND expires_at > ?",
        (_digest(session_id), moment),
    ).fetchone()
    if row is None:
        return None
    return Session(str(row[0]), str(row[1]), tuple(str(t) for t in json.loads(row[2])))


def end_session(db: sqlite3.Connection, session_id: str) -> None:
    """Forget the session (sign out)."""
    db.execute("DELETE FROM dashboard_sessions WHERE session_hash = ?", (_digest(session_id),))


def csrf_matches(session: Session, submitted: str | None) -> bool:
    """Whether a form's CSRF field is the session's token (compared in constant time)."""
    return bool(submitted) and secrets.compare_digest(session.csrf_token, str(submitted))
