"""GitHub sign-in for the dashboard: the OAuth web flow of the GitHub App's client id, then
the user's installations (``GET /user/installations``), kept to those the App serves.

https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import httpx

PAGE_SIZE = 100
MAX_PAGES = 20


@dataclass(frozen=True)
class OAuthSettings:
    """The App's OAuth client and where GitHub is (GitHub Enterprise Server: other URLs)."""

    client_id: str
    client_secret: str
    web_url: str = "https://github.com"
    api_url: str = "https://api.github.com"


class SignInFailed(Exception):
    """GitHub refused the sign-in; the message says why, for the page."""


class GitHubSignIn:
    """The two calls the server makes in the web flow, over one HTTP client."""

    def __init__(self, settings: OAuthSettings, transport: httpx.BaseTransport | None = None):
        self.settings = settings
        self._client = httpx.Client(transport=transport, timeout=15.0)

    def authorize_url(self, state: str, redirect_uri: str) -> str:
        """Where to send the browser to ask the user."""
        query = urlencode(
            {"client_id": self.settings.client_id, "redirect_uri": redirect_uri, "state": state}
        )
        return f"{self.settings.web_url.rstrip('/')}/login/oauth/authorize?{query}"

    def exchange(self, code: str, redirect_uri: str) -> str:
        """The user access token for the callback's ``code``; SignInFailed when refused."""
        try:
            response = self._client.post(
                f"{self.settings.web_url.rstrip('/')}/login/oauth/access_token",
                data={
                    "client_id": self.settings.client_id,
                    "client_secret": self.settings.client_secret,
                    "code": code,
                    "redirect_uri": redirect_uri,
                },
                headers={"Accept": "application/json"},
            )
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise SignInFailed(f"GitHub could not be asked for a token: {error}") from error
        token = body.get("access_token") if isinstance(body, dict) else None
        if response.status_code != 200 or not token:
            reason = (
                body.get("error_description") or body.get("error")
                if isinstance(body, dict)
                else None
            )
            raise SignInFailed(f"GitHub refused the sign-in: {reason or response.status_code}")
        return str(token)

    def installation_ids(self, token: str) -> list[int]:
        """Ids of the App's installations the user can access (every page)."""
        ids: list[int] = []
        for page in range(1, MAX_PAGES + 1):
            try:
                response = self._client.get(
                    f"{self.settings.api_url.rstrip('/')}/user/installations",
                    params={"per_page": PAGE_SIZE, "page": page},
                    headers={
                        "Accept": "application/vnd.github+json",
                        "Authorization": f"Bearer {token}",
                        "X-GitHub-Api-Version": "2022-11-28",
                    },
                )
                response.raise_for_status()
                installations = response.json()["installations"]
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
                raise SignInFailed(f"GitHub did not list your installations: {error}") from error
            ids.extend(int(item["id"]) for item in installations)
            if len(installations) < PAGE_SIZE:
                break
        return ids

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()
