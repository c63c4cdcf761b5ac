"""The pull-request comment: verdict, riskiest functions, predicted bugs, how the score works.

Every user-controlled string (paths, names, messages, warnings) goes through ``escape`` so a
file called ``a|b<script>.py`` can neither break the table nor inject HTML or mentions.
"""

from __future__ import annotations

import math
import re
from urllib.parse import quote

from argus.core.predict.findings import BugFinding, Review, RiskLevel, SymbolRisk
from argus.core.report.options import ReportOptions
from argus.core.report.summary import (
    EM_DASH,
    NO_CHANGES,
    change_size,
    complexity_change,
    is_empty,
    location,
    non_code_files,
    ordered_bugs,
    percent,
    plural,
    ranked_symbols,
    top_factors,
    validation_summary,
)

MARKER = "<!-- argus:review -->"
BADGE = {RiskLevel.HIGH: "🔴", RiskLevel.MEDIUM: "🟠", RiskLevel.LOW: "🟢"}
ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"
CELL_LIMIT = 300
WARNINGS_SHOWN = 20

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def escape(text: str, limit: int | None = None) -> str:
    """``text`` made inert for a GitHub comment: one line, no HTML, no Markdown, no mentions.

    ``limit`` cuts the raw text (before escaping) to that many characters with an ellipsis.
    """
    text = _CONTROL.sub(" ", text).strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + ELLIPSIS
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    # A word joiner after "@" stops GitHub from notifying whoever a name happens to mention.
    return text.replace("@", "@\N{WORD JOINER}")


_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def inline(text: str, limit: int | None = None) -> str:
    """Like :func:`escape`, but a `backtick span` in ``text`` renders as code, not as literal
    backticks (a rule's message such as "Use `is None`" shows ``is None`` as code)."""
    text = _CONTROL.sub(" ", text).strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + ELLIPSIS
    parts: list[str] = []
    position = 0
    for match in _CODE_SPAN.finditer(text):
        parts.append(escape(text[position : match.start()]) if match.start() > position else "")
        parts.append(f"<code>{escape(match.group(1))}</code>")
        position = match.end()
    parts.append(escape(text[position:]))
    # escape() strips each piece; keep the spaces that separated code from words.
    return _join_spaced(text, parts)


def _join_spaced(text: str, parts: list[str]) -> str:
    spaced: list[str] = []
    position = 0
    pieces = iter(parts)
    for match in _CODE_SPAN.finditer(text):
        before = text[position : match.start()]
        plain = next(pieces)
        if plain:
            lead = " " if before[:1].isspace() and spaced else ""
            trail = " " if before[-1:].isspace() else ""
            spaced.append(lead + plain + trail)
        elif before and before.isspace():
            spaced.append(" ")
        spaced.append(next(pieces))
        position = match.end()
    rest = text[position:]
    plain = next(pieces)
    if plain:
        spaced.append((" " if rest[:1].isspace() and spaced else "") + plain)
    return "".join(spaced)


def render_markdown(review: Review, options: ReportOptions | None = None) -> str:
    """The review as a GitHub comment, never longer than ``options.max_chars`` characters."""
    options = options or ReportOptions()
    symbols_total = len(ranked_symbols(review))
    bugs_total = len(review.bugs)
    symbol_rows = min(options.max_symbols, symbols_total)
    bug_rows = min(options.max_bugs, bugs_total)
    text = _compose(review, options, symbol_rows, bug_rows, cut=False)
    while len(text) > options.max_chars and (symbol_rows or bug_rows):
        # Drop rows in proportion to the overflow, from whichever list is longer.
        overflow = len(text) - options.max_chars
        if bug_rows >= symbol_rows:
            bug_rows -= max(1, math.ceil(bug_rows * overflow / len(text)))
            bug_rows = max(bug_rows, 0)
        else:
            symbol_rows -= max(1, math.ceil(symbol_rows * overflow / len(text)))
            symbol_rows = max(symbol_rows, 0)
        text = _compose(review, options, symbol_rows, bug_rows, cut=True)
    if len(text) > options.max_chars:
        text = _hard_cut(text, options.max_chars)
    return text


def _compose(
    review: Review, options: ReportOptions, symbol_rows: int, bug_rows: int, *, cut: bool
) -> str:
    parts = [MARKER]
    if is_empty(review):
        parts.append(f"### ⚪ {NO_CHANGES}")
        parts.append("Argus found no changed files in this comparison.")
    else:
        parts.append(_verdict(review))
        reasons = [inline(factor.text, CELL_LIMIT) for factor in top_factors(review.factors)]
        if reasons:
            parts.append("**Why:** " + "; ".join(reasons))
        parts.append(_bug_table(review, options, bug_rows))
        parts.append(_symbol_table(review, options, symbol_rows))
        parts.append(_non_code(review))
    if review.tests:
        parts.append(_tests(review))
    if review.warnings:
        parts.append(_warnings(review))
    if cut:
        parts.append(_cut_note(review, options, symbol_rows, bug_rows))
    parts.extend(options.sections)
    parts.append(_details(review, options))
    return "\n\n".join(part for part in parts if part) + "\n"


