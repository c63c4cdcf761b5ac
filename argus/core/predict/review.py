"""The review: a ChangeSet and both sides of its files -> a ranked, explained Review.

Pure: every input (file contents, history facts, the model) arrives through parameters, so the
same function serves the CLI, the language server and the GitHub App.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Protocol

from tree_sitter import Tree

from argus.core.classify import GitAttributes, classify
from argus.core.diff.changeset import ChangeSet, FileChange, FileStatus
from argus.core.lang import FileAnalysis, Symbol, analyse_with_tree, map_lines_to_symbols
from argus.core.patterns.risk_feedback import for_symbols
from argus.core.predict.analysis_cache import AnalysisCache, findings_key, symbols_key
from argus.core.predict.file_kinds import file_kind
from argus.core.predict.findings import (
    BugFinding,
    Factor,
    LevelThresholds,
    Review,
    SymbolRisk,
)
from argus.core.predict.function_risk import FunctionFacts, FunctionWeights
from argus.core.predict.localisation import (
    CandidateFunction,
    Ranker,
    localisation_shares,
    ranking_reasons,
    shipped_ranker,
)
from argus.core.predict.rules import RuleContext, RuleSelection, registered_rules, run_rules
from argus.core.predict.rules.equivalents import RUFF_EQUIVALENT
from argus.core.predict.scoring import ScoringModel

FILE_LEVEL = "(file)"
_PROSE_ONLY = "only comments, docstrings or blank lines changed"
MAX_PROBABILITY = 0.99


@dataclass(frozen=True)
class FileHistoryFacts:
    """What history says about one file before the change."""

    developers: int = 0
    changes: int = 0
    age_days: float = 0.0
    fix_commits: int = 0
    author_changes: int | None = None


@dataclass(frozen=True)
class FunctionHistoryFacts:
    """What history says about one function before the change."""

    fix_touches: int = 0
    fix_touches_last_year: int = 0
    # Every earlier commit that changed it, and days since the last one (None: never).
    touches: int = 0
    days_since_change: float | None = None


class HistoryFacts(Protocol):
    """Answers history questions for the files and functions of one review."""

    def file_facts(self, path: str) -> FileHistoryFacts:
        """History of the file at ``path``."""
        ...

    def function_facts(self, path: str, name: str) -> FunctionHistoryFacts:
        """History of the function ``name`` (simple name) in ``path``."""
        ...


class NoHistory:
    """History facts for a change reviewed without a repository: nothing is known."""

    def file_facts(self, path: str) -> FileHistoryFacts:
        """Nothing known."""
        return FileHistoryFacts()

    def function_facts(self, path: str, name: str) -> FunctionHistoryFacts:
        """Nothing known."""
        return FunctionHistoryFacts()


@dataclass(frozen=True)
class Sources:
    """File contents on both sides of the change; None when absent or unreadable."""

    old: Mapping[str, bytes | None] = field(default_factory=dict)
    new: Mapping[str, bytes | None] = field(default_factory=dict)


@dataclass(frozen=True)
class ReviewOptions:
    """How a review is run; every field has a sensible default."""

    thresholds: LevelThresholds = field(default_factory=LevelThresholds)
    weights: FunctionWeights = field(default_factory=FunctionWeights)
    max_file_bytes: int = 1_000_000
    run_rules: bool = True
    # Which rules run (``.argus.yml``'s ``rules:``), the levels it sets, and the repository's
    # .gitattributes (generated and vendored files get no findings).
    rules: RuleSelection = field(default_factory=RuleSelection)
    rule_levels: Mapping[str, str] = field(default_factory=dict)
    attributes: GitAttributes | None = None
    # (repository path, function name as production frames recorded it) -> error count.
    production_errors: Mapping[tuple[str, str], int] = field(default_factory=dict)
    # Which changed function a later fix will change (None: the shipped ranker).
    ranker: Ranker | None = None


def basic_change_features(
    changeset: ChangeSet, line_counts: Mapping[str, int] | None = None
) -> dict[str, float]:
    """The size and diffusion features that need no history (NS, ND, NF, entropy, LA, LD, LT)."""
    files = [f for f in changeset.files if not f.is_binary]
    directories = {f.path.rsplit("/", 1)[0] if "/" in f.path else "" for f in files}
    subsystems = {f.path.split("/", 1)[0] if "/" in f.path else "" for f in files}
    churn = [f.lines_added + f.lines_deleted for f in files]
    total = sum(churn)
    entropy = 0.0
    if total:
        for amount in churn:
            if amount:
                share = amount / total
                entropy -= share * math.log2(share)
    counts = line_counts or {}
    return {
        "ns": float(len(subsystems)),
        "nd": float(len(directories)),
        "nf": float(len(files)),
        "entropy": entropy,
        "la": float(sum(f.lines_added for f in files)),
        "ld": float(sum(f.lines_deleted for f in files)),
        "lt": float(sum(counts.get(f.old_path or "", 0) for f in files)),
    }


def count_lines(source: bytes | None) -> int:
    """Lines in a file's contents (0 when absent)."""
    if not source:
        return 0
    return source.count(b"\n") + (0 if source.endswith(b"\n") else 1)


