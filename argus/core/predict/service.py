"""The review service: the one place that gathers what a review needs and runs it.

Every front-end (``argus review``, the language server, the GitHub App) hands it a ChangeSet
and both sides of the changed files; the service adds what it knows about the repository:
the history (synced into the repository's store), the history features and facts, the model
in use (the shipped one, or the adaptation ``argus learn`` saved on top of it), the
adaptation's extra features and the production errors filed for the changed files.

A service without a repository (the App reviews through the API, with no clone) reviews on
the change alone with the shipped model.

One rule for a broken adaptation, everywhere: it is logged, the review carries a warning
saying so, and the shipped model scores the change.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from argus.core.classify import GitAttributes
from argus.core.diff.blobs import read_blobs, read_worktree_files
from argus.core.diff.changeset import ChangeSet
from argus.core.errors import ArgusError
from argus.core.predict.analysis_cache import LayeredAnalysisCache
from argus.core.predict.findings import Factor, LevelThresholds, Review
from argus.core.predict.linters import LinterRuns, start_linters
from argus.core.predict.review import (
    HistoryFacts,
    ReviewOptions,
    Sources,
    basic_change_features,
    count_lines,
    review_change,
    with_linter_findings,
)
from argus.core.predict.rules import RuleSelection
from argus.core.predict.scoring import ScoringModel

if TYPE_CHECKING:
    from argus.core.predict.features import RangeCommit
    from argus.core.predict.history import HistoryIndex
    from argus.core.store.sqlite import SQLiteStore

logger = logging.getLogger(__name__)

# The tenant `argus ingest` and `argus serve` file a local project's production errors under.
LOCAL_TENANT = "local"
# Production errors filed meanwhile (by `argus ingest` or `argus serve`) show up this fast in
# a long-lived service (the language server); a command-line review reads them once.
ERRORS_TTL_SECONDS = 10.0
# A warm history is up to date within a few tens of milliseconds; a review waits this long for
# it before parsing the changed files meanwhile.
WARM_HISTORY_SECONDS = 0.25
# A range is scored from at most its newest this many commits (each costs a pass over the
# touched files' history).
MAX_RANGE_COMMITS = 100

_SHIPPED: list[ScoringModel] = []


def shipped_model() -> ScoringModel:
    """The scoring model shipped with Argus, loaded once per process."""
    if not _SHIPPED:
        from argus.core.predict.model import load_model

        loaded: ScoringModel = load_model()
        _SHIPPED.append(loaded)
    return _SHIPPED[0]


@dataclass(frozen=True)
class ChangeAuthor:
    """Who made a change, when (Unix seconds), and the commit message if there is one."""

    email: str
    when: int
    message: str = ""


@dataclass(frozen=True)
class ServiceOptions:
    """How one review runs; every field has a sensible default."""

    thresholds: LevelThresholds = field(default_factory=LevelThresholds)
    max_file_bytes: int = 1_000_000
    # None: the change's author as git tells (the head commit's, else the configured user).
    author: ChangeAuthor | None = None
    # HEAD's commit as the caller last saw it: the history is brought up to date when it moves.
    repository_head: str | None = None
    # The repository's .argus.yml rules and levels, and its .gitattributes (argus.core.config).
    rules: RuleSelection = field(default_factory=RuleSelection)
    rule_levels: Mapping[str, str] = field(default_factory=dict)
    attributes: GitAttributes | None = None
    # The repository's linters (ruff, its ESLint) on the changed lines. ``linter_configs``:
    # the linter configuration files of the reviewed side by path, fetched by a front-end
    # without a working tree (the App; see argus.core.predict.linters.ruff_config_paths); None reads
    # them from the repository.
    linters: bool = True
    linter_configs: Mapping[str, bytes] | None = None


class ReviewService:
    """Reviews changes of one repository (or of none: the change alone).

    Not thread-safe: use it from one thread (the store's connection belongs to it), except that
    :meth:`start_history_sync` may prepare the history on a thread of its own.
    """

    def __init__(
        self,
        repository: Path | None = None,
        *,
        store_path: Path | None = None,
        model: ScoringModel | None = None,
        use_history: bool = True,
        tenant: str = LOCAL_TENANT,
        persistent_cache: bool = False,
        history_tip: str = "HEAD",
    ):
        """``repository`` None reviews the change alone. ``store_path`` defaults to the
        repository's store; ``model`` to the shipped model. With ``persistent_cache`` the
        analyses of file versions are kept in the store between runs. ``history_tip`` names the
        commit whose history is read (a diff on stdin: the default branch's, not HEAD's)."""
        self.root = repository
        self._store_path = store_path
        self._shipped = model
        self.use_history = use_history and repository is not None
        self.tenant = tenant
        self._persistent_cache = persistent_cache
        self.history_tip = history_tip
        self._cache = LayeredAnalysisCache() if persistent_cache else None
        self._store: SQLiteStore | None = None
        self._index: HistoryIndex | None = None
        self._indexed_head: str | None = None
        self._history_problem: str | None = None
        self._pending: Future[tuple[SQLiteStore, HistoryIndex]] | None = None
        self._model: tuple[ScoringModel, str | None] | None = None
        self._first_fix: tuple[str | None, dict[int, int]] | None = None
        self._locations: tuple[float, list[tuple[str, str, int]]] | None = None
        self._user: str | None = None

    # -- the review ----------------------------------------------------------------------

    def review(
        self, changeset: ChangeSet, sources: Sources, options: ServiceOptions | None = None
    ) -> Review:
        """The review of ``changeset``: history features and facts, the model in use and the
        production errors of the changed files, when the service has a repository."""
        options = options or ServiceOptions()
        # The linters run in processes of their own while this thread parses and scores.
        linters = self._start_linters(changeset, sources, options)
        try:
            review = self._scored(changeset, sources, options)
        except BaseException:
            if linters is not None:
                linters.cancel()
            raise
        if linters is not None:
            found, linter_warnings = linters.result()
            review = with_linter_findings(review, found, options.thresholds)
            if linter_warnings:
                review = replace(review, warnings=(*review.warnings, *linter_warnings))
        return review

    def _scored(self, changeset: ChangeSet, sources: Sources, options: ServiceOptions) -> Review:
        line_counts = {path: count_lines(text) for path, text in sources.old.items()}
        # What decides the parse and the rules (part of the cache keys): the same for the
        # pre-pass below and the review.
        analysed = ReviewOptions(
            max_file_bytes=options.max_file_bytes,
            rules=options.rules,
            attributes=options.attributes,
        )
        if self._pending is not None and not wait([self._pending], WARM_HISTORY_SECONDS).done:
            # The history is being read for the first time (git log runs on the other core):
            # parse the changed files and run the rules meanwhile, so the review finds them done.
            review_change(changeset, sources, _UNSCORED, {}, options=analysed, cache=self._cache)
        features = basic_change_features(changeset, line_counts)
        history: HistoryFacts | None = None
        index = self.history(options.repository_head)
        if index is not None:
            from argus.core.predict.features import change_features, range_features
            from argus.core.predict.history_facts import IndexedHistory

            commits = [] if options.author else self.range_commits(changeset)
            if commits:
                # A range: each commit's own author, message and date (see range_features).
                before_seq = _first_seq(index, commits)
                features = range_features(
                    index, changeset, commits, file_sizes=line_counts, before_seq=before_seq
                )
                # The functions' and files' facts: from the commits dated before the range's
                # first, whether or not the range's own commits are ingested (the App's clone
                # and a checkout of the base then agree).
                history = IndexedHistory(
                    index, commits[-1].author_email, commits[0].time, strictly_before=True
                )
            else:
                author = options.author or self.author_of(changeset)
                features = change_features(
                    index,
                    changeset,
                    author.email,
                    author.when,
                    message=author.message,
                    file_sizes=line_counts,
                )
                history = IndexedHistory(index, author.email, author.when)
            features.update(self._adaptation_extras(index, changeset))
        model, model_warning = self.model()
        review_options = replace(
            analysed,
            thresholds=options.thresholds,
            production_errors=self.production_errors([f.path for f in changeset.files]),
            rule_levels=options.rule_levels,
        )
        review = review_change(
            changeset, sources, model, features, history, review_options, self._cache
        )
        history_notes = self._history_notes()
        warnings = [w for w in (self._history_problem, *history_notes, model_warning) if w]
        if warnings:
            review = replace(review, warnings=(*review.warnings, *warnings))
        return review

    def _start_linters(
        self, changeset: ChangeSet, sources: Sources, options: ServiceOptions
    ) -> LinterRuns | None:
        """Ruff and the repository's ESLint on the changed files, started (not finished)."""
        if not options.linters:
            return None
        read_files: Callable[[list[str]], Mapping[str, bytes | None]] | None = None
        if options.linter_configs is not None:
            configs = options.linter_configs
            read_files = lambda paths: {path: configs.get(path) for path in paths}  # noqa: E731
        elif self.root is not None:
            root, head = self.root, changeset.head
            read_files = (
                (lambda paths: read_blobs(root, head, paths))
                if head is not None
                else (lambda paths: read_worktree_files(root, paths))
            )
        return start_linters(
            changeset,
            sources.new,
            root=self.root,
            read_files=read_files,
            enabled=options.rules.allows_linter,
            levels=options.rule_levels,
            attributes=options.attributes,
        )

    # -- the history ---------------------------------------------------------------------

    def start_history_sync(self) -> None:
        """Open the store and bring the history up to date on a thread of its own, so that
        the caller can read the change meanwhile; :meth:`review` takes the result over."""
        if not self.use_history or self._pending is not None or self._index is not None:
            return
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="argus-history")
        self._pending = executor.submit(self._open_and_sync)
        executor.shutdown(wait=False)

    def _open_and_sync(self) -> tuple[SQLiteStore, HistoryIndex]:
        from argus.core.predict.history import HistoryIndex
        from argus.core.store.sqlite import SQLiteStore

        store = SQLiteStore.open(self.store_path(), handed_between_threads=True)
        try:
            assert self.root is not None
            return store, HistoryIndex.sync(store, self.root, self.history_tip)
        except BaseException:
            store.close()
            raise

    def history(self, head: str | None = None) -> HistoryIndex | None:
        """The history index, synced at first use and updated when ``head`` (HEAD's commit as
        the caller saw it) moves. None without a repository, commits or a readable history:
        the review then runs on size and complexity alone, and says why."""
        if not self.use_history or self._history_problem is not None:
            return None
        try:
            if self._pending is not None:
                pending, self._pending = self._pending, None
                store, self._index = pending.result()
                if self._store is None:
                    self._store = store
                    self._attach_cache(store)
                else:
                    store.close()
            elif self._index is None:
                from argus.core.predict.history import HistoryIndex

                assert self.root is not None
                self._index = HistoryIndex.sync(self.store, self.root, self.history_tip)
            elif head is not None and head != self._indexed_head:
                self._index.update()
        except ArgusError as error:
            from argus.core.predict.history import HistoryGap

            logger.info("history of %s is unavailable: %s", self.root, error)
            self._history_problem = (
                str(error)  # says what the clone lacks
                if isinstance(error, HistoryGap)
                else f"the repository's history could not be read ({error}); "
                "reviewed without the history factors"
            )
            return None
        if head is not None:
            self._indexed_head = head
        if self._index.unusable is not None:
            return None  # a shallow clone: said once by _history_notes
        return self._index

    @property
    def history_problem(self) -> str | None:
        """Why the history factors were left out of the reviews (None: they weighed in, or
        the service has no repository)."""
        if self._history_problem is not None:
            return self._history_problem
        return self._index.unusable if self._index is not None else None

    def _history_notes(self) -> list[str]:
        """What the history lacks (a shallow clone, files whose content the clone lacks, a
        damaged cache read again), carried by each review; front-ends that live long (the
        language server) show each one once."""
        index = self._index
        if index is None:
            return []
        notes = [index.unusable] if index.unusable else []
        notes += [note for note in index.warnings if note not in notes]
        return notes

    def author_of(self, changeset: ChangeSet) -> ChangeAuthor:
        """Who made the change: a committed head is its commit's author; a working tree with
        edits is the configured user, now; a clean working tree is HEAD's author."""
        from argus.core.diff.git import has_commits, run_git

        assert self.root is not None
        commit = changeset.head
        if commit is None and has_commits(self.root):
            status = run_git(self.root, "status", "--porcelain", "--untracked-files=normal")
            commit = None if status.strip() else "HEAD"
        if commit is None:
            return self.current_user()
        fields = run_git(self.root, "log", "-1", "--format=%ae%x00%at%x00%B", commit)
        email, when_text, message = fields.decode("utf-8", "replace").split("\0", 2)
        return ChangeAuthor(email.strip().lower(), int(when_text), message)

    def range_commits(self, changeset: ChangeSet) -> list[RangeCommit]:
        """The commits a change between two commits is made of, oldest first: ``base..head``
        (head None: HEAD, then the working tree's edits, if any, as the current user's, now),
        the newest MAX_RANGE_COMMITS of them. Empty when the change has no committed base (a
        diff on stdin, a repository without commits) or no commit of its own: the change is
        then one author's (:meth:`author_of`)."""
        from argus.core.diff.git import run_git
        from argus.core.predict.features import RangeCommit

        if self.root is None or changeset.base is None:
            return []
        head = changeset.head or "HEAD"
        try:
            output = run_git(
                self.root,
                "log",
                f"--max-count={MAX_RANGE_COMMITS}",
                "--format=%H%x00%ae%x00%at%x00%B%x1e",
                f"{changeset.base}..{head}",
            ).decode("utf-8", "replace")
        except ArgusError as error:
            # A range git cannot list (a commit the clone lacks): judged as one author's.
            logger.warning("commits of %s..%s not read: %s", changeset.base, head, error)
            return []
        commits = []
        for record in output.split("\x1e"):
            fields = record.strip("\n").split("\0", 3)
            if len(fields) == 4:
                sha, email, when, message = fields
                commits.append(RangeCommit(email.strip().lower(), int(when), message, sha=sha))
        commits.reverse()
        if commits and changeset.head is None:
            status = run_git(self.root, "status", "--porcelain", "--untracked-files=normal")
            if status.strip():
                user = self.current_user()
                commits.append(RangeCommit(user.email, user.when, ""))
        return commits

    def current_user(self) -> ChangeAuthor:
        """Whoever commits here (user.email, else HEAD's author; asked git once), now."""
        if self._user is None:
            from argus.core.diff.git import head_author

            assert self.root is not None
            self._user = head_author(self.root)[1].strip().lower()
        return ChangeAuthor(self._user, int(time.time()))

    def _adaptation_extras(self, index: HistoryIndex, changeset: ChangeSet) -> dict[str, float]:
        """The adaptation's extra features, as ``argus learn`` computed them for commits:
        earlier fix commits and known bug-introducing commits in the touched files."""
        from argus.core.predict.adapt import extra_features
        from argus.core.predict.szz import first_fix_seq

        if self._first_fix is None or self._first_fix[0] != self._indexed_head:
            self._first_fix = (self._indexed_head, first_fix_seq(index))
        paths = [f.old_path for f in changeset.files]
        return extra_features(index, len(index.commits) + 1, paths, self._first_fix[1])

    # -- the model -----------------------------------------------------------------------

    def model(self) -> tuple[ScoringModel, str | None]:
        """The model in use and, when a saved adaptation could not be read, the warning that
        says the shipped model is used instead. Loaded once."""
        if self._model is None:
            shipped = self._shipped or shipped_model()
            self._model = (shipped, None)
            if self.root is not None:
                self._model = self._adapted(shipped)
        return self._model

    def _adapted(self, shipped: ScoringModel) -> tuple[ScoringModel, str | None]:
        from argus.core.predict.adapt import load_adaptation
        from argus.core.predict.adapted import AdaptedModel

        try:
            adaptation = load_adaptation(self.store, repo_root=self.root)
        except ArgusError as error:
            logger.warning("adaptation of %s not loaded: %s", self.root, error)
            return shipped, (
                f"the adaptation saved by `argus learn` could not be read ({error}); the "
                "shipped model scored this change (run `argus learn` again to replace it)"
            )
        return (AdaptedModel(shipped, adaptation) if adaptation else shipped), None

    # -- production errors ---------------------------------------------------------------

    def production_errors(self, paths: Iterable[str]) -> dict[tuple[str, str], int]:
        """Production errors filed under the service's tenant whose frames point into
        ``paths``: ``(path, function as recorded) -> count``. Read again at most every
        ERRORS_TTL_SECONDS."""
        if self.root is None and self._store_path is None:
            return {}
        now = time.monotonic()
        if self._locations is None or now - self._locations[0] >= ERRORS_TTL_SECONDS:
            try:
                from argus.core.patterns.store import SQLiteExecutor, SqlPatternStore

                store = SqlPatternStore(SQLiteExecutor(self.store))
                locations = store.location_counts(self.tenant)
            except ArgusError as error:
                logger.info("no production errors for %s: %s", self.root, error)
                locations = []
            self._locations = (now, locations)
        if not self._locations[1]:
            return {}
        from argus.core.patterns.risk_feedback import count_by_function

        return count_by_function(self._locations[1], paths)

    def production_errors_by_symbol(
        self, path: str, qualified_names: Iterable[str]
    ) -> dict[tuple[str, str], int]:
        """``(path, qualified symbol name) -> production errors``, looked up as the review
        looks them up (argus.core.patterns.risk_feedback.for_symbols)."""
        from argus.core.patterns.risk_feedback import for_symbols

        counts = self.production_errors([path])
        return for_symbols(counts, {path: list(qualified_names)}) if counts else {}

    # -- the store -----------------------------------------------------------------------

    def store_path(self) -> Path:
        """Where the repository's store is (see argus.core.store.sqlite.default_store_path)."""
        if self._store_path is None:
            from argus.core.store.sqlite import default_store_path

            self._store_path = default_store_path(self.root)
        return self._store_path

    @property
    def store(self) -> SQLiteStore:
        """The repository's store, opened on first use."""
        if self._store is None:
            from argus.core.store.sqlite import SQLiteStore

            if self._pending is not None:
                self.history()  # takes the store the sync opened over
            if self._store is None:
                self._store = SQLiteStore.open(self.store_path())
                self._attach_cache(self._store)
        return self._store

    def _attach_cache(self, store: SQLiteStore) -> None:
        if self._cache is not None:
            from argus.core.predict.sqlite_analysis_cache import SQLiteAnalysisCache

            self._cache.attach(SQLiteAnalysisCache(store))

    def close(self) -> None:
        """Close the store (waiting for a history sync still under way)."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            try:
                store, _ = pending.result()
            except (ArgusError, OSError):
                store = None  # the caller reports its own error
            if store is not None:
                store.close()
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> ReviewService:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _first_seq(index: HistoryIndex, commits: Sequence[RangeCommit]) -> int | None:
    """The seq of the range's first commit already in the history: the range is judged on
    the history before it (None when none of its commits is ingested)."""
    seqs = [index.memory.seq_by_sha.get(commit.sha) for commit in commits if commit.sha]
    known = [seq for seq in seqs if seq is not None]
    return min(known) if known else None


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
