"""The first-run setup page against the local GitHub's manifest flow
(tests.servers.github_manifest): registration, the callback's code conversion, ``.env``."""

from __future__ import annotations

import asyncio
import html
import json
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from argus.github_app.settings import load_settings
from argus.github_app.setup import MANIFEST, SetupSettings, create_setup_app
from tests.servers.github_api import GitHubAPIServer, rsa_key_pair

PUBLIC = "https://argus.acme.test"
WEB = "https://github.example.test"
REMOTE = ("203.0.113.5", 40000)
LOCAL = ("127.0.0.1", 40000)


@pytest.fixture
def github() -> Iterator[GitHubAPIServer]:
    with GitHubAPIServer(1, rsa_key_pair()[1]) as server:
        yield server


def settings_for(tmp_path: Path, github: GitHubAPIServer) -> SetupSettings:
    return SetupSettings(PUBLIC, WEB, github.url, env_path=tmp_path / ".env", token="one-time")


def get(app: object, path: str, client: tuple[str, int] = LOCAL) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=client)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://argus") as http:
            return await http.get(path)

    return asyncio.run(run())


def form(page: str) -> tuple[str, dict]:
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', page).group(1))
    manifest = html.unescape(re.search(r'name="manifest" value="([^"]+)"', page).group(1))
    return action, json.loads(manifest)


def test_the_page_is_closed_to_other_machines_without_the_token(
    tmp_path: Path, github: GitHubAPIServer
) -> None:
    app = create_setup_app(settings_for(tmp_path, github))
    assert get(app, "/setup", REMOTE).status_code == 403
    assert get(app, "/setup?token=wrong", REMOTE).status_code == 403
    assert get(app, "/setup?token=one-time", REMOTE).status_code == 200
    assert get(app, "/setup", LOCAL).status_code == 200
    assert get(app, "/setup/callback?code=abc&state=forged", REMOTE).status_code == 403


def test_registering_writes_the_app_to_env_and_links_the_installation(
    tmp_path: Path, github: GitHubAPIServer
) -> None:
    settings = settings_for(tmp_path, github)
    app = create_setup_app(settings)
    page = get(app, "/setup?token=one-time", REMOTE)
    action, manifest = form(page.text)
    assert action.startswith(f"{WEB}/settings/apps/new?state=")
    assert manifest["hook_attributes"]["url"] == f"{PUBLIC}/webhooks/github"
    assert manifest["redirect_url"] == f"{PUBLIC}/setup/callback"
    assert "pull_request" in manifest["default_events"]
    # The user confirms on GitHub, which redirects back with a code and the state.
    code = github.manifests.register(manifest)
    state = action.split("state=", 1)[1]
    done = get(app, f"/setup/callback?code={code}&state={state}", REMOTE)
    assert done.status_code == 200, done.text
    (registered,) = github.manifests.apps
    assert f"{registered['html_url']}/installations/new" in done.text
    env = tmp_path / ".env"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    loaded = load_settings({}, dotenv=env)
    assert loaded.app_id == registered["id"]
    assert loaded.private_key.strip() == registered["pem"].strip()
    assert loaded.webhook_secret == registered["webhook_secret"]
    # The App's OAuth client, for the dashboard's GitHub sign-in.
    assert f'ARGUS_GITHUB_CLIENT_ID="{registered["client_id"]}"' in env.read_text()
    assert f'ARGUS_GITHUB_CLIENT_SECRET="{registered["client_secret"]}"' in env.read_text()
    assert github.requests_to("POST", r"/app-manifests/.+/conversions")
    # One time: the token and the page close once the App exists.
    assert get(app, "/setup?token=one-time", REMOTE).status_code == 410


def test_an_env_naming_another_app_is_not_overwritten(
    tmp_path: Path, github: GitHubAPIServer
) -> None:
    env = tmp_path / ".env"
    env.write_text('ARGUS_GITHUB_APP_ID="12"\nARGUS_DATABASE_URL=sqlite:///x.db\n')
    app = create_setup_app(settings_for(tmp_path, github))
    action, manifest = form(get(app, "/setup").text)
    code = github.manifests.register(manifest)
    done = get(app, f"/setup/callback?code={code}")
    assert done.status_code == 200
    assert env.read_text() == 'ARGUS_GITHUB_APP_ID="12"\nARGUS_DATABASE_URL=sqlite:///x.db\n'
    (registered,) = github.manifests.apps
    beside = tmp_path / f".env.app-{registered['id']}"
    assert stat.S_IMODE(beside.stat().st_mode) == 0o600
    assert load_settings({}, dotenv=beside).app_id == registered["id"]
    assert "already names App 12" in done.text


def test_other_lines_of_env_are_kept(tmp_path: Path, github: GitHubAPIServer) -> None:
    env = tmp_path / ".env"
    env.write_text("ARGUS_DATABASE_URL=sqlite:///x.db\n")
    app = create_setup_app(settings_for(tmp_path, github))
    _, manifest = form(get(app, "/setup").text)
    assert (
        get(app, f"/setup/callback?code={github.manifests.register(manifest)}").status_code == 200
    )
    assert env.read_text().startswith("ARGUS_DATABASE_URL=sqlite:///x.db\n")


def test_a_used_code_is_a_clear_error_and_writes_nothing(
    tmp_path: Path, github: GitHubAPIServer
) -> None:
    _, manifest = form(get(create_setup_app(settings_for(tmp_path, github)), "/setup").text)
    code = github.manifests.register(manifest)
    assert github.manifests.convert(code)[0] == 201  # used up elsewhere
    app = create_setup_app(settings_for(tmp_path, github))
    failed = get(app, f"/setup/callback?code={code}")
    assert failed.status_code == 502 and "used already or expired" in failed.text
    assert not (tmp_path / ".env").exists()


def test_the_default_manifest_is_the_repositorys_app_yml() -> None:
    # setup.py finds app.yml from its own place in the tree (argus/github_app/setup.py).
    assert MANIFEST == Path(__file__).resolve().parents[2] / "app.yml"
    assert MANIFEST.is_file()
