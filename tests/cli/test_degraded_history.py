"""`argus review` on clones whose history is incomplete: it runs (exit 0), the history factors
drop out or shrink, and one warning says what is missing, in every format that shows warnings.

The bad repositories are made with git itself: a depth-1 clone (a CI checkout), a blobless
clone whose remote is gone, and a clone with two old blobs deleted from .git/objects.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from argus.cli import main

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ada",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV, "HOME": str(repo.parent)},
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small history with a fix and an old binary file, deleted later."""
    repo = tmp_path_factory.mktemp("source") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "uploadpack.allowFilter", "true")
    (repo / "app.py").write_text("def total(a, b):\n    return a - b\n")
    (repo / "logo.bin").write_bytes(bytes(range(256)) * 8)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "start")
    (repo / "app.py").write_text("def total(a, b):\n    return a + b\n")
    (repo / "logo.bin").write_bytes(bytes(range(255, -1, -1)) * 8)
    git(repo, "commit", "-qam", "fix the total")
    git(repo, "rm", "-q", "logo.bin")
    git(repo, "commit", "-qm", "drop the logo")
    for number in range(3):
        with (repo / "app.py").open("a") as stream:
            stream.write(f"LIMIT_{number} = {number}\n")
        git(repo, "commit", "-qam", f"limit {number}")
    return repo


def edit(repo: Path) -> None:
    with (repo / "app.py").open("a") as stream:
        stream.write("def half(x):\n    return x / 2\n")


def review(repo: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["review", "--repo", str(repo), "--base", "HEAD", "--color", "never", *extra])
    return code, capsys.readouterr().out


def json_warnings(repo: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    code, out = review(repo, capsys, "--format", "json")
    assert code == 0
    return list(json.loads(out)["warnings"])


def test_a_depth_one_clone_is_reviewed_without_history_factors_and_says_so(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clone = tmp_path / "ci"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", source.as_uri(), str(clone)],
        check=True,
        capture_output=True,
    )
    edit(clone)
    code, text = review(clone, capsys)
    assert code == 0
    assert text.count("history is shallow (1 commit): history factors left out") == 1
    warnings = json_warnings(clone, capsys)
    assert len(warnings) == 1 and warnings[0].startswith("history is shallow (1 commit)")
    _, markdown = review(clone, capsys, "--format", "markdown")
    assert markdown.count("history is shallow (1 commit)") == 1
    _, sarif = review(clone, capsys, "--format", "sarif")
    notes = json.loads(sarif)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["level"] for n in notes if "history is shallow" in n["message"]["text"]] == [
        "warning"
    ]
    # the history factors are gone: no author experience, no file history
    factors = {
        factor["name"] for factor in json.loads(review(clone, capsys, "-f", "json")[1])["factors"]
    }
    assert not factors & {"exp", "rexp", "sexp", "ndev", "age", "nuc", "prior_fixes"}


def test_a_blobless_clone_whose_remote_is_gone_leaves_the_history_out_with_one_warning(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = tmp_path / "remote"
    shutil.copytree(source, remote)
    clone = tmp_path / "blobless"
    subprocess.run(
        ["git", "clone", "-q", "--filter=blob:none", remote.as_uri(), str(clone)],
        check=True,
        capture_output=True,
    )
    shutil.rmtree(remote)  # no lazy fetch can fill the gaps any more
    edit(clone)
    warnings = json_warnings(clone, capsys)
    assert len(warnings) == 1
    assert "lacks the content" in warnings[0] and "history factors left out" in warnings[0]


def test_old_blobs_missing_from_the_object_store_leave_those_files_out(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clone = tmp_path / "damaged"
    shutil.copytree(source, clone)  # the source's objects are loose: one file per object
    blobs = [
        line.split()[0]
        for line in git(clone, "rev-list", "--objects", "--all").splitlines()
        if line.endswith(" logo.bin")
    ]
    assert len(blobs) == 2
    for blob in blobs:
        (clone / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    edit(clone)
    code, text = review(clone, capsys)
    assert code == 0
    assert text.count("history leaves out 1 file(s)") == 1 and "logo.bin" in text
    # the rest of the history still counts
    factors = {f["name"] for f in json.loads(review(clone, capsys, "-f", "json")[1])["factors"]}
    assert factors  # reviewed, with the cached history now


def test_a_damaged_history_cache_is_read_again_and_the_review_says_so(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clone = tmp_path / "cached"
    subprocess.run(["git", "clone", "-q", str(source), str(clone)], check=True)
    edit(clone)
    assert json_warnings(clone, capsys) == []
    import sqlite3

    stores = list((clone / ".argus").glob("*.db"))
    assert len(stores) == 1
    with sqlite3.connect(stores[0]) as db:
        db.execute("DELETE FROM history_commits WHERE seq >= 2")
    warnings = json_warnings(clone, capsys)
    assert len(warnings) == 1 and "read again from git" in warnings[0]
    assert json_warnings(clone, capsys) == []


def test_a_git_failure_names_the_subcommand(tmp_path: Path) -> None:
    from argus.core.diff.git import run_git
    from argus.core.errors import GitError

    (tmp_path / "plain").mkdir()
    with pytest.raises(GitError, match=r"^git log --oneline failed in "):
        run_git(tmp_path / "plain", "-c", "core.attributesFile=/dev/null", "log", "--oneline")


def test_learn_on_a_short_single_author_history_says_why_it_keeps_the_shipped_model(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clone = tmp_path / "small"
    subprocess.run(["git", "clone", "-q", str(source), str(clone)], check=True)
    capsys.readouterr()
    assert main(["learn", "--repo", str(clone)]) == 0
    out = capsys.readouterr().out
    assert "the shipped model is used" in out
    assert "keeping the shipped model: only 6 commits in the history (needs 50)" in out
    assert "keeping the shipped model: a single author" in out


def test_learn_on_a_shallow_clone_says_the_history_is_shallow(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clone = tmp_path / "ci"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", source.as_uri(), str(clone)],
        check=True,
        capture_output=True,
    )
    capsys.readouterr()
    assert main(["learn", "--repo", str(clone)]) == 0
    out = capsys.readouterr().out
    assert out.count("history is shallow (1 commit)") == 1
    assert "keeping the shipped model: no bug-fix commits" in out
