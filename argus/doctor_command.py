"""``argus doctor``: check the machine and the configuration, say what is wrong and how to fix it.

Every check answers ok, warn or fail with one sentence, and a fix for anything not ok. The
command exits 1 when any check fails (warnings alone exit 0), so it can gate a deployment.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # imported when a check runs: httpx brings rich, and `argus --help` waits
    import httpx

OK, WARN, FAIL = "ok", "warn", "fail"
MIN_PYTHON = (3, 11)
MIN_GIT = (2, 25)
TIMEOUT = 5.0


@dataclass(frozen=True)
class Check:
    """The answer of one check."""

    name: str
    status: str
    message: str
    fix: str = ""


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``argus doctor``."""
    doctor = commands.add_parser(
        "doctor",
        help="check git, Python, the store and the configured services; say how to fix them",
        description=(
            "Check git, the Python version, the store (path, permissions, schema version) and "
            "every configured service (GitHub App, database, model providers, Cloudflare). "
            "Exit 1 when something is wrong."
        ),
    )
    doctor.add_argument("--repo", default=".", help="the repository whose store to check")
    doctor.add_argument(
        "--env-file", default=".env", help="the .env file the App reads (default: .env)"
    )
    doctor.set_defaults(handler=run_doctor)


def run_doctor(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """Run every check, print one line each (and its fix), return 1 when one failed."""
    environ = _environment(Path(arguments.env_file))
    checks = run_checks(environ, Path(arguments.repo), Path(arguments.env_file))
    width = max(len(check.name) for check in checks)
    for check in checks:
        stdout.write(f"{check.status.upper():<4}  {check.name:<{width}}  {check.message}\n")
        if check.fix and check.status != OK:
            stdout.write(f"{'':<4}  {'':<{width}}  fix: {check.fix}\n")
    failed = sum(check.status == FAIL for check in checks)
    warned = sum(check.status == WARN for check in checks)
    stdout.write(f"\n{failed} failed, {warned} warnings, {len(checks)} checks\n")
    return 1 if failed else 0


def run_checks(environ: Mapping[str, str], repo: Path, env_file: Path | None = None) -> list[Check]:
    """Every check, in the order a person fixes them."""
    checks = [check_python(), check_git(), *check_store(environ, repo)]
    checks.extend(check_github_app(environ, env_file))
    for check in (check_database, check_models, check_cloudflare):
        checks.extend(check(environ))
    from argus.doctor_shared_store import check_shared_store

    checks.extend(Check(*answer) for answer in check_shared_store(environ))
    return checks


def _environment(env_file: Path) -> dict[str, str]:
    """The process environment over the ``.env`` file's values (as the App reads them)."""
    values: dict[str, str] = {}
    if env_file.is_file():
        from dotenv import dotenv_values

        # A malformed line is reported by check_github_app, which reads the file again.
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ)
    return values


def check_python() -> Check:
    """Argus needs Python 3.11 or newer."""
    found = ".".join(str(part) for part in sys.version_info[:3])
    if sys.version_info[:2] >= MIN_PYTHON:
        return Check("python", OK, f"Python {found} ({sys.executable})")
    return Check("python", FAIL, f"Python {found} is too old", "install Python 3.11 or newer")


def check_git() -> Check:
    """git must run and be new enough for partial clones and merge-base."""
    path = shutil.which("git")
    if path is None:
        return Check("git", FAIL, "git is not on PATH", "install git (apt-get install git)")
    try:
        answer = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=TIMEOUT, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as error:
        return Check("git", FAIL, f"git does not run: {error}", "reinstall git")
    digits = answer.removeprefix("git version ").split(".")
    try:
        version = (int(digits[0]), int(digits[1]))
    except (IndexError, ValueError):
        return Check("git", WARN, f"cannot read the version from {answer!r}")
    if version < MIN_GIT:
        return Check("git", FAIL, f"{answer} is older than 2.25", "upgrade git")
    return Check("git", OK, answer)


def _store_path(environ: Mapping[str, str], repo: Path) -> Path | None:
    home = environ.get("ARGUS_HOME", "").strip()
    if home:
        return Path(home).expanduser() / "argus.db"
    try:
        top = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(top) / ".argus" / "argus.db"


