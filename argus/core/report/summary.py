"""What every report format says the same way: order, headline, factors, complexity."""

from __future__ import annotations

from collections.abc import Iterable

from argus.core.classify import FileKind, classify
from argus.core.predict.findings import BugFinding, Factor, GeneratedTest, Review, SymbolRisk

NO_CHANGES = "No changes to review"
MINUS = "\N{MINUS SIGN}"
ARROW = "\N{RIGHTWARDS ARROW}"
EM_DASH = "\N{EM DASH}"


def is_empty(review: Review) -> bool:
    """True when the review covers no change at all."""
    return review.files_changed == 0 and not review.symbols and not review.bugs


def ranked_symbols(review: Review) -> list[SymbolRisk]:
    """Code symbols from the riskiest down; ties broken by place so the order is stable.

    Documentation, changelogs, lock files, data, generated and vendored files never get a row
    (see :func:`non_code_files`): nobody reviews a lock file for bugs.
    """
    return sorted(
        (symbol for symbol in review.symbols if file_kind(review, symbol.path).is_code),
        key=lambda symbol: (-symbol.probability, symbol.path, symbol.start_line, symbol.name),
    )


def file_kind(review: Review, path: str) -> FileKind:
    """What ``path`` is: as the repository's ``.gitattributes`` says, else by its path."""
    for known, kind in review.file_kinds:
        if known == path:
            return FileKind(kind)
    return classify(path)


def non_code_files(review: Review) -> dict[str, list[str]]:
    """The changed files that are not code, by kind (``docs``, ``lock``, ...), for one line."""
    kinds: dict[str, list[str]] = {}
    for path in sorted({symbol.path for symbol in review.symbols}):
        kind = file_kind(review, path)
        if not kind.is_code:
            kinds.setdefault(kind.value, []).append(path)
    return kinds


def ordered_bugs(review: Review) -> list[BugFinding]:
    """Bug findings from the most confident down; ties broken by place and rule."""
    return sorted(
        review.bugs,
        key=lambda bug: (-bug.confidence, bug.path, bug.line, bug.column, bug.rule_id),
    )


def top_factors(factors: Iterable[Factor], limit: int = 3) -> list[Factor]:
    """The factors that pushed the risk up most; the strongest of any sign when none did."""
    ordered = sorted(factors, key=lambda factor: (-factor.contribution, factor.name))
    raising = [factor for factor in ordered if factor.contribution > 0]
    if raising:
        return raising[:limit]
    return sorted(ordered, key=lambda factor: (-abs(factor.contribution), factor.name))[:limit]


def plural(count: int, word: str) -> str:
    """``1 file``, ``2 files``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def change_size(review: Review) -> str:
    """``5 files, +120 −34``."""
    return (
        f"{plural(review.files_changed, 'file')}, "
        f"+{review.lines_added} {MINUS}{review.lines_deleted}"
    )


def headline(review: Review) -> str:
    """``Risk: HIGH 0.74 — 5 files, +120 −34``, or the no-changes sentence."""
    if is_empty(review):
        return NO_CHANGES
    level = review.level.value.upper()
    return f"Risk: {level} {review.probability:.2f} {EM_DASH} {change_size(review)}"


def percent(probability: float) -> str:
    """A probability as a whole percentage, ``74%``."""
    return f"{round(probability * 100)}%"


def complexity_change(symbol: SymbolRisk) -> str:
    """``18 → 27``; a dash for the side that does not exist; empty when unknown."""
    before, after = symbol.complexity_before, symbol.complexity_after
    if before is None and after is None:
        return ""
    shown_before = EM_DASH if before is None else str(before)
    shown_after = EM_DASH if after is None else str(after)
    return f"{shown_before} {ARROW} {shown_after}"


def location(path: str, line: int) -> str:
    """``path:line``."""
    return f"{path}:{line}"


def validation_summary(test: GeneratedTest) -> str:
    """One line on how a generated test was validated, for the text and Markdown reports."""
    check = test.validation
    parts: list[str] = []
    if check.fails_before:
        where = f" on {check.before[:12]}" if check.before else ""
        parts.append(f"fails{where} with {check.expected_exception or 'the error'}")
    if check.passes_after:
        where = check.after[:12] if check.after else "the working tree"
        parts.append(f"passes on {where} ({check.passed_runs}/{check.runs} runs)")
    elif check.fails_before and check.passes_after is None:
        parts.append(f"reproduced {check.runs}/{check.runs} runs (no fix to pass on)")
    if check.changed_lines_total:
        ratio = check.coverage_ratio or 0.0
        parts.append(
            f"covers {check.changed_lines_covered}/{check.changed_lines_total} changed lines "
            f"({ratio:.0%})"
        )
    origin = check.tier or "?"
    if check.generator and check.generator != check.tier:
        origin += f" ({check.generator})"
    parts.append("from the pattern cache" if check.cached else f"from {origin}")
    if check.dollars:
        parts.append(f"${check.dollars:.4f}")
    if check.isolation:
        parts.append(f"sandbox: {check.isolation}")
    return "; ".join(parts)
