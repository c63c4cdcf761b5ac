"""An in-memory GitHubPort: a repository's files by ref, a PR diff, and what the App sent.

Every write is checked against GitHub's contract first (tests/servers/github_contract.py): a
request GitHub would refuse raises :class:`GitHubAPIError` with status 422, as the real adapter
does, and is recorded in :attr:`FakeGitHub.refused`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from argus.github_app.githubkit_adapter import GitHubAPIError
from argus.github_app.ports import by_bot
from tests.servers.github_contract import github_contract


def check_contract(method: str, path: str, body: Any, refused: list[dict[str, Any]]) -> None:
    """Raise GitHub's 422 (as ``GitHubAPIError``) when the request breaks GitHub's contract."""
    status, errors, _ = github_contract().request_errors(method, path, {}, body)
    if status:
        refused.append({"method": method, "path": path, "body": body, "errors": errors})
        details = "; ".join(str(error["message"]) for error in errors) or "Not Found"
        raise GitHubAPIError(f"{method} {path} failed with HTTP {status}: {details}", status)


def _kind(rest: str) -> str:
    """``comments`` or ``check-runs`` for a PATCH path."""
    return "comments" if "/comments/" in rest else "check-runs"


APP_USER = {"login": "argus[bot]", "type": "Bot"}
"""The App's account, as GitHub names the author of what the App writes."""