def _verdict(review: Review) -> str:
    level = review.level
    bugs = plural(len(review.bugs), "predicted bug")
    return (
        f"### {BADGE[level]} {level.value.capitalize()} risk ({percent(review.probability)}) "
        f"{EM_DASH} {change_size(review)}, {bugs}"
    )


def _code(text: str) -> str:
    return f"<code>{escape(text, CELL_LIMIT)}</code>"


def _place(path: str, line: int, options: ReportOptions) -> str:
    shown = _code(location(path, line))
    url = options.link_for(path, line) if options.link_for else None
    if not url:
        return shown
    return f"[{shown}](<{quote(url, safe=_URL_SAFE)}>)"


# Everything a URL may legitimately hold except what would end a Markdown link destination.
_URL_SAFE = ":/?#@!$&'*+,;=%~-._"


# Rows shown unfolded when a risky change's risk is spread over its functions.
_SPREAD_SHOWN = 3


def _symbol_table(review: Review, options: ReportOptions, rows: int) -> str:
    """High and medium risks in a table; low ones folded under <details>."""
    symbols = ranked_symbols(review)
    if not symbols:
        return "No changed functions were found in the changed lines."
    shown = symbols[:rows]
    matter = [symbol for symbol in shown if symbol.level is not RiskLevel.LOW]
    rest = [symbol for symbol in shown if symbol.level is RiskLevel.LOW]
    parts: list[str] = []
    if matter:
        parts.append("#### Changes that matter\n\n" + _table(matter, options))
    elif review.level is not RiskLevel.LOW and rest:
        # A risky change whose risk no single function carries (each function's risk is its
        # share of the change's): name where a fix would most likely land, not "nothing".
        likely, rest = rest[:_SPREAD_SHOWN], rest[_SPREAD_SHOWN:]
        parts.append(
            "#### Where a fix would most likely land\n\n"
            f"No single change stands out: the {percent(review.probability)} risk is spread "
            f"over {plural(len(symbols), 'change')}.\n\n" + _table(likely, options)
        )
    elif shown:
        parts.append("No high- or medium-risk changes.")
    # else: the comment's size limit left no row; the cut note says so.
    hidden = len(symbols) - rows
    if rest or hidden:
        count = len(rest) + hidden
        summary = (
            plural(count, "lower-risk change")
            if shown
            else (f"{plural(count, 'change')} not shown")
        )
        folded = [
            "<details>",
            f"<summary>{summary}</summary>",
            "",
        ]
        if rest:
            folded.append(_table(rest, options))
        if hidden:
            folded.extend(["", f"{ELLIPSIS}and {hidden} more"])
        folded.extend(["", "</details>"])
        parts.append("\n".join(folded))
    return "\n\n".join(parts)


def _table(symbols: list[SymbolRisk], options: ReportOptions) -> str:
    lines = [
        "| Risk | Symbol | Location | Why | Complexity |",
        "|---|---|---|---|---|",
    ]
    lines.extend(_symbol_row(symbol, options) for symbol in symbols)
    return "\n".join(lines)


def _symbol_row(symbol: SymbolRisk, options: ReportOptions) -> str:
    reasons = "; ".join(inline(factor.text, CELL_LIMIT) for factor in top_factors(symbol.factors))
    if symbol.kind == "file":
        name = "<em>top level of the file</em>"
    else:
        name = _code(symbol.name)
        if symbol.kind and symbol.kind != "function":
            name += f" ({escape(symbol.kind, 40)})"
    cells = [
        f"{BADGE[symbol.level]} {percent(symbol.probability)}",
        name,
        _place(symbol.path, symbol.start_line, options),
        reasons or EM_DASH,
        complexity_change(symbol) or EM_DASH,
    ]
    return "| " + " | ".join(cells) + " |"


def _non_code(review: Review) -> str:
    kinds = non_code_files(review)
    if not kinds:
        return ""
    listed = "; ".join(
        f"{escape(kind)}: "
        + ", ".join(_code(path) for path in paths[:3])
        + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        for kind, paths in sorted(kinds.items())
    )
    return f"<sub>Not scored (not code): {listed}</sub>"


def _bug_table(review: Review, options: ReportOptions, rows: int) -> str:
    """Each finding: where, which rule, what is wrong, why, what to do, and the fix."""
    bugs = ordered_bugs(review)
    if not bugs:
        return "No predicted bugs."
    lines = [f"#### Predicted bugs ({len(bugs)})", ""]
    for bug in bugs[:rows]:
        lines.append(_bug_item(bug, options))
    hidden = len(bugs) - rows
    if hidden:
        lines.append("")
        lines.append(f"{ELLIPSIS}and {plural(hidden, 'more finding')}")
    return "\n".join(lines)


