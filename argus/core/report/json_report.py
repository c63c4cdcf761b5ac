"""The machine-readable report, schema ``argus.review/v1`` (described in docs/json-schema.md)."""

from __future__ import annotations

import json
import math
from typing import Any

from argus.core.errors import ModelError
from argus.core.predict.findings import BugFinding, Factor, GeneratedTest, Review, SymbolRisk
from argus.core.report.options import ReportOptions, installed_version
from argus.core.report.summary import headline, is_empty, ordered_bugs, ranked_symbols

SCHEMA_ID = "argus.review/v1"
DIGITS = 4


def render_json(review: Review, options: ReportOptions | None = None) -> str:
    """The review as indented JSON with a fixed key order and probabilities to 4 decimals."""
    return json.dumps(review_document(review, options), indent=2, ensure_ascii=False) + "\n"


def review_document(review: Review, options: ReportOptions | None = None) -> dict[str, Any]:
    """The ``argus.review/v1`` document as plain dicts and lists, keys in schema order."""
    options = options or ReportOptions()
    symbols = ranked_symbols(review)
    bugs = ordered_bugs(review)
    document: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "tool": {"name": "Argus", "version": options.tool_version or installed_version()},
        "model_version": review.model_version,
        "base": review.base,
        "head": review.head,
        "summary": {
            "headline": headline(review),
            "empty": is_empty(review),
            "probability": _round(review.probability),
            "level": review.level.value,
            "files_changed": review.files_changed,
            "lines_added": review.lines_added,
            "lines_deleted": review.lines_deleted,
            "symbol_count": len(symbols),
            "bug_count": len(bugs),
        },
        "factors": [_factor(factor) for factor in review.factors],
        "symbols": [_symbol(rank, symbol) for rank, symbol in enumerate(symbols, start=1)],
        "bugs": [_bug(bug) for bug in bugs],
        "warnings": list(review.warnings),
    }
    if review.tests:
        # Additive: present only when tests were generated (``argus review --generate-tests``).
        document["tests"] = [generated_test_document(test) for test in review.tests]
    return document


def generated_test_document(test: GeneratedTest) -> dict[str, Any]:
    """One validated generated test as JSON (the ``tests`` items; ``argus ingest`` too)."""
    check = test.validation
    ratio = check.coverage_ratio
    return {
        "target_path": test.target_path,
        "target_symbol": test.target_symbol,
        "language": test.language,
        "framework": test.framework,
        "kind": test.kind,
        "path": test.path,
        "source": test.source,
        "pattern_id": test.pattern_id,
        "validation": {
            "runs": check.runs,
            "passed_runs": check.passed_runs,
            "fails_before": check.fails_before,
            "passes_after": check.passes_after,
            "expected_exception": check.expected_exception,
            "before": check.before,
            "after": check.after,
            "changed_lines_covered": check.changed_lines_covered,
            "changed_lines_total": check.changed_lines_total,
            "changed_line_coverage": None if ratio is None else _round(ratio),
            "isolation": check.isolation,
            "tier": check.tier,
            "generator": check.generator,
            "cached": check.cached,
            "dollars": round(check.dollars, 6),
        },
    }


def review_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) that every ``render_json`` output satisfies."""
    from importlib.resources import files

    text = files("argus.core.report").joinpath("schema", "review.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _round(value: float) -> float:
    if not math.isfinite(value):
        raise ModelError(f"the review holds a non-finite number ({value}); re-run the review")
    # Adding 0.0 turns a rounded -0.0 into 0.0 so equal reviews print identically.
    return round(value, DIGITS) + 0.0


def _factor(factor: Factor) -> dict[str, Any]:
    return {
        "name": factor.name,
        "text": factor.text,
        "contribution": _round(factor.contribution),
        "value": None if factor.value is None else _round(factor.value),
    }


def _symbol(rank: int, symbol: SymbolRisk) -> dict[str, Any]:
    return {
        "rank": rank,
        "path": symbol.path,
        "name": symbol.name,
        "kind": symbol.kind,
        "language": symbol.language,
        "start_line": symbol.start_line,
        "end_line": symbol.end_line,
        "probability": _round(symbol.probability),
        "level": symbol.level.value,
        "lines_added": symbol.lines_added,
        "lines_deleted": symbol.lines_deleted,
        "complexity_before": symbol.complexity_before,
        "complexity_after": symbol.complexity_after,
        "factors": [_factor(factor) for factor in symbol.factors],
    }


def _bug(bug: BugFinding) -> dict[str, Any]:
    return {
        "rule_id": bug.rule_id,
        "title": bug.title,
        "path": bug.path,
        "line": bug.line,
        "end_line": bug.end_line,
        "column": bug.column,
        "end_column": bug.end_column,
        "message": bug.message,
        "confidence": _round(bug.confidence),
        "language": bug.language,
        "snippet": bug.snippet,
        "factors": [_factor(factor) for factor in bug.factors],
    }
