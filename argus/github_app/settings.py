"""Settings of the App, read once at start-up from the environment (and a ``.env`` file).

pydantic-settings reads the variables (the environment first, then ``.env``); a missing or
malformed value raises :class:`~argus.core.errors.ConfigError` naming the variable.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from argus.core.errors import ConfigError

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


class _Environment(BaseSettings):
    """The App's variables as found (pydantic-settings): given values first, then the
    environment, then the ``.env`` file; checked by :func:`load_settings`."""

    model_config = SettingsConfigDict(env_prefix="ARGUS_", extra="ignore")

    github_app_id: str = ""
    github_private_key: str = ""
    github_webhook_secret: str = ""
    github_api_url: str = ""
    database_url: str = ""
    github_checkouts: str = ""


def _read(environ: Mapping[str, str] | None, dotenv: Path | None) -> _Environment:
    """The variables from ``environ`` (default: the process environment) over ``dotenv``."""
    given = {
        name.removeprefix("ARGUS_").lower(): value
        for name, value in (environ or {}).items()
        if name.startswith("ARGUS_") and name.removeprefix("ARGUS_").lower() in _FIELDS
    }
    use_process_environment = environ is None

    class Environment(_Environment):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            if use_process_environment:
                return init_settings, env_settings, dotenv_settings
            return init_settings, dotenv_settings

    env_file = dotenv if dotenv is not None and dotenv.is_file() else None
    if env_file is not None:
        _refuse_malformed(env_file)
    try:
        return Environment(_env_file=env_file, _env_file_encoding="utf-8", **given)  # type: ignore[call-arg]
    except (ValidationError, OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the App's settings from {dotenv}: {error}") from error


_FIELDS = frozenset(_Environment.model_fields)


def _refuse_malformed(env_file: Path) -> None:
    """A ``.env`` line that is not ``KEY=value`` is a mistake to name, not a line to skip."""
    from dotenv.parser import parse_stream

    try:
        text = env_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read {env_file}: {error}") from error
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            line = binding.original.string.strip()
            raise ConfigError(
                f"{env_file}:{binding.original.line}: expected KEY=value, got {line[:40]!r}"
            )


def app_configured(environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> bool:
    """True when ARGUS_GITHUB_APP_ID is set in ``environ`` (default: the process
    environment) or the ``dotenv`` file: the App is meant to run."""
    return bool(_read(environ, dotenv).github_app_id.strip())


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")
) -> AppSettings:
    """Settings from ``environ`` (default ``os.environ``) over the ``dotenv`` file's values."""
    found = _read(environ, dotenv)

    def required(name: str, value: str) -> str:
        if not value.strip():
            raise ConfigError(f"{name} is not set; put it in the environment or in .env")
        return value.strip()

    app_id_text = required("ARGUS_GITHUB_APP_ID", found.github_app_id)
    if not app_id_text.isdigit():
        raise ConfigError(f"ARGUS_GITHUB_APP_ID must be the App's number, got {app_id_text!r}")
    private_key = _private_key(required("ARGUS_GITHUB_PRIVATE_KEY", found.github_private_key))
    secret = required("ARGUS_GITHUB_WEBHOOK_SECRET", found.github_webhook_secret)
    api_url = found.github_api_url.strip() or DEFAULT_API_URL
    parsed = urlparse(api_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"ARGUS_GITHUB_API_URL must be an http(s) URL, got {api_url!r}")
    database_url = found.database_url.strip() or DEFAULT_DATABASE_URL
    if not database_url.startswith(("sqlite:///", "postgresql://", "postgres://")):
        raise ConfigError(
            f"ARGUS_DATABASE_URL must be sqlite:///<path> or postgresql://..., got {database_url!r}"
        )
    checkouts_text = found.github_checkouts.strip()
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