def review_change(
    changeset: ChangeSet,
    sources: Sources,
    model: ScoringModel,
    change_features: Mapping[str, float],
    history: HistoryFacts | None = None,
    options: ReviewOptions | None = None,
    cache: AnalysisCache | None = None,
) -> Review:
    """Score a change: overall risk, every changed symbol ranked, and predicted bugs.

    With a ``cache``, file versions and file changes analysed before are not parsed again.
    """
    options = options or ReviewOptions()
    history = history or NoHistory()
    warnings = list(changeset.warnings)
    pending: list[_Pending] = []
    bugs: list[BugFinding] = []
    for file_change in changeset.files:
        file_symbols, file_bugs, file_warnings = _review_file(
            file_change, sources, history, options, cache
        )
        pending.extend(file_symbols)
        bugs.extend(file_bugs)
        warnings.extend(file_warnings)
    if changeset.is_empty():
        # Nothing changed, so nothing can break.
        base_probability, factors = 0.0, []
    else:
        base_probability, explained = model.assess(change_features, top=3)
        factors = list(explained)
    symbols = _score_symbols(pending, base_probability, factors, options)
    probability = _with_bug_evidence(base_probability, bugs)
    if bugs:
        factors.insert(0, _bugs_factor(bugs, base_probability, probability))
    if cache is not None:
        cache.flush()
    symbols.sort(key=lambda s: (-s.probability, s.path, s.start_line))
    bugs.sort(key=lambda b: (-b.confidence, b.path, b.line))
    return Review(
        probability=probability,
        level=options.thresholds.level_for(probability),
        factors=tuple(factors[:3]),
        symbols=tuple(symbols),
        bugs=tuple(bugs),
        files_changed=len(changeset.files),
        lines_added=changeset.lines_added,
        lines_deleted=changeset.lines_deleted,
        model_version=model.version,
        base=changeset.base,
        head=changeset.head,
        warnings=tuple(warnings),
        file_kinds=_known_kinds(changeset, sources, options.attributes),
    )


def _known_kinds(
    changeset: ChangeSet, sources: Sources, attributes: GitAttributes | None
) -> tuple[tuple[str, str], ...]:
    """The kinds of the changed files their path alone does not tell: those ``.gitattributes``
    says something about, and those whose content shows a committed build (a bundle in
    ``browser/`` or ``min/``, a minified file), so the report gives them no row either."""
    known = []
    for change in changeset.files:
        path_only = classify(change.path)
        content = sources.new.get(change.new_path) if change.new_path else None
        kind = classify(change.path, attributes, content)
        if kind != path_only or (attributes is not None and attributes.signature(change.path)):
            known.append((change.path, kind.value))
    return tuple(known)


