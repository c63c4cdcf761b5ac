"""The dashboard as a person sees it: Debian's Chromium (driven by Playwright) against a real
`argus serve` over a store seeded with real-looking data, signed in with a link printed by
`argus dashboard link`. Screenshots are kept in build/test-artifacts/dashboard/."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.dashboard.seed import HOSTILE_MESSAGE, seed
from tests.support import ROOT, argus_serve, free_port, without_model_keys

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("ARGUS_TEST_ARTIFACTS", ROOT / "build" / "test-artifacts"))
PAGES = {
    "overview": ("/", "AI Quality Score by month"),
    "risk": ("/risk", "Risk of each review over time"),
    "patterns": ("/patterns", "Error patterns per day"),
    "costs": ("/costs", "Model spend per day and tier"),
    "tests": ("/tests", "Test generation attempts by outcome"),
    "team": ("/team", "Reviews per repository"),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    home = tmp_path_factory.mktemp("dashboard-e2e")
    now = datetime.now(UTC)
    seed(home / "argus.db", "acme", "acme/shop", now=now, hostile=True)
    seed(home / "argus.db", "globex", "globex/api", now=now)
    env = without_model_keys(os.environ)
    env.pop("ARGUS_GITHUB_APP_ID", None)
    env["ARGUS_HOME"] = str(home)
    port = free_port()
    with argus_serve(port, cwd=home, env=env, log=home / "serve.log") as base:
        yield base, env


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def link(base: str, env: dict[str, str], tenant: str, ttl: str = "10m") -> str:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "argus",
            "dashboard",
            "link",
            "--tenant",
            tenant,
            "--ttl",
            ttl,
            "--url",
            base,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    url = done.stdout.strip()
    assert url.startswith(f"{base}/signin/"), done.stdout
    return url


def watched_page(browser: Browser) -> tuple[Page, list[str], list[str]]:
    """A fresh context's page, the URL of every request it makes, and any dialogs it opens."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    return page, requests, dialogs


def test_every_page_renders_its_charts_and_requests_nothing_outside(server, browser) -> None:
    base, env = server
    page, requests, dialogs = watched_page(browser)
    page.goto(link(base, env, "acme"))
    assert page.url == f"{base}/"
    shots = ARTIFACTS / "dashboard"
    shots.mkdir(parents=True, exist_ok=True)
    for name, (path, chart_title) in PAGES.items():
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, name
        figure = page.locator("figure.chart", has_text=chart_title).first
        svg = figure.locator("svg").first
        box = svg.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100, name
        assert svg.get_attribute("aria-label") == chart_title or chart_title in (
            svg.get_attribute("aria-label") or ""
        )
        drawn = svg.locator("path, rect, circle").count()
        assert drawn > 5, f"{name}: only {drawn} shapes drawn"
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    # The charts draw the seeded values (pygal labels each point with its value), and their
    # tables say the same.
    page.goto(f"{base}/risk")
    chart = page.locator("figure.chart").first
    drawn_values = chart.locator("svg desc.value").all_text_contents()
    assert "0.91" in drawn_values and "0.12" in drawn_values
    assert "0.91" in chart.locator("table tbody td").all_text_contents()
    page.goto(f"{base}/team")
    row = page.locator("figure.chart table tbody tr", has_text="acme/shop")
    assert row.locator("td").all_text_contents() == ["acme/shop", "30", "15"]
    page.goto(f"{base}/")
    assert page.locator("#score").inner_text().endswith("/ 100")
    outside = [url for url in requests if urlsplit(url).hostname not in ("127.0.0.1", "localhost")]
    assert outside == []
    assert dialogs == []


def test_hostile_event_text_shows_as_text_and_runs_nothing(server, browser) -> None:
    base, env = server
    page, _, dialogs = watched_page(browser)
    page.goto(link(base, env, "acme"))
    page.goto(f"{base}/patterns")
    row = page.locator("#patterns tbody tr", has_text="RuntimeError")
    assert HOSTILE_MESSAGE in row.inner_text()
    assert page.locator("#patterns img").count() == 0
    assert dialogs == []


def test_tenant_b_sees_none_of_tenant_a(server, browser) -> None:
    base, env = server
    page, _, _ = watched_page(browser)
    page.goto(link(base, env, "globex"))
    for path, _ in PAGES.values():
        page.goto(f"{base}{path}")
        text = page.content()
        assert "acme" not in text and "render_banner" not in text, path


def test_a_reused_or_expired_link_gets_a_clear_page(server, browser) -> None:
    base, env = server
    url = link(base, env, "acme")
    first, _, _ = watched_page(browser)
    first.goto(url)
    second, _, _ = watched_page(browser)
    response = second.goto(url)
    assert response is not None and response.status == 403
    assert "already used" in second.inner_text("main")
    assert second.goto(f"{base}/").status == 401