def _bug_item(bug: BugFinding, options: ReportOptions) -> str:
    title = escape(bug.title, 120) if bug.title else ""
    head = (
        f"- {_place(bug.path, bug.line, options)} **{_code(bug.rule_id)} {title}** "
        f"<sub>right {percent(bug.confidence)} of the time on real code</sub><br>"
    )
    body = inline(bug.message, CELL_LIMIT)
    if bug.why:
        body += f" <br>*Why:* {inline(bug.why, CELL_LIMIT)}"
    item = [head, f"  {body}"]
    if bug.fix is not None:
        item.append(f"  <br>*Fix:* {inline(bug.fix.description, CELL_LIMIT)}")
        item.append("")
        item.extend("  " + line for line in _diff_block(bug.fix.original, bug.fix.replacement))
    return "\n".join(item)


def _diff_block(original: str, replacement: str) -> list[str]:
    removed = [f"-{line}" for line in original.split("\n")]
    added = [f"+{line}" for line in replacement.split("\n")]
    body = "\n".join(removed + added)
    fence = "`" * max(3, _longest_backtick_run(body) + 1)
    return [f"{fence}diff", *removed, *added, fence]


def _warnings(review: Review) -> str:
    lines = ["**Warnings**", ""]
    for warning in review.warnings[:WARNINGS_SHOWN]:
        lines.append(f"- ⚠️ {escape(warning, CELL_LIMIT)}")
    hidden = len(review.warnings) - WARNINGS_SHOWN
    if hidden > 0:
        lines.append(f"- {ELLIPSIS}and {plural(hidden, 'more warning')}")
    return "\n".join(lines)


def _cut_note(review: Review, options: ReportOptions, symbol_rows: int, bug_rows: int) -> str:
    hidden_symbols = len(ranked_symbols(review)) - symbol_rows
    hidden_bugs = len(review.bugs) - bug_rows
    return (
        f"> [!NOTE]\n> Shortened to fit the comment limit of {options.max_chars:,} characters: "
        f"{plural(hidden_symbols, 'symbol')} and {plural(hidden_bugs, 'finding')} not shown. "
        "The JSON and SARIF reports hold every finding."
    )


def _tests(review: Review) -> str:
    """Each generated test in a collapsible block: its code and how it was validated."""
    blocks = [f"**Generated tests** ({len(review.tests)}, each run in a sandbox before shown)"]
    for test in review.tests:
        target = f"{test.target_path}::{test.target_symbol}" if test.target_symbol else ""
        fence = "`" * max(3, _longest_backtick_run(test.source) + 1)
        language = "python" if test.language == "python" else ""
        blocks.append(
            "\n".join(
                [
                    "<details>",
                    f"<summary>{_code(test.path)} tests {_code(target)} "
                    f"({escape(test.framework)})</summary>",
                    "",
                    f"Validated: {escape(validation_summary(test))}",
                    "",
                    f"{fence}{language}",
                    test.source.rstrip("\n"),
                    fence,
                    "",
                    "</details>",
                ]
            )
        )
    return "\n\n".join(blocks)


def _longest_backtick_run(text: str) -> int:
    runs = [len(run) for run in re.findall(r"`+", text)]
    return max(runs, default=0)


def _details(review: Review, options: ReportOptions) -> str:
    thresholds = options.thresholds
    lines = [
        "<details>",
        "<summary>How this score is computed</summary>",
        "",
        f"- Model: {_code(review.model_version)}",
    ]
    if review.base or review.head:
        compared = f"{review.base or '?'}..{review.head or 'working tree'}"
        lines.append(f"- Compared: {_code(compared)}")
    lines.extend(
        [
            "- The change as a whole gets a calibrated probability that it introduces a bug. "
            "The model weighs the size and spread of the change and the history of the code "
            "(earlier fixes, how many people changed it, each commit author's experience).",
            "- Each changed function gets its part of that probability: how likely a later fix "
            "of this change is to land in it (its share of the changed lines, its earlier "
            "fixes, whether it is test code), raised by production errors and predicted bugs.",
            "- *Why* lists the factors that raised the probability most, in plain words.",
            f"- Levels: high from {percent(thresholds.high)}, medium from "
            f"{percent(thresholds.medium)}, low below.",
            "- Predicted bugs are defect patterns found on the changed lines; the share shown is "
            "how often the rule was right on labelled findings in public repositories.",
            "",
            "</details>",
        ]
    )
    return "\n".join(lines)


def _hard_cut(text: str, limit: int) -> str:
    note = f"\n\n{ELLIPSIS}(cut to fit the comment limit of {limit:,} characters)\n"
    kept = text[: limit - len(note)]
    # Cut at a line end so no table row or escape sequence is left half-written.
    if "\n" in kept:
        kept = kept[: kept.rindex("\n")]
    return kept + note
