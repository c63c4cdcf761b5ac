"""Both sides of a diff given as text, from the blobs its index lines name and the patch."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from argus.core.diff import parse_diff
from argus.core.diff.preimage import apply_patch, file_patches, sources_from_diff

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "a",
    "GIT_AUTHOR_EMAIL": "a@example.com",
    "GIT_COMMITTER_NAME": "a",
    "GIT_COMMITTER_EMAIL": "a@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}

OLD = b"def f(x):\n    return x\n\n\ndef g(y):\n    return y\n"
NEW = b"def f(x):\n    if x:\n        return 1\n    return x\n\n\ndef g(y):\n    return y * 2"


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, env=ENV
    ).stdout


def repository_with_edit(root: Path) -> tuple[Path, bytes]:
    """A repository whose m.py is OLD at HEAD, and the diff to NEW (whose blob git lacks:
    `git diff` of the working tree names it without writing it) plus a new file."""
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "m.py").write_bytes(OLD)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "start")
    (root / "m.py").write_bytes(NEW)
    (root / "fresh.py").write_bytes(b"def h():\n    return 0\n")
    git(root, "add", "-N", "fresh.py")
    return root, git(root, "diff")


def test_the_post_image_is_the_pre_image_blob_with_the_patch(tmp_path: Path) -> None:
    repo, diff = repository_with_edit(tmp_path / "repo")
    patches = file_patches(diff)
    assert [p.has_index for p in patches] == [True, True]
    assert git(repo, "cat-file", "-t", patches[1].old_blob or "").strip() == b"blob"
    # Whatever is checked out now, the sides come from the diff and the blobs.
    (repo / "m.py").write_bytes(b"something else entirely\n")
    found = sources_from_diff(repo, diff, parse_diff(diff))
    assert found.old == {"m.py": OLD}
    assert found.new == {"fresh.py": b"def h():\n    return 0\n", "m.py": NEW}
    assert found.warnings == ()


def test_a_patch_that_does_not_match_is_not_applied() -> None:
    diff = b"diff --git a/m.py b/m.py\nindex 1111111..2222222 100644\n--- a/m.py\n+++ b/m.py\n"
    diff += b"@@ -1,2 +1,2 @@\n def f(x):\n-    return x\n+    return 2\n"
    (patch,) = file_patches(diff)
    assert apply_patch(OLD, patch.hunks) == OLD.replace(b"return x\n\n", b"return 2\n\n", 1)
    assert apply_patch(b"def other():\n    pass\n", patch.hunks) is None


def test_absent_blobs_are_reviewed_from_the_diff_alone_with_one_warning(tmp_path: Path) -> None:
    _, diff = repository_with_edit(tmp_path / "repo")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    git(elsewhere, "init", "-q")
    found = sources_from_diff(elsewhere, diff, parse_diff(diff))
    assert found.old == {"m.py": None}
    assert found.new["m.py"] is None
    # A new file needs no blob: its added lines are all of it.
    assert found.new["fresh.py"] == b"def h():\n    return 0\n"
    (warning,) = found.warnings
    assert "m.py" in warning and "not in this repository" in warning
    alone = sources_from_diff(None, diff, parse_diff(diff))
    assert alone.old == {"m.py": None} and len(alone.warnings) == 1