def _review_file(
    file_change: FileChange,
    sources: Sources,
    history: HistoryFacts,
    options: ReviewOptions,
    cache: AnalysisCache | None,
) -> tuple[list[_Pending], list[BugFinding], list[str]]:
    path = file_change.path
    if file_change.is_binary or file_change.mode_only:
        return [], [], []
    if not file_change.hunks:
        return [], [], []
    old_source = sources.old.get(file_change.old_path) if file_change.old_path else None
    new_source = sources.new.get(file_change.new_path) if file_change.new_path else None
    warnings: list[str] = []
    too_large = any(
        source is not None and len(source) > options.max_file_bytes
        for source in (old_source, new_source)
    )
    if too_large:
        warnings.append(
            f"{path}: larger than {options.max_file_bytes:,} bytes; scored at file level only"
        )
    deleted = file_change.status is FileStatus.DELETED
    analysable = not too_large and not deleted
    new_analysis, new_tree = (
        _analyse(path, new_source, options, cache) if analysable and new_source else (None, None)
    )
    old_analysis, old_tree = (
        _analyse(file_change.old_path or path, old_source, options, cache)
        if analysable and old_source
        else (None, None)
    )
    language = new_analysis.language if new_analysis else None
    if new_analysis and new_analysis.has_errors:
        warnings.append(f"{path}: has syntax errors; scored what parses")

    file_facts = history.file_facts(file_change.old_path or path)
    lines_before = count_lines(old_source)
    new_symbols = new_analysis.symbols if new_analysis else []
    old_symbols = old_analysis.symbols if old_analysis else []
    added_by_symbol = map_lines_to_symbols(new_symbols, file_change.added_lines)
    removed_by_symbol = map_lines_to_symbols(old_symbols, file_change.removed_lines)

    old_by_name = {s.qualified_name: s for s in old_symbols}
    new_by_name = {s.qualified_name: s for s in new_symbols}
    added: dict[str, list[int]] = defaultdict(list)
    removed: dict[str, list[int]] = defaultdict(list)
    for symbol, lines in added_by_symbol.items():
        added[symbol.qualified_name if symbol else FILE_LEVEL].extend(lines)
    for symbol, lines in removed_by_symbol.items():
        name = symbol.qualified_name if symbol else FILE_LEVEL
        # Lines removed from a function that no longer exists count at file level.
        removed[name if name in new_by_name or name == FILE_LEVEL else FILE_LEVEL].extend(lines)

    hunks = _hunks_by_name(file_change, added, removed)
    kind = file_kind(path)
    new_prose = _ProseLines(new_analysis, new_source)
    old_prose = _ProseLines(old_analysis, old_source)

    bugs: list[BugFinding] = []
    if options.run_rules and new_source is not None and analysable and language:
        bugs = _predicted_bugs(
            file_change,
            language,
            new_source,
            new_tree,
            old_source,
            old_tree,
            cache,
            warnings,
            options,
        )
    errors_by_symbol = _production_errors(options, path, new_symbols)
    bugs_by_symbol: dict[str, list[BugFinding]] = defaultdict(list)
    for bug in bugs:
        owner = _innermost(new_symbols, bug.line)
        bugs_by_symbol[owner.qualified_name if owner else FILE_LEVEL].append(bug)

    results: list[_Pending] = []
    for name in sorted(set(added) | set(removed), key=lambda n: (n != FILE_LEVEL, n)):
        symbol = new_by_name.get(name)
        before = old_by_name.get(name)
        function_history = (
            history.function_facts(file_change.old_path or path, symbol.name)
            if symbol is not None
            else FunctionHistoryFacts()
        )
        facts = FunctionFacts(
            lines_added=len(added.get(name, ())),
            lines_deleted=len(removed.get(name, ())),
            file_lines_before=lines_before,
            # A class's "complexity" is its body's outside methods: not shown on either side.
            complexity_before=(
                before.complexity if before and symbol and symbol.kind != "class" else None
            ),
            complexity_after=symbol.complexity if symbol and symbol.kind != "class" else None,
            fix_touches=function_history.fix_touches
            if symbol
            else (file_facts.fix_commits if name == FILE_LEVEL else 0),
            fix_touches_last_year=function_history.fix_touches_last_year,
            file_developers=file_facts.developers,
            file_changes=file_facts.changes,
            file_age_days=file_facts.age_days,
            author_file_changes=file_facts.author_changes,
            production_errors=errors_by_symbol.get((path, name), 0) if symbol else 0,
            is_new=symbol is not None and before is None,
        )
        if symbol is not None:
            touches = function_history.touches
            days_since_change = function_history.days_since_change
        else:
            # Lines outside any function: the file's own history stands for theirs.
            touches = file_facts.changes
            days_since_change = file_facts.age_days if file_facts.changes else None
        # Only comments, docstrings or blank lines changed: nothing a later fix could repair
        # (SZZ never blames such lines), so it ranks as a change outside the code does.
        prose_only = all(new_prose.holds(line) for line in added.get(name, ())) and all(
            old_prose.holds(line) for line in removed.get(name, ())
        )
        candidate = CandidateFunction(
            lines=facts.lines_added + facts.lines_deleted,
            hunks=hunks.get(name, 1),
            kind="other" if prose_only else kind,
            touches=touches,
            fix_touches=facts.fix_touches,
            days_since_change=days_since_change,
            file_commits=file_facts.changes,
            file_fixes=file_facts.fix_commits,
            file_lines=lines_before,
        )
        start, end = _span(symbol, added.get(name, []), file_change)
        results.append(
            _Pending(
                path=path,
                name=name if symbol else FILE_LEVEL,
                kind=symbol.kind if symbol else "file",
                language=language,
                start_line=start,
                end_line=end,
                facts=facts,
                candidate=candidate,
                bugs=tuple(bugs_by_symbol.get(name, [])),
                prose_only=prose_only,
            )
        )
    return results, bugs, warnings


