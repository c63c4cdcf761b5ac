"""The :class:`~argus.github_app.ports.GitHubPort` over GitHub's REST API, with githubkit.

One :class:`GitHubAppClient` per process holds the App's credentials (App id and private key)
and hands out installation-scoped :class:`GitHubKitAdapter` objects. githubkit signs the App JWT
(RS256) and exchanges it for an installation token, which it keeps in its cache until a minute
before the token's ``expires_at``; every installation adapter made from one client shares that
cache (one per client), so a token is requested once per installation and expiry.

Rate limits and failures are handled here, not by githubkit (its own retry is turned off so the
waits are counted and the sleep can be replaced in tests):

- primary limit (403/429 with ``x-ratelimit-remaining: 0``): wait until ``x-ratelimit-reset``;
- secondary limit (403/429 with ``retry-after``, or the "secondary rate limit" message): wait
  ``retry-after`` seconds (a minute when absent);
- 5xx and connection errors: exponential backoff (1 s, 2 s, 4 s ... capped at 30 s). A POST
  whose answer was lost (a timeout after it was sent, a connection cut mid-request) is not sent
  again: GitHub may have created the comment or check run already, and the job's retry finds it
  by its marker instead of creating a second.

Each is retried at most ``max_attempts`` times in all; a wait longer than ``max_wait`` seconds
is not taken (the call fails at once, and the job queue retries the job later).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
from githubkit import AppAuthStrategy, GitHub
from githubkit.cache import MemCacheStrategy
from githubkit.exception import (
    GitHubException,
    PrimaryRateLimitExceeded,
    RequestError,
    RequestFailed,
    SecondaryRateLimitExceeded,
)

from argus.core.errors import ArgusError
from argus.github_app.metrics import AppMetrics
from argus.github_app.ports import by_bot

Sleep = Callable[[float], Awaitable[None]]

DIFF_MEDIA_TYPE = "application/vnd.github.diff"
JSON_MEDIA_TYPE = "application/vnd.github+json"
PER_PAGE = 100
_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="next"')
_NUMBER = re.compile(r"/\d+")


class GitHubAPIError(ArgusError):
    """A GitHub REST call failed for good (after the retries this module allows)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
"""Calls sent again after a lost answer (a second PATCH sets the same fields). A POST creates;
one that may have reached GitHub is not resent (see ``_request``)."""


