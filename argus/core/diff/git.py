"""The one doorway to the ``git`` command: every git call in Argus goes through :func:`run_git`."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

from argus.core.diff.changeset import ChangeSet, FileChange
from argus.core.diff.parse import parse_diff
from argus.core.diff.untracked import untracked_change
from argus.core.errors import GitError

# A clean, predictable git: no pager, no colour, no locale-dependent messages, no prompts.
_GIT_ENV = {
    "GIT_PAGER": "cat",
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def run_git(
    repo: Path | str,
    *args: str,
    input_bytes: bytes | None = None,
    check: bool = True,
    extra_env: Mapping[str, str] | None = None,
) -> bytes:
    """Run ``git -C repo args...`` and return its standard output as bytes.

    Raises GitError (with git's own message) when git fails and ``check`` is true.
    ``extra_env`` adds environment variables (e.g. ``GIT_NO_LAZY_FETCH``).
    """
    try:
        completed = subprocess.run(
            _command(repo, args),
            input=input_bytes,
            capture_output=True,
            env={**_environment(), **(extra_env or {})},
            check=False,
        )
    except FileNotFoundError as error:
        raise GitError("git is not installed or not on PATH") from error
    if check and completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip() or "no message"
        raise GitError(f"{describe_command(args)} failed in {repo}: {message}")
    return completed.stdout


def describe_command(args: Sequence[str]) -> str:
    """``git <subcommand> <first arguments>`` for an error message: the ``-c name=value``
    options before the subcommand are left out, so the message names what git was asked."""
    index = 0
    while index < len(args) and args[index].startswith("-"):
        index += 2 if args[index] in ("-c", "-C") else 1
    shown = [a for a in args[index : index + 3] if len(a) <= 80]
    return "git " + " ".join(shown) if shown else "git"


def _command(repo: Path | str, args: tuple[str, ...]) -> list[str]:
    return ["git", "-C", str(repo), "-c", "core.quotepath=off", "-c", "color.ui=never", *args]


def _environment() -> dict[str, str]:
    return {**os.environ, **_GIT_ENV}


def find_repo_root(path: Path | str) -> Path:
    """The top-level folder of the git work tree containing ``path``; GitError when none."""
    start = Path(path)
    if start.is_file():
        start = start.parent
    if not start.exists():
        raise GitError(f"{path} does not exist")
    out = run_git(start, "rev-parse", "--show-toplevel", check=False)
    if not out.strip():
        raise GitError(f"{path} is not inside a git repository (run `git init` or pass --diff)")
    return Path(out.decode("utf-8", "surrogateescape").strip())


# The tree of a repository with no files; git knows it even where no object database has it.
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

# `git cat-file --batch` answers "<sha> <type> <size>" for an object it found.
_BATCH_HEADER = re.compile(rb"^[0-9a-f]{40,64} ([a-z]+) ([0-9]+)$")

# Flags that keep git's diff in the form the parser expects whatever the user's config says.
_DIFF_ARGS = (
    "diff",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-relative",
    "-M",
    "-C",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "-U0",
)


def resolve_ref(repo: Path | str, ref: str, *, option: str | None = None) -> str:
    """The full sha of the commit ``ref`` names; GitError naming ``option`` when it is unknown."""
    if not ref or ref.startswith("-"):
        raise GitError(f"invalid revision {ref!r}: a revision cannot be empty or start with '-'")
    out = run_git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    sha = out.decode("ascii", "replace").strip()
    if not sha:
        hint = f": check {option}" if option else ""
        raise GitError(f"unknown revision {ref!r}{hint}")
    return sha


def merge_base(repo: Path | str, a: str, b: str) -> str:
    """The best common ancestor of ``a`` and ``b`` (full sha); GitError when there is none."""
    first, second = resolve_ref(repo, a), resolve_ref(repo, b)
    out = run_git(repo, "merge-base", first, second, check=False).decode("ascii").strip()
    if not out:
        hint = (
            " (this is a shallow clone: fetch more history, e.g. `git fetch --unshallow`)"
            if is_shallow(repo)
            else ""
        )
        raise GitError(f"{a!r} and {b!r} have no common ancestor{hint}")
    return out


def has_commits(repo: Path | str) -> bool:
    """True once the repository has a first commit (HEAD names a commit)."""
    out = run_git(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
    return bool(out.strip())


def is_shallow(repo: Path | str) -> bool:
    """True when the repository is a shallow clone (its history is cut short)."""
    return run_git(repo, "rev-parse", "--is-shallow-repository").strip() == b"true"


def read_blob(repo: Path | str, ref: str, path: str) -> bytes | None:
    """The content of ``path`` (relative to the repository root) at ``ref``; None when absent.

    GitError when ``ref`` itself is unknown.
    """
    if "\n" in path:
        return None
    request = f"{ref}:{path}\n".encode("utf-8", "surrogateescape")
    out = run_git(repo, "cat-file", "--batch", input_bytes=request)
    header, _, rest = out.partition(b"\n")
    found = _BATCH_HEADER.match(header)
    if found is None:
        resolve_ref(repo, ref)
        return None
    if found.group(1) != b"blob":
        return None
    return rest[: int(found.group(2))]


def read_worktree(repo: Path | str, path: str) -> bytes | None:
    """The content of ``path`` in the working tree; None when absent or not a file.

    A symbolic link gives its target, as git stores it. GitError when ``path`` leaves the
    repository.
    """
    root = Path(repo).resolve()
    relative = Path(path)
    if relative.is_absolute() or ".." in relative.parts:
        raise GitError(f"{path!r} is not a path inside the repository")
    candidate = root / relative
    if not candidate.parent.resolve().is_relative_to(root):
        raise GitError(f"{path!r} is not a path inside the repository")
    if candidate.is_symlink():
        return os.fsencode(os.readlink(candidate))
    if not candidate.is_file():
        return None
    return candidate.read_bytes()


def head_author(repo: Path | str) -> tuple[str, str]:
    """(name, email) of whoever commits here: user.name/user.email, else HEAD's author.

    Empty strings for what neither gives.
    """
    name = _config(repo, "user.name")
    email = _config(repo, "user.email")
    if (not name or not email) and has_commits(repo):
        out = run_git(repo, "log", "-1", "--format=%an%x00%ae", "HEAD")
        author_name, _, author_email = out.decode("utf-8", "replace").strip().partition("\0")
        name, email = name or author_name, email or author_email
    return name, email


def _config(repo: Path | str, key: str) -> str:
    return run_git(repo, "config", "--get", key, check=False).decode("utf-8", "replace").strip()


def changeset_from_git(repo: Path | str, base: str | None, head: str | None = None) -> ChangeSet:
    """The changes from ``base`` (default HEAD) to ``head``, or to the working tree when None.

    The working tree includes staged changes and untracked (not ignored) files. In a repository
    without commits, base None compares with the empty tree. Unknown refs raise GitError.
    """
    root = find_repo_root(repo)
    if has_commits(root):
        base_sha: str | None = resolve_ref(root, base or "HEAD", option="--base")
    elif base is None and head is None:
        base_sha = None
    else:
        raise GitError("the repository has no commits yet: review the working tree (no --base)")
    head_sha = resolve_ref(root, head, option="--head") if head else None
    sides = [base_sha or EMPTY_TREE] + ([head_sha] if head_sha else [])
    with _git_stream(root, *_DIFF_ARGS, *sides, "--") as stream:
        changes = parse_diff(stream.stdout, base=base_sha, head=head_sha)
    warnings = changes.warnings + tuple(stream.warnings)
    files = changes.files if head_sha else changes.files + _untracked_files(root)
    return replace(changes, files=files, warnings=warnings)


def changeset_for_review(repo: Path | str, base: str | None, head: str | None = None) -> ChangeSet:
    """What a pull request from ``head`` into ``base`` shows: merge-base(base, head) .. head.

    ``head`` None means the working tree (recorded as head None); base None means HEAD.
    ChangeSet.base and .head are full shas.
    """
    root = find_repo_root(repo)
    if not has_commits(root):
        return changeset_from_git(root, base, head)
    resolve_ref(root, base or "HEAD", option="--base")
    head_sha = resolve_ref(root, head, option="--head") if head else None
    start = merge_base(root, base or "HEAD", head_sha or "HEAD")
    return replace(changeset_from_git(root, start, head_sha), base=start, head=head_sha)


def _untracked_files(root: Path) -> tuple[FileChange, ...]:
    out = run_git(root, "ls-files", "--others", "--exclude-standard", "-z", "--full-name")
    changes = []
    for raw in out.split(b"\0"):
        # Entries ending in a slash are nested repositories, not files.
        if raw and not raw.endswith(b"/"):
            change = untracked_change(root, os.fsdecode(raw))
            if change is not None:
                changes.append(change)
    return tuple(changes)


@dataclass
class _GitStream:
    stdout: IO[bytes]
    warnings: list[str] = field(default_factory=list)


@contextmanager
def _git_stream(repo: Path, *args: str) -> Iterator[_GitStream]:
    """Run git with its output read as a stream; GitError when it fails.

    Its warnings (``warning: ...`` on stderr) are collected on the stream once it has ended.
    """
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(
                _command(repo, args), stdout=subprocess.PIPE, stderr=errors, env=_environment()
            )
        except FileNotFoundError as error:
            raise GitError("git is not installed or not on PATH") from error
        assert process.stdout is not None
        stream = _GitStream(process.stdout)
        try:
            yield stream
        except BaseException:
            process.kill()
            raise
        finally:
            process.stdout.close()
            code = process.wait()
        errors.seek(0)
        message = errors.read().decode("utf-8", "replace").strip()
        if code != 0:
            raise GitError(f"{describe_command(args)} failed in {repo}: {message or 'no message'}")
        stream.warnings.extend(line for line in message.splitlines() if line.startswith("warning:"))


def default_base(repo: Path | str) -> str:
    """The ref a branch is compared with, as its pull request would be: the remote's default
    branch (``origin/HEAD``), else ``main``, else ``master``, else ``HEAD``."""
    for candidate, name in (
        ("refs/remotes/origin/HEAD", "origin/HEAD"),
        ("refs/heads/main", "main"),
        ("refs/heads/master", "master"),
    ):
        found = run_git(repo, "rev-parse", "--verify", "-q", candidate + "^{commit}", check=False)
        if found.strip():
            return name
    return "HEAD"
