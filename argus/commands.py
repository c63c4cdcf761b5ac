"""The composition root of the CLI commands: settings in, core calls, rendered output out."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from core.diff import ChangeSet, changeset_for_review, find_repo_root, head_author, parse_diff
from core.diff.blobs import read_blobs, read_worktree_files
from core.diff.git import has_commits, run_git
from core.errors import ArgusError, ConfigError, GitError
from core.predict.analysis_cache import LayeredAnalysisCache
from core.predict.findings import Factor, Review, RiskLevel
from core.predict.review import (
    HistoryFacts,
    ReviewOptions,
    Sources,
    basic_change_features,
    count_lines,
    review_change,
)
from core.predict.scoring import ScoringModel
from core.store.analysis_cache import SQLiteAnalysisCache
from core.store.sqlite import SQLiteStore, default_store_path

if TYPE_CHECKING:
    from core.predict.history import HistoryIndex


@dataclass(frozen=True)
class ReviewInputs:
    """Everything a review needs, gathered from git, the store and the model file."""

    changeset: ChangeSet
    sources: Sources
    features: dict[str, float]
    history: HistoryFacts | None
    model: ScoringModel
    analysis_cache: LayeredAnalysisCache


def default_base(repo: Path) -> str:
    """``main`` when it exists, else ``master``, else ``HEAD``."""
    for candidate in ("main", "master"):
        found = run_git(repo, "rev-parse", "--verify", "-q", candidate, check=False)
        if found.strip():
            return candidate
    return "HEAD"


def _read_diff(argument: str) -> ChangeSet:
    if argument == "-":
        return parse_diff(sys.stdin.buffer)
    path = Path(argument)
    if not path.is_file():
        raise ConfigError(f"--diff {argument}: no such file")
    with path.open("rb") as stream:
        return parse_diff(stream)


def _sources(repo: Path | None, changeset: ChangeSet, head: str | None) -> Sources:
    if repo is None:
        return Sources()
    old_paths = [f.old_path for f in changeset.files if f.old_path and not f.is_binary]
    new_paths = [f.new_path for f in changeset.files if f.new_path and not f.is_binary]
    base = changeset.base or ("HEAD" if has_commits(repo) else None)
    old = read_blobs(repo, base, old_paths) if base else {}
    new = read_blobs(repo, head, new_paths) if head else read_worktree_files(repo, new_paths)
    return Sources(old=old, new=new)


def _load_model(store: SQLiteStore | None, repo: Path | None) -> ScoringModel:
    from core.predict.model import load_model

    model: ScoringModel = load_model()
    if store is not None and repo is not None:
        from core.predict.adapt import load_adaptation
        from core.predict.adapted import AdaptedModel

        adaptation = load_adaptation(store, repo_root=repo)
        if adaptation is not None:
            model = AdaptedModel(model, adaptation)
    return model


def gather_review_inputs(arguments: argparse.Namespace) -> tuple[ReviewInputs, SQLiteStore | None]:
    """Read the change, both sides of its files, the history and the model."""
    repo: Path | None
    if arguments.diff:
        changeset = _read_diff(arguments.diff)
        try:
            repo = find_repo_root(arguments.repo)
        except GitError:
            repo = None
        head = None
    else:
        repo = find_repo_root(arguments.repo)
    prefetch = _prefetch_history(repo) if repo is not None and not arguments.no_history else None
    analysis_cache = LayeredAnalysisCache()
    try:
        if not arguments.diff:
            assert repo is not None
            base = arguments.base or default_base(repo)
            changeset = changeset_for_review(repo, base, arguments.head)
            head = changeset.head
        sources = _sources(repo, changeset, head)
        # A warm history is up to date within a few tens of milliseconds; give it that.
        if prefetch is not None and not wait([prefetch], timeout=0.25).done:
            # The history is being read for the first time: parse the changed files meanwhile
            # (git log runs on the other core), so the review finds them analysed.
            review_change(changeset, sources, _UNSCORED, {}, cache=analysis_cache)
    except BaseException:
        if prefetch is not None:
            _discard(prefetch)  # the main thread's error is the one to report
        raise
    synced = prefetch.result() if prefetch is not None else None  # raises the sync's error
    line_counts = {path: count_lines(text) for path, text in sources.old.items()}
    features = basic_change_features(changeset, line_counts)
    store = None
    history: HistoryFacts | None = None
    if repo is not None and synced is not None:
        store, index = synced
        history, features = _with_history(index, repo, changeset, head, line_counts)
    model = _load_model(store, repo)
    if store is not None:
        analysis_cache.attach(SQLiteAnalysisCache(store))
    return ReviewInputs(changeset, sources, features, history, model, analysis_cache), store


class _Unscored:
    """A model that scores nothing: used to analyse files before the history is ready."""

    version = "unscored"

    def predict(self, features: Mapping[str, float]) -> float:
        return 0.0

    def explain(self, features: Mapping[str, float], top: int = 3) -> list[Factor]:
        return []

    def assess(self, features: Mapping[str, float], top: int = 3) -> tuple[float, list[Factor]]:
        return 0.0, []

    def assess_many(
        self, rows: Sequence[Mapping[str, float]], top: int = 3
    ) -> list[tuple[float, Sequence[Factor]]]:
        return [(0.0, []) for _ in rows]


_UNSCORED = _Unscored()


def _prefetch_history(repo: Path) -> Future[tuple[SQLiteStore, HistoryIndex]]:
    """Open the store and bring the cached history up to date in a thread, while the main
    thread reads the change (git log and git diff then run on both cores). The main thread
    takes the store and index over once the thread is done."""
    from core.predict.history import HistoryIndex

    def sync() -> tuple[SQLiteStore, HistoryIndex]:
        store = SQLiteStore.open(default_store_path(repo), handed_between_threads=True)
        try:
            return store, HistoryIndex.sync(store, repo)
        except BaseException:
            store.close()
            raise

    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="argus-history")
    future = executor.submit(sync)
    executor.shutdown(wait=False)
    return future


def _discard(prefetch: Future[tuple[SQLiteStore, HistoryIndex]]) -> None:
    """Wait for an abandoned history sync and close its store."""
    try:
        store, _ = prefetch.result()
    except ArgusError:
        return  # it failed too; the caller reports its own error
    store.close()


def _with_history(
    index: HistoryIndex,
    repo: Path,
    changeset: ChangeSet,
    head: str | None,
    line_counts: dict[str, int],
) -> tuple[HistoryFacts, dict[str, float]]:
    from core.predict.features import change_features
    from core.predict.history_facts import IndexedHistory

    email, when, message = _author_of_change(repo, changeset, head)
    features = change_features(
        index, changeset, email, when, message=message, file_sizes=line_counts
    )
    facts = IndexedHistory(index, email, when)
    features.update(_adaptation_extras(index, changeset))
    return facts, features


def _author_of_change(repo: Path, changeset: ChangeSet, head: str | None) -> tuple[str, int, str]:
    """Who made the change, when, and its message.

    A committed head is its commit's author. A working tree with edits is the configured user,
    now. A clean working tree is the branch's committed work, so it is HEAD's author.
    """
    commit = head
    if commit is None and has_commits(repo) and not _worktree_dirty(repo, changeset):
        commit = "HEAD"
    if commit is None:
        return head_author(repo)[1], int(time.time()), ""
    fields = run_git(repo, "log", "-1", "--format=%ae%x00%at%x00%B", commit)
    email, when_text, message = fields.decode("utf-8", "replace").split("\0", 2)
    return email, int(when_text), message


def _worktree_dirty(repo: Path, changeset: ChangeSet) -> bool:
    status = run_git(repo, "status", "--porcelain", "--untracked-files=normal")
    return bool(status.strip())


def _adaptation_extras(index: HistoryIndex, changeset: ChangeSet) -> dict[str, float]:
    """The adaptation's extra features for a review, as ``argus learn`` computed them for
    commits: earlier fix commits and known bug-introducing commits in the touched files."""
    from core.predict.adapt import extra_features
    from core.predict.szz import first_fix_seq

    after_everything = len(index.commits) + 1
    paths = [f.old_path for f in changeset.files]
    return extra_features(index, after_everything, paths, first_fix_seq(index))


def _production_errors(
    store: SQLiteStore, changeset: ChangeSet, tenant: str
) -> dict[tuple[str, str], int]:
    """Production errors filed under ``tenant`` (``argus ingest``, ``argus serve``) whose in-app
    frames point into the changed files, keyed by (path, function as recorded)."""
    from core.patterns.risk_feedback import count_by_function
    from core.patterns.store import SQLiteExecutor, SqlPatternStore

    paths = [f.path for f in changeset.files]
    locations = SqlPatternStore(SQLiteExecutor(store)).location_counts(tenant)
    counts = count_by_function(locations, paths) if locations else {}
    # Frames may carry qualified names (Cart.add); the review also looks up the bare name.
    for (path, function), count in list(counts.items()):
        bare = function.rsplit(".", 1)[-1]
        if bare != function:
            counts[(path, bare)] = counts.get((path, bare), 0) + count
    return counts


def _color(choice: str, stream: TextIO) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def run_review(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """``argus review``: print the report; exit 1 when the risk reaches ``--fail-on``."""
    from core.config import load_repository_config
    from core.predict.rules import registered_rules
    from core.report import describe_rules, render

    if arguments.top < 1:
        raise ConfigError("--top must be at least 1")
    # .argus.yml at the repository root; a malformed one stops here (exit 2, naming the line).
    config, attributes = load_repository_config(Path(arguments.repo))
    inputs, store = gather_review_inputs(arguments)
    try:
        cache = inputs.analysis_cache
        errors = _production_errors(store, inputs.changeset, arguments.tenant) if store else {}
        review = review_change(
            inputs.changeset,
            inputs.sources,
            inputs.model,
            inputs.features,
            inputs.history,
            ReviewOptions(
                production_errors=errors,
                rules=config.rules,
                rule_levels=dict(config.rule_levels),
                attributes=attributes,
            ),
            cache,
        )
    finally:
        if store is not None:
            store.close()
    if getattr(arguments, "generate_tests", False):
        review = _with_generated_tests(review, arguments, inputs.changeset)
    elif getattr(arguments, "write_tests", None) or getattr(arguments, "max_tier", None):
        raise ConfigError("--write-tests and --max-tier go with --generate-tests")
    target = open(arguments.output, "w", encoding="utf-8") if arguments.output else None
    stream = target or stdout
    try:
        width = _terminal_width(stream)
        text = render(
            review,
            arguments.format,
            color=_color(arguments.color, stream) if arguments.format == "text" else False,
            width=width,
            max_symbols=arguments.top,
            rules=describe_rules(registered_rules()),
        )
        stream.write(text if text.endswith("\n") else text + "\n")
    finally:
        if target is not None:
            target.close()
    changed = review.files_changed > 0
    if arguments.fail_on and changed and review.level.rank >= RiskLevel(arguments.fail_on).rank:
        return 1
    return 0


def _with_generated_tests(
    review: Review, arguments: argparse.Namespace, changeset: ChangeSet
) -> Review:
    """The review with validated tests (argus/testgen_wiring.py does the work)."""
    from argus.testgen_wiring import review_with_tests
    from core.testgen.service import changed_lines_of

    if arguments.diff:
        raise ConfigError("--generate-tests needs a repository to run tests in, not --diff")
    repo = find_repo_root(arguments.repo)
    return review_with_tests(
        review,
        repo,
        changeset.head,
        changed_lines_of(changeset.files),
        max_tier=arguments.max_tier,
        write_dir=arguments.write_tests,
    )


def _terminal_width(stream: TextIO) -> int:
    if stream.isatty():
        return max(60, min(os.get_terminal_size(stream.fileno()).columns, 200))
    return 100


def run_learn(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """``argus learn``: label history with SZZ and fit this repository's adaptation."""
    from core.predict.adapt import learn
    from core.predict.model import load_model

    repo = find_repo_root(arguments.repo)
    with SQLiteStore.open(default_store_path(repo)) as store:
        report = learn(store, repo, load_model())
    auc_shipped = report.auc_shipped
    auc_adapted = report.auc_adapted
    document = {
        "schema": "argus.learn/v1",
        "commits_scanned": report.commits_scanned,
        "fix_commits": report.fix_commits,
        "bug_introducing_commits": report.bug_introducing_commits,
        "evaluated_commits": report.evaluated_commits,
        "auc_shipped": None if auc_shipped is None else round(auc_shipped, 4),
        "auc_adapted": None if auc_adapted is None else round(auc_adapted, 4),
        "adapted": report.adaptation is not None,
        "notes": list(report.notes),
    }
    if arguments.format == "json":
        stdout.write(json.dumps(document, indent=2) + "\n")
        return 0
    stdout.write(
        f"Scanned {report.commits_scanned} commits: {report.fix_commits} bug fixes, traced to "
        f"{report.bug_introducing_commits} bug-introducing commits.\n"
    )
    if auc_shipped is not None and auc_adapted is not None:
        stdout.write(
            f"On the newest {report.evaluated_commits} commits: AUC {auc_shipped:.3f} shipped, "
            f"{auc_adapted:.3f} adapted to this repository.\n"
        )
    stdout.write(
        "The adapted model is saved and used by `argus review`.\n"
        if report.adaptation is not None
        else "No adaptation saved; the shipped model is used.\n"
    )
    for note in report.notes:
        stdout.write(f"  note: {note}\n")
    return 0


def run_predict_history(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """``argus predict history``: one JSON line per non-merge commit, scored time-aware."""
    from core.predict.backtest import score_history
    from core.predict.model import load_model

    repo = find_repo_root(arguments.repo)
    out = Path(arguments.out)
    partial = out.with_name(out.name + ".partial")
    count = 0
    try:
        with (
            SQLiteStore.open(default_store_path(repo)) as store,
            partial.open("w", encoding="utf-8") as handle,
        ):
            for row in score_history(store, repo, load_model()):
                handle.write(json.dumps(row, sort_keys=False) + "\n")
                count += 1
    except (ArgusError, OSError):
        partial.unlink(missing_ok=True)
        raise
    partial.replace(out)  # never leave a half-written file under the requested name
    if arguments.format == "json":
        stdout.write(json.dumps({"schema": "argus.history/v1", "commits": count, "out": str(out)}))
        stdout.write("\n")
    else:
        stdout.write(f"Scored {count} commits into {out}\n")
    return 0
