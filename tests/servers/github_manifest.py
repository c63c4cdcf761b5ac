"""GitHub's App manifest flow for the local GitHub: what ``POST {web}/settings/apps/new``
does with a manifest (registers the App and redirects with a one-time ``code``) and the
conversion ``POST /app-manifests/{code}/conversions`` (REST API 2022-11-28, "Create a GitHub
App from a manifest"): the App's fields with ``client_id``, ``client_secret``,
``webhook_secret`` and ``pem``. A code converts once and expires after an hour; afterwards
the answer is 404, as GitHub's.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

CODE_LIFETIME = 3600.0
DOCS = "https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest"
REQUIRED = ("url", "hook_attributes")


@dataclass
class ManifestRegistry:
    """Apps registered from manifests, by one-time code."""

    next_id: int = 900_001
    apps: list[dict[str, Any]] = field(default_factory=list)
    _codes: dict[str, tuple[dict[str, Any], float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def register(self, manifest: str | dict[str, Any], owner: str = "octocat") -> str:
        """What the user's click on "Create GitHub App" does: the ``code`` GitHub redirects with.
        Raises ValueError for a manifest GitHub would refuse (not JSON, no url or webhook)."""
        data = json.loads(manifest) if isinstance(manifest, str) else dict(manifest)
        missing = [key for key in REQUIRED if not data.get(key)]
        if missing or not str(data["hook_attributes"].get("url", "")).startswith("http"):
            raise ValueError(f"GitHub refuses this manifest: missing {missing or ['hook url']}")
        from tests.servers.github_api import rsa_key_pair

        private, _ = rsa_key_pair()
        with self._lock:
            app_id = self.next_id
            self.next_id += 1
            slug = f"{str(data.get('name') or 'app').lower().replace(' ', '-')}-{app_id}"
            app = {
                "id": app_id,
                "slug": slug,
                "node_id": f"A_kwDO{app_id}",
                "client_id": f"Iv1.{secrets.token_hex(8)}",
                "owner": simple_user(owner),
                "name": data.get("name") or slug,
                "description": str(data.get("description") or ""),
                "external_url": data["url"],
                "html_url": f"https://github.com/apps/{slug}",
                "created_at": "2026-12-05T00:00:00Z",
                "updated_at": "2026-12-05T00:00:00Z",
                "permissions": dict(data.get("default_permissions") or {}),
                "events": list(data.get("default_events") or []),
                "client_secret": secrets.token_hex(20),
                "webhook_secret": secrets.token_hex(20),
                "pem": private,
                "_manifest": data,
            }
            self.apps.append(app)
            code = secrets.token_hex(10)
            self._codes[code] = (app, time.time() + CODE_LIFETIME)
        return code

    def convert(self, code: str) -> tuple[int, Any]:
        """The answer to ``POST /app-manifests/{code}/conversions``."""
        with self._lock:
            found = self._codes.pop(code, None)
        if found is None or found[1] < time.time():
            return 404, {"message": "Not Found", "documentation_url": DOCS}
        return 201, {k: v for k, v in found[0].items() if not k.startswith("_")}


def simple_user(login: str, user_id: int = 1) -> dict[str, Any]:
    """GitHub's simple-user object of ``login``, every required field present."""
    api = f"https://api.github.com/users/{login}"
    return {
        "login": login,
        "id": user_id,
        "node_id": f"U_kgDO{user_id:08d}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": f"https://github.com/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": "User",
        "site_admin": False,
    }
