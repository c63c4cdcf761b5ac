from __future__ import annotations

from pathlib import Path

import yaml

from argus.github_app.routes import default_dispatcher

ROOT = Path(__file__).resolve().parents[2]


def test_manifest_asks_for_the_events_and_permissions_the_app_uses():
    manifest = yaml.safe_load((ROOT / "app.yml").read_text(encoding="utf-8"))
    assert manifest["name"] and manifest["description"] and manifest["url"]
    assert manifest["hook_attributes"]["url"].endswith("/webhooks/github")
    assert set(manifest["default_events"]) == {
        "pull_request",
        "issue_comment",
        "check_run",
        "check_suite",
        "push",  # fetches the repository's clone (argus.github_app.handlers.repository_clone)
    }
    assert manifest["default_permissions"] == {
        "metadata": "read",
        "contents": "write",
        "pull_requests": "write",
        "issues": "write",
        "checks": "write",
    }
    # Every event with a handler is subscribed to (installation events are always sent, and
    # marketplace_purchase goes to the Marketplace listing's webhook, not a subscription).
    from argus.github_app.handlers.regression_job import REGRESSION_KIND

    handled = {key.split(".", 1)[0] for key in default_dispatcher().keys()}
    always_sent = {"installation", "installation_repositories", "marketplace_purchase"}
    assert handled - always_sent - {REGRESSION_KIND} <= set(manifest["default_events"])
