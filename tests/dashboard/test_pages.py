"""The dashboard over HTTP (in process): sign-in, sessions, tenants, escaping, every page."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from argus.dashboard import auth
from argus.dashboard.app import VIEWS, create_dashboard_app
from tests.dashboard.seed import HOSTILE_MESSAGE, seed

NOW = datetime.now(UTC)
PATHS = ["/" if view == "overview" else f"/{view}" for view in VIEWS] + ["/api/score"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dashboard") / "argus.db"
    seed(path, "acme", "acme/shop", now=NOW, hostile=True)
    seed(path, "globex", "globex/api", now=NOW)
    return path


@pytest.fixture(scope="module")
def app(store: Path):
    return create_dashboard_app(store)


def _link(store: Path, tenant: str, ttl: float = 600, now: float | None = None) -> str:
    db = sqlite3.connect(store, isolation_level=None)
    try:
        return auth.create_link(db, tenant, ttl, now=now)
    finally:
        db.close()


def signed_in(app, store: Path, tenant: str) -> TestClient:
    client = TestClient(app)
    response = client.get(f"/signin/{_link(store, tenant)}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    return client


@pytest.mark.parametrize("path", PATHS)
def test_nothing_answers_without_a_session(app, path: str) -> None:
    response = TestClient(app).get(path)
    assert response.status_code == 401
    assert "acme" not in response.text and "globex" not in response.text


def test_a_forged_cookie_is_no_session(app) -> None:
    client = TestClient(app, cookies={auth.COOKIE_NAME: "made-up"})
    assert client.get("/").status_code == 401


def test_the_session_cookie_is_httponly_and_samesite_lax(app, store: Path) -> None:
    response = TestClient(app).get(f"/signin/{_link(store, 'acme')}", follow_redirects=False)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    behind_https = TestClient(app).get(
        f"/signin/{_link(store, 'acme')}",
        headers={"x-forwarded-proto": "https"},
        follow_redirects=False,
    )
    assert "; secure" in behind_https.headers["set-cookie"].lower()


def test_a_link_works_once(app, store: Path) -> None:
    token = _link(store, "acme")
    assert TestClient(app).get(f"/signin/{token}", follow_redirects=False).status_code == 303
    again = TestClient(app).get(f"/signin/{token}", follow_redirects=False)
    assert again.status_code == 403 and "already used" in again.text
    assert auth.COOKIE_NAME not in again.headers.get("set-cookie", "")


def test_an_expired_or_unknown_link_is_refused_with_a_clear_page(app, store: Path) -> None:
    expired = _link(store, "acme", ttl=60, now=NOW.timestamp() - 120)
    response = TestClient(app).get(f"/signin/{expired}", follow_redirects=False)
    assert response.status_code == 403 and "expired" in response.text
    unknown = TestClient(app).get("/signin/not-a-token", follow_redirects=False)
    assert unknown.status_code == 403 and "not known" in unknown.text


@pytest.mark.parametrize("path", PATHS)
def test_every_page_renders_for_a_session(app, store: Path, path: str) -> None:
    response = signed_in(app, store, "acme").get(path)
    assert response.status_code == 200
    assert "script-src" not in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_tenant_a_never_sees_tenant_b(app, store: Path) -> None:
    acme = signed_in(app, store, "acme")
    globex = signed_in(app, store, "globex")
    for path in PATHS:
        page = acme.get(path).text
        assert "globex" not in page, path
        other = globex.get(path).text
        assert "acme" not in other and "render_banner" not in other, path
    # Asking for the other tenant's repository by name gives nothing of it.
    filtered = acme.get("/risk", params={"repository": "globex/api"}).text
    assert "globex/api</td>" not in filtered and "No reviews recorded yet" in filtered


def test_event_text_is_escaped_everywhere(app, store: Path) -> None:
    page = signed_in(app, store, "acme").get("/patterns").text
    assert HOSTILE_MESSAGE not in page
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in page or (
        "&quot;&gt;&lt;img src=x" in page
    )


def test_overview_shows_the_score_and_its_parts(app, store: Path) -> None:
    client = signed_in(app, store, "acme")
    score = client.get("/api/score").json()
    assert score["tenant"] == "acme"
    parts = {part["name"]: part for part in score["parts"]}
    # Seeded: 30 reviews, 15 of them high risk, every other review with a validated test.
    assert (parts["tested_risk"]["good"], parts["tested_risk"]["total"]) == (5, 15)
    # Six patterns, three with a stored test.
    assert (parts["regression_coverage"]["good"], parts["regression_coverage"]["total"]) == (3, 6)
    # Nothing recurred after a test, but only 3 patterns had one: that part does not count.
    assert parts["no_recurrence"]["value"] is None
    assert score["score"] == round(100 * (0.3 * 5 / 15 + 0.2 * 3 / 6 + 0.2 * 14 / 15) / 0.7)
    page = client.get("/").text
    assert f"{score['score']} / 100" in page and "not enough data" in page
    assert "<svg" in page


def test_costs_page_shows_spend_against_the_team_budget(app, store: Path) -> None:
    page = signed_in(app, store, "acme").get("/costs").text
    assert "team" in page and "US$ 80.00" in page
    assert "50% of 10 lookups" in page  # 5 misses and 5 hits seeded
    assert page.count("<svg") == 3 and "Spend so far against the budget" in page


def test_team_analytics_need_the_team_plan(app, store: Path) -> None:
    db = sqlite3.connect(store, isolation_level=None)
    db.execute("INSERT INTO tenant_plans (tenant, plan, updated_at) VALUES ('solo', 'pro', '')")
    db.close()
    page = signed_in(app, store, "solo").get("/team").text
    assert 'id="upgrade"' in page and "pro" in page
    team = signed_in(app, store, "acme").get("/team").text
    assert "acme/shop" in team and 'id="upgrade"' not in team
    # Seeded: PR #102 (rated high) merged 30 hours after it opened, PR #100 (low) after 2.
    assert "<td>1</td><td>30.0 h</td>" in team


def test_sign_out_needs_the_csrf_token(app, store: Path) -> None:
    client = signed_in(app, store, "acme")
    refused = client.post("/signout", data={"csrf_token": "wrong"})
    assert refused.status_code == 403
    assert client.get("/").status_code == 200
    page = client.get("/").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/signout", data={"csrf_token": token}).status_code == 200
    assert client.get("/").status_code == 401


def test_ttl_parsing() -> None:
    assert auth.parse_ttl("10m") == 600 and auth.parse_ttl("2h") == 7200
    for bad in ("", "10", "m", "-5m", "8d", "0s"):
        with pytest.raises(Exception, match="ttl"):
            auth.parse_ttl(bad)


def test_a_later_fix_that_blamed_a_low_risk_review_counts_as_an_escaped_defect(
    app, store: Path
) -> None:
    client = signed_in(app, store, "acme")
    parts = {part["name"]: part for part in client.get("/api/score").json()["parts"]}
    # 15 reviews rated below high, each with a commit in a repository SZZ traced; one blamed.
    assert (parts["caught_defects"]["good"], parts["caught_defects"]["total"]) == (14, 15)
    page = client.get("/risk").text
    assert "prediction missed it" in page and "fix <code>ffffffffffff</code>" in page
