"""First-run setup: register the App through GitHub's manifest flow, from ``argus serve``.

``GET /setup`` shows a form that posts the App's manifest (``app.yml``, its webhook and redirect
URLs pointed at this server's public URL) to ``{github_web_url}/settings/apps/new``. GitHub
creates the App and sends the browser back to ``/setup/callback?code=...&state=...``; the code
is exchanged with ``POST {api_url}/app-manifests/{code}/conversions`` for the App's id, private
key and webhook secret, which are written to ``.env`` (mode 0600), and the page links to the
App's installation.

Only reachable from the server itself (loopback) or with the one-time token ``argus serve``
prints in its log; the callback also takes the ``state`` the page handed to GitHub. An ``.env``
that already names another App is never overwritten: the new App's values go to a file of
their own beside it, and the page says so.
"""

from __future__ import annotations

import hmac
import html
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from argus.core.errors import ConfigError

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
ENV_KEYS = (
    "ARGUS_GITHUB_APP_ID",
    "ARGUS_GITHUB_PRIVATE_KEY",
    "ARGUS_GITHUB_WEBHOOK_SECRET",
    "ARGUS_GITHUB_CLIENT_ID",  # the App's OAuth client: the dashboard's GitHub sign-in
    "ARGUS_GITHUB_CLIENT_SECRET",
)
MANIFEST = Path(__file__).resolve().parents[2] / "app.yml"


@dataclass
class SetupSettings:
    """Where the setup page sends the manifest and writes the App's credentials."""

    public_url: str
    github_web_url: str = "https://github.com"
    api_url: str = "https://api.github.com"
    env_path: Path = Path(".env")
    manifest_path: Path = MANIFEST
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    """The one-time token that opens the page from another machine (printed in the log)."""


def setup_settings_from_environment(
    host: str, port: int, environ: Mapping[str, str], env_path: Path = Path(".env")
) -> SetupSettings:
    """``ARGUS_PUBLIC_URL`` (default ``http://host:port``), ``ARGUS_GITHUB_API_URL`` and
    ``ARGUS_GITHUB_WEB_URL`` (default: github.com, or the Enterprise host of the API URL)."""
    from argus.github_app.repo_review import git_host_for

    public = environ.get("ARGUS_PUBLIC_URL", "").strip() or f"http://{host}:{port}"
    api_url = environ.get("ARGUS_GITHUB_API_URL", "").strip() or "https://api.github.com"
    web_url = environ.get("ARGUS_GITHUB_WEB_URL", "").strip() or git_host_for(api_url)
    return SetupSettings(public.rstrip("/"), web_url, api_url.rstrip("/"), env_path)


