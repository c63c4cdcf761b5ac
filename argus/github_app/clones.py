"""A blobless bare clone per repository the App reviews, so its reviews carry the history.

``CloneManager.ensure(owner, repo, token)`` returns the clone, fetched up to date, or says why
there is none this time (the review then runs from the API alone and its footer says why):

* the clone is ``git clone --bare --filter=blob:none``, fetched incrementally afterwards
  (branches force-updated, so a force-push just moves the refs);
* the installation token travels in an ``Authorization: Basic`` header given to git through
  the environment (``GIT_CONFIG_COUNT``): never in the URL, the clone's config or a log line;
* one fetch at a time per repository, across processes (an ``fcntl`` lock file);
* the clones stay under a disk budget: least recently used clones are evicted first, and a
  repository larger than the whole budget is not kept at all;
* a fetch that fails (network, revoked token, ...) is not retried before ``retry_after``
  seconds (the review uses the API meanwhile); a clone git cannot read is cloned again.

The history the review service reads is ``git log -p`` of HEAD: after each fetch the blobs it
needs are fetched too, under the same lock and token (a later ``git log`` without the token
finds them locally).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

_LOG = logging.getLogger("argus.github_app.clones")
DEFAULT_BUDGET_BYTES = 20 * 1024**3
DEFAULT_RETRY_AFTER = 300.0
GIT_TIMEOUT = 1800.0


@dataclass(frozen=True)
class CloneAnswer:
    """The clone (``path``), or None and the ``reason`` a review is told."""

    path: Path | None
    reason: str | None = None
    cloned: bool = False
    """True when this call made the clone (the first time, or again after eviction)."""


class CloneError(Exception):
    """git failed; the message is git's, with the token removed."""


class MissingCommits(CloneError):
    """The clone is fine but the commits asked for could not be fetched (force-pushed away)."""


class CloneManager:
    """Blobless bare clones under ``root``: ``root/<owner>/<repo>.git``."""

    def __init__(
        self,
        root: Path,
        git_url: str = "https://github.com",
        *,
        budget_bytes: int = DEFAULT_BUDGET_BYTES,
        retry_after: float = DEFAULT_RETRY_AFTER,
    ) -> None:
        """``git_url`` is the git host (``https://github.com``, or GitHub Enterprise's)."""
        if budget_bytes <= 0:
            raise ValueError(f"the clone budget must be positive, got {budget_bytes} bytes")
        self.root = Path(root)
        self.git_url = git_url.rstrip("/")
        self.budget_bytes = budget_bytes
        self.retry_after = retry_after

    # -- the interface -------------------------------------------------------------------

    def ensure(
        self,
        owner: str,
        repo: str,
        token: str,
        commits: Sequence[str] = (),
        default_branch: str | None = None,
    ) -> CloneAnswer:
        """The clone of ``owner/repo`` with every branch fetched and ``commits`` present; its
        HEAD is ``default_branch`` when given (the history reviews read), else GitHub's HEAD.

        Blocking (git runs here): call it off the event loop. Never raises for git's or the
        network's faults: the answer then has no path and says why."""
        _check_name(owner)
        _check_name(repo)
        path = self.path_of(owner, repo)
        with self._locked(path):
            too_large = _read_number(path.with_suffix(".too-large"))
            if too_large is not None and too_large > self.budget_bytes:
                return CloneAnswer(None, self._too_large_reason(too_large))
            path.with_suffix(".too-large").unlink(missing_ok=True)  # the budget grew since
            failed_at = _read_number(path.with_suffix(".failed"))
            if failed_at is not None and time.time() - failed_at < self.retry_after:
                return CloneAnswer(
                    None,
                    "fetching the repository failed a moment ago; reviewed from the pull "
                    "request alone, the fetch is retried later",
                )
            try:
                cloned = self._clone_or_fetch(path, owner, repo, token, commits, default_branch)
            except MissingCommits as error:
                _LOG.info("%s/%s: %s", owner, repo, error)
                return CloneAnswer(
                    None,
                    "the pull request's commits could not be fetched (force-pushed meanwhile?); "
                    "reviewed from the pull request alone",
                )
            except CloneError as error:
                _LOG.warning("%s/%s: %s", owner, repo, error)
                path.with_suffix(".failed").write_text(str(time.time()), encoding="ascii")
                return CloneAnswer(
                    None,
                    f"fetching the repository failed ({error}); reviewed from the pull request "
                    "alone, the fetch is retried later",
                )
            path.with_suffix(".failed").unlink(missing_ok=True)
            size = _size(path)
            if size > self.budget_bytes:
                shutil.rmtree(path, ignore_errors=True)
                path.with_suffix(".too-large").write_text(str(size), encoding="ascii")
                return CloneAnswer(None, self._too_large_reason(size))
            path.with_suffix(".used").write_text(str(time.time()), encoding="ascii")
        self._evict(keep=path)
        return CloneAnswer(path, cloned=cloned)

    def path_of(self, owner: str, repo: str) -> Path:
        """Where the clone of ``owner/repo`` is (or would be)."""
        return self.root / owner / f"{repo}.git"

    def usage(self) -> int:
        """Bytes the clones take."""
        return sum(_size(path) for path in self._clones())

    # -- git -----------------------------------------------------------------------------

    def _clone_or_fetch(
        self,
        path: Path,
        owner: str,
        repo: str,
        token: str,
        commits: Sequence[str],
        default_branch: str | None,
    ) -> bool:
        env = _auth_environment(token)
        url = f"{self.git_url}/{owner}/{repo}.git"
        cloned = False
        if path.exists() and not _readable(path):
            _LOG.warning("%s is not a readable clone: cloning again", path)
            shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            partial = path.with_suffix(".partial")
            shutil.rmtree(partial, ignore_errors=True)
            _git(
                None,
                env,
                token,
                "clone",
                "--bare",
                "--filter=blob:none",
                "--quiet",
                url,
                str(partial),
            )
            # Fetches later bring every branch, force-updated.
            _git(partial, env, token, "config", "remote.origin.fetch", "+refs/heads/*:refs/heads/*")
            partial.rename(path)
            cloned = True
        else:
            _git(path, env, token, "fetch", "--quiet", "--prune", "--no-tags", "origin")
        if default_branch:
            _git(path, env, token, "symbolic-ref", "HEAD", f"refs/heads/{default_branch}")
        missing = [sha for sha in commits if not _has_commit(path, sha)]
        if missing:
            try:
                _git(path, env, token, "fetch", "--quiet", "--no-tags", "origin", *missing)
            except CloneError as error:
                raise MissingCommits(str(error)) from None
        # The blobs `git log -p HEAD` reads (the history the review service indexes), in one
        # fetch: git's lazy fetching would ask for them one commit at a time.
        missing_blobs = _missing_objects(path)
        if missing_blobs:
            _git(
                path,
                env,
                token,
                "-c",
                "fetch.negotiationAlgorithm=noop",
                "fetch",
                "--quiet",
                "--no-tags",
                "--no-write-fetch-head",
                "--recurse-submodules=no",
                "--filter=blob:none",
                "--stdin",
                "origin",
                input_bytes="".join(f"{sha}\n" for sha in missing_blobs).encode("ascii"),
            )
        return cloned

    # -- the budget ----------------------------------------------------------------------

    def _evict(self, keep: Path) -> None:
        clones = sorted(self._clones(), key=lambda p: _read_number(p.with_suffix(".used")) or 0.0)
        total = sum(_size(path) for path in clones)
        for path in clones:
            if total <= self.budget_bytes:
                return
            if path == keep:
                continue
            with self._locked(path, wait=False) as held:
                if not held:
                    continue  # in use by another worker: left for the next eviction
                size = _size(path)
                shutil.rmtree(path, ignore_errors=True)
                path.with_suffix(".used").unlink(missing_ok=True)
                total -= size
                _LOG.info("evicted %s (%d bytes) to stay under the clone budget", path, size)

    def _clones(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return [p for p in self.root.glob("*/*.git") if p.is_dir()]

    def _too_large_reason(self, size: float) -> str:
        return (
            f"the repository ({_mb(size)}) is larger than the App's clone budget "
            f"({_mb(self.budget_bytes)}); reviewed from the pull request alone"
        )

    @contextlib.contextmanager
    def _locked(self, path: Path, *, wait: bool = True) -> Iterator[bool]:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_suffix(".lock"), "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _auth_environment(token: str) -> dict[str, str]:
    """git's environment with the token as an HTTP header (GitHub's ``x-access-token``)."""
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")
    # No inherited config injection, and no tracing that would print the header.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_CONFIG_", "GIT_TRACE"))}
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_ASKPASS="true",
        GCM_INTERACTIVE="never",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_COUNT="2",
        GIT_CONFIG_KEY_0="http.extraHeader",
        GIT_CONFIG_VALUE_0=f"Authorization: Basic {basic}",
        GIT_CONFIG_KEY_1="credential.helper",
        GIT_CONFIG_VALUE_1="",
    )
    return env