def check_store(environ: Mapping[str, str], repo: Path) -> list[Check]:
    """Where the store is, who can read it, and whether this Argus can open its schema."""
    from argus.core.store.sqlite import migration_scripts

    path = _store_path(environ, repo)
    if path is None:
        return [
            Check(
                "store",
                WARN,
                f"{repo} is not a git repository and ARGUS_HOME is not set: no store to check",
                "run inside a repository, or set ARGUS_HOME to the store's directory",
            )
        ]
    if not path.exists():
        parent = path.parent
        while not parent.exists():
            parent = parent.parent
        if not os.access(parent, os.W_OK):
            return [Check("store", FAIL, f"{path} cannot be created", f"make {parent} writable")]
        return [Check("store", OK, f"{path} (not created yet; made on first use)")]
    checks: list[Check] = []
    loose = [
        f"{target} is mode {stat.S_IMODE(target.stat().st_mode):o}"
        for target, private in ((path, 0o600), (path.parent, 0o700))
        if stat.S_IMODE(target.stat().st_mode) & ~private & 0o777
    ]
    if loose:
        checks.append(
            Check(
                "store permissions",
                WARN,
                "; ".join(loose) + ": other users can read tenants' keys and events",
                f"chmod 700 {path.parent} && chmod 600 {path}",
            )
        )
    newest = max(version for version, _, _ in migration_scripts())
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=TIMEOUT) as db:
            integrity = db.execute("PRAGMA quick_check").fetchone()[0]
            versions = [row[0] for row in db.execute("SELECT version FROM schema_migrations")]
    except sqlite3.Error as error:
        return [
            *checks,
            Check(
                "store",
                FAIL,
                f"{path} cannot be read as an Argus store: {error}",
                "move it aside; Argus creates a new one (patterns and keys in it are lost)",
            ),
        ]
    schema = max(versions, default=0)
    if integrity != "ok":
        checks.append(Check("store", FAIL, f"{path} is damaged: {integrity}", "restore a backup"))
    elif schema > newest:
        checks.append(
            Check(
                "store",
                FAIL,
                f"{path} has schema {schema}, newer than this Argus knows ({newest})",
                "upgrade Argus (pip install -U argus-pr)",
            )
        )
    elif schema < newest:
        checks.append(
            Check("store", OK, f"{path} (schema {schema}; migrated to {newest} on next open)")
        )
    else:
        checks.append(Check("store", OK, f"{path} (schema {schema}, current)"))
    return checks


def check_github_app(environ: Mapping[str, str], env_file: Path | None = None) -> list[Check]:
    """The App's settings parse, its key is a key, and its API URL accepts the App's token."""
    if not any(key.startswith("ARGUS_GITHUB_") for key in environ):
        return [Check("github app", OK, "not configured (argus serve runs without the App)")]
    from argus.core.errors import ConfigError
    from argus.github_app.settings import load_settings

    try:
        settings = load_settings(environ, dotenv=env_file)
    except ConfigError as error:
        return [Check("github app", FAIL, str(error), "see docs/github-app.md for each variable")]
    try:
        import jwt

        now = int(time.time())
        token = jwt.encode(
            {"iat": now - 60, "exp": now + 540, "iss": str(settings.app_id)},
            settings.private_key,
            algorithm="RS256",
        )
    except (ValueError, TypeError) as error:
        return [
            Check(
                "github app",
                FAIL,
                f"ARGUS_GITHUB_PRIVATE_KEY cannot sign a token: {error}",
                "download a new private key from the App's settings page",
            )
        ]
    return [_github_reachable(settings.api_url, settings.app_id, token)]


def _github_reachable(api_url: str, app_id: int, token: str) -> Check:
    import httpx

    try:
        answer = httpx.get(
            f"{api_url}/app",
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
            timeout=TIMEOUT,
        )
    except httpx.HTTPError as error:
        return Check(
            "github app",
            FAIL,
            f"cannot reach {api_url}: {error}",
            "check ARGUS_GITHUB_API_URL and this machine's network",
        )
    if answer.status_code == 200:
        slug = _json_field(answer, "slug") or "?"
        return Check("github app", OK, f"App {app_id} ({slug}) at {api_url}")
    if answer.status_code in (401, 403):
        return Check(
            "github app",
            FAIL,
            f"{api_url} refused the App's token (HTTP {answer.status_code})",
            "ARGUS_GITHUB_APP_ID and ARGUS_GITHUB_PRIVATE_KEY must belong to the same App",
        )
    return Check("github app", FAIL, f"{api_url}/app answered HTTP {answer.status_code}")


