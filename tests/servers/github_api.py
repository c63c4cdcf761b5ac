"""A local GitHub REST API on 127.0.0.1 for tests and benchmarks: the endpoints the App calls.

Paths, request bodies and responses follow GitHub's REST documentation (API version
2022-11-28). Repositories are seeded from real git repositories, so pull request diffs, file
lists and contents come from ``git``; comments, reactions, check runs and git objects written
through the API live in memory. Every request is recorded (:attr:`GitHubAPIServer.requests`).

    server = GitHubAPIServer(app_id=1, public_key_pem=pem).start()
    server.add_repository("acme", "orders", repo_path, default_branch="main")
    server.add_pull_request("acme", "orders", 7, base="main", head="feature/bulk-discounts")
    ... GitHub(AppAuthStrategy(1, private_pem), base_url=server.url) ...
    server.stop()

Installation tokens are granted by ``POST /app/installations/{id}/access_tokens`` only for an
RS256 JWT signed by the App's key with ``iss`` = the App id; every other call needs
``Authorization: token <granted token>``. Scripted failures (:meth:`fail_next`) answer the next
matching requests with, e.g., GitHub's 403 secondary-rate-limit body and ``retry-after``, or a
5xx; :meth:`delay` makes matching requests slow.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt

from tests.servers import git_http
from tests.servers.github_contract import (
    GitHubContract,
    assert_webhook,
    github_contract,
    validation_failed,
)
from tests.servers.github_manifest import ManifestRegistry, simple_user
from tests.servers.loopback import LoopbackHTTPServer

DOCS = "https://docs.github.com/rest"
_STRICT_RESPONSES = re.compile(
    r"/issues/(\d+/)?comments(/\d+)?(/reactions)?$|^/app$|^/app-manifests/[^/]+/conversions$"
)
"""Answers sent whole, every required field included: comments, reactions, the App, and the
manifest flow's conversion (a ``oneOf`` owner can only be checked whole)."""
BOT_ID = 41898282


def bot_user(login: str = "argus[bot]") -> dict[str, Any]:
    """The App's account as GitHub's simple-user object."""
    api = f"https://api.github.com/users/{login}"
    return {
        "login": login,
        "id": BOT_ID,
        "node_id": "BOT_kgDOAnfGKg",
        "avatar_url": "https://avatars.githubusercontent.com/in/1?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": f"https://github.com/apps/{login.removesuffix('[bot]')}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": "Bot",
        "site_admin": False,
    }


SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