def _git(
    path: Path | None, env: dict[str, str], token: str, *args: str, input_bytes: bytes = b""
) -> None:
    command = ["git", *(["-C", str(path)] if path is not None else []), *args]
    try:
        done = subprocess.run(
            command,
            env=env,
            input=input_bytes,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CloneError(f"git {_verb(args)}: {error}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        text = (message[-1] if message else f"exit status {done.returncode}").replace(token, "***")
        raise CloneError(f"git {_verb(args)}: {text}")


def _verb(args: tuple[str, ...]) -> str:
    return next(
        (
            a
            for i, a in enumerate(args)
            if not a.startswith("-") and (i == 0 or args[i - 1] != "-c")
        ),
        "",
    )


def _missing_objects(path: Path) -> list[str]:
    """Objects reachable from HEAD that the partial clone does not have (its blobs)."""
    done = subprocess.run(
        ["git", "-C", str(path), "rev-list", "--objects", "--missing=print", "HEAD"],
        capture_output=True,
        env={**os.environ, "GIT_NO_LAZY_FETCH": "1"},
        check=False,
    )
    lines = done.stdout.decode("ascii", "replace").splitlines()
    return [line[1:].strip() for line in lines if line.startswith("?")]


def _readable(path: Path) -> bool:
    done = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "--verify", "-q", "HEAD^{commit}"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _has_commit(path: Path, sha: str) -> bool:
    done = subprocess.run(
        ["git", "-C", str(path), "cat-file", "-e", f"{sha}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _size(path: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def _read_number(path: Path) -> float | None:
    try:
        return float(path.read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None


def _check_name(name: str) -> None:
    if not name or name in {".", ".."} or "/" in name or "\\" in name or name.startswith("-"):
        raise ValueError(f"not a GitHub owner or repository name: {name!r}")


def _mb(size: float) -> str:
    return f"{size / 1024**2:.1f} MB"