@dataclass
class FakeGitHub:
    """Records every call; comments and check runs behave as GitHub's do."""

    diff: str = ""
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)
    permissions: dict[str, str] = field(default_factory=dict)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    check_runs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    reactions: list[tuple[int, str]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[str, list[int]] = field(default_factory=dict)
    """Scripted answers: the next calls of a method fail with these HTTP statuses."""
    pulls: list[dict[str, Any]] = field(default_factory=list)
    open_pulls: list[dict[str, Any]] = field(default_factory=list)
    commit_pulls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    _next_id: int = 100

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    async def get_pull_request_diff(self, owner: str, repo: str, number: int) -> str:
        self.calls.append(("get_pull_request_diff", {"number": number}))
        return self.diff

    async def get_pull_request(self, owner: str, repo: str, number: int) -> dict:
        self.calls.append(("get_pull_request", {"number": number}))
        for pull in self.open_pulls:
            if pull["number"] == number:
                return pull
        raise GitHubAPIError(f"GET pulls/{number}: 404 Not Found")

    async def find_check_run(
        self, owner: str, repo: str, head_sha: str, name: str, external_id: str | None = None
    ) -> dict | None:
        self.calls.append(("find_check_run", {"head_sha": head_sha, "name": name}))
        for run_id in sorted(self.check_runs, reverse=True):
            fields: dict[str, Any] = {}
            annotations = 0
            for update in self.check_runs[run_id]:
                fields.update(update)
                annotations += len((update.get("output") or {}).get("annotations") or [])
            if fields.get("conclusion"):
                fields["status"] = "completed"
            output = {**(fields.get("output") or {}), "annotations_count": annotations}
            output.pop("annotations", None)
            view = {"id": run_id, **fields, "output": output}
            if fields.get("name") != name or fields.get("head_sha") != head_sha:
                continue
            if external_id is not None:
                if fields.get("external_id") == external_id:
                    return view
            elif fields.get("status") != "completed":
                return view
        return None

    async def list_pull_request_files(self, owner: str, repo: str, number: int) -> list[dict]:
        self.calls.append(("list_pull_request_files", {"number": number}))
        return []

    async def get_file(self, owner: str, repo: str, path: str, ref: str) -> bytes | None:
        self.calls.append(("get_file", {"path": path, "ref": ref}))
        return self.files.get((path, ref))

    async def find_comment(self, owner: str, repo: str, number: int, marker: str) -> dict | None:
        self.calls.append(("find_comment", {"number": number}))
        for comment in self.comments.values():
            if comment["number"] == number and by_bot(comment) and marker in comment["body"]:
                return comment
        return None

    async def list_reviews(self, owner: str, repo: str, number: int) -> list:
        self.calls.append(("list_reviews", {"number": number}))
        return [r for r in self.reviews if r["number"] == number]

    async def create_review(
        self, owner: str, repo: str, number: int, *, commit_id: str, body: str, comments: list
    ) -> dict:
        fields = {"commit_id": commit_id, "body": body, "event": "COMMENT", "comments": comments}
        self._check("POST", owner, repo, f"/pulls/{number}/reviews", fields)
        self.calls.append(("create_review", {"number": number, "comments": comments}))
        review = {
            "id": len(self.reviews) + 1,
            "number": number,
            "body": body,
            "commit_id": commit_id,
            "comments": comments,
            "user": dict(APP_USER),
        }
        self.reviews.append(review)
        return review

    async def list_commit_pull_requests(self, owner: str, repo: str, commit_sha: str) -> list:
        self.calls.append(("list_commit_pull_requests", {"commit_sha": commit_sha}))
        return list(self.commit_pulls.get(commit_sha, []))

    def fail_next(self, call: str, status: int, times: int = 1) -> None:
        """Make the next ``times`` calls of ``call`` fail with HTTP ``status``."""
        self.failures.setdefault(call, []).extend([status] * times)

    def _check(self, method: str, owner: str, repo: str, rest: str, body: Any) -> None:
        path = f"/repos/{owner or 'owner'}/{repo or 'repo'}{rest}"
        check_contract(method, path, body, self.refused)
        call = {
            ("POST", "comments"): "create_comment",
            ("PATCH", "comments"): "update_comment",
            ("POST", "reactions"): "add_reaction",
            ("POST", "check-runs"): "create_check_run",
            ("PATCH", "check-runs"): "update_check_run",
            ("POST", "pulls"): "create_branch_commit_and_pr",
            ("POST", "reviews"): "create_review",
        }[(method, rest.strip("/").split("/")[-1] if method == "POST" else _kind(rest))]
        scripted = self.failures.get(call)
        if scripted:
            status = scripted.pop(0)
            self.calls.append((f"{call}:failed", {"status": status}))
            raise GitHubAPIError(f"{method} {path} failed with HTTP {status}: scripted", status)

    async def create_comment(self, owner: str, repo: str, number: int, body: str) -> dict:
        self._check("POST", owner, repo, f"/issues/{number}/comments", {"body": body})
        self.calls.append(("create_comment", {"number": number, "body": body}))
        comment = {"id": self._id(), "number": number, "body": body, "user": dict(APP_USER)}
        self.comments[comment["id"]] = comment
        return comment

    def add_person_comment(self, number: int, body: str, login: str = "octocat") -> dict:
        """A comment a person wrote on pull request ``number`` (not through the App)."""
        user = {"login": login, "type": "User"}
        comment = {"id": self._id(), "number": number, "body": body, "user": user}
        self.comments[comment["id"]] = comment
        return comment

    def add_person_review(self, number: int, body: str, login: str = "octocat") -> dict:
        """A review a person submitted on pull request ``number``."""
        review = {
            "id": len(self.reviews) + 1,
            "number": number,
            "body": body,
            "comments": [],
            "user": {"login": login, "type": "User"},
        }
        self.reviews.append(review)
        return review

    async def update_comment(self, owner: str, repo: str, comment_id: int, body: str) -> dict:
        self._check("PATCH", owner, repo, f"/issues/comments/{comment_id}", {"body": body})
        self.calls.append(("update_comment", {"id": comment_id, "body": body}))
        if not by_bot(self.comments[comment_id]):
            # GitHub lets an App edit only its own comments.
            raise GitHubAPIError(
                f"PATCH comment {comment_id} failed with HTTP 403: "
                "Resource not accessible by integration",
                403,
            )
        self.comments[comment_id]["body"] = body
        return self.comments[comment_id]

    async def add_reaction(self, owner: str, repo: str, comment_id: int, content: str) -> None:
        rest = f"/issues/comments/{comment_id}/reactions"
        self._check("POST", owner, repo, rest, {"content": content})
        self.calls.append(("add_reaction", {"id": comment_id, "content": content}))
        if (comment_id, content) not in self.reactions:  # GitHub: one per user and content
            self.reactions.append((comment_id, content))

    async def create_check_run(self, owner: str, repo: str, **fields: Any) -> dict:
        self._check("POST", owner, repo, "/check-runs", fields)
        self.calls.append(("create_check_run", fields))
        run_id = self._id()
        self.check_runs[run_id] = [fields]
        return {"id": run_id, **fields}

    async def update_check_run(
        self, owner: str, repo: str, check_run_id: int, **fields: Any
    ) -> dict:
        self._check("PATCH", owner, repo, f"/check-runs/{check_run_id}", fields)
        self.calls.append(("update_check_run", fields))
        self.check_runs[check_run_id].append(fields)
        return {"id": check_run_id, **fields}

    async def collaborator_permission(self, owner: str, repo: str, username: str) -> str:
        self.calls.append(("collaborator_permission", {"username": username}))
        return self.permissions.get(username, "none")

    async def create_branch_commit_and_pr(
        self,
        owner: str,
        repo: str,
        base: str,
        branch: str,
        files: dict[str, str],
        title: str,
        body: str,
    ) -> dict:
        request = {"title": title, "body": body, "head": branch, "base": base}
        self._check("POST", owner, repo, "/pulls", request)
        for existing in self.pulls:  # as the adapter: the branch's pull request, once
            if existing["branch"] == branch:
                return existing
        pull = {
            "number": 900 + len(self.pulls),
            "base": base,
            "branch": branch,
            "files": files,
            "title": title,
            "body": body,
        }
        self.calls.append(("create_branch_commit_and_pr", pull))
        self.pulls.append(pull)
        return pull
