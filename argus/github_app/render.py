"""Turns a Review into what GitHub shows: the check run's summary and annotations, the comment.

The comment is argus/core/report's Markdown (with links to the PR's files) plus the App's footer
and, after a push, a "What changed since the last report" section.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

from argus.core.predict.findings import Review, RiskLevel
from argus.core.report import ReportOptions, render
from argus.core.report.markdown import escape, inline
from argus.core.report.summary import plural

ANNOTATIONS_PER_REQUEST = 50
CHECK_NAME = "Argus"
_TEXT_LIMIT = 65_000
_MESSAGE_LIMIT = 16_000  # characters: within GitHub's 64 KB for an annotation message
_LEVEL_ANNOTATION = {RiskLevel.HIGH: "warning", RiskLevel.MEDIUM: "notice", RiskLevel.LOW: "notice"}
ACTIONS = [
    {
        "label": "Generate tests",
        "description": "Write and validate tests for risky code",
        "identifier": "generate_tests",
    },
    {"label": "Re-run", "description": "Review this pull request again", "identifier": "rerun"},
]


def file_link(html_url: str, sha: str) -> Callable[[str, int], str | None]:
    """``link_for``: a ``path:line`` becomes a link to the file at the head commit."""
    repository_url = html_url.split("/pull/", 1)[0]

    def link_for(path: str, line: int) -> str | None:
        return f"{repository_url}/blob/{sha}/{quote(path)}#L{max(line, 1)}"

    return link_for


def review_summary(review: Review) -> dict[str, Any]:
    """What is kept of a report to tell, after the next push, what changed."""
    return {
        "probability": round(review.probability, 4),
        "level": review.level.value,
        "head": review.head,
        "symbols": sorted(f"{s.path}:{s.name}" for s in review.symbols if s.kind != "file"),
        "bugs": sorted(f"{b.path}:{b.line}:{b.rule_id}" for b in review.bugs),
    }


def changes_since(previous: dict[str, Any], current: dict[str, Any]) -> str:
    """The "What changed since the last report" section."""
    lines = ["#### What changed since the last report"]
    before, after = previous.get("probability", 0.0), current["probability"]
    head = previous.get("head")
    since = f" (last report at `{head[:7]}`)" if head else ""
    lines.append(
        f"- Risk: {before:.0%} {previous.get('level', '?')} → {after:.0%} {current['level']}{since}"
    )
    old_bugs, new_bugs = set(previous.get("bugs", [])), set(current["bugs"])
    lines.append(
        f"- Predicted bugs: {len(new_bugs - old_bugs)} new, {len(old_bugs - new_bugs)} gone, "
        f"{len(new_bugs & old_bugs)} still there"
    )
    old_symbols, new_symbols = set(previous.get("symbols", [])), set(current["symbols"])
    added = sorted(new_symbols - old_symbols)
    if added:
        shown = ", ".join(f"`{escape(name, 80)}`" for name in added[:5])
        more = f" and {len(added) - 5} more" if len(added) > 5 else ""
        lines.append(f"- Newly changed functions: {shown}{more}")
    return "\n".join(lines)


def comment_body(
    review: Review,
    *,
    link_for: Callable[[str, int], str | None] | None = None,
    previous: dict[str, Any] | None = None,
    history_note: str | None = None,
    notes: list[str] | None = None,
) -> str:
    """The sticky PR comment: core's Markdown, what changed since last time, and the footer."""
    sections = () if previous is None else (changes_since(previous, review_summary(review)),)
    options = ReportOptions(link_for=link_for, max_chars=60_000, sections=sections)
    parts = [render(review, "markdown", options=options).rstrip("\n")]
    footer = [f"> {escape(note)}" for note in notes or []]
    if history_note:
        footer.append(f"<sub>{history_note}</sub>")
    parts.extend(footer)
    return "\n\n".join(parts) + "\n"


MAX_REVIEW_COMMENTS = 20
_SUGGESTION_LIMIT = 60_000
"""Characters of a suggested replacement: a line comment holds at most 65,536, and one comment
over it makes GitHub refuse the whole review (a fix on a minified line can be that long)."""
"""Line comments in one review: the findings beyond it stay in the sticky comment's table."""

FINDING_KEYS = re.compile(r"<!-- argus:findings ([0-9a-f ]*) -->")


def finding_key(rule_id: str, path: str, message: str, occurrence: int = 0) -> str:
    """A finding's identity across pushes: its line moves, its rule, file and message do not
    (``occurrence``: the how-manieth finding with the same three in the file, from 0)."""
    text = f"{rule_id}\0{path}\0{message}\0{occurrence}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def posted_finding_keys(bodies: list[str]) -> set[str]:
    """The findings earlier Argus reviews already commented on (from their bodies' markers)."""
    keys: set[str] = set()
    for body in bodies:
        for match in FINDING_KEYS.finditer(body or ""):
            keys.update(match.group(1).split())
    return keys


