"""The calls the App makes to GitHub, as one installation-scoped port.

The githubkit adapter (argus/github_app/githubkit_adapter.py) implements it against the REST API;
tests use an in-memory fake. Handlers only ever talk to GitHub through this protocol.
"""

from __future__ import annotations

from typing import Any, Protocol


def by_bot(item: dict[str, Any]) -> bool:
    """Whether a comment or review was written by an App: GitHub gives its ``user`` the type
    ``Bot`` (a person's account is ``User``, and a person cannot change it). Argus only trusts
    its markers in such items, so a person who pastes one cannot suppress or hijack a step."""
    user = item.get("user")
    return isinstance(user, dict) and user.get("type") == "Bot"


class GitHubPort(Protocol):
    """GitHub REST calls of one installation (the client holds the installation token)."""

    async def get_pull_request_diff(self, owner: str, repo: str, number: int) -> str:
        """Return the unified diff of a pull request (``application/vnd.github.diff``)."""
        ...

    async def get_pull_request(self, owner: str, repo: str, number: int) -> dict[str, Any]:
        """Return a pull request's JSON object (head and base refs and shas, state, ...)."""
        ...

    async def list_pull_request_files(
        self, owner: str, repo: str, number: int
    ) -> list[dict[str, Any]]:
        """Return every file of a pull request (all pages), as GitHub's JSON objects."""
        ...

    async def get_file(self, owner: str, repo: str, path: str, ref: str) -> bytes | None:
        """Return a file's bytes at ``ref`` (contents API, base64-decoded), None on 404."""
        ...

    async def find_comment(
        self, owner: str, repo: str, number: int, marker: str
    ) -> dict[str, Any] | None:
        """Return the first issue comment written by an App (a bot account, see
        :func:`by_bot`) whose body contains ``marker`` (all pages), or None."""
        ...

    async def list_commit_pull_requests(
        self, owner: str, repo: str, commit_sha: str
    ) -> list[dict[str, Any]]:
        """Return the pull requests associated with a commit (all pages): the merged one that
        brought it into the default branch, or the open ones it is on."""
        ...

    async def create_comment(self, owner: str, repo: str, number: int, body: str) -> dict[str, Any]:
        """Create an issue comment and return it."""
        ...

    async def list_reviews(self, owner: str, repo: str, number: int) -> list[dict[str, Any]]:
        """Return the pull request's reviews (all pages), oldest first."""
        ...

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
        ...

    async def update_comment(
        self, owner: str, repo: str, comment_id: int, body: str
    ) -> dict[str, Any]:
        """Replace an issue comment's body and return it."""
        ...

    async def add_reaction(self, owner: str, repo: str, comment_id: int, content: str) -> None:
        """React to an issue comment (``content`` such as ``"eyes"``)."""
        ...

    async def create_check_run(self, owner: str, repo: str, **fields: Any) -> dict[str, Any]:
        """Create a check run (fields as the REST API names them) and return it."""
        ...

    async def find_check_run(
        self, owner: str, repo: str, head_sha: str, name: str, external_id: str | None = None
    ) -> dict[str, Any] | None:
        """Return the newest check run called ``name`` on ``head_sha``: with ``external_id``,
        the one carrying it (whatever its status); without, one that is not completed."""
        ...

    async def update_check_run(
        self, owner: str, repo: str, check_run_id: int, **fields: Any
    ) -> dict[str, Any]:
        """Update a check run; ``output.annotations`` holds at most 50 items per request."""
        ...

    async def collaborator_permission(self, owner: str, repo: str, username: str) -> str:
        """Return ``admin``, ``maintain``, ``write``, ``triage``, ``read`` or ``none``."""
        ...

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
        """Create ``branch`` from ``base``, commit ``files`` (path -> text) and open a PR."""
        ...