def check_database(environ: Mapping[str, str]) -> list[Check]:
    """A PostgreSQL ``ARGUS_DATABASE_URL`` accepts a connection."""
    url = environ.get("ARGUS_DATABASE_URL", "").strip()
    if not url.startswith(("postgresql://", "postgres://")):
        shown = url or "the embedded SQLite default"
        return [Check("database", OK, f"{shown}")]
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=int(TIMEOUT)) as connection:
            version = connection.execute("SHOW server_version").fetchone()
    except psycopg.Error as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        return [
            Check(
                "database",
                FAIL,
                f"cannot connect to ARGUS_DATABASE_URL: {first_line}",
                "check the host, port, user and password in the URL, and that PostgreSQL runs",
            )
        ]
    return [Check("database", OK, f"PostgreSQL {version[0] if version else '?'}")]


def check_models(environ: Mapping[str, str]) -> list[Check]:
    """The model providers' settings are whole, and each configured endpoint answers."""
    from argus.core.errors import ConfigError
    from argus.core.router.config import ProviderSettings

    try:
        settings = ProviderSettings.from_environment(environ)
    except ConfigError as error:
        return [Check("models", FAIL, str(error), "see docs/router.md")]
    checks: list[Check] = []
    if settings.anthropic_api_key:
        base = (settings.anthropic_base_url or "https://api.anthropic.com").rstrip("/")
        checks.append(
            _endpoint(
                "anthropic",
                f"{base}/v1/models",
                {"x-api-key": settings.anthropic_api_key, "anthropic-version": "2023-06-01"},
                "ANTHROPIC_API_KEY",
            )
        )
    if settings.openai_base_url:
        headers = (
            {"Authorization": f"Bearer {settings.openai_api_key}"}
            if settings.openai_api_key
            else {}
        )
        checks.append(
            _endpoint(
                "openai-compatible",
                f"{settings.openai_base_url.rstrip('/')}/models",
                headers,
                "ARGUS_OPENAI_API_KEY",
            )
        )
    if not checks and not settings.cloudflare_account_id:
        checks.append(Check("models", OK, "no paid provider configured: the free tiers only"))
    return checks


def check_cloudflare(environ: Mapping[str, str]) -> list[Check]:
    """``CLOUDFLARE_API_TOKEN`` is a live token (Cloudflare's own verify endpoint)."""
    token = environ.get("CLOUDFLARE_API_TOKEN", "").strip()
    if not token:
        return []
    from argus.core.store.cloudflare import DEFAULT_BASE_URL

    base = (environ.get("ARGUS_WORKERS_AI_BASE_URL", "").strip() or DEFAULT_BASE_URL).rstrip("/")
    return [
        _endpoint(
            "cloudflare",
            f"{base}/user/tokens/verify",
            {"Authorization": f"Bearer {token}"},
            "CLOUDFLARE_API_TOKEN",
            succeeded=lambda answer: _json_field(answer, "success") is True,
        )
    ]


def _endpoint(
    name: str,
    url: str,
    headers: Mapping[str, str],
    key_variable: str,
    succeeded: Callable[[httpx.Response], bool] | None = None,
) -> Check:
    import httpx

    try:
        answer = httpx.get(url, headers=dict(headers), timeout=TIMEOUT)
    except httpx.HTTPError as error:
        return Check(name, FAIL, f"cannot reach {url}: {error}", "check the URL and the network")
    if answer.status_code in (401, 403):
        return Check(
            name,
            FAIL,
            f"{url} refused the key (HTTP {answer.status_code})",
            f"set {key_variable} to a valid key",
        )
    if answer.status_code >= 500 or (succeeded is not None and not succeeded(answer)):
        return Check(name, FAIL, f"{url} answered HTTP {answer.status_code}")
    return Check(name, OK, f"{url} answers (HTTP {answer.status_code})")


def _json_field(answer: httpx.Response, field: str) -> object:
    try:
        document = answer.json()
    except ValueError:
        return None
    return document.get(field) if isinstance(document, dict) else None