def _never_sent(error: RequestError[Any]) -> bool:
    """Whether the request surely never reached GitHub (no connection was made)."""
    return isinstance(error.exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


def next_page_url(link_header: str | None) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header, or None on the last page."""
    if not link_header:
        return None
    match = _NEXT_LINK.search(link_header)
    return match.group(1) if match else None


def endpoint_label(method: str, url: str | httpx.URL) -> str:
    """A low-cardinality metrics label: the method and the path with numbers as ``{n}``."""
    path = httpx.URL(str(url)).path
    parts = path.split("/")
    if len(parts) > 3 and parts[1] == "repos":
        parts[2], parts[3] = "{owner}", "{repo}"
    return f"{method} " + _NUMBER.sub("/{n}", "/".join(parts))


class GitHubAppClient:
    """The App's credentials and one shared githubkit client; makes installation adapters."""

    def __init__(
        self,
        app_id: int | str,
        private_key: str,
        *,
        base_url: str | None = None,
        metrics: AppMetrics | None = None,
        sleep: Sleep | None = None,
        max_attempts: int = 5,
        max_wait: float = 900.0,
        timeout: float = 30.0,
    ):
        self.metrics = metrics or AppMetrics()
        self.sleep: Sleep = sleep or anyio.sleep
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self.github: GitHub[Any] = GitHub(
            AppAuthStrategy(app_id, private_key),
            base_url=base_url,
            auto_retry=False,
            http_cache=False,
            timeout=timeout,
            # Our own cache, not githubkit's process-wide default: tokens and the JWT are
            # keyed by App id only, so two clients must not share them.
            cache_strategy=MemCacheStrategy(),
        )

    def for_installation(self, installation_id: int) -> GitHubKitAdapter:
        """A :class:`GitHubKitAdapter` acting as ``installation_id`` (tokens shared and cached)."""
        auth = self.github.auth
        assert isinstance(auth, AppAuthStrategy)
        scoped = self.github.with_auth(auth.as_installation(installation_id))
        return GitHubKitAdapter(scoped, self)

    async def installation_token(self, installation_id: int) -> str:
        """A fresh access token of ``installation_id`` (what git's HTTPS clones send)."""
        response = await self.github.arequest(
            "POST", f"/app/installations/{int(installation_id)}/access_tokens"
        )
        return str(response.json()["token"])


class GitHubKitAdapter:
    """GitHub REST calls of one installation (implements ``GitHubPort``)."""

    def __init__(self, github: GitHub[Any], app: GitHubAppClient):
        self._github = github
        self._app = app

    # -- transport -------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        accept: str = JSON_MEDIA_TYPE,
        allow_404: bool = False,
    ) -> httpx.Response | None:
        """Send one call with the rate-limit and 5xx retries; None for an allowed 404."""
        metrics = self._app.metrics
        label = endpoint_label(method, url)
        attempt = 0
        while True:
            attempt += 1
            wait: float
            kind: str
            try:
                response = await self._github.arequest(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers={"Accept": accept, "X-GitHub-Api-Version": "2022-11-28"},
                )
                metrics.api_call(label, response.status_code)
                return response.raw_response
            except (PrimaryRateLimitExceeded, SecondaryRateLimitExceeded) as error:
                metrics.api_call(label, error.response.status_code)
                kind = "primary" if isinstance(error, PrimaryRateLimitExceeded) else "secondary"
                wait = max(error.retry_after.total_seconds(), 0.0)
                if wait > self._app.max_wait or attempt >= self._app.max_attempts:
                    raise GitHubAPIError(
                        f"{label}: GitHub's {kind} rate limit (retry after {wait:.0f} s)",
                        error.response.status_code,
                    ) from error
                metrics.rate_limit_wait(kind, wait)
            except RequestFailed as error:
                status = error.response.status_code
                metrics.api_call(label, status)
                if status == 404 and allow_404:
                    return None
                if status < 500 or attempt >= self._app.max_attempts:
                    raise GitHubAPIError(
                        f"{label} failed with HTTP {status}: {_message(error)}", status
                    ) from error
                kind = "server_error"
                wait = min(2.0 ** (attempt - 1), 30.0)
            except RequestError as error:
                metrics.api_call(label, "error")
                if method not in IDEMPOTENT_METHODS and not _never_sent(error):
                    # GitHub may have done it (a comment created, its answer lost or late):
                    # the job is retried instead, and it looks for what it creates first.
                    raise GitHubAPIError(
                        f"{label}: no answer from GitHub, not sent again: {error!r}"
                    ) from error
                if attempt >= self._app.max_attempts:
                    raise GitHubAPIError(f"{label}: cannot reach GitHub: {error}") from error
                kind = "server_error"
                wait = min(2.0 ** (attempt - 1), 30.0)
            except GitHubException as error:
                raise GitHubAPIError(f"{label}: {error}") from error
            await self._app.sleep(wait)

    async def _json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = await self._request(method, url, **kwargs)
        assert response is not None
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def _all_pages(self, url: str) -> list[dict[str, Any]]:
        """Every item of a paginated list, following ``Link: rel="next"``."""
        items: list[dict[str, Any]] = []
        params: dict[str, Any] | None = {"per_page": PER_PAGE}
        next_url: str | None = url
        while next_url is not None:
            response = await self._request("GET", next_url, params=params)
            assert response is not None
            items.extend(response.json())
            next_url = next_page_url(response.headers.get("link"))
            params = None  # the next link carries its own query
        return items

    # -- GitHubPort ------------------------------------------------------------------------

    async def get_pull_request_diff(self, owner: str, repo: str, number: int) -> str:
        """Return the unified diff of a pull request (``application/vnd.github.diff``)."""
        response = await self._request(
            "GET", f"/repos/{owner}/{repo}/pulls/{number}", accept=DIFF_MEDIA_TYPE
        )
        assert response is not None
        return response.text

    async def get_pull_request(self, owner: str, repo: str, number: int) -> dict[str, Any]:
        """Return a pull request's JSON object."""
        result: dict[str, Any] = await self._json("GET", f"/repos/{owner}/{repo}/pulls/{number}")
        return result

    async def list_pull_request_files(
        self, owner: str, repo: str, number: int
    ) -> list[dict[str, Any]]:
        """Return every file of a pull request (all pages), as GitHub's JSON objects."""
        return await self._all_pages(f"/repos/{owner}/{repo}/pulls/{number}/files")

    async def get_file(self, owner: str, repo: str, path: str, ref: str) -> bytes | None:
        """Return a file's bytes at ``ref`` (contents API, base64-decoded), None on 404."""
        response = await self._request(
            "GET",
            f"/repos/{owner}/{repo}/contents/{path.lstrip('/')}",
            params={"ref": ref},
            allow_404=True,
        )
        if response is None:
            return None
        data = response.json()
        if not isinstance(data, dict) or data.get("type") != "file":
            return None
        if data.get("encoding") != "base64":
            raise GitHubAPIError(f"{path}@{ref}: unexpected encoding {data.get('encoding')!r}")
        return base64.b64decode(data.get("content", ""))

    async def find_comment(
        self, owner: str, repo: str, number: int, marker: str
    ) -> dict[str, Any] | None:
        """Return the first issue comment written by an App (a bot account) whose body contains
        ``marker`` (all pages), or None. A person's comment quoting the marker is not ours:
        treating it as ours would make Argus edit it (which GitHub refuses) or skip a step."""
        for comment in await self._all_pages(f"/repos/{owner}/{repo}/issues/{number}/comments"):
            if by_bot(comment) and marker in (comment.get("body") or ""):
                return comment
        return None

    async def list_commit_pull_requests(
        self, owner: str, repo: str, commit_sha: str
    ) -> list[dict[str, Any]]:
        """Return the pull requests associated with a commit (all pages): the merged one that
        brought it into the default branch, or the open ones it is on."""
        return await self._all_pages(f"/repos/{owner}/{repo}/commits/{commit_sha}/pulls")

    async def create_comment(self, owner: str, repo: str, number: int, body: str) -> dict[str, Any]:
        """Create an issue comment and return it."""
        result: dict[str, Any] = await self._json(
            "POST", f"/repos/{owner}/{repo}/issues/{number}/comments", json={"body": body}
        )
        return result

    async def list_reviews(self, owner: str, repo: str, number: int) -> list[dict[str, Any]]:
        """Return the pull request's reviews (all pages), oldest first."""
        return await self._all_pages(f"/repos/{owner}/{repo}/pulls/{number}/reviews")

    async def create_review(
        self,
        owner: str,
        repo: str,
        number: int,
        *,
        commit_id: str,
        body: str,
        comments: list[dict[str, Any]],
    ) -> dict[str, Any]:
        """Post a ``COMMENT`` review with line ``comments`` on ``commit_id`` and return it."""
        result: dict[str, Any] = await self._json(
            "POST",
            f"/repos/{owner}/{repo}/pulls/{number}/reviews",
            json={"commit_id": commit_id, "body": body, "event": "COMMENT", "comments": comments},
        )
        return result

    async def update_comment(
        self, owner: str, repo: str, comment_id: int, body: str
    ) -> dict[str, Any]:
        """Replace an issue comment's body and return it."""
        result: dict[str, Any] = await self._json(
            "PATCH", f"/repos/{owner}/{repo}/issues/comments/{comment_id}", json={"body": body}
        )
        return result

    async def add_reaction(self, owner: str, repo: str, comment_id: int, content: str) -> None:
        """React to an issue comment (``content`` such as ``"eyes"``)."""
        await self._json(
            "POST",
            f"/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
            json={"content": content},
        )

    async def create_check_run(self, owner: str, repo: str, **fields: Any) -> dict[str, Any]:
        """Create a check run (fields as the REST API names them) and return it."""
        result: dict[str, Any] = await self._json(
            "POST", f"/repos/{owner}/{repo}/check-runs", json=fields
        )
        return result

    async def find_check_run(
        self, owner: str, repo: str, head_sha: str, name: str, external_id: str | None = None
    ) -> dict[str, Any] | None:
        """Return the newest check run called ``name`` on ``head_sha``: with ``external_id``,
        the one carrying it (whatever its status); without, one that is not completed."""
        found = await self._json(
            "GET",
            f"/repos/{owner}/{repo}/commits/{head_sha}/check-runs",
            params={"check_name": name, "filter": "all", "per_page": PER_PAGE},
        )
        runs = [
            run
            for run in (found or {}).get("check_runs", [])
            if run.get("name") == name
            and (
                run.get("external_id") == external_id
                if external_id is not None
                else run.get("status") != "completed"
            )
        ]
        runs.sort(key=lambda run: int(run.get("id") or 0), reverse=True)
        return runs[0] if runs else None

    async def update_check_run(
        self, owner: str, repo: str, check_run_id: int, **fields: Any
    ) -> dict[str, Any]:
        """Update a check run; ``output.annotations`` holds at most 50 items per request."""
        result: dict[str, Any] = await self._json(
            "PATCH", f"/repos/{owner}/{repo}/check-runs/{check_run_id}", json=fields
        )
        return result

    async def collaborator_permission(self, owner: str, repo: str, username: str) -> str:
        """Return ``admin``, ``maintain``, ``write``, ``triage``, ``read`` or ``none``."""
        response = await self._request(
            "GET",
            f"/repos/{owner}/{repo}/collaborators/{username}/permission",
            allow_404=True,
        )
        if response is None:
            return "none"
        data = response.json()
        # role_name distinguishes maintain/triage; permission is the legacy four-level value.
        role = data.get("role_name") or data.get("permission") or "none"
        return str(role)

    async def create_branch_commit_and_pr(
        self,
        owner: str,
        repo: str,
        base: str,
        branch: str,
        files: dict[str, str],
        title: str,
        body: str,
    ) -> dict[str, Any]:
        """Create ``branch`` from ``base``, commit ``files`` (path -> text) and open a PR.

        Uses the Git database API: the base branch's commit, a tree with the files on top of
        its tree, a commit, the new ref, then the pull request. Exactly once: a branch that
        exists already (an earlier attempt got that far) is not made again, and the pull
        request from it, if any (open or closed), is returned instead of a second one.
        """
        prefix = f"/repos/{owner}/{repo}"
        made = await self._request("GET", f"{prefix}/git/ref/heads/{branch}", allow_404=True)
        if made is None:
            await self._commit_branch(prefix, base, branch, files, title)
        found = await self._json(
            "GET",
            f"{prefix}/pulls",
            params={"head": f"{owner}:{branch}", "state": "all", "per_page": PER_PAGE},
        )
        if found:
            existing: dict[str, Any] = found[0]
            return existing
        result: dict[str, Any] = await self._json(
            "POST",
            f"{prefix}/pulls",
            json={"title": title, "body": body, "head": branch, "base": base},
        )
        return result

    async def _commit_branch(
        self, prefix: str, base: str, branch: str, files: dict[str, str], message: str
    ) -> None:
        ref = await self._json("GET", f"{prefix}/git/ref/heads/{base}")
        base_sha = ref["object"]["sha"]
        base_commit = await self._json("GET", f"{prefix}/git/commits/{base_sha}")
        tree = await self._json(
            "POST",
            f"{prefix}/git/trees",
            json={
                "base_tree": base_commit["tree"]["sha"],
                "tree": [
                    {"path": path, "mode": "100644", "type": "blob", "content": text}
                    for path, text in sorted(files.items())
                ],
            },
        )
        commit = await self._json(
            "POST",
            f"{prefix}/git/commits",
            json={"message": message, "tree": tree["sha"], "parents": [base_sha]},
        )
        await self._json(
            "POST", f"{prefix}/git/refs", json={"ref": f"refs/heads/{branch}", "sha": commit["sha"]}
        )


def _message(error: RequestFailed) -> str:
    try:
        data = error.response.raw_response.json()
    except ValueError:
        return error.response.raw_response.text[:200]
    if isinstance(data, dict) and "message" in data:
        # A 422 names what was refused in ``errors`` ("actions[0].description is too long").
        details = [
            str(item.get("message") or item.get("field") or item.get("code"))
            for item in data.get("errors") or []
            if isinstance(item, dict)
        ]
        message = str(data["message"])
        return f"{message}: {'; '.join(details)}"[:500] if details else message
    return str(data)[:200]
