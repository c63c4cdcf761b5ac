"""The 14 just-in-time change features of Kamei et al. (2013), from a repository's history.

Definitions, as in the public JIT datasets the shipped model was trained on:

- ``ns`` subsystems touched (top-level directory; files at the root form one subsystem),
  ``nd`` directories touched, ``nf`` files touched;
- ``entropy`` Shannon entropy (base 2, not normalised) of the changed lines (added + deleted)
  across the files;
- ``la``/``ld`` lines added/deleted; ``lt`` lines in the touched files before the change (sum);
- ``fix`` 1 when the message says the change fixes a defect (see ``is_fix_message``);
- ``ndev`` distinct authors of earlier changes to the touched files; ``age`` mean days since
  each touched file was last changed (files without history left out; 0 when none has one);
  ``nuc`` distinct earlier commits that touched the files;
- ``exp`` the author's earlier commits; ``rexp`` the same, each weighted 1 / (1 + years ago);
  ``sexp`` the author's earlier commits that touched one of the subsystems touched now.

"Earlier" means strictly before: for a historical commit, commits with a smaller seq; for a
review, the whole ingested history. History follows renames (a renamed file keeps its past).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from argus.core.diff.changeset import ChangeSet, FileStatus
from argus.core.predict.file_kinds import file_kind as file_kind  # re-exported: szz, mining
from argus.core.predict.findings import Factor
from argus.core.predict.history import (
    SECONDS_PER_DAY,
    SECONDS_PER_YEAR,
    HistoryIndex,
    directory_of,
    is_fix_message,
    subsystem_of,
)

FEATURE_NAMES: tuple[str, ...] = (
    "ns", "nd", "nf", "entropy", "la", "ld", "lt", "fix",
    "ndev", "age", "nuc", "exp", "rexp", "sexp",
)  # fmt: skip

# What Argus knows beyond Kamei's fourteen, from the same change and history (see
# ``context_features``): lines in code files that are not tests, test and other files touched,
# earlier fixes to the touched files, and the author's share of the touched files' history.
CONTEXT_FEATURE_NAMES: tuple[str, ...] = (
    "la_code", "ld_code", "nf_test", "nf_other", "prior_fixes", "owner_share",
)  # fmt: skip

# Line counts of the files before a change, by path on the base side: a mapping, or a callable
# answering None when the file did not exist.
FileSizes = Mapping[str, int] | Callable[[str], int | None]


class RiskModel(Protocol):
    """The shipped risk model as this package uses it (see argus/core/predict/model.py)."""

    def predict(self, features: Mapping[str, float]) -> float:
        """The calibrated probability that a change with these features introduces a bug."""
        ...

    def explain(self, features: Mapping[str, float], top: int = 3) -> list[Factor]:
        """The factors that drove the prediction, strongest first."""
        ...


@dataclass(frozen=True)
class ChangedFile:
    """One file of a change, as the features see it.

    ``history_path`` names the file in history (the old path of a rename; None for a new file).
    """

    path: str
    history_path: str | None
    lines_added: int
    lines_deleted: int
    lines_before: int


def change_features(
    index: HistoryIndex,
    changeset: ChangeSet,
    author_email: str,
    when: int,
    message: str = "",
    file_sizes: FileSizes | None = None,
) -> dict[str, float]:
    """Features of an uncommitted change (a review) against the whole ingested history: the
    fourteen Kamei features and the context features.

    ``when`` is the Unix time of the change (now, for a review). ``file_sizes`` gives the line
    count of each file at the base (by its old path); without it the line count at the newest
    ingested commit is used, which is right when the base is HEAD.
    """
    files = _changed_files(index, changeset, file_sizes)
    features = features_before(
        index, files, author_email, when, is_fix=is_fix_message(message), before_seq=None
    )
    return {**features, **context_features(index, files, author_email, before_seq=None)}


@dataclass(frozen=True)
class RangeCommit:
    """One commit of a reviewed range: its own author, time and message (and its sha, when it
    is a commit; uncommitted edits have none)."""

    author_email: str
    time: int
    message: str
    sha: str | None = None


# The features that describe who made a change and why, rather than what it changed.
_PER_COMMIT_FEATURES = ("fix", "exp", "rexp", "sexp", "owner_share")


def range_features(
    index: HistoryIndex,
    changeset: ChangeSet,
    commits: Sequence[RangeCommit],
    file_sizes: FileSizes | None = None,
    *,
    before_seq: int | None = None,
) -> dict[str, float]:
    """Features of a range of commits (a pull request) reviewed as one change.

    What the change touches (size, spread, the files' history) comes from the whole diff, as
    of the newest commit's time. Who made it and why comes from each commit's own author and
    message, averaged over the commits: ``fix`` is the share of fix commits, and the author
    experience and ownership are the mean over the commits' authors, so that neither a
    ``fix:`` head commit nor a bot's head commit speaks for the whole range. ``before_seq``
    keeps the range's own commits out of the history when they are already ingested.
    """
    if not commits:
        raise ValueError("a range needs at least one commit")
    files = _changed_files(index, changeset, file_sizes)
    when = max(commit.time for commit in commits)
    head = commits[-1]
    combined = {
        **features_before(
            index, files, head.author_email, when, is_fix=False, before_seq=before_seq
        ),
        **context_features(index, files, head.author_email, before_seq=before_seq),
    }
    totals = dict.fromkeys(_PER_COMMIT_FEATURES, 0.0)
    for commit in commits:
        own = features_before(
            index,
            files,
            commit.author_email,
            commit.time,
            is_fix=is_fix_message(commit.message),
            before_seq=before_seq,
        )
        own.update(context_features(index, files, commit.author_email, before_seq=before_seq))
        for name in _PER_COMMIT_FEATURES:
            totals[name] += own[name]
    for name in _PER_COMMIT_FEATURES:
        combined[name] = totals[name] / len(commits)
    return combined


def _changed_files(
    index: HistoryIndex, changeset: ChangeSet, file_sizes: FileSizes | None
) -> list[ChangedFile]:
    files = []
    for change in changeset.files:
        added = change.status is FileStatus.ADDED
        history_path = None if added else (change.old_path or change.new_path)
        before = 0
        if history_path is not None:
            before = _size(file_sizes, history_path, index)
        files.append(
            ChangedFile(
                path=change.path,
                history_path=history_path,
                lines_added=change.lines_added,
                lines_deleted=change.lines_deleted,
                lines_before=before,
            )
        )
    return files


def commit_features(index: HistoryIndex, sha: str) -> dict[str, float]:
    """Kamei and context features of an ingested commit, from the commits before it only."""
    commit = index.commit(sha)
    files = commit_files(index, commit.seq)
    features = features_before(
        index, files, commit.author_email, commit.time, is_fix=commit.is_fix, before_seq=commit.seq
    )
    return {
        **features,
        **context_features(index, files, commit.author_email, before_seq=commit.seq),
    }


def commit_files(index: HistoryIndex, seq: int) -> list[ChangedFile]:
    """The files an ingested commit touched, with their line counts just before it."""
    return [
        ChangedFile(
            path=row.path,
            history_path=row.old_path or row.path,
            lines_added=row.lines_added,
            lines_deleted=row.lines_deleted,
            lines_before=row.lines_before,
        )
        for row in index.rows_by_seq.get(seq, ())
    ]


def features_before(
    index: HistoryIndex,
    files: Sequence[ChangedFile],
    author_email: str,
    when: int,
    *,
    is_fix: bool,
    before_seq: int | None,
) -> dict[str, float]:
    """The 14 features of a change, from history strictly before ``before_seq`` (None: all)."""
    commits = index.commits
    touched_commits: set[int] = set()
    authors: set[str] = set()
    ages: list[float] = []
    for changed in files:
        if changed.history_path is None:
            continue
        seqs = index.seqs_before(changed.history_path, before_seq)
        if not seqs:
            continue
        ages.append(max(0, when - commits[seqs[-1]].time) / SECONDS_PER_DAY)
        touched_commits.update(seqs)
    authors.update(commits[seq].author_email for seq in touched_commits)

    author = author_email.strip().lower()
    own = _before(index.author_seqs.get(author, []), before_seq)
    recent = _recent_experience(index, author, own, when)
    subsystems = {subsystem_of(changed.path) for changed in files}
    in_subsystems: set[int] = set()
    for subsystem in subsystems:
        in_subsystems.update(
            _before(index.author_subsystem_seqs.get((author, subsystem), []), before_seq)
        )

    churn = [changed.lines_added + changed.lines_deleted for changed in files]
    return {
        "ns": float(len(subsystems)),
        "nd": float(len({directory_of(changed.path) for changed in files})),
        "nf": float(len(files)),
        "entropy": entropy(churn),
        "la": float(sum(changed.lines_added for changed in files)),
        "ld": float(sum(changed.lines_deleted for changed in files)),
        "lt": float(sum(changed.lines_before for changed in files)),
        "fix": 1.0 if is_fix else 0.0,
        "ndev": float(len(authors)),
        "age": sum(ages) / len(ages) if ages else 0.0,
        "nuc": float(len(touched_commits)),
        "exp": float(len(own)),
        "rexp": recent,
        "sexp": float(len(in_subsystems)),
    }


# Above this many commits by one author, recent experience is summed with numpy (mining scores
# every commit of a long history; a prolific author's sum is otherwise the slowest feature).
_VECTOR_SUM = 256


def _recent_experience(index: HistoryIndex, author: str, own: list[int], when: int) -> float:
    """Kamei's REXP: the author's earlier commits, each weighted 1 / (1 + age in years).

    Summed left to right in both paths (numpy's ``cumsum`` is sequential), so the two give
    the same float.
    """
    commits = index.commits
    if len(own) <= _VECTOR_SUM:
        return sum(
            (1.0 / (1.0 + max(0, when - commits[seq].time) / SECONDS_PER_YEAR) for seq in own),
            0.0,
        )
    import numpy as np

    times = index.memory.author_times(author)[: len(own)]
    weights = 1.0 / (1.0 + np.maximum(0, when - times) / SECONDS_PER_YEAR)
    return float(np.cumsum(weights)[-1])


def context_features(
    index: HistoryIndex,
    files: Sequence[ChangedFile],
    author_email: str,
    *,
    before_seq: int | None,
) -> dict[str, float]:
    """The :data:`CONTEXT_FEATURE_NAMES` of a change, from history strictly before ``before_seq``.

    ``prior_fixes`` counts the distinct earlier fix commits that touched the changed files;
    ``owner_share`` is the author's share of the earlier commits to them (0 without history).
    """
    commits = index.commits
    author = author_email.strip().lower()
    kinds = [file_kind(changed.path) for changed in files]
    touched: set[int] = set()
    for changed in files:
        if changed.history_path is not None:
            touched.update(index.seqs_before(changed.history_path, before_seq))
    own = sum(1 for seq in touched if commits[seq].author_email == author)
    return {
        "la_code": float(
            sum(f.lines_added for f, kind in zip(files, kinds, strict=True) if kind == "code")
        ),
        "ld_code": float(
            sum(f.lines_deleted for f, kind in zip(files, kinds, strict=True) if kind == "code")
        ),
        "nf_test": float(kinds.count("test")),
        "nf_other": float(kinds.count("other")),
        "prior_fixes": float(sum(1 for seq in touched if commits[seq].is_fix)),
        "owner_share": own / len(touched) if touched else 0.0,
    }


def entropy(changed_lines: Iterable[int]) -> float:
    """Shannon entropy (bits) of how the changed lines spread over the files."""
    counts = [count for count in changed_lines if count > 0]
    total = sum(counts)
    if total == 0:
        return 0.0
    return -sum((count / total) * math.log2(count / total) for count in counts) + 0.0


def _before(seqs: list[int], before_seq: int | None) -> list[int]:
    if before_seq is None or not seqs or seqs[-1] < before_seq:
        return seqs
    return seqs[: bisect.bisect_left(seqs, before_seq)]


def _size(file_sizes: FileSizes | None, path: str, index: HistoryIndex) -> int:
    if file_sizes is None:
        return index.line_counts.get(path, 0)
    if callable(file_sizes):
        return file_sizes(path) or 0
    return file_sizes.get(path, 0)
