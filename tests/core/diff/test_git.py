"""changeset_from_git, changeset_for_review and the git helpers, on real temporary repositories."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from argus.core.diff.changeset import ChangeSet, FileChange, FileStatus
from argus.core.diff.git import (
    changeset_for_review,
    changeset_from_git,
    has_commits,
    head_author,
    is_shallow,
    merge_base,
    read_blob,
    read_worktree,
    resolve_ref,
)
from argus.core.errors import GitError


@pytest.fixture(autouse=True)
def isolated_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No global or system config; commits get a fixed author from the environment."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Ada Author")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "ada@example.com")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True)
    return done.stdout.decode().strip()


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def write(repo: Path, name: str, content: str | bytes) -> None:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, "app.py", "".join(f"line {n}\n" for n in range(1, 11)))
    write(root, "moved.py", "".join(f"keep {n}\n" for n in range(1, 31)))
    write(root, "run.sh", "echo hi\n")
    write(root, "logo.bin", b"\x00\x01\x02")
    write(root, "windows.txt", "a\r\nb\r\nc\r\n")
    write(root, ".gitignore", "*.log\n")
    commit(root, "base")
    return root


def by_path(changes: ChangeSet) -> dict[str, FileChange]:
    return {f.path: f for f in changes.files}


def test_range_between_two_commits(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    write(repo, "app.py", "line 1\nLINE 2\n" + "".join(f"line {n}\n" for n in range(3, 11)))
    git(repo, "mv", "moved.py", "renamed.py")
    write(repo, "renamed.py", "".join(f"keep {n}\n" for n in range(1, 30)) + "changed\n")
    (repo / "run.sh").chmod(0o755)
    write(repo, "logo.bin", b"\x00\x01\x03")
    write(repo, "windows.txt", "a\r\nB\r\nc\r\n")
    write(repo, "new file é.py", "x = 1\ny = 2\n")
    head = commit(repo, "change")

    changes = changeset_from_git(repo, base, head)
    files = by_path(changes)
    assert (changes.base, changes.head) == (base, head)
    assert files["app.py"].added_lines == {2} and files["app.py"].removed_lines == {2}
    renamed = files["renamed.py"]
    assert (renamed.status, renamed.old_path, renamed.added_lines) == (
        FileStatus.RENAMED,
        "moved.py",
        frozenset({30}),
    )
    assert renamed.similarity is not None and renamed.similarity > 90
    assert files["run.sh"].mode_only
    assert files["logo.bin"].is_binary and not files["logo.bin"].hunks
    assert files["windows.txt"].added_lines == {2}
    added = files["new file é.py"]
    assert (added.status, added.added_lines) == (FileStatus.ADDED, frozenset({1, 2}))


def test_working_tree_includes_staged_unstaged_and_untracked(repo: Path) -> None:
    write(repo, "app.py", "".join(f"line {n}\n" for n in range(1, 10)) + "last\n")
    write(repo, "staged.py", "a\nb\nc\n")
    git(repo, "add", "staged.py")
    write(repo, "untracked.py", "one\ntwo")
    write(repo, "blob.dat", b"\x00" * 10)
    write(repo, "debug.log", "ignored\n")
    (repo / "moved.py").unlink()

    changes = changeset_from_git(repo, None)
    files = by_path(changes)
    assert changes.base == git(repo, "rev-parse", "HEAD") and changes.head is None
    assert set(files) == {"app.py", "staged.py", "untracked.py", "blob.dat", "moved.py"}
    assert files["app.py"].added_lines == {10} and files["app.py"].removed_lines == {10}
    assert files["staged.py"].added_lines == {1, 2, 3}
    assert files["untracked.py"].status is FileStatus.ADDED
    assert files["untracked.py"].added_lines == {1, 2}
    assert files["blob.dat"].is_binary
    assert files["moved.py"].status is FileStatus.DELETED


def test_untracked_file_hunk_matches_what_git_would_show(repo: Path) -> None:
    write(repo, "fresh.py", "a\nb\n\nc\n")
    fresh = by_path(changeset_from_git(repo, None))["fresh.py"]
    git(repo, "add", "fresh.py")
    staged = by_path(changeset_from_git(repo, None))["fresh.py"]
    assert fresh.hunks == staged.hunks
    assert (fresh.new_mode, fresh.status) == (staged.new_mode, staged.status)


@pytest.mark.parametrize(
    ("base", "head", "option"), [("mian", None, "--base"), ("HEAD", "nope", "--head")]
)
def test_unknown_ref_says_which_option_to_check(
    repo: Path, base: str, head: str | None, option: str
) -> None:
    with pytest.raises(GitError) as caught:
        changeset_from_git(repo, base, head)
    wrong = head or base
    assert str(caught.value) == f"unknown revision {wrong!r}: check {option}"


def test_refs_cannot_pass_as_options(repo: Path) -> None:
    with pytest.raises(GitError, match="start with '-'"):
        resolve_ref(repo, "--output=/tmp/x")


def test_repository_without_commits(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    root.mkdir()
    git(root, "init", "-q")
    assert not has_commits(root)
    write(root, "staged.py", "a\n")
    git(root, "add", "staged.py")
    write(root, "loose.py", "b\nc\n")
    for changes in (changeset_from_git(root, None), changeset_for_review(root, None)):
        files = by_path(changes)
        assert set(files) == {"staged.py", "loose.py"}
        assert all(f.status is FileStatus.ADDED for f in files.values())
        assert changes.base is None
    with pytest.raises(GitError, match="no commits yet"):
        changeset_from_git(root, "main")
    assert head_author(root) == ("", "")


def test_review_compares_with_the_merge_base(repo: Path) -> None:
    fork = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, "feature.py", "new\n")
    feature = commit(repo, "feature work")
    git(repo, "checkout", "-q", "main")
    write(repo, "app.py", "rewritten on main\n")
    commit(repo, "main moves on")

    assert merge_base(repo, "main", "feature") == fork
    changes = changeset_for_review(repo, "main", "feature")
    assert (changes.base, changes.head) == (fork, feature)
    assert [f.path for f in changes.files] == ["feature.py"]
    # A plain two-dot diff would also show main's own change to app.py, reversed.
    assert {f.path for f in changeset_from_git(repo, "main", "feature").files} == {
        "feature.py",
        "app.py",
    }

    git(repo, "checkout", "-q", "feature")
    write(repo, "wip.py", "draft\n")
    working = changeset_for_review(repo, "main")
    assert (working.base, working.head) == (fork, None)
    assert {f.path for f in working.files} == {"feature.py", "wip.py"}


def test_unrelated_histories_have_no_merge_base(repo: Path) -> None:
    git(repo, "checkout", "-q", "--orphan", "island")
    write(repo, "island.py", "alone\n")
    commit(repo, "unrelated")
    with pytest.raises(GitError, match="no common ancestor"):
        merge_base(repo, "main", "island")


def test_read_blob(repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD")
    write(repo, "app.py", "changed\n")
    commit(repo, "change app")
    assert read_blob(repo, first, "app.py") == b"".join(
        f"line {n}\n".encode() for n in range(1, 11)
    )
    assert read_blob(repo, "HEAD", "app.py") == b"changed\n"
    assert read_blob(repo, "HEAD", "logo.bin") == b"\x00\x01\x02"
    assert read_blob(repo, "HEAD", "absent.py") is None
    assert read_blob(repo, "HEAD", "a blob 12") is None
    write(repo, "pkg/mod.py", "")
    commit(repo, "empty file in a folder")
    assert read_blob(repo, "HEAD", "pkg/mod.py") == b""
    assert read_blob(repo, "HEAD", "pkg") is None
    with pytest.raises(GitError, match="unknown revision 'nope'"):
        read_blob(repo, "nope", "app.py")


def test_read_worktree(repo: Path) -> None:
    write(repo, "app.py", "edited\n")
    assert read_worktree(repo, "app.py") == b"edited\n"
    assert read_worktree(repo, "missing.py") is None
    (repo / "folder").mkdir()
    assert read_worktree(repo, "folder") is None
    (repo / "link").symlink_to("/etc/passwd")
    assert read_worktree(repo, "link") == b"/etc/passwd"
    for outside in ("../secret", "/etc/passwd"):
        with pytest.raises(GitError, match="not a path inside"):
            read_worktree(repo, outside)


def test_head_author_prefers_config_then_head_commit(repo: Path) -> None:
    assert head_author(repo) == ("Ada Author", "ada@example.com")
    git(repo, "config", "user.name", "Config Name")
    assert head_author(repo) == ("Config Name", "ada@example.com")
    git(repo, "config", "user.email", "config@example.com")
    assert head_author(repo) == ("Config Name", "config@example.com")


def test_is_shallow(repo: Path, tmp_path: Path) -> None:
    commit(repo, "second")
    assert not is_shallow(repo)
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)],
        check=True,
        capture_output=True,
    )
    assert is_shallow(clone)
    assert has_commits(clone)


def test_changeset_from_a_subfolder_uses_the_repository_root(repo: Path) -> None:
    write(repo, "pkg/inner.py", "a\n")
    commit(repo, "pkg")
    write(repo, "pkg/inner.py", "b\n")
    write(repo, "top.py", "untracked at the top\n")
    paths = {f.path for f in changeset_from_git(repo / "pkg", None).files}
    assert paths == {"pkg/inner.py", "top.py"}


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="not inside a git repository"):
        changeset_from_git(tmp_path, None)
