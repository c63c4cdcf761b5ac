"""Settings of the App, read once at start-up from the environment (and a ``.env`` file).

A missing or malformed value raises :class:`~core.errors.ConfigError` naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from core.errors import ConfigError

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_DATABASE_URL = "sqlite:///.argus/github-app.db"
_PEM_START = "-----BEGIN"


@dataclass(frozen=True)
class AppSettings:
    """Everything the App needs to start; build with :func:`load_settings`."""

    app_id: int
    private_key: str
    webhook_secret: str
    api_url: str = DEFAULT_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    checkouts_dir: Path | None = None
    """Where clones for test generation live (``<dir>/<owner>/<repo>``); None: no tests."""

    @property
    def uses_postgres(self) -> bool:
        """True when jobs go to PostgreSQL (scale-out) rather than the embedded SQLite store."""
        return self.database_url.startswith(("postgresql://", "postgres://"))

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file of ``sqlite:///path`` URLs (None for PostgreSQL)."""
        if self.uses_postgres:
            return None
        return Path(self.database_url.removeprefix("sqlite:///"))

    def __repr__(self) -> str:
        return f"AppSettings(app_id={self.app_id}, api_url={self.api_url!r}, secrets hidden)"


def read_dotenv(path: Path) -> dict[str, str]:
    """``KEY=value`` lines of a ``.env`` file (quotes stripped, ``#`` comments skipped)."""
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ConfigError(f"{path}:{number}: expected KEY=value, got {line[:40]!r}")
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1].replace("\\n", "\n")
        values[key.strip().removeprefix("export ").strip()] = value
    return values


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")
) -> AppSettings:
    """Settings from ``environ`` (default ``os.environ``) over the ``dotenv`` file's values."""
    values = dict(read_dotenv(dotenv) if dotenv else {})
    values.update(os.environ if environ is None else environ)

    def required(name: str) -> str:
        value = values.get(name, "").strip()
        if not value:
            raise ConfigError(f"{name} is not set; put it in the environment or in .env")
        return value

    app_id_text = required("ARGUS_GITHUB_APP_ID")
    if not app_id_text.isdigit():
        raise ConfigError(f"ARGUS_GITHUB_APP_ID must be the App's number, got {app_id_text!r}")
    private_key = _private_key(required("ARGUS_GITHUB_PRIVATE_KEY"))
    secret = required("ARGUS_GITHUB_WEBHOOK_SECRET")
    api_url = values.get("ARGUS_GITHUB_API_URL", "").strip() or DEFAULT_API_URL
    parsed = urlparse(api_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"ARGUS_GITHUB_API_URL must be an http(s) URL, got {api_url!r}")
    database_url = values.get("ARGUS_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    if not database_url.startswith(("sqlite:///", "postgresql://", "postgres://")):
        raise ConfigError(
            f"ARGUS_DATABASE_URL must be sqlite:///<path> or postgresql://..., got {database_url!r}"
        )
    checkouts_text = values.get("ARGUS_GITHUB_CHECKOUTS", "").strip()
    checkouts = Path(checkouts_text).expanduser() if checkouts_text else None
    if checkouts is not None and not checkouts.is_dir():
        raise ConfigError(f"ARGUS_GITHUB_CHECKOUTS must be a directory; {checkouts} is not one")
    return AppSettings(
        int(app_id_text), private_key, secret, api_url.rstrip("/"), database_url, checkouts
    )


def _private_key(value: str) -> str:
    text = value.replace("\\n", "\n")
    if not text.lstrip().startswith(_PEM_START):
        path = Path(value).expanduser()
        if not path.is_file():
            raise ConfigError(
                "ARGUS_GITHUB_PRIVATE_KEY must be the PEM text of the App's private key or the "
                f"path of its .pem file; {value[:60]!r} is neither"
            )
        text = path.read_text(encoding="utf-8")
    if _PEM_START not in text or "PRIVATE KEY-----" not in text:
        raise ConfigError("ARGUS_GITHUB_PRIVATE_KEY does not hold a PEM private key")
    return text.strip() + "\n"