class _ProseLines:
    """Which lines of one side of a file hold no code: blank, or only comments and docstrings
    (``FileAnalysis.prose_lines``). Without a grammar for the file every line counts as code."""

    def __init__(self, analysis: FileAnalysis | None, source: bytes | None):
        parsed = analysis is not None and analysis.language is not None and not analysis.skipped
        self._prose = analysis.prose_lines if parsed and analysis else None
        self._lines = source.split(b"\n") if parsed and source is not None else []

    def holds(self, line: int) -> bool:
        """True when 1-based ``line`` is blank or prose."""
        if self._prose is None:
            return False
        if line in self._prose:
            return True
        return 0 < line <= len(self._lines) and not self._lines[line - 1].strip()


@dataclass(frozen=True)
class _Pending:
    """A changed symbol with its facts, waiting to be scored with all the others."""

    path: str
    name: str
    kind: str
    language: str | None
    start_line: int
    end_line: int
    facts: FunctionFacts
    candidate: CandidateFunction
    bugs: tuple[BugFinding, ...]
    prose_only: bool = False


def _score_symbols(
    pending: Sequence[_Pending],
    change_probability: float,
    change_factors: Sequence[Factor],
    options: ReviewOptions,
) -> list[SymbolRisk]:
    """Score every changed symbol of the review: the probability that a later fix of this
    change lands in it, P(the change needs a fix) x P(the fix changes this function | it does),
    the second from the localisation ranker (argus/core/predict/localisation.py), which ranks the
    change's functions against each other; then raised by the symbol's production errors and
    predicted bugs. Without errors or findings, the order is the ranker's order, which is what
    ``benchmarks/localisation.py --review-order`` measures."""
    if not pending:
        return []
    ranker = options.ranker or shipped_ranker()
    candidates = [entry.candidate for entry in pending]
    shares = localisation_shares(ranker, candidates)
    reasons = ranking_reasons(ranker, candidates)
    total_lines = sum(candidate.lines for candidate in candidates)
    change_factor = change_factors[0] if change_factors else None
    symbols = []
    for entry, share, reason in zip(pending, shares, reasons, strict=True):
        probability = change_probability * share
        factors = _localisation_factors(
            entry.candidate, reason, total_lines, file_level=entry.name == FILE_LEVEL
        )
        if entry.prose_only:
            factors = [Factor("prose_only", _PROSE_ONLY, 0.0)]
        errors = entry.facts.production_errors
        if errors:
            shift = options.weights.production_errors * math.log1p(errors)
            probability = _sigmoid(_logit(probability) + shift)
            noun = "production error" if errors == 1 else "production errors"
            factors.insert(0, Factor("production_errors", f"{errors} {noun} seen here", shift))
        # The change's own strongest factor, only where nothing sets the function apart (it is
        # the same on every row, and the headline says it already).
        if change_factor is not None and not factors and not entry.prose_only:
            factors.append(change_factor)
        combined = _with_bug_evidence(probability, entry.bugs)
        if entry.bugs:
            factors.insert(0, _bugs_factor(entry.bugs, probability, combined))
        symbols.append(
            SymbolRisk(
                path=entry.path,
                name=entry.name,
                kind=entry.kind,
                language=entry.language,
                start_line=entry.start_line,
                end_line=entry.end_line,
                probability=combined,
                level=options.thresholds.level_for(combined),
                factors=tuple(factors[:3]),
                lines_added=entry.facts.lines_added,
                lines_deleted=entry.facts.lines_deleted,
                complexity_before=entry.facts.complexity_before,
                complexity_after=entry.facts.complexity_after,
            )
        )
    return symbols


