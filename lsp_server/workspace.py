"""Per-repository state of the server: the history (synced once), the model, base blobs.

Everything here runs on the server's single analysis thread: a SQLite connection belongs to
the thread that opened it, and one thread also makes the caches safe without locks.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from tree_sitter import Tree

from core.diff.git import find_repo_root, has_commits, head_author, merge_base, read_blob, run_git
from core.errors import ArgusError, GitError
from core.lang.languages import language_for_path, parse
from core.predict.history import HistoryIndex
from core.predict.history_facts import IndexedHistory
from core.predict.scoring import ScoringModel
from core.store.sqlite import SQLiteStore, default_store_path
from lsp_server.related_tests import RelatedTests

logger = logging.getLogger(__name__)

# How long a resolved base commit is trusted before git is asked again (a commit or checkout
# made meanwhile is picked up after at most this long, without a git call per keystroke).
BASE_TTL_SECONDS = 2.0
BLOB_CACHE_SIZE = 64
PATTERN_TENANT = "local"
# Production errors filed meanwhile (by `argus ingest` or `argus serve`) show up this fast.
ERRORS_TTL_SECONDS = 10.0


@dataclass
class BaseFile:
    """One file at the base commit, parsed once: its bytes, lines and top-level spans."""

    source: bytes | None
    tree: Tree | None = None
    spans: list[Span] = field(default_factory=list)


class Repository:
    """What the server knows about one git repository, built lazily and kept."""

    def __init__(self, root: Path, model: ScoringModel):
        self.root = root
        self.base_model = model
        self._store: SQLiteStore | None = None
        self._index: HistoryIndex | None = None
        self._history_failed = False
        self._model: ScoringModel | None = None
        self._author: str | None = None
        self._bases: dict[str, tuple[float, str | None]] = {}
        self._files: OrderedDict[tuple[str, str], BaseFile] = OrderedDict()
        self._indexed_head: str | None = None
        self.head: str | None = None  # HEAD's commit, as of the last base_commit()
        self._tests: RelatedTests | None = None
        self._locations: tuple[float, list[tuple[str, str, int]]] | None = None
        self._first_fix: tuple[str | None, dict[int, int]] | None = None

    @property
    def store(self) -> SQLiteStore:
        """The repository's Argus store (opened on first use)."""
        if self._store is None:
            self._store = SQLiteStore.open(default_store_path(self.root))
        return self._store

    def base_commit(self, ref: str) -> str | None:
        """The commit buffers are compared with: HEAD, or merge-base(ref, HEAD) for a branch.

        None in a repository without commits (every file is new). GitError for an unknown ref.
        """
        now = time.monotonic()
        cached = self._bases.get(ref)
        if cached is not None and now - cached[0] < BASE_TTL_SECONDS:
            return cached[1]
        commit: str | None = None
        self.head = None
        if has_commits(self.root):
            self.head = run_git(self.root, "rev-parse", "HEAD").decode("ascii").strip()
            commit = self.head if ref == "HEAD" else merge_base(self.root, ref, self.head)
        self._bases[ref] = (now, commit)
        return commit

    def base_file(self, commit: str | None, path: str, parse_limit: int) -> BaseFile:
        """``path`` at ``commit`` (absent: source None), parsed once per (commit, path) when
        no larger than ``parse_limit`` bytes."""
        if commit is None:
            return BaseFile(None)
        key = (commit, path)
        found = self._files.get(key)
        if found is not None:
            self._files.move_to_end(key)
            return found
        source = read_blob(self.root, commit, path)
        base = BaseFile(source)
        language = language_for_path(path)
        if source is not None and language is not None and len(source) <= parse_limit:
            base.tree = parse(source, language)
            base.spans = top_level_spans(base.tree)
        self._files[key] = base
        if len(self._files) > BLOB_CACHE_SIZE:
            self._files.popitem(last=False)
        return base

    def history(self, head: str | None) -> HistoryIndex | None:
        """The history index, synced at first use and brought up to date when ``head`` moves.

        None when the repository has no commits or the history cannot be read (the review
        then runs on size and complexity alone).
        """
        if head is None or self._history_failed:
            return None
        try:
            if self._index is None:
                self._index = HistoryIndex.sync(self.store, self.root)
            elif head != self._indexed_head:
                self._index.update()
        except ArgusError as error:
            logger.warning("history of %s is unavailable: %s", self.root, error)
            self._history_failed = True
            return None
        self._indexed_head = head
        return self._index

    def adaptation_extras(self, index: HistoryIndex, history_path: str | None) -> dict[str, float]:
        """The adaptation's extra features (earlier fixes and known bug-introducing commits in
        the file), computed as `argus review` and `argus learn` compute them."""
        from core.predict.adapt import extra_features
        from core.predict.szz import first_fix_seq

        if self._first_fix is None or self._first_fix[0] != self._indexed_head:
            self._first_fix = (self._indexed_head, first_fix_seq(index))
        return extra_features(index, len(index.commits) + 1, [history_path], self._first_fix[1])

    def facts(self, index: HistoryIndex) -> IndexedHistory:
        """History facts as of now, for the person editing."""
        return IndexedHistory(index, self.author_email(), int(time.time()))

    def author_email(self) -> str:
        """Whoever commits here (user.email, else HEAD's author), asked once."""
        if self._author is None:
            self._author = head_author(self.root)[1].strip().lower()
        return self._author

    def model(self) -> ScoringModel:
        """The shipped model, adapted to this repository when `argus learn` saved one."""
        if self._model is None:
            from core.predict.adapt import load_adaptation
            from core.predict.adapted import AdaptedModel

            model = self.base_model
            try:
                adaptation = load_adaptation(self.store, repo_root=self.root)
            except ArgusError as error:
                logger.warning("adaptation of %s not loaded: %s", self.root, error)
                adaptation = None
            self._model = AdaptedModel(model, adaptation) if adaptation is not None else model
        return self._model

    def tests_mentioning(self, function: str) -> list[str]:
        """Tests of this repository whose names mention ``function`` (see related_tests)."""
        if self._tests is None:
            self._tests = RelatedTests(self.root)
        return self._tests.mentioning(function)

    def production_errors(self, path: str) -> dict[tuple[str, str], int]:
        """Production errors filed under the local tenant (``argus ingest``) whose frames point
        into ``path``: ``(path, function) -> count``, the function as recorded (``Cart.add``)
        and bare (``add``), as the review looks them up. Read again at most every
        ERRORS_TTL_SECONDS."""
        now = time.monotonic()
        if self._locations is None or now - self._locations[0] >= ERRORS_TTL_SECONDS:
            try:
                from core.patterns.store import SQLiteExecutor, SqlPatternStore

                locations = SqlPatternStore(SQLiteExecutor(self.store)).location_counts(
                    PATTERN_TENANT
                )
            except ArgusError as error:
                logger.info("no production errors for %s: %s", self.root, error)
                locations = []
            self._locations = (now, locations)
        if not self._locations[1]:
            return {}
        from core.patterns.risk_feedback import count_by_function

        counts = count_by_function(self._locations[1], [path])
        for (counted_path, function), count in list(counts.items()):
            bare = function.rsplit(".", 1)[-1]
            if bare != function:
                counts[(counted_path, bare)] = counts.get((counted_path, bare), 0) + count
        return counts

    def close(self) -> None:
        """Close the store (the caches go with the object)."""
        if self._store is not None:
            self._store.close()
            self._store = None


