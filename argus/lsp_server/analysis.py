"""One buffer -> one Review: a line diff against the base blob, then the core review.

Per keystroke only the buffer's own diff is analysed: the base side is parsed once per
(commit, path), the buffer is re-parsed incrementally from its previous tree, and the review
sees just the top-level blocks the change touches (other lines are blanked, so every line
number stays where it was).
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from argus.core.config import load_repository_config
from argus.core.diff.changeset import ChangeSet, FileChange, FileStatus
from argus.core.errors import ArgusError
from argus.core.predict.findings import Review
from argus.core.predict.review import Sources
from argus.lsp_server.line_diff import LineDiff, line_diff, split_lines
from argus.lsp_server.settings import Settings
from argus.lsp_server.workspace import (
    Repositories,
    Repository,
    Span,
)

# Top-level statements this short (imports, constants) stay in the analysed slice: rules may
# want the names they define, and they cost nothing to parse.
SHORT_BLOCK_LINES = 2

# File names for buffers that have none yet (untitled:), by LSP language id.
UNTITLED_NAMES = {
    "python": "untitled.py",
    "javascript": "untitled.js",
    "javascriptreact": "untitled.jsx",
    "typescript": "untitled.ts",
    "typescriptreact": "untitled.tsx",
    "go": "untitled.go",
    "java": "Untitled.java",
}


class StaleAnalysis(Exception):
    """A newer version of the buffer arrived: this analysis is dropped."""


@dataclass(frozen=True)
class BufferRequest:
    """What the server knows about one open buffer at one version."""

    uri: str
    text: str
    version: int | None
    path: Path | None  # None for an untitled buffer
    language_id: str = ""
    workspace_root: Path | None = None


@dataclass(frozen=True)
class BufferAnalysis:
    """The outcome for one buffer version; ``review`` None means nothing to show."""

    uri: str
    version: int | None
    review: Review | None
    lines: Sequence[str] = ()
    path: str | None = None
    repository: Path | None = None
    outside_git: bool = False
    file_level_only: bool = False
    problem: str | None = None
    seconds: float = 0.0
    changed_lines: frozenset[int] = frozenset()


def slice_source(source: bytes, spans: Sequence[Span], touched: set[int]) -> bytes:
    """``source`` with every top-level block that no touched line falls in blanked out.

    Short blocks (imports, constants) are kept. Lines keep their numbers and the result has as
    many lines as ``source``.
    """
    ordered = sorted(touched)
    parts: list[bytes] = []
    written_newlines = 0
    kept_end = 0  # the last line written
    kept_start_offset = 0
    kept_first = 0
    last_offset = 0
    for span in spans:
        first = bisect.bisect_left(ordered, span.first_line)
        hit = first < len(ordered) and ordered[first] <= span.last_line
        if not hit and span.last_line - span.first_line + 1 > SHORT_BLOCK_LINES:
            continue
        if kept_first and span.first_line <= kept_end:
            kept_end = max(kept_end, span.last_line)
            last_offset = max(last_offset, span.last_offset)
            continue
        if kept_first:
            written_newlines = _emit(
                parts, source, kept_first, kept_start_offset, last_offset, written_newlines
            )
        kept_first, kept_end = span.first_line, span.last_line
        kept_start_offset, last_offset = span.first_offset, span.last_offset
    if kept_first:
        written_newlines = _emit(
            parts, source, kept_first, kept_start_offset, last_offset, written_newlines
        )
    total_newlines = source.count(b"\n")
    parts.append(b"\n" * (total_newlines - written_newlines))
    result = b"".join(parts)
    if source and not source.endswith(b"\n") and result.endswith(b"\n"):
        result += b" "  # keep the count of lines when the last one has no newline
    return result


def _emit(
    parts: list[bytes],
    source: bytes,
    first_line: int,
    start_offset: int,
    last_offset: int,
    written_newlines: int,
) -> int:
    """Append blank lines up to ``first_line``, then the block's lines; newlines written."""
    parts.append(b"\n" * (first_line - 1 - written_newlines))
    end = source.find(b"\n", last_offset)
    block = source[start_offset : len(source) if end < 0 else end]
    parts.append(block)
    return first_line - 1 + block.count(b"\n")