# Ranking inputs that say the same thing in other words, and how each family is said.
_REASON_FAMILY = {
    "log_lines": "size", "line_share": "size", "largest": "size",
    "log_hunks": "hunks",
    "log_fix_touches": "fixes", "fix_ratio": "fixes",
    "log_touches": "touches", "new_function": "touches",
    "log_file_fixes": "file_fixes", "file_fix_ratio": "file_fixes",
}  # fmt: skip


def _localisation_factors(
    candidate: CandidateFunction,
    reasons: Sequence[tuple[str, float]],
    total_lines: int,
    *,
    file_level: bool = False,
) -> list[Factor]:
    """What sets the function apart from the change's others, in plain words (at most two).
    Lines outside functions take their file's history, so there the file's fixes and the
    region's fixes are one fact, said once."""
    factors: list[Factor] = []
    seen: set[str] = set()
    for name, contribution in reasons:
        family = _REASON_FAMILY.get(name)
        if file_level and family == "file_fixes":
            family = "fixes"
        if contribution <= 0.05 or family is None or family in seen:
            continue
        seen.add(family)
        if family == "size":
            text = f"{candidate.lines} of the change's {total_lines} changed lines"
        elif family == "hunks":
            text = f"changed in {candidate.hunks} places"
        elif family == "fixes":
            noun = "bug fix" if candidate.fix_touches == 1 else "bug fixes"
            text = f"changed in {candidate.fix_touches} {noun} before"
        elif family == "touches":
            text = (
                "a new function"
                if candidate.touches == 0
                else f"changed in {candidate.touches} earlier commits"
            )
        else:
            text = (
                f"its file: {candidate.file_fixes} of {candidate.file_commits} earlier commits"
                " were fixes"
            )
        factors.append(Factor(f"localisation_{family}", text, contribution))
        if len(factors) == 2:
            break
    return factors


def _hunks_by_name(
    file_change: FileChange, added: Mapping[str, list[int]], removed: Mapping[str, list[int]]
) -> dict[str, int]:
    """How many hunks of a ``-U0`` diff change each symbol (by qualified name), as the corpus
    counts them, whatever context the diff was taken with: a hunk is a run of removed and
    added lines with no unchanged line between them."""
    owner_added = {line: name for name, lines in added.items() for line in lines}
    owner_removed = {line: name for name, lines in removed.items() for line in lines}
    counts: dict[str, int] = defaultdict(int)
    for hunk in file_change.hunks:
        removed_lines, added_lines = set(hunk.removed), set(hunk.added)
        old, new = hunk.source_start, hunk.target_start
        old_end = hunk.source_start + hunk.source_length
        new_end = hunk.target_start + hunk.target_length
        names: set[str] = set()
        while old < old_end or new < new_end:
            if old in removed_lines:
                names.add(owner_removed.get(old, FILE_LEVEL))
                old += 1
            elif new in added_lines:
                names.add(owner_added.get(new, FILE_LEVEL))
                new += 1
            else:  # an unchanged line ends the run
                for name in names:
                    counts[name] += 1
                names = set()
                old += 1
                new += 1
        for name in names:
            counts[name] += 1
    return counts


