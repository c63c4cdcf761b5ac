"""Signing in with GitHub: the OAuth web flow against a stand-in GitHub that enforces the
flow's contract (client secret, single-use code, matching redirect_uri, bearer token,
page size), then only the installations the App serves."""

from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from argus.core.quality.reviews import ReviewRecord, insert_review
from argus.core.store.sqlite import SQLiteStore
from argus.dashboard.app import create_dashboard_app
from argus.dashboard.github_oauth import GitHubSignIn, OAuthSettings

SETTINGS = OAuthSettings("Iv1.client", "client-secret", "https://github.test", "https://api.test")


class StandInGitHub:
    """GitHub's side of the web flow, refusing what GitHub refuses."""

    def __init__(self, installations: list[int]) -> None:
        self.installations = installations
        self.codes: dict[str, str] = {}  # code -> redirect_uri it was issued for
        self.tokens: set[str] = set()

    def approve(self, authorize_url: str) -> tuple[str, str]:
        """The user says yes: GitHub redirects to redirect_uri with a code and the state."""
        query = parse_qs(urlsplit(authorize_url).query)
        assert query["client_id"] == [SETTINGS.client_id]
        code = secrets.token_hex(10)
        self.codes[code] = query["redirect_uri"][0]
        return query["redirect_uri"][0], f"code={code}&state={query['state'][0]}"

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "github.test" and request.url.path == "/login/oauth/access_token":
            assert request.method == "POST"
            form = parse_qs(request.content.decode())
            if form.get("client_id") != [SETTINGS.client_id] or form.get("client_secret") != [
                SETTINGS.client_secret
            ]:
                return httpx.Response(200, json={"error": "incorrect_client_credentials"})
            code = form.get("code", [""])[0]
            redirect = self.codes.pop(code, None)  # a code works once
            if redirect is None or form.get("redirect_uri") != [redirect]:
                return httpx.Response(
                    200,
                    json={
                        "error": "bad_verification_code",
                        "error_description": "The code passed is incorrect or expired.",
                    },
                )
            token = f"ghu_{secrets.token_hex(8)}"
            self.tokens.add(token)
            accept_json = request.headers.get("accept") == "application/json"
            if not accept_json:
                return httpx.Response(200, text=f"access_token={token}&token_type=bearer")
            return httpx.Response(200, json={"access_token": token, "token_type": "bearer"})
        if request.url.host == "api.test" and request.url.path == "/user/installations":
            assert request.method == "GET"
            authorization = request.headers.get("authorization", "")
            if authorization.removeprefix("Bearer ") not in self.tokens:
                return httpx.Response(401, json={"message": "Bad credentials"})
            per_page = int(request.url.params.get("per_page", 30))
            page = int(request.url.params.get("page", 1))
            if not 1 <= per_page <= 100:
                return httpx.Response(422, json={"message": "per_page must be 1..100"})
            chunk = self.installations[(page - 1) * per_page : page * per_page]
            return httpx.Response(
                200,
                json={
                    "total_count": len(self.installations),
                    "installations": [{"id": i, "account": {"login": f"org{i}"}} for i in chunk],
                },
            )
        return httpx.Response(404, json={"message": "Not Found"})


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "argus.db"
    with SQLiteStore.open(path) as opened, opened.transaction() as db:
        for installation, suspended in ((5, 0), (7, 1), (11, 0)):
            db.execute(
                "INSERT INTO gh_installations (installation_id, account, plan, suspended,"
                " created_at) VALUES (?, ?, 'team', ?, 0)",
                (installation, f"org{installation}", suspended),
            )
            insert_review(
                db,
                ReviewRecord(
                    tenant=f"github-{installation}",
                    repository=f"org{installation}/private-repo",
                    probability=0.5,
                    level="medium",
                    created_at="2026-11-01T00:00:00Z",
                    source="app",
                ),
            )
    return path


