"""Unified diffs and git ranges -> ChangeSet: which files changed, and which lines."""

from argus.core.diff.changeset import ChangeSet, FileChange, FileStatus, Hunk
from argus.core.diff.git import (
    EMPTY_TREE,
    changeset_for_review,
    changeset_from_git,
    find_repo_root,
    has_commits,
    head_author,
    is_shallow,
    merge_base,
    read_blob,
    read_worktree,
    resolve_ref,
    run_git,
)
from argus.core.diff.parse import parse_diff, unquote_path

__all__ = [
    "EMPTY_TREE",
    "ChangeSet",
    "FileChange",
    "FileStatus",
    "Hunk",
    "changeset_for_review",
    "changeset_from_git",
    "find_repo_root",
    "has_commits",
    "head_author",
    "is_shallow",
    "merge_base",
    "parse_diff",
    "read_blob",
    "read_worktree",
    "resolve_ref",
    "run_git",
    "unquote_path",
]
