"""Per-repository state of the server: the history (synced once), the model, base blobs.

Everything here runs on the server's single analysis thread: a SQLite connection belongs to
the thread that opened it, and one thread also makes the caches safe without locks.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from tree_sitter import Tree

from argus.core.classify import GitAttributes
from argus.core.diff.changeset import ChangeSet
from argus.core.diff.git import (
    default_base,
    find_repo_root,
    has_commits,
    merge_base,
    read_blob,
    run_git,
)
from argus.core.errors import GitError
from argus.core.lang.languages import language_for_path, parse
from argus.core.predict.findings import Review
from argus.core.predict.review import Sources
from argus.core.predict.rules import RuleSelection
from argus.core.predict.scoring import ScoringModel
from argus.core.predict.service import ReviewService, ServiceOptions, shipped_model
from argus.lsp_server.related_tests import RelatedTests

# How long a resolved base commit is trusted before git is asked again (a commit or checkout
# made meanwhile is picked up after at most this long, without a git call per keystroke).
BASE_TTL_SECONDS = 2.0
BLOB_CACHE_SIZE = 64
PATTERN_TENANT = "local"


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
        # History, facts, the model in use and production errors: core's review service.
        self.service = ReviewService(root, model=model, tenant=PATTERN_TENANT)
        self._bases: dict[str | None, tuple[float, str | None]] = {}
        self._files: OrderedDict[tuple[str, str], BaseFile] = OrderedDict()
        self.head: str | None = None  # HEAD's commit, as of the last base_commit()
        self._tests: RelatedTests | None = None

    def base_commit(self, ref: str | None) -> str | None:
        """The commit buffers are compared with: HEAD, or merge-base(ref, HEAD) for a branch;
        ``ref`` None is the default branch (see argus.core.diff.git.default_base), falling back to
        HEAD when it shares no history with HEAD.

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
            if ref is None:
                commit = self._default_base(self.head)
            else:
                commit = self.head if ref == "HEAD" else merge_base(self.root, ref, self.head)
        self._bases[ref] = (now, commit)
        return commit

    def _default_base(self, head: str) -> str:
        branch = default_base(self.root)
        if branch == "HEAD":
            return head
        try:
            return merge_base(self.root, branch, head)
        except GitError:
            return head

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

    def review(
        self,
        changeset: ChangeSet,
        sources: Sources,
        max_file_bytes: int,
        *,
        rules: RuleSelection | None = None,
        rule_levels: dict[str, str] | None = None,
        attributes: GitAttributes | None = None,
    ) -> Review:
        """Core's review of an edited buffer's change, by the person editing, now, with the
        repository's rule settings and .gitattributes."""
        return self.service.review(
            changeset,
            sources,
            ServiceOptions(
                max_file_bytes=max_file_bytes,
                author=self.service.current_user(),
                repository_head=self.head,
                rules=rules or RuleSelection(),
                rule_levels=rule_levels or {},
                attributes=attributes,
            ),
        )

    def warm_up(self) -> None:
        """Sync the history now (at a document's first open rather than its first edit)."""
        if self.head is not None:
            self.service.history(self.head)

    def tests_mentioning(self, function: str) -> list[str]:
        """Tests of this repository whose names mention ``function`` (see related_tests)."""
        if self._tests is None:
            self._tests = RelatedTests(self.root)
        return self._tests.mentioning(function)

    def production_errors(self, path: str, qualified_name: str) -> int:
        """Production errors filed under the local tenant (``argus ingest``) in the function
        ``qualified_name`` of ``path``, counted as the review counts them."""
        counts = self.service.production_errors_by_symbol(path, [qualified_name])
        return counts.get((path, qualified_name), 0)

    def close(self) -> None:
        """Close the store (the caches go with the object)."""
        self.service.close()


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
            self._model = shipped_model()
        return self._model

    def close(self) -> None:
        """Close every repository's store."""
        for repository in self._repositories.values():
            repository.close()
        self._repositories.clear()