@dataclass(frozen=True)
class Span:
    """A top-level block: 1-based first and last lines, and the byte offsets where they start."""

    first_line: int
    last_line: int
    first_offset: int
    last_offset: int


def top_level_spans(tree: Tree) -> list[Span]:
    """The root's children (definitions, statements) as line spans, in order."""
    spans = []
    for child in tree.root_node.children:
        start, end = child.start_point, child.end_point
        spans.append(
            Span(
                start.row + 1,
                end.row + 1,
                child.start_byte - start.column,
                child.end_byte - end.column,
            )
        )
    return spans


class Repositories:
    """Finds the repository of a file and keeps one :class:`Repository` per root."""

    def __init__(self, model: ScoringModel | None = None):
        self._by_folder: dict[Path, Path | None] = {}
        self._repositories: dict[Path, Repository] = {}
        self._model = model

    def locate(self, path: Path) -> Repository | None:
        """The repository holding ``path`` (a file, maybe not yet on disk); None outside git."""
        folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if folder not in self._by_folder:
            try:
                self._by_folder[folder] = find_repo_root(folder)
            except GitError:
                self._by_folder[folder] = None
        root = self._by_folder[folder]
        if root is None:
            return None
        repository = self._repositories.get(root)
        if repository is None:
            repository = Repository(root, self.model())
            self._repositories[root] = repository
        return repository

    def get(self, root: Path) -> Repository | None:
        """The repository already located at ``root``."""
        return self._repositories.get(root)

    def model(self) -> ScoringModel:
        """The shipped model, loaded once per process."""
        if self._model is None:
            from core.predict.model import load_model

            loaded: ScoringModel = load_model()
            self._model = loaded
        return self._model

    def close(self) -> None:
        """Close every repository's store."""
        for repository in self._repositories.values():
            repository.close()
        self._repositories.clear()