def _logit(probability: float) -> float:
    clipped = min(max(probability, 1e-6), 1 - 1e-6)
    return math.log(clipped / (1 - clipped))


def _sigmoid(value: float) -> float:
    if value >= 0:
        return 1 / (1 + math.exp(-value))
    exponential = math.exp(value)
    return exponential / (1 + exponential)


def _analyse(
    path: str, source: bytes, options: ReviewOptions, cache: AnalysisCache | None
) -> tuple[FileAnalysis, Tree | None]:
    """Symbols of one side of a file: from the cache, or parsed (the tree is kept so that the
    rules need not parse the file again)."""
    if cache is None:
        return analyse_with_tree(path, source, max_bytes=options.max_file_bytes)
    key = symbols_key(path, source, options.max_file_bytes)
    cached = cache.get_symbols(key)
    if cached is not None:
        return cached, None
    analysis, tree = analyse_with_tree(path, source, max_bytes=options.max_file_bytes)
    cache.put_symbols(key, analysis)
    return analysis, tree


def _predicted_bugs(
    file_change: FileChange,
    language: str,
    new_source: bytes,
    new_tree: Tree | None,
    old_source: bytes | None,
    old_tree: Tree | None,
    cache: AnalysisCache | None,
    warnings: list[str],
    options: ReviewOptions,
) -> list[BugFinding]:
    """The findings of the rules ``options`` selects on the changed lines, from the cache when
    this very change was analysed before with the same rules on. Only the selected rules run:
    the opt-in ones cost as much as the default ones (a third of a cold review's rule time)."""
    key = None
    if cache is not None:
        key = findings_key(
            file_change.path,
            new_source,
            old_source,
            file_change.added_lines,
            file_change.removed_lines,
            options.attributes.signature(file_change.path) if options.attributes else "",
            rules=_selection_signature(options.rules),
        )
        cached = cache.get_findings(key)
        if cached is not None:
            return _selected(cached, options)
    context = RuleContext(
        path=file_change.path,
        language=language,
        source=new_source,
        changed_lines=file_change.added_lines,
        tree=new_tree,
        old_source=old_source,
        old_tree=old_tree,
        removed_lines=file_change.removed_lines,
        attributes=options.attributes,
    )
    rule_warnings: list[str] = []
    bugs = run_rules(context, warnings=rule_warnings, selection=options.rules)
    warnings.extend(rule_warnings)
    if cache is not None and key is not None and not rule_warnings:
        cache.put_findings(key, bugs)
    return _selected(bugs, options)


@cache
def _selection_signature(selection: RuleSelection) -> str:
    """The ids of the rules ``selection`` runs, for the findings' cache key."""
    return ",".join(sorted(rule.id for rule in registered_rules() if selection.includes(rule)))


def _selected(bugs: Sequence[BugFinding], options: ReviewOptions) -> list[BugFinding]:
    """The findings of the rules that are on, at the level ``.argus.yml`` sets for them."""
    rules = {rule.id: rule for rule in registered_rules()}
    chosen = []
    for bug in bugs:
        rule = rules.get(bug.rule_id)
        if rule is None or not options.rules.includes(rule):
            continue
        level = options.rule_levels.get(bug.rule_id)
        chosen.append(replace(bug, level=level) if level else bug)
    return chosen


def _production_errors(
    options: ReviewOptions, path: str, symbols: Sequence[Symbol]
) -> dict[tuple[str, str], int]:
    """Production errors of this file's functions, keyed by qualified name: the counts are
    keyed by the name an error's frame carried, qualified (``Cart.add``) or bare (``add``)."""
    counts = options.production_errors
    if not counts:
        return {}
    return for_symbols(counts, {path: [s.qualified_name for s in symbols]})


def _innermost(symbols: Sequence[Symbol], line: int) -> Symbol | None:
    found = map_lines_to_symbols(symbols, [line])
    for symbol in found:
        return symbol
    return None