def blank_unchanged_blocks(
    new_lines: list[bytes], new_source: bytes, spans: Sequence[Span], diff: LineDiff
) -> bytes:
    """The new version with the base's untouched top-level blocks blanked where they now sit.

    A block none of whose lines the change touched is the same text in the buffer, only
    moved; blanking it there spares parsing it again on every keystroke.
    """
    ordered = sorted(diff.touched_old)
    parts: list[bytes] = []
    written = 0  # new lines copied or blanked so far
    for span in spans:
        if span.last_line - span.first_line + 1 <= SHORT_BLOCK_LINES:
            continue
        first = bisect.bisect_left(ordered, span.first_line)
        if first < len(ordered) and ordered[first] <= span.last_line:
            continue
        start, end = diff.new_line(span.first_line), diff.new_line(span.last_line)
        if start is None or end is None or start <= written:
            continue
        parts.extend(new_lines[written : start - 1])
        parts.extend([b""] * (end + 1 - start))
        written = end
    parts.extend(new_lines[written:])
    text = b"\n".join(parts)
    return text + b"\n" if new_source.endswith(b"\n") else text


class Analyser:
    """Analyses buffers against their repository's base, keeping per-repository caches."""

    def __init__(self, repositories: Repositories):
        self.repositories = repositories

    def analyse(
        self,
        request: BufferRequest,
        settings: Settings,
        is_stale: Callable[[], bool] = lambda: False,
    ) -> BufferAnalysis:
        """Review the buffer's change against the configured base.

        Raises StaleAnalysis when ``is_stale`` says a newer version arrived meanwhile.
        """
        started = time.perf_counter()
        lines = request.text.split("\n")
        located = self._locate(request)
        if located is None:
            return BufferAnalysis(request.uri, request.version, None, lines, outside_git=True)
        repository, relative, tracked = located
        try:
            review, file_level, changed = self._review(
                request, settings, repository, relative, tracked, is_stale
            )
        except ArgusError as error:
            return BufferAnalysis(
                request.uri,
                request.version,
                None,
                lines,
                relative,
                repository.root,
                problem=str(error),
            )
        return BufferAnalysis(
            request.uri,
            request.version,
            review,
            lines,
            relative,
            repository.root,
            file_level_only=file_level,
            seconds=time.perf_counter() - started,
            changed_lines=changed,
        )

    def _locate(self, request: BufferRequest) -> tuple[Repository, str, bool] | None:
        if request.path is None:
            if request.workspace_root is None:
                return None
            repository = self.repositories.locate(request.workspace_root / "untitled")
            name = UNTITLED_NAMES.get(request.language_id, "untitled.txt")
            return (repository, name, False) if repository is not None else None
        repository = self.repositories.locate(request.path)
        if repository is None:
            return None
        try:
            relative = request.path.resolve().relative_to(repository.root.resolve())
        except ValueError:
            return None
        return repository, PurePosixPath(relative).as_posix(), True

    def _review(
        self,
        request: BufferRequest,
        settings: Settings,
        repository: Repository,
        path: str,
        tracked: bool,
        is_stale: Callable[[], bool],
    ) -> tuple[Review | None, bool, frozenset[int]]:
        commit = repository.base_commit(settings.base_ref)
        base = repository.base_file(commit if tracked else None, path, settings.max_file_bytes)
        new_source = request.text.encode("utf-8", "surrogatepass")
        old_source = base.source
        new_lines = split_lines(new_source)
        diff = line_diff(split_lines(old_source or b""), new_lines)
        if not diff.hunks:
            repository.warm_up()  # the history is synced at the first open, not the first edit
            return None, False, frozenset()
        too_large = max(len(new_source), len(old_source or b"")) > settings.max_file_bytes
        analysed_new, analysed_old = new_source, old_source
        if not too_large and old_source is not None and base.tree is not None:
            analysed_new = blank_unchanged_blocks(new_lines, new_source, base.spans, diff)
            analysed_old = slice_source(old_source, base.spans, diff.touched_old)
        if is_stale():
            raise StaleAnalysis(request.uri)
        change = FileChange(
            old_path=path if old_source is not None else None,
            new_path=path,
            status=FileStatus.MODIFIED if old_source is not None else FileStatus.ADDED,
            hunks=diff.hunks,
        )
        changeset = ChangeSet(files=(change,), base=commit)
        # The same .argus.yml as the CLI and the App; a malformed one becomes the problem shown.
        config, attributes = load_repository_config(repository.root)
        review = repository.review(
            changeset,
            Sources(old={path: analysed_old}, new={path: analysed_new}),
            settings.max_file_bytes,
            rules=config.rules,
            rule_levels=dict(config.rule_levels),
            attributes=attributes,
        )
        return review, too_large, change.added_lines