def manifest_for(settings: SetupSettings) -> dict[str, Any]:
    """``app.yml`` with its webhook and redirect URLs on this server's public URL."""
    try:
        manifest = yaml.safe_load(settings.manifest_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(
            f"cannot read the App manifest {settings.manifest_path}: {error}"
        ) from None
    public = settings.public_url.rstrip("/")
    manifest["hook_attributes"] = {
        **(manifest.get("hook_attributes") or {}),
        "url": f"{public}/webhooks/github",
    }
    manifest["redirect_url"] = f"{public}/setup/callback"
    return dict(manifest)


def create_setup_app(settings: SetupSettings) -> FastAPI:
    """The setup pages (``/setup``, ``/setup/callback``) as an app to serve or mount."""
    if not settings.public_url.startswith(("http://", "https://")):
        raise ConfigError(f"the public URL must be http(s), got {settings.public_url!r}")
    app = FastAPI(title="Argus setup", docs_url=None, redoc_url=None, openapi_url=None)
    states: set[str] = set()
    done: list[str] = []

    def allowed(request: Request, state: str | None = None) -> bool:
        host = request.client.host if request.client else ""
        if host in LOOPBACK:
            return True
        given = request.query_params.get("token", "")
        if settings.token and given and hmac.compare_digest(given, settings.token):
            return True
        return state is not None and state in states

    @app.get("/setup", response_class=HTMLResponse)
    async def setup_page(request: Request) -> HTMLResponse:
        if done:
            return _page("Argus is registered", done[0], 410)
        if not allowed(request):
            return _forbidden()
        state = secrets.token_urlsafe(16)
        states.add(state)
        manifest = json.dumps(manifest_for(settings))
        action = f"{settings.github_web_url.rstrip('/')}/settings/apps/new?state={state}"
        body = (
            "<p>Register Argus as a GitHub App on your account. GitHub shows the App's settings "
            "and asks you to confirm; you come back here afterwards.</p>"
            f'<form method="post" action="{html.escape(action)}">'
            f'<input type="hidden" name="manifest" value="{html.escape(manifest)}">'
            '<button type="submit">Register the GitHub App</button></form>'
        )
        return _page("Set up Argus", body)

    @app.get("/setup/callback", response_class=HTMLResponse)
    async def callback(request: Request) -> HTMLResponse:
        code = request.query_params.get("code", "")
        state = request.query_params.get("state", "")
        if done:
            return _page("Argus is registered", done[0], 410)
        if not allowed(request, state or None):
            return _forbidden()
        if not code or not code.replace("-", "").replace("_", "").isalnum():
            return _page("Setup failed", "<p>GitHub sent no code back: start again.</p>", 400)
        try:
            app_data = await convert(settings.api_url, code)
        except SetupError as error:
            return _page("Setup failed", f"<p>{html.escape(str(error))}</p>", 502)
        written, clash = write_credentials(settings.env_path, app_data)
        states.clear()
        settings.token = ""  # one time: the page closes once the App exists
        install = f"{str(app_data.get('html_url', '')).rstrip('/')}/installations/new"
        where = (
            f"<p><code>{html.escape(str(settings.env_path))}</code> already names App "
            f"{html.escape(clash)}, so it was left as it was: the new App's values are in "
            f"<code>{html.escape(str(written))}</code>. Move them into .env to use it.</p>"
            if clash
            else f"<p>Its id, private key and webhook secret are in "
            f"<code>{html.escape(str(written))}</code> (readable by you alone).</p>"
        )
        body = (
            f"<p>GitHub App <strong>{html.escape(str(app_data.get('name', '')))}</strong> "
            f"(id {int(app_data['id'])}) is registered.</p>{where}"
            "<p>Restart <code>argus serve</code>, then "
            f'<a href="{html.escape(install)}">install the App on your repositories</a>.</p>'
        )
        done.append(body)
        return _page("Argus is registered", body)

    return app


class SetupError(Exception):
    """GitHub did not turn the code into an App; the message says what it answered."""


async def convert(api_url: str, code: str) -> dict[str, Any]:
    """``POST /app-manifests/{code}/conversions``: the new App with its secrets."""
    url = f"{api_url.rstrip('/')}/app-manifests/{code}/conversions"
    headers = {"accept": "application/vnd.github+json", "x-github-api-version": "2022-11-28"}
    try:
        async with httpx.AsyncClient(timeout=30.0) as client:
            response = await client.post(url, headers=headers)
    except httpx.HTTPError as error:
        raise SetupError(f"GitHub could not be reached ({type(error).__name__})") from None
    if response.status_code != 201:
        raise SetupError(
            f"GitHub answered {response.status_code} to the code: it was used already or "
            "expired (codes last an hour). Start again from /setup."
        )
    data = response.json()
    missing = [k for k in ("id", "pem", "webhook_secret") if not data.get(k)]
    if missing:
        raise SetupError(f"GitHub's answer lacks {', '.join(missing)}")
    return dict(data)


def write_credentials(env_path: Path, app_data: dict[str, Any]) -> tuple[Path, str | None]:
    """Write the App's id, key, webhook secret and OAuth client (the dashboard's sign-in) into
    ``env_path`` (mode 0600), keeping its other lines; when it already names another App, into
    ``<env>.app-<id>`` instead. Returns where they went and the App id found, if any."""
    values = {
        "ARGUS_GITHUB_APP_ID": str(int(app_data["id"])),
        "ARGUS_GITHUB_PRIVATE_KEY": str(app_data["pem"]).strip().replace("\n", "\\n"),
        "ARGUS_GITHUB_WEBHOOK_SECRET": str(app_data["webhook_secret"]),
    }
    if app_data.get("client_id") and app_data.get("client_secret"):
        values["ARGUS_GITHUB_CLIENT_ID"] = str(app_data["client_id"])
        values["ARGUS_GITHUB_CLIENT_SECRET"] = str(app_data["client_secret"])
    lines = env_path.read_text(encoding="utf-8").splitlines() if env_path.exists() else []
    existing = _value(lines, "ARGUS_GITHUB_APP_ID")
    target, kept = env_path, [line for line in lines if _key(line) not in ENV_KEYS]
    if existing and existing != values["ARGUS_GITHUB_APP_ID"]:
        target, kept = (
            env_path.with_name(f"{env_path.name}.app-{values['ARGUS_GITHUB_APP_ID']}"),
            [],
        )
    kept += [f'{key}="{value}"' for key, value in values.items()]
    _write_private(target, "\n".join(kept) + "\n")
    return target, existing if target != env_path else None


def _write_private(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    os.chmod(path, 0o600)


def _key(line: str) -> str:
    text = line.strip().removeprefix("export ").strip()
    return text.split("=", 1)[0].strip() if "=" in text and not text.startswith("#") else ""


def _value(lines: list[str], key: str) -> str:
    for line in lines:
        if _key(line) == key:
            return line.split("=", 1)[1].strip().strip("'\"")
    return ""


def _forbidden() -> HTMLResponse:
    return _page(
        "Setup is closed",
        "<p>Open this page on the server itself (http://127.0.0.1), or add the one-time "
        "<code>?token=</code> that <code>argus serve</code> printed in its log.</p>",
        403,
    )


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    text = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(text, status_code=status, headers={"cache-control": "no-store"})
