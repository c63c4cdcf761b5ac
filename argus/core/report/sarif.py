"""SARIF 2.1.0 for GitHub code scanning and other static-analysis viewers.

Bug findings become results of their own rule; risky symbols become results of the synthetic
rule ``ARGUS-RISK``. Levels: a finding with confidence at or above 0.7 is a ``warning``, below
that a ``note``; a high-risk symbol is a ``warning``, a medium one a ``note``, a low one is left
out unless asked for. Argus never emits ``error``: GitHub fails the check on errors, and a
prediction should inform the reviewer, not block the merge.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Protocol
from urllib.parse import quote

from argus.core.predict.findings import BugFinding, Review, RiskLevel, SymbolRisk
from argus.core.report.options import ReportOptions, RuleInfo, installed_version
from argus.core.report.summary import (
    NO_CHANGES,
    is_empty,
    ordered_bugs,
    percent,
    ranked_symbols,
    top_factors,
)

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/argus-dev/argus"
RULES_DOC = "https://github.com/argus-dev/argus/blob/main/docs/rules.md"
RISK_RULE_ID = "ARGUS-RISK"
SOURCE_ROOT = "%SRCROOT%"
WARNING_CONFIDENCE = 0.7
MESSAGE_LIMIT = 1_000
TAG_LIMIT = 10

_RISK_RULE = RuleInfo(
    name="RiskyChange",
    short_description="Changed code likely to introduce a bug.",
    full_description=(
        "The risk model gives this changed symbol a high or medium probability of introducing a "
        "bug: the change's risk (its size and spread and the history of the code) times how "
        "likely a later fix is to land in this symbol rather than elsewhere in the change. "
        "Review it with care and make sure tests cover it."
    ),
    precision="medium",
    tags=("risk", "maintainability"),
)


def render_sarif(review: Review, options: ReportOptions | None = None) -> str:
    """The review as a SARIF 2.1.0 log with one run, pretty-printed."""
    return json.dumps(sarif_log(review, options), indent=2, ensure_ascii=False) + "\n"


def sarif_log(review: Review, options: ReportOptions | None = None) -> dict[str, Any]:
    """The SARIF log as plain dicts and lists."""
    options = options or ReportOptions()
    version = options.tool_version or installed_version()
    candidates = _bug_candidates(review) + _risk_candidates(review, options)
    by_severity = sorted(
        range(len(candidates)), key=lambda index: _severity_order(candidates[index])
    )
    # Results keep the report's own order (bugs, then symbols) among those that survived the cap.
    kept = [candidates[index] for index in sorted(by_severity[: options.max_results])]
    omitted = len(candidates) - len(kept)

    rule_ids = list(dict.fromkeys(candidate.rule_id for candidate in kept))
    rules = [_rule(rule_id, review, options) for rule_id in rule_ids]
    results = [_result(candidate, rule_ids.index(candidate.rule_id)) for candidate in kept]

    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "Argus",
                "informationUri": INFORMATION_URI,
                "version": version,
                "semanticVersion": version,
                "rules": rules,
            }
        },
        "invocations": [_invocation(review, omitted)],
        "originalUriBaseIds": {SOURCE_ROOT: _source_root(options.source_root)},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": _run_properties(review),
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


@dataclass(frozen=True)
class _Candidate:
    """A result before it has a rule index."""

    rule_id: str
    level: str
    rank: float
    message: str
    path: str
    region: dict[str, Any]
    fingerprint: str
    properties: dict[str, Any]
    fixes: tuple[dict[str, Any], ...] = ()


def _severity_order(candidate: _Candidate) -> tuple[int, float]:
    return (0 if candidate.level == "warning" else 1, -candidate.rank)


def _bug_candidates(review: Review) -> list[_Candidate]:
    bugs = ordered_bugs(review)
    fingerprints = _fingerprints(bugs)
    candidates = []
    for bug, fingerprint in zip(bugs, fingerprints, strict=True):
        region: dict[str, Any] = {"startLine": max(bug.line, 1), "startColumn": max(bug.column, 1)}
        region["endLine"] = max(bug.end_line or region["startLine"], region["startLine"])
        if bug.end_column is not None and (
            region["endLine"] > region["startLine"] or bug.end_column > region["startColumn"]
        ):
            region["endColumn"] = bug.end_column
        if bug.snippet.strip():
            region["snippet"] = {"text": bug.snippet}
        candidates.append(
            _Candidate(
                rule_id=bug.rule_id,
                level=bug.level or ("warning" if bug.confidence >= WARNING_CONFIDENCE else "note"),
                rank=round(bug.confidence * 100, 1),
                message=_sentence(f"{bug.message} {bug.why}".strip()),
                path=bug.path,
                region=region,
                fingerprint=fingerprint,
                properties={"confidence": round(bug.confidence, 4)},
                fixes=_fixes(bug),
            )
        )
    return candidates


def _risk_candidates(review: Review, options: ReportOptions) -> list[_Candidate]:
    occurrences: dict[str, int] = {}
    candidates = []
    for symbol in ranked_symbols(review):
        if symbol.level is RiskLevel.LOW and not options.include_low_risk:
            continue
        # Named by symbol rather than line so the alert follows the function when code moves.
        base = _hash(RISK_RULE_ID, symbol.path, f"{symbol.kind} {symbol.name}")
        occurrences[base] = occurrences.get(base, 0) + 1
        start = max(symbol.start_line, 1)
        candidates.append(
            _Candidate(
                rule_id=RISK_RULE_ID,
                level="warning" if symbol.level is RiskLevel.HIGH else "note",
                rank=round(symbol.probability * 100, 1),
                message=_risk_message(symbol),
                path=symbol.path,
                region={
                    "startLine": start,
                    "startColumn": 1,
                    "endLine": max(symbol.end_line, start),
                },
                fingerprint=f"{base}:{occurrences[base]}",
                properties=_risk_properties(symbol),
            )
        )
    return candidates


def _risk_message(symbol: SymbolRisk) -> str:
    if symbol.kind == "file":
        what = "the top level of this file"
    else:
        what = f"{symbol.kind or 'symbol'} '{symbol.name}'"
    text = (
        f"{symbol.level.value.capitalize()} risk ({percent(symbol.probability)}) that this change "
        f"to {what} introduces a bug"
    )
    reasons = [factor.text for factor in top_factors(symbol.factors)]
    if reasons:
        text += ": " + "; ".join(reasons)
    return _sentence(text)


def _risk_properties(symbol: SymbolRisk) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "risk": round(symbol.probability, 4),
        "level": symbol.level.value,
        "symbol": symbol.name,
        "kind": symbol.kind,
    }
    if symbol.complexity_before is not None:
        properties["complexityBefore"] = symbol.complexity_before
    if symbol.complexity_after is not None:
        properties["complexityAfter"] = symbol.complexity_after
    return properties


def _fixes(bug: BugFinding) -> tuple[dict[str, Any], ...]:
    """SARIF ``fixes`` for a finding whose fix is mechanical."""
    if bug.fix is None:
        return ()
    replacements = [
        {
            "deletedRegion": {
                "startLine": edit.line,
                "startColumn": edit.column,
                "endLine": edit.end_line,
                "endColumn": edit.end_column,
            },
            "insertedContent": {"text": edit.text},
        }
        for edit in bug.fix.edits
    ]
    return (
        {
            "description": {"text": _sentence(bug.fix.description.replace("`", ""))},
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": artifact_uri(bug.path), "uriBaseId": SOURCE_ROOT},
                    "replacements": replacements,
                }
            ],
        },
    )


def _result(candidate: _Candidate, rule_index: int) -> dict[str, Any]:
    result = _plain_result(candidate, rule_index)
    if candidate.fixes:
        result["fixes"] = list(candidate.fixes)
    return result


def _plain_result(candidate: _Candidate, rule_index: int) -> dict[str, Any]:
    return {
        "ruleId": candidate.rule_id,
        "ruleIndex": rule_index,
        "level": candidate.level,
        "rank": candidate.rank,
        "message": {"text": candidate.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": artifact_uri(candidate.path),
                        "uriBaseId": SOURCE_ROOT,
                    },
                    "region": candidate.region,
                }
            }
        ],
        "partialFingerprints": {"primaryLocationLineHash": candidate.fingerprint},
        "properties": candidate.properties,
    }


def _rule(rule_id: str, review: Review, options: ReportOptions) -> dict[str, Any]:
    findings = [bug for bug in review.bugs if bug.rule_id == rule_id]
    info = _RISK_RULE if rule_id == RISK_RULE_ID else options.rules.get(rule_id)
    if info is None:
        info = _describe_unknown_rule(rule_id, findings)
    precision = info.precision or _precision(max(bug.confidence for bug in findings))
    tags = list(dict.fromkeys(("argus", *info.tags)))[:TAG_LIMIT]
    full = _sentence(info.full_description or info.short_description)
    # A linter's rule (ruff:B006) is documented by the linter.
    linter_uri = next((bug.help_uri for bug in findings if bug.help_uri), "")
    help_uri = linter_uri or f"{RULES_DOC}#{rule_id.lower()}"
    return {
        "id": rule_id,
        "name": info.name,
        "shortDescription": {"text": _sentence(info.short_description)},
        "fullDescription": {"text": full},
        "helpUri": help_uri,
        "help": {
            "text": f"{full} See {help_uri}",
            "markdown": f"{full} [Read more about {rule_id}]({help_uri}).",
        },
        "defaultConfiguration": {"level": "warning"},
        "properties": {"precision": precision, "tags": tags},
    }


def _describe_unknown_rule(rule_id: str, findings: list[BugFinding]) -> RuleInfo:
    title = next((bug.title for bug in findings if bug.title), "")
    name = pascal_case(title or rule_id)
    short = title or f"Argus bug-pattern rule {rule_id}"
    why = next((bug.why for bug in findings if bug.why), "")
    full = why or f"{short}. Argus found this defect pattern on a changed line."
    return RuleInfo(
        name=name, short_description=short, full_description=full, tags=("correctness",)
    )


class DescribedRule(Protocol):
    """What the SARIF report needs to know of a bug-pattern rule
    (``argus.core.predict.rules.Rule``)."""

    @property
    def id(self) -> str: ...  # noqa: D102
    @property
    def title(self) -> str: ...  # noqa: D102
    @property
    def why(self) -> str: ...  # noqa: D102
    @property
    def confidence(self) -> float: ...  # noqa: D102
    @property
    def languages(self) -> frozenset[str]: ...  # noqa: D102


def describe_rules(rules: Iterable[DescribedRule]) -> dict[str, RuleInfo]:
    """Rule descriptions for ``ReportOptions.rules``, from the bug-pattern rule registry."""
    return {
        rule.id: RuleInfo(
            name=pascal_case(rule.title or rule.id),
            short_description=rule.title or rule.id,
            full_description=rule.why,
            precision=_precision(rule.confidence),
            tags=("correctness", *sorted(rule.languages)),
        )
        for rule in rules
    }


def _precision(confidence: float) -> str:
    """GitHub's precision words, from the rule's best confidence."""
    if confidence >= 0.9:
        return "very-high"
    if confidence >= WARNING_CONFIDENCE:
        return "high"
    if confidence >= 0.5:
        return "medium"
    return "low"


def _invocation(review: Review, omitted: int) -> dict[str, Any]:
    notifications = [
        {"level": "warning", "message": {"text": _sentence(warning)}} for warning in review.warnings
    ]
    if is_empty(review):
        notifications.insert(0, {"level": "note", "message": {"text": _sentence(NO_CHANGES)}})
    if omitted:
        notifications.append(
            {
                "level": "note",
                "message": {
                    "text": f"{omitted} less severe results were left out to stay within "
                    "GitHub code scanning's per-run limit."
                },
            }
        )
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return invocation


def _source_root(source_root: str | None) -> dict[str, Any]:
    if source_root is None:
        return {"description": {"text": "The root of the reviewed repository checkout."}}
    uri = PurePosixPath(source_root.replace("\\", "/")).as_posix().rstrip("/") + "/"
    if not uri.startswith("/"):
        uri = "/" + uri
    return {"uri": "file://" + quote(uri)}


def _run_properties(review: Review) -> dict[str, Any]:
    return {
        "probability": round(review.probability, 4),
        "level": review.level.value,
        "modelVersion": review.model_version,
        "filesChanged": review.files_changed,
        "linesAdded": review.lines_added,
        "linesDeleted": review.lines_deleted,
        "base": review.base,
        "head": review.head,
    }


def artifact_uri(path: str) -> str:
    """A repository-relative path as a relative URI reference (``a b.py`` -> ``a%20b.py``)."""
    posix = path.replace("\\", "/")
    while posix.startswith("./"):
        posix = posix[2:]
    return quote(posix.lstrip("/"), safe="/-._~")


def _fingerprints(bugs: Sequence[BugFinding]) -> list[str]:
    """``primaryLocationLineHash`` per finding: rule, path and line text, plus an occurrence.

    Occurrences count in file order, so equal lines keep their numbers however confident.
    """
    in_file_order = sorted(
        range(len(bugs)),
        key=lambda index: (
            bugs[index].path,
            bugs[index].line,
            bugs[index].column,
            bugs[index].rule_id,
        ),
    )
    occurrences: dict[str, int] = {}
    fingerprints = [""] * len(bugs)
    for index in in_file_order:
        bug = bugs[index]
        base = _hash(bug.rule_id, bug.path, " ".join(bug.snippet.split()))
        occurrences[base] = occurrences.get(base, 0) + 1
        fingerprints[index] = f"{base}:{occurrences[base]}"
    return fingerprints


def _hash(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:16]


def _sentence(text: str) -> str:
    """One line, at most ``MESSAGE_LIMIT`` characters, ending in a full stop."""
    text = " ".join(text.split())
    if len(text) > MESSAGE_LIMIT:
        text = text[: MESSAGE_LIMIT - 1].rstrip() + "\N{HORIZONTAL ELLIPSIS}"
    if text and text[-1] not in ".!?\N{HORIZONTAL ELLIPSIS}":
        text += "."
    return text


def pascal_case(text: str) -> str:
    """``mutable default argument`` or ``PY-MUTABLE-DEFAULT`` -> ``MutableDefaultArgument``..."""
    words = re.findall(r"[A-Za-z0-9]+", text)
    name = "".join(word[:1].upper() + word[1:].lower() for word in words)
    return name if name[:1].isalpha() else "Rule" + name