@dataclass(frozen=True)
class ReceivedRequest:
    """A request as the server saw it (``body`` is parsed JSON when it was JSON)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class ScriptedFailure:
    """Answer the next ``times`` requests matching ``method`` and the ``path`` regex thus."""

    method: str
    path: re.Pattern[str]
    status: int
    body: Any
    headers: dict[str, str]
    times: int = 1


@dataclass
class Repository:
    owner: str
    name: str
    git_dir: Path
    default_branch: str
    id: int
    pulls: dict[int, dict[str, str]] = field(default_factory=dict)
    permissions: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # branches created through the API
    merged_pulls: dict[int, dict[str, Any]] = field(default_factory=dict)


class Reply(Exception):
    """Raised inside a route to answer at once."""

    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def _not_found() -> Reply:
    return Reply(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})


class GitHubAPIServer:
    """A threaded HTTP server speaking the part of GitHub's REST API that Argus uses."""

    def __init__(
        self,
        app_id: int,
        public_key_pem: str,
        *,
        token_lifetime: int = 3600,
        contract: GitHubContract | None = None,
    ):
        self.app_id = app_id
        self.contract = contract or github_contract()
        self.refused: list[tuple[ReceivedRequest, dict[str, Any]]] = []
        """Requests answered 422 because they broke GitHub's contract, with the answer."""
        self.response_violations: list[str] = []
        """Answers of this stand-in that differ from GitHub's documented responses (a bug here)."""
        self.public_key_pem = public_key_pem
        self.token_lifetime = token_lifetime
        self.requests: list[ReceivedRequest] = []
        self.repositories: dict[tuple[str, str], Repository] = {}
        self.comments: dict[int, dict[str, Any]] = {}  # id -> comment (with "_issue" key)
        self.reactions: list[dict[str, Any]] = []
        self.reviews: list[dict[str, Any]] = []
        """Pull-request reviews, each with its line ``_comments`` and ``_pull`` (owner/name#n)."""
        self.check_runs: dict[int, dict[str, Any]] = {}
        self.check_run_updates: list[tuple[int, dict[str, Any]]] = []
        self.created_pulls: list[dict[str, Any]] = []
        self.git_objects: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, tuple[int, float]] = {}  # token -> (installation, expiry)
        self.git_requests: list[tuple[str, str, dict[str, str], bytes]] = []  # git_http
        self.manifests = ManifestRegistry()  # the App manifest flow (tests.servers.github_manifest)
        self._failures: list[ScriptedFailure] = []
        self._delays: list[tuple[str, re.Pattern[str], float, Any]] = []
        self._lock = threading.RLock()
        self._next_id = 1000
        self._server: LoopbackHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- setup -----------------------------------------------------------------------------

    def add_repository(
        self, owner: str, name: str, git_dir: Path | str, default_branch: str = "main"
    ) -> Repository:
        """Serve the git repository at ``git_dir`` as ``owner/name``."""
        repository = Repository(owner, name, Path(git_dir), default_branch, self._new_id())
        self.repositories[(owner, name)] = repository
        return repository

    def add_pull_request(self, owner: str, name: str, number: int, base: str, head: str) -> None:
        """Open pull request ``number`` from branch ``head`` into ``base``."""
        self._repo(owner, name).pulls[number] = {"base": base, "head": head}

    def add_merged_pull_request(
        self, owner: str, name: str, number: int, commits: list[str], author: str = "octocat"
    ) -> None:
        """Pull request ``number`` by ``author``, merged into the default branch: ``commits``."""
        repository = self._repo(owner, name)
        full = [_rev(repository, commit) for commit in commits]
        repository.merged_pulls[number] = {"commits": full, "author": author}

    def set_permission(self, owner: str, name: str, username: str, permission: str) -> None:
        """Give ``username`` a role (admin, maintain, write, triage, read) on the repository."""
        self._repo(owner, name).permissions[username] = permission

    def fail_next(
        self,
        method: str,
        path_pattern: str,
        status: int,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (after auth checks)."""
        with self._lock:
            self._failures.append(
                ScriptedFailure(
                    method, re.compile(path_pattern), status, body, headers or {}, times
                )
            )

    def secondary_rate_limit_next(self, method: str, path_pattern: str, retry_after: int) -> None:
        """GitHub's secondary-rate-limit answer: 403, ``retry-after`` and its message."""
        self.fail_next(
            method,
            path_pattern,
            403,
            body={"message": SECONDARY_RATE_LIMIT_MESSAGE, "documentation_url": DOCS},
            headers={"retry-after": str(retry_after)},
        )

    def primary_rate_limit_next(self, method: str, path_pattern: str, reset_in: int) -> None:
        """GitHub's primary-rate-limit answer: 403, ``x-ratelimit-remaining: 0`` and the reset."""
        self.fail_next(
            method,
            path_pattern,
            403,
            body={
                "message": "API rate limit exceeded for installation.",
                "documentation_url": DOCS,
            },
            headers={
                "x-ratelimit-limit": "5000",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(int(time.time()) + reset_in),
            },
        )

    def delay(
        self,
        method: str,
        path_pattern: str,
        seconds: float,
        when: Callable[[ReceivedRequest], bool] | None = None,
    ) -> None:
        """Make every matching request (and ``when(request)``) wait ``seconds`` before it is
        handled (it is recorded at once)."""
        with self._lock:
            self._delays.append((method, re.compile(path_pattern), seconds, when))

    # -- inspection ------------------------------------------------------------------------

    def add_person_comment(
        self, owner: str, name: str, number: int, body: str, login: str = "octocat"
    ) -> dict[str, Any]:
        """A comment a person wrote on issue or pull request ``number`` (not through the App)."""
        comment = self._add_comment(owner, name, int(number), body, simple_user(login, 7), "MEMBER")
        return _public(comment)

    def add_person_review(
        self, owner: str, name: str, number: int, body: str, login: str = "octocat"
    ) -> dict[str, Any]:
        """A ``COMMENTED`` review a person submitted on pull request ``number``."""
        pull = self._pull(self._repo(owner, name), str(number))
        with self._lock:
            review_id = self._new_id()
            base = f"https://github.com/{owner}/{name}/pull/{number}"
            api = f"https://api.github.com/repos/{owner}/{name}/pulls/{number}"
            review = {
                "id": review_id,
                "node_id": f"PRR_{review_id}",
                "user": simple_user(login, 7),
                "body": body,
                "state": "COMMENTED",
                "html_url": f"{base}#pullrequestreview-{review_id}",
                "pull_request_url": api,
                "_links": {
                    "html": {"href": f"{base}#pullrequestreview-{review_id}"},
                    "pull_request": {"href": api},
                },
                "submitted_at": _now(),
                "commit_id": _rev(self._repo(owner, name), pull["head"]),
                "author_association": "MEMBER",
                "_pull": f"{owner}/{name}#{number}",
                "_comments": [],
            }
            self.reviews.append(review)
        return _public(review)

    def issue_comments(self, owner: str, name: str, number: int) -> list[dict[str, Any]]:
        """The comments on an issue or pull request, oldest first."""
        key = f"{owner}/{name}#{number}"
        with self._lock:
            return [
                _public(c)
                for c in sorted(self.comments.values(), key=lambda c: c["id"])
                if c["_issue"] == key
            ]

    def requests_to(self, method: str, path_pattern: str) -> list[ReceivedRequest]:
        """The recorded requests matching ``method`` and the ``path`` regex."""
        pattern = re.compile(path_pattern)
        with self._lock:
            return [r for r in self.requests if r.method == method and pattern.search(r.path)]

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def start(self) -> GitHubAPIServer:
        """Listen on a free loopback port in a background thread."""
        self._server = LoopbackHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> GitHubAPIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling ------------------------------------------------------------------

    def handle(self, request: ReceivedRequest) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self.requests.append(request)
            delays = [
                s
                for m, p, s, when in self._delays
                if m == request.method
                and p.search(request.path)
                and (when is None or when(request))
            ]
        for seconds in delays:
            time.sleep(seconds)
        try:
            if request.method == "POST" and (
                match := re.fullmatch(r"/app/installations/(\d+)/access_tokens", request.path)
            ):
                self._check_contract(request)
                answer = self._grant_token(request, int(match.group(1)))
            elif request.method == "GET" and request.path == "/app":
                self._check_contract(request)
                answer = self._authenticated_app(request)
            elif request.method == "POST" and (
                match := re.fullmatch(r"/app-manifests/([^/]+)/conversions", request.path)
            ):
                # The manifest flow's exchange: no token, the one-time code is the credential.
                self._check_contract(request)
                status, body = self.manifests.convert(match.group(1))
                answer = (status, body, {})
            else:
                self._check_token(request)
                self._check_contract(request)
                self._scripted_failure(request)
                answer = self._route(request)
        except Reply as reply:
            return reply.status, reply.body, reply.headers
        return self._checked_answer(request, answer)

    def _check_contract(self, request: ReceivedRequest) -> None:
        """Refuse, as GitHub does, a request its OpenAPI description or documented limits do."""
        status, errors, documentation_url = self.contract.request_errors(
            request.method, request.path, request.query, request.body
        )
        if status == 404:
            raise _not_found()
        if status:
            body = validation_failed(errors, documentation_url)
            with self._lock:
                self.refused.append((request, body))
            raise Reply(status, body)

    def _checked_answer(
        self, request: ReceivedRequest, answer: tuple[int, Any, dict[str, str]]
    ) -> tuple[int, Any, dict[str, str]]:
        """The answer, or a 500 naming the difference when it breaks GitHub's response schema."""
        status, body, _ = answer
        strict = bool(_STRICT_RESPONSES.search(request.path))
        violations = self.contract.response_errors(
            request.method, request.path, status, body, strict=strict
        )
        if not violations:
            return answer
        with self._lock:
            self.response_violations.extend(violations)
        return 500, {"message": "the stand-in broke GitHub's contract: " + violations[0]}, {}

    def _scripted_failure(self, request: ReceivedRequest) -> None:
        with self._lock:
            for failure in self._failures:
                if failure.times > 0 and failure.method == request.method:
                    if failure.path.search(request.path):
                        failure.times -= 1
                        raise Reply(failure.status, failure.body, failure.headers)

    def _authenticated_app(self, request: ReceivedRequest) -> tuple[int, Any, dict[str, str]]:
        """GET /app: the App its JSON web token names (GitHub's "get the authenticated app")."""
        self._app_claims(request)
        body = {
            "id": self.app_id,
            "slug": "argus-test",
            "node_id": "A_kwDOAAAB",
            "name": "Argus (test)",
            "owner": {**simple_user("argus-org", 9001), "type": "Organization"},
            "description": "The App the tests run",
            "external_url": "http://127.0.0.1",
            "html_url": "https://github.com/apps/argus-test",
            "created_at": "2026-11-27T00:00:00Z",
            "updated_at": "2026-11-27T00:00:00Z",
            "permissions": {"contents": "write", "pull_requests": "write", "checks": "write"},
            "events": ["pull_request", "issue_comment", "check_run"],
        }
        return 200, body, {}

    def _app_claims(self, request: ReceivedRequest) -> dict[str, Any]:
        header = request.header("authorization") or ""
        if not header.startswith("Bearer "):
            raise Reply(401, {"message": "A JSON web token could not be decoded"})
        try:
            claims: dict[str, Any] = jwt.decode(
                header[len("Bearer ") :],
                self.public_key_pem,
                algorithms=["RS256"],
                options={"require": ["iat", "exp", "iss"]},
            )
        except jwt.PyJWTError as error:
            raise Reply(
                401, {"message": f"A JSON web token could not be decoded: {error}"}
            ) from None
        if str(claims["iss"]) != str(self.app_id):
            raise Reply(401, {"message": "'Issuer' claim ('iss') must be an Integer"})
        return claims

    def _grant_token(
        self, request: ReceivedRequest, installation: int
    ) -> tuple[int, Any, dict[str, str]]:
        self._app_claims(request)
        token = "ghs_" + secrets.token_hex(18)
        expires = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=self.token_lifetime)
        with self._lock:
            self.tokens[token] = (installation, expires.timestamp())
        body = {
            "token": token,
            "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "permissions": {"contents": "write", "pull_requests": "write", "checks": "write"},
            "repository_selection": "all",
        }
        return 201, body, {}

    def _check_token(self, request: ReceivedRequest) -> None:
        header = request.header("authorization") or ""
        token = header.split(" ", 1)[1] if " " in header else ""
        with self._lock:
            grant = self.tokens.get(token)
        if grant is None or grant[1] < time.time():
            raise Reply(401, {"message": "Bad credentials", "documentation_url": DOCS})

    def _route(self, request: ReceivedRequest) -> tuple[int, Any, dict[str, str]]:
        match = re.fullmatch(r"/repos/([^/]+)/([^/]+)(/.*)", request.path)
        if match is None:
            raise _not_found()
        repository = self._repo(match.group(1), match.group(2))
        rest = match.group(3)
        method = request.method
        for pattern, verb, route in self._routes():
            found = re.fullmatch(pattern, rest)
            if found and verb == method:
                answer: tuple[int, Any, dict[str, str]] = route(
                    request, repository, *found.groups()
                )
                return answer
        raise _not_found()

    def _routes(self) -> list[tuple[str, str, Any]]:
        return [
            (r"/pulls/(\d+)", "GET", self._get_pull),
            (r"/pulls/(\d+)/files", "GET", self._pull_files),
            (r"/pulls/(\d+)/reviews", "GET", self._list_reviews),
            (r"/pulls/(\d+)/reviews", "POST", self._create_review),
            (r"/pulls", "POST", self._create_pull),
            (r"/pulls", "GET", self._list_pulls),
            (r"/contents/(.+)", "GET", self._contents),
            (r"/issues/(\d+)/comments", "GET", self._list_comments),
            (r"/issues/(\d+)/comments", "POST", self._create_comment),
            (r"/issues/comments/(\d+)", "PATCH", self._update_comment),
            (r"/issues/comments/(\d+)/reactions", "POST", self._react),
            (r"/check-runs", "POST", self._create_check_run),
            (r"/check-runs/(\d+)", "PATCH", self._update_check_run),
            (r"/commits/([^/]+)/check-runs", "GET", self._list_check_runs),
            (r"/commits/([^/]+)/pulls", "GET", self._commit_pulls),
            (r"/collaborators/([^/]+)/permission", "GET", self._permission),
            (r"/git/ref/heads/(.+)", "GET", self._get_ref),
            (r"/git/commits/([0-9a-f]+)", "GET", self._get_commit),
            (r"/git/trees", "POST", self._create_tree),
            (r"/git/commits", "POST", self._create_commit),
            (r"/git/refs", "POST", self._create_ref),
        ]

    # -- pulls -----------------------------------------------------------------------------

    def _pull(self, repository: Repository, number: str) -> dict[str, str]:
        pull = repository.pulls.get(int(number))
        if pull is None:
            raise _not_found()
        return pull

    def _get_pull(self, request: ReceivedRequest, repository: Repository, number: str) -> Any:
        pull = self._pull(repository, number)
        accept = request.header("accept") or ""
        if "application/vnd.github.diff" in accept:
            diff = _git(repository.git_dir, "diff", f"{pull['base']}...{pull['head']}")
            return 200, diff, {"content-type": "application/vnd.github.diff; charset=utf-8"}
        base_sha = _rev(repository, pull["base"])
        head_sha = _rev(repository, pull["head"])
        full = f"{repository.owner}/{repository.name}"
        return (
            200,
            {
                "number": int(number),
                "state": "open",
                "title": f"Pull request {number}",
                "head": {"ref": pull["head"], "sha": head_sha, "repo": {"full_name": full}},
                "base": {"ref": pull["base"], "sha": base_sha, "repo": {"full_name": full}},
            },
            {},
        )

    def _commit_pulls(self, request: ReceivedRequest, repository: Repository, sha: str) -> Any:
        """GitHub's "list pull requests associated with a commit": the merged pull request that
        brought the commit into the default branch; for a commit not on it, the merged and open
        ones it is on. 422 for a commit the repository does not have."""
        full = _rev(repository, sha, missing_ok=True)
        if full is None:
            raise Reply(
                422, {"message": f"No commit found for SHA: {sha}", "documentation_url": DOCS}
            )
        found = []
        for number, merged in sorted(repository.merged_pulls.items()):
            if full in merged["commits"]:
                found.append(
                    self._pull_simple(
                        repository, number, merged["commits"][-1], merged["author"], merged=True
                    )
                )
        on_default = (
            subprocess.run(
                [
                    "git",
                    "-C",
                    str(repository.git_dir),
                    "merge-base",
                    "--is-ancestor",
                    full,
                    repository.default_branch,
                ],
                capture_output=True,
                check=False,
            ).returncode
            == 0
        )
        if not on_default:
            for number, pull in sorted(repository.pulls.items()):
                span = _git(repository.git_dir, "rev-list", f"{pull['base']}..{pull['head']}")
                if full in span.split():
                    head = _rev(repository, pull["head"]) or ""
                    found.append(
                        self._pull_simple(repository, number, head, "octocat", merged=False)
                    )
        return self._page(request, found)

    def _pull_simple(
        self, repository: Repository, number: int, head_sha: str, author: str, *, merged: bool
    ) -> dict[str, Any]:
        api = f"{self.url}/repos/{repository.owner}/{repository.name}"
        return {
            "url": f"{api}/pulls/{number}",
            "id": 10_000 + number,
            "number": number,
            "state": "closed" if merged else "open",
            "title": f"Pull request {number}",
            "user": {"login": author, "id": 1, "type": "User"},
            "html_url": f"https://github.com/{repository.owner}/{repository.name}/pull/{number}",
            "merged_at": _now() if merged else None,
            "head": {"sha": head_sha},
            "base": {"ref": repository.default_branch},
        }

    def _pull_files(self, request: ReceivedRequest, repository: Repository, number: str) -> Any:
        pull = self._pull(repository, number)
        span = f"{pull['base']}...{pull['head']}"
        statuses = _git(repository.git_dir, "diff", "--name-status", "--no-renames", span)
        counts = _git(repository.git_dir, "diff", "--numstat", "--no-renames", span)
        files = []
        names = {"A": "added", "D": "removed", "M": "modified"}
        for status_line, count_line in zip(statuses.splitlines(), counts.splitlines(), strict=True):
            status, filename = status_line.split("\t", 1)
            added, removed, _ = count_line.split("\t", 2)
            patch = _git(repository.git_dir, "diff", "--no-renames", span, "--", filename)
            hunks = patch[patch.find("\n@@") + 1 :] if "\n@@" in patch else ""
            files.append(
                {
                    "sha": hashlib.sha1(filename.encode()).hexdigest(),
                    "filename": filename,
                    "status": names.get(status[0], "changed"),
                    "additions": int(added) if added != "-" else 0,
                    "deletions": int(removed) if removed != "-" else 0,
                    "changes": (int(added) + int(removed)) if added != "-" else 0,
                    "patch": hunks,
                }
            )
        return self._page(request, files)

    def _list_pulls(self, request: ReceivedRequest, repository: Repository) -> Any:
        """The pulls opened through the API; ``head=owner:branch`` and ``state`` filter them."""
        head = request.query.get("head")
        state = request.query.get("state", "open")
        with self._lock:
            pulls = [
                pull
                for pull in self.created_pulls
                if (head is None or head == f"{repository.owner}:{pull['head']['ref']}")
                and state in ("all", pull["state"])
            ]
        return self._page(request, pulls)

    def _create_pull(self, request: ReceivedRequest, repository: Repository) -> Any:
        body = request.body or {}
        for key in ("title", "head", "base"):
            if not body.get(key):
                raise Reply(422, {"message": "Validation Failed", "errors": [{"field": key}]})
        if body["head"] not in repository.refs:
            raise Reply(422, {"message": "Validation Failed", "errors": [{"field": "head"}]})
        number = max([*repository.pulls, *[p["number"] for p in self.created_pulls], 0]) + 1
        pull = {
            "number": number,
            "title": body["title"],
            "body": body.get("body"),
            "state": "open",
            "head": {"ref": body["head"], "sha": repository.refs[body["head"]]},
            "base": {"ref": body["base"]},
            "html_url": f"https://github.com/{repository.owner}/{repository.name}/pull/{number}",
        }
        with self._lock:
            self.created_pulls.append(pull)
        return 201, pull, {}

    # -- reviews ---------------------------------------------------------------------------

    def pull_reviews(self, owner: str, name: str, number: int) -> list[dict[str, Any]]:
        """The reviews posted on a pull request, oldest first, each with its ``_comments``."""
        key = f"{owner}/{name}#{number}"
        with self._lock:
            return [dict(r) for r in self.reviews if r["_pull"] == key]

    def _list_reviews(self, request: ReceivedRequest, repository: Repository, number: str) -> Any:
        self._pull(repository, number)
        reviews = self.pull_reviews(repository.owner, repository.name, int(number))
        return self._page(request, [_public(r) for r in reviews])

    def _create_review(self, request: ReceivedRequest, repository: Repository, number: str) -> Any:
        """GitHub's rules the schema does not carry: a ``COMMENT`` review needs a body, and each
        line comment must sit on a line of the pull request's diff (new side: an added or a
        context line of a hunk of that file), else the whole review is refused with 422."""
        pull = self._pull(repository, number)
        body = request.body or {}
        event = body.get("event")
        text = body.get("body")
        if event in ("COMMENT", "REQUEST_CHANGES") and not text:
            raise Reply(
                422,
                {
                    "message": "Unprocessable Entity",
                    "errors": [f"Body is required when using {event}"],
                    "documentation_url": DOCS,
                },
            )
        commit_id = body.get("commit_id") or _rev(repository, pull["head"])
        if _rev(repository, str(commit_id), missing_ok=True) is None:
            raise Reply(
                422,
                {
                    "message": "Unprocessable Entity",
                    "errors": ["Commit not found"],
                    "documentation_url": DOCS,
                },
            )
        lines = _diff_lines(_git(repository.git_dir, "diff", f"{pull['base']}...{pull['head']}"))
        for comment in body.get("comments") or []:
            path = comment.get("path")
            side = comment.get("side", "RIGHT")
            wanted = [comment.get("line"), comment.get("start_line")]
            known = lines.get((path, side), set())
            if any(line is not None and line not in known for line in wanted):
                raise Reply(
                    422,
                    {
                        "message": "Unprocessable Entity",
                        "errors": [
                            "Pull request review thread line must be part of the diff and "
                            "Pull request review thread diff hunk can't be blank"
                        ],
                        "documentation_url": DOCS,
                    },
                )
        now = _now()
        with self._lock:
            review_id = self._new_id()
            base = f"https://github.com/{repository.owner}/{repository.name}/pull/{number}"
            api = (
                f"https://api.github.com/repos/{repository.owner}/{repository.name}/pulls/{number}"
            )
            review = {
                "id": review_id,
                "node_id": f"PRR_{review_id}",
                "user": bot_user(),
                "body": text or "",
                "state": "COMMENTED" if event == "COMMENT" else "PENDING" if not event else event,
                "html_url": f"{base}#pullrequestreview-{review_id}",
                "pull_request_url": api,
                "_links": {
                    "html": {"href": f"{base}#pullrequestreview-{review_id}"},
                    "pull_request": {"href": api},
                },
                "submitted_at": now,
                "commit_id": commit_id,
                "author_association": "NONE",
                "_pull": f"{repository.owner}/{repository.name}#{number}",
                "_comments": list(body.get("comments") or []),
            }
            self.reviews.append(review)
        return 200, _public(review), {}

    # -- contents --------------------------------------------------------------------------

    def _contents(self, request: ReceivedRequest, repository: Repository, path: str) -> Any:
        ref = request.query.get("ref", repository.default_branch)
        try:
            data = subprocess.run(
                ["git", "-C", str(repository.git_dir), "show", f"{ref}:{path}"],
                check=True,
                capture_output=True,
            ).stdout
            kind = subprocess.run(
                ["git", "-C", str(repository.git_dir), "cat-file", "-t", f"{ref}:{path}"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
        except subprocess.CalledProcessError:
            raise _not_found() from None
        if kind != "blob":
            return 200, [], {}
        encoded = base64.encodebytes(data).decode("ascii")
        return (
            200,
            {
                "type": "file",
                "encoding": "base64",
                "size": len(data),
                "name": path.rsplit("/", 1)[-1],
                "path": path,
                "content": encoded,
                "sha": hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest(),
            },
            {},
        )

    # -- comments and reactions ------------------------------------------------------------

    def _list_comments(self, request: ReceivedRequest, repository: Repository, number: str) -> Any:
        return self._page(
            request, self.issue_comments(repository.owner, repository.name, int(number))
        )

    def _create_comment(self, request: ReceivedRequest, repository: Repository, number: str) -> Any:
        body = (request.body or {}).get("body")
        if not isinstance(body, str) or not body:
            raise Reply(422, {"message": "Validation Failed", "errors": [{"field": "body"}]})
        if len(body) > 65536:
            raise Reply(422, {"message": "Validation Failed", "errors": [{"code": "too_long"}]})
        comment = self._add_comment(
            repository.owner, repository.name, int(number), body, bot_user(), "NONE"
        )
        return 201, _public(comment), {}

    def _add_comment(
        self, owner: str, name: str, number: int, body: str, user: dict[str, Any], association: str
    ) -> dict[str, Any]:
        """Store an issue comment by ``user`` and return it (with its private ``_issue``)."""
        now = _now()
        with self._lock:
            comment_id = self._new_id()
            api = f"https://api.github.com/repos/{owner}/{name}/issues"
            comment = {
                "id": comment_id,
                "node_id": f"IC_{comment_id}",
                "url": f"{api}/comments/{comment_id}",
                "issue_url": f"{api}/{number}",
                "body": body,
                "user": user,
                "author_association": association,
                "created_at": now,
                "updated_at": now,
                "html_url": f"https://github.com/{owner}/{name}/pull/{number}"
                f"#issuecomment-{comment_id}",
                "_issue": f"{owner}/{name}#{number}",
            }
            self.comments[comment_id] = comment
        return comment

    def _update_comment(self, request: ReceivedRequest, repository: Repository, ident: str) -> Any:
        body = (request.body or {}).get("body")
        with self._lock:
            comment = self.comments.get(int(ident))
            if comment is None:
                raise _not_found()
            if comment["user"].get("type") != "Bot":
                # An App may edit only its own comments.
                raise Reply(
                    403,
                    {
                        "message": "Resource not accessible by integration",
                        "documentation_url": DOCS,
                    },
                )
            if not isinstance(body, str) or not body:
                raise Reply(422, {"message": "Validation Failed", "errors": [{"field": "body"}]})
            comment["body"] = body
            comment["updated_at"] = _now()
            return 200, _public(comment), {}

    def _react(self, request: ReceivedRequest, repository: Repository, ident: str) -> Any:
        """GitHub keeps one reaction per user and content: the same again answers 200 with it."""
        content = (request.body or {}).get("content")
        with self._lock:
            for reaction in self.reactions:
                if reaction["comment_id"] == int(ident) and reaction["content"] == content:
                    return 200, _reaction_view(reaction), {}
            reaction = {
                "id": self._new_id(),
                "content": content,
                "comment_id": int(ident),
                "created_at": _now(),
            }
            self.reactions.append(reaction)
        return 201, _reaction_view(reaction), {}

    # -- check runs ------------------------------------------------------------------------

    def _create_check_run(self, request: ReceivedRequest, repository: Repository) -> Any:
        body = dict(request.body or {})
        if not body.get("name") or not body.get("head_sha"):
            raise Reply(422, {"message": "Validation Failed"})
        self._check_annotations(body)
        with self._lock:
            run_id = self._new_id()
            run = {"id": run_id, "status": "queued", "conclusion": None, **body}
            run.setdefault("annotations", [])
            run["annotations"] = list((body.get("output") or {}).get("annotations", []))
            self.check_runs[run_id] = run
        return 201, _check_run_view(run), {}

    def _update_check_run(
        self, request: ReceivedRequest, repository: Repository, ident: str
    ) -> Any:
        body = dict(request.body or {})
        self._check_annotations(body)
        with self._lock:
            run = self.check_runs.get(int(ident))
            if run is None:
                raise _not_found()
            self.check_run_updates.append((int(ident), body))
            annotations = list((body.get("output") or {}).get("annotations", []))
            for key, value in body.items():
                if key == "output":
                    run["output"] = {**(run.get("output") or {}), **value}
                else:
                    run[key] = value
            run["annotations"].extend(annotations)
            if body.get("conclusion") and "status" not in body:
                run["status"] = "completed"
            return 200, _check_run_view(run), {}

    def _list_check_runs(self, request: ReceivedRequest, repository: Repository, ref: str) -> Any:
        """``GET /repos/{owner}/{repo}/commits/{ref}/check-runs`` (by sha; ``check_name``)."""
        name = request.query.get("check_name")
        with self._lock:
            runs = [
                _check_run_view(run)
                for run in self.check_runs.values()
                if run.get("head_sha") == ref and (name is None or run.get("name") == name)
            ]
        runs.sort(key=lambda run: int(run["id"]), reverse=True)
        return 200, {"total_count": len(runs), "check_runs": runs}, {}

    @staticmethod
    def _check_annotations(body: dict[str, Any]) -> None:
        annotations = (body.get("output") or {}).get("annotations") or []
        if len(annotations) > 50:
            raise Reply(
                422,
                {
                    "message": "Invalid request.\n\nOnly 50 annotations are allowed per request.",
                    "documentation_url": DOCS,
                },
            )
        for annotation in annotations:
            for key in ("path", "start_line", "end_line", "annotation_level", "message"):
                if key not in annotation:
                    raise Reply(422, {"message": f"Invalid request: annotation missing {key}"})
        if body.get("status") == "completed" and not body.get("conclusion"):
            raise Reply(422, {"message": "Invalid request: conclusion required when completed"})

    # -- collaborators ---------------------------------------------------------------------

    def _permission(self, request: ReceivedRequest, repository: Repository, user: str) -> Any:
        role = repository.permissions.get(user)
        if role is None:
            raise Reply(404, {"message": f"{user} is not a user", "documentation_url": DOCS})
        legacy = {"maintain": "write", "triage": "read"}.get(role, role)
        return 200, {"permission": legacy, "role_name": role, "user": {"login": user}}, {}

    # -- git database ----------------------------------------------------------------------

    def _get_ref(self, request: ReceivedRequest, repository: Repository, branch: str) -> Any:
        sha = repository.refs.get(branch) or _rev(repository, branch, missing_ok=True)
        if sha is None:
            raise _not_found()
        return 200, {"ref": f"refs/heads/{branch}", "object": {"sha": sha, "type": "commit"}}, {}

    def _get_commit(self, request: ReceivedRequest, repository: Repository, sha: str) -> Any:
        if sha in self.git_objects:
            return 200, self.git_objects[sha], {}
        try:
            tree = _git(repository.git_dir, "rev-parse", f"{sha}^{{tree}}").strip()
        except subprocess.CalledProcessError:
            raise _not_found() from None
        return 200, {"sha": sha, "tree": {"sha": tree}, "parents": []}, {}

    def _create_tree(self, request: ReceivedRequest, repository: Repository) -> Any:
        body = request.body or {}
        entries = body.get("tree")
        if not isinstance(entries, list) or not entries:
            raise Reply(422, {"message": "Invalid tree info"})
        sha = self._object_id(body)
        with self._lock:
            self.git_objects[sha] = {
                "sha": sha,
                "tree": entries,
                "base_tree": body.get("base_tree"),
            }
        return 201, {"sha": sha, "tree": entries, "truncated": False}, {}

    def _create_commit(self, request: ReceivedRequest, repository: Repository) -> Any:
        body = request.body or {}
        if not body.get("message") or body.get("tree") not in self.git_objects:
            raise Reply(422, {"message": "Tree SHA does not exist"})
        sha = self._object_id(body)
        commit = {
            "sha": sha,
            "message": body["message"],
            "tree": {"sha": body["tree"]},
            "parents": [{"sha": p} for p in body.get("parents", [])],
        }
        with self._lock:
            self.git_objects[sha] = commit
        return 201, commit, {}

    def _create_ref(self, request: ReceivedRequest, repository: Repository) -> Any:
        body = request.body or {}
        ref = str(body.get("ref", ""))
        if not ref.startswith("refs/heads/") or body.get("sha") not in self.git_objects:
            raise Reply(422, {"message": "Reference update failed"})
        branch = ref[len("refs/heads/") :]
        if branch in repository.refs or _rev(repository, branch, missing_ok=True):
            raise Reply(422, {"message": "Reference already exists"})
        with self._lock:
            repository.refs[branch] = body["sha"]
        return 201, {"ref": ref, "object": {"sha": body["sha"], "type": "commit"}}, {}

    # -- helpers ---------------------------------------------------------------------------

    def _page(self, request: ReceivedRequest, items: list[Any]) -> tuple[int, Any, dict[str, str]]:
        per_page = min(int(request.query.get("per_page", "30")), 100)
        page = max(int(request.query.get("page", "1")), 1)
        last = max((len(items) + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []

        def link(number: int, rel: str) -> str:
            query = urlencode({"per_page": per_page, "page": number})
            return f'<{self.url}{request.path}?{query}>; rel="{rel}"'

        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first"), link(page - 1, "prev")]
        return 200, chunk, ({"link": ", ".join(links)} if links else {})

    def _repo(self, owner: str, name: str) -> Repository:
        repository = self.repositories.get((owner, name))
        if repository is None:
            raise _not_found()
        return repository

    def _new_id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id

    def _object_id(self, body: Any) -> str:
        seed = json.dumps(body, sort_keys=True) + str(self._new_id())
        return hashlib.sha1(seed.encode()).hexdigest()


def _public(comment: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in comment.items() if not k.startswith("_")}


def _reaction_view(reaction: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": reaction["id"],
        "node_id": f"REA_{reaction['id']}",
        "user": bot_user(),
        "content": reaction["content"],
        "created_at": reaction["created_at"],
    }


def _check_run_view(run: dict[str, Any]) -> dict[str, Any]:
    view = {k: v for k, v in run.items() if k != "annotations"}
    output = dict(view.get("output") or {})
    output.pop("annotations", None)
    output["annotations_count"] = len(run["annotations"])
    view["output"] = output
    return view


def _diff_lines(diff: str) -> dict[tuple[str, str], set[int]]:
    """``(path, side)`` → the line numbers a review comment may name (unidiff reads the diff)."""
    from unidiff import PatchSet

    found: dict[tuple[str, str], set[int]] = {}
    for patched in PatchSet(diff):
        path = patched.path
        for hunk in patched:
            for line in hunk:
                if line.target_line_no is not None:
                    found.setdefault((path, "RIGHT"), set()).add(line.target_line_no)
                if line.source_line_no is not None and not line.is_added:
                    found.setdefault((path, "LEFT"), set()).add(line.source_line_no)
    return found


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _git(git_dir: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(git_dir), *args], check=True, capture_output=True, text=True
    ).stdout


def _rev(repository: Repository, ref: str, missing_ok: bool = False) -> str | None:
    try:
        return _git(repository.git_dir, "rev-parse", "--verify", f"{ref}^{{commit}}").strip()
    except subprocess.CalledProcessError:
        if missing_ok:
            return None
        raise _not_found() from None


def _handler_for(owner: GitHubAPIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            return

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            if git_http.is_git_request(self.path):
                git_http.serve_git(self, owner)
                return
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = raw
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            request = ReceivedRequest(
                self.command,
                parts.path,
                query,
                {k.lower(): v for k, v in self.headers.items()},
                body,
            )
            try:
                status, payload, headers = owner.handle(request)
            except Exception as error:  # noqa: BLE001 - a bug here answers 500 rather than hang
                status, payload, headers = 500, {"message": f"server error: {error}"}, {}
            if isinstance(payload, str):
                data = payload.encode("utf-8")
                headers.setdefault("content-type", "text/plain; charset=utf-8")
            else:
                data = b"" if payload is None else json.dumps(payload).encode("utf-8")
                headers.setdefault("content-type", "application/json; charset=utf-8")
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    return Handler


# -- test helpers --------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
DEMO_OWNER = "acme"
DEMO_REPO = "orders"
DEMO_PULL = 7
DEMO_BASE = "main"
DEMO_HEAD = "feature/bulk-discounts"


def rsa_key_pair() -> tuple[str, str]:
    """A fresh 2048-bit RSA key pair as (private PEM, public PEM), like an App's key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    return private, public


def build_demo_repo(out: Path) -> Path:
    """Build the demo "orders" repository (main + feature/bulk-discounts) at ``out``."""
    subprocess.run(
        ["python3", str(ROOT / "scripts" / "make_demo_repo.py"), "--out", str(out), "--force"],
        check=True,
        capture_output=True,
    )
    return out


def seed_demo(server: GitHubAPIServer, repo_dir: Path) -> None:
    """Serve the demo repository as acme/orders with PR #7 (feature/bulk-discounts -> main)."""
    server.add_repository(DEMO_OWNER, DEMO_REPO, repo_dir, default_branch=DEMO_BASE)
    server.add_pull_request(DEMO_OWNER, DEMO_REPO, DEMO_PULL, base=DEMO_BASE, head=DEMO_HEAD)


WEBHOOK_FIXTURES = ROOT / "tests" / "fixtures" / "github-webhooks"


def demo_pull_request_payload(
    action: str, repo_dir: Path, installation_id: int, head: str = DEMO_HEAD
) -> dict[str, Any]:
    """GitHub's recorded ``pull_request.<action>`` payload, pointed at the demo repository."""
    payload: dict[str, Any] = json.loads(
        (WEBHOOK_FIXTURES / f"pull_request.{action}.payload.json").read_text(encoding="utf-8")
    )
    payload["number"] = DEMO_PULL
    payload["installation"] = {**payload.get("installation", {}), "id": installation_id}
    repository = payload["repository"]
    repository.update(
        name=DEMO_REPO,
        full_name=f"{DEMO_OWNER}/{DEMO_REPO}",
        default_branch=DEMO_BASE,
    )
    repository["owner"]["login"] = DEMO_OWNER
    pull = payload["pull_request"]
    pull.update(number=DEMO_PULL, draft=False, state="open")
    for side, ref in (("base", DEMO_BASE), ("head", head)):
        pull[side]["ref"] = ref
        pull[side]["sha"] = _git(repo_dir, "rev-parse", ref).strip()
        side_repository = {**pull[side]["repo"], **repository}
        side_repository.setdefault("has_discussions", False)  # required here, not at the top
        pull[side]["repo"] = side_repository
    return payload


_CHECKED_WEBHOOKS: set[bytes] = set()


def signed_headers(secret: str, body: bytes, event: str, delivery: str) -> dict[str, str]:
    """The headers GitHub sends with a delivery, ``X-Hub-Signature-256`` included.

    The payload must be one GitHub documents for ``event`` (its webhook schema).
    """
    import hmac

    digest = hashlib.sha256(event.encode() + b"\0" + body).digest()
    if digest not in _CHECKED_WEBHOOKS:  # a benchmark signs one body thousands of times
        assert_webhook(event, json.loads(body))
        _CHECKED_WEBHOOKS.add(digest)

    signature = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": delivery,
        "x-github-hook-id": "1",
        "x-hub-signature-256": f"sha256={signature}",
        "user-agent": "GitHub-Hookshot/test",
    }