def sign_in(store: Path, github: StandInGitHub) -> TestClient:
    app = create_dashboard_app(
        store, github=GitHubSignIn(SETTINGS, httpx.MockTransport(github.handle))
    )
    client = TestClient(app)
    start = client.get("/signin/github", follow_redirects=False)
    assert start.status_code == 303
    redirect_uri, query = github.approve(start.headers["location"])
    assert redirect_uri == "http://testserver/signin/github/callback"
    done = client.get(f"/signin/github/callback?{query}", follow_redirects=False)
    client.last_callback = done  # type: ignore[attr-defined]
    return client


def test_a_user_sees_only_installations_the_app_serves(store: Path) -> None:
    client = sign_in(store, StandInGitHub([5, 7, 9]))
    assert client.last_callback.status_code == 303  # type: ignore[attr-defined]
    page = client.get("/risk").text
    assert "org5/private-repo" in page
    assert "org7" not in page and "org11" not in page  # suspended; not the user's


def test_a_user_with_two_installations_switches_between_them_only(store: Path) -> None:
    client = sign_in(store, StandInGitHub(list(range(100, 200)) + [5, 11]))  # two pages
    page = client.get("/risk").text
    assert "org5/private-repo" in page and "org11" not in page
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    refused = client.post("/tenant", data={"csrf_token": csrf, "tenant": "github-7"})
    assert refused.status_code == 403
    no_csrf = client.post("/tenant", data={"tenant": "github-11"})
    assert no_csrf.status_code == 403
    switched = client.post("/tenant", data={"csrf_token": csrf, "tenant": "github-11"})
    assert switched.status_code == 200
    page = client.get("/risk").text
    assert "org11/private-repo" in page and "org5/private-repo" not in page


def test_no_served_installation_means_no_session(store: Path) -> None:
    client = sign_in(store, StandInGitHub([9]))
    response = client.last_callback  # type: ignore[attr-defined]
    assert response.status_code == 403 and "None of the GitHub accounts" in response.text
    assert client.get("/").status_code == 401


def test_a_callback_that_did_not_start_here_is_refused(store: Path) -> None:
    github = StandInGitHub([5])
    app = create_dashboard_app(
        store, github=GitHubSignIn(SETTINGS, httpx.MockTransport(github.handle))
    )
    client = TestClient(app)
    start = client.get("/signin/github", follow_redirects=False)
    _, query = github.approve(start.headers["location"])
    forged = query.split("&state=")[0] + "&state=forged"
    response = client.get(f"/signin/github/callback?{forged}", follow_redirects=False)
    assert response.status_code == 403 and "did not start here" in response.text
    # A code GitHub does not know (or one used already) gives GitHub's reason.
    bad = query.split("code=")[0] + "code=nope&" + query.split("&", 1)[1]
    response = client.get(f"/signin/github/callback?{bad}", follow_redirects=False)
    assert response.status_code == 403 and "incorrect or expired" in response.text


def test_without_github_settings_the_route_says_so(store: Path) -> None:
    client = TestClient(create_dashboard_app(store))
    response = client.get("/signin/github")
    assert response.status_code == 403 and "not configured" in response.text
    assert "Sign in with GitHub" not in client.get("/").text
    db = sqlite3.connect(store)
    assert db.execute("SELECT count(*) FROM dashboard_sessions").fetchone() == (0,)


def test_argus_serve_wants_both_halves_of_the_oauth_client(store: Path) -> None:
    from argus.core.errors import ConfigError
    from argus.serve import dashboard_app

    with pytest.raises(ConfigError, match="needs both"):
        dashboard_app(store, None, {"ARGUS_GITHUB_CLIENT_ID": "Iv1.client"})
    app = dashboard_app(
        store,
        None,
        {"ARGUS_GITHUB_CLIENT_ID": "Iv1.x", "ARGUS_GITHUB_CLIENT_SECRET": "s"},
    )
    start = TestClient(app).get("/signin/github", follow_redirects=False)
    assert start.headers["location"].startswith(
        "https://github.com/login/oauth/authorize?client_id=Iv1.x&"
    )