def _span(symbol: Symbol | None, added: list[int], file_change: FileChange) -> tuple[int, int]:
    if symbol is not None:
        return symbol.start_line, symbol.end_line
    if added:
        return min(added), max(added)
    starts = [max(h.target_start, 1) for h in file_change.hunks]
    return (min(starts), min(starts)) if starts else (1, 1)


def with_linter_findings(
    review: Review, findings: Sequence[BugFinding], thresholds: LevelThresholds
) -> Review:
    """``review`` with a linter's findings added (``argus.core.predict.linters``), found while the
    review ran. A finding whose precision was measured (its factor carries the value: a ruff
    rule with a measured Argus twin) is evidence like an Argus rule's, for its symbol and for
    the change; the others are shown but leave the risk alone. A linter finding that restates
    an Argus finding on the same line (ruff's B015 where PY016 spoke) is left out: said once."""
    said = {
        (bug.path, bug.line, code)
        for bug in review.bugs
        for code in RUFF_EQUIVALENT.get(bug.rule_id, ())
    }
    findings = [f for f in findings if (f.path, f.line, f.rule_id.partition(":")[2]) not in said]
    if not findings:
        return review
    evidential = [f for f in findings if f.factors and f.factors[0].value is not None]
    symbols = list(review.symbols)
    owned: dict[int, list[BugFinding]] = defaultdict(list)
    for finding in evidential:
        holders = [
            index
            for index, symbol in enumerate(symbols)
            if symbol.path == finding.path and symbol.start_line <= finding.line <= symbol.end_line
        ]
        # The innermost changed function or class holds the line; else the file's own entry.
        holders.sort(key=lambda index: (symbols[index].kind == "file", _length(symbols[index])))
        if holders:
            owned[holders[0]].append(finding)
    for index, own in owned.items():
        symbol = symbols[index]
        combined = _with_bug_evidence(symbol.probability, own)
        factors = [_bugs_factor(own, symbol.probability, combined), *symbol.factors]
        symbols[index] = replace(
            symbol,
            probability=combined,
            level=thresholds.level_for(combined),
            factors=tuple(factors[:3]),
        )
    probability, factors = review.probability, list(review.factors)
    if evidential:
        probability = _with_bug_evidence(review.probability, evidential)
        factors.insert(0, _bugs_factor(evidential, review.probability, probability))
    symbols.sort(key=lambda s: (-s.probability, s.path, s.start_line))
    bugs = sorted((*review.bugs, *findings), key=lambda b: (-b.confidence, b.path, b.line))
    return replace(
        review,
        probability=probability,
        level=thresholds.level_for(probability),
        factors=tuple(factors[:3]),
        symbols=tuple(symbols),
        bugs=tuple(bugs),
    )


def _length(symbol: SymbolRisk) -> int:
    return symbol.end_line - symbol.start_line


def _with_bug_evidence(probability: float, bugs: Sequence[BugFinding]) -> float:
    """Noisy-OR: each predicted bug is independent evidence, its confidence the chance it is a
    real defect; the change is bug-free only if the model's risk and every finding miss."""
    survive = 1.0 - probability
    for bug in bugs:
        survive *= 1.0 - bug.confidence
    # Rule confidences are estimates: never claim certainty.
    return min(1.0 - survive, MAX_PROBABILITY) if bugs else probability


def _bugs_factor(bugs: Sequence[BugFinding], before: float, after: float) -> Factor:
    strongest: dict[str, float] = {}
    for bug in bugs:
        strongest[bug.rule_id] = max(strongest.get(bug.rule_id, 0.0), bug.confidence)
    # The most confident findings are named first.
    rule_ids = sorted(strongest, key=lambda rule_id: (-strongest[rule_id], rule_id))
    noun = "predicted bug" if len(bugs) == 1 else "predicted bugs"
    shown = ", ".join(rule_ids[:3]) + ("…" if len(rule_ids) > 3 else "")
    lift = math.log(max(after, 1e-6) / max(1 - after, 1e-6)) - math.log(
        max(before, 1e-6) / max(1 - before, 1e-6)
    )
    return Factor("predicted_bugs", f"{len(bugs)} {noun} ({shown})", lift, float(len(bugs)))