def review_comments(review: Review, changed: dict[str, frozenset[int]]) -> list[dict[str, Any]]:
    """Pull-request review comments for the findings that sit on added lines of the diff.

    ``changed`` maps a path to its added (new-side) lines. Each comment says what is wrong, why
    and what to do; a finding with a mechanical fix carries a ``suggestion`` block, which GitHub
    shows with a "Commit suggestion" button. The shape is that of the ``comments`` of
    ``POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews``, plus each finding's ``key``
    (:func:`finding_key`; drop it before sending).
    """
    comments: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str], int] = {}
    for bug in sorted(review.bugs, key=lambda b: (b.path, b.line)):
        same = (bug.rule_id, bug.path, bug.message)
        occurrence = seen[same] = seen.get(same, -1) + 1
        lines = changed.get(bug.path, frozenset())
        if bug.line not in lines:
            continue
        title = (
            f"**{escape(bug.rule_id)} {escape(bug.title)}**" if bug.title else f"**{bug.rule_id}**"
        )
        parts = [
            f"{title} <sub>right {bug.confidence:.0%} of the time on real code</sub>",
            "",
            inline(bug.message, 600),
        ]
        if bug.why:
            parts.extend(["", f"*Why:* {inline(bug.why, 600)}"])
        comment: dict[str, Any] = {"path": bug.path, "line": bug.line, "side": "RIGHT"}
        fix = bug.fix
        if (
            fix is not None
            and len(fix.replacement) <= _SUGGESTION_LIMIT
            and all(line in lines for line in range(fix.first_line, fix.last_line + 1))
        ):
            runs = [len(run) for run in re.findall(r"`+", fix.replacement)]
            fence = "`" * max(3, max(runs, default=0) + 1)
            parts.extend(["", f"{fence}suggestion", fix.replacement, fence])
            if fix.first_line != fix.last_line:
                comment["start_line"], comment["line"] = fix.first_line, fix.last_line
                comment["start_side"] = "RIGHT"
        comment["body"] = "\n".join(parts)
        comment["key"] = finding_key(bug.rule_id, bug.path, bug.message, occurrence)
        comments.append(comment)
    return comments


def check_summary(review: Review, notes: list[str] | None = None) -> str:
    """The check run's summary (Markdown, short: the comment has the detail)."""
    risky = sum(1 for s in review.symbols if s.level is not RiskLevel.LOW)
    lines = [
        f"**{review.level.value.capitalize()} risk ({review.probability:.0%})**: "
        f"{plural(review.files_changed, 'file')}, +{review.lines_added} −{review.lines_deleted} "
        f"lines, {plural(len(review.bugs), 'predicted bug')}, "
        f"{plural(risky, 'risky function')}.",
    ]
    for factor in review.factors:
        lines.append(f"- {escape(factor.text, 200)}")
    for note in notes or []:
        lines.append(f"\n> ⚠️ {escape(note, 500)}")
    return "\n".join(lines)[:_TEXT_LIMIT]


def check_annotations(review: Review) -> list[dict[str, Any]]:
    """Line annotations: every predicted bug, then each medium- or high-risk function."""
    found: list[dict[str, Any]] = []
    for bug in review.bugs:
        end = bug.end_line if bug.end_line and bug.end_line >= bug.line else bug.line
        found.append(
            {
                "path": bug.path,
                "start_line": max(bug.line, 1),
                "end_line": max(end, 1),
                "annotation_level": "failure" if bug.confidence >= 0.8 else "warning",
                "title": (bug.title or bug.rule_id)[:255],
                "message": (f"{bug.message} (rule {bug.rule_id}, confidence {bug.confidence:.0%})")[
                    :_MESSAGE_LIMIT
                ],
            }
        )
    for symbol in review.symbols:
        if symbol.level is RiskLevel.LOW or symbol.kind == "file":
            continue
        reasons = "; ".join(factor.text for factor in symbol.factors[:3]) or "risk model"
        found.append(
            {
                "path": symbol.path,
                "start_line": max(symbol.start_line, 1),
                "end_line": max(symbol.end_line, symbol.start_line, 1),
                "annotation_level": _LEVEL_ANNOTATION[symbol.level],
                "title": f"{symbol.level.value.capitalize()} risk: {symbol.name}"[:255],
                "message": f"{symbol.probability:.0%} chance of a defect. {reasons}"[
                    :_MESSAGE_LIMIT
                ],
            }
        )
    return found


def batches(
    items: list[dict[str, Any]], size: int = ANNOTATIONS_PER_REQUEST
) -> Iterator[list[dict[str, Any]]]:
    """``items`` in chunks GitHub accepts in one check-run update."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
