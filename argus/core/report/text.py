"""The terminal report: a headline, a ranked table of changed symbols, predicted bugs, warnings.

The two tables (the riskiest changes, the predicted bugs) are rich Tables, rendered by a rich
Console for the report's width: colour (styles for a 16-colour terminal) only when
``options.color`` is set, which the CLI decides (a TTY, and no ``NO_COLOR``); without it the
text is plain and stable, for pipes and tests. Cell widths are terminal cells (East Asian wide
characters and combining marks measured as a terminal shows them). One rule of the layout is
ours: when the reasons do not fit beside a row they go on a line of their own under it (a rich
Table has no cell spanning the columns), so the symbol table's widths are chosen here and rich
draws it. rich is imported when a report is rendered, not when this module is.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from argus.core.predict.findings import Review, RiskLevel, SymbolRisk
from argus.core.report.options import ReportOptions
from argus.core.report.summary import (
    complexity_change,
    headline,
    is_empty,
    location,
    ordered_bugs,
    percent,
    plural,
    ranked_symbols,
    top_factors,
    validation_summary,
)

if TYPE_CHECKING:
    from rich.table import Table

ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"
GAP = "  "

_LEVEL_STYLE = {
    RiskLevel.HIGH: "bold red",
    RiskLevel.MEDIUM: "yellow",
    RiskLevel.LOW: "green",
}


def render_text(review: Review, options: ReportOptions | None = None) -> str:
    """The review as plain terminal text; ANSI colour only when ``options.color`` is set."""
    options = options or ReportOptions()
    paint = _Painter(options.color)
    lines: list[str] = []
    if is_empty(review):
        lines.extend(
            paint.bold(line) for line in _wrap(headline(review), options.width, "", first="")
        )
    else:
        for line in _wrap(headline(review), options.width, "  ", first=""):
            lines.append(paint.level(line, review.level))
        reasons = [_clean(factor.text) for factor in top_factors(review.factors)]
        if reasons:
            lines.extend(_wrap("Why: " + "; ".join(reasons), options.width, "     ", first=""))
        lines.append("")
        lines.extend(_symbol_section(review, options, paint))
        lines.append("")
        lines.extend(_bug_section(review, options, paint))
    if review.tests:
        lines.append("")
        lines.extend(_test_section(review, options, paint))
    if review.warnings:
        lines.append("")
        lines.append(paint.bold("Warnings"))
        for warning in review.warnings:
            lines.extend(_wrap("! " + _clean(warning), options.width, "    ", first="  "))
    lines.append("")
    lines.append(paint.dim(truncate(_provenance(review), options.width)))
    return "\n".join(lines) + "\n"


def _test_section(review: Review, options: ReportOptions, paint: _Painter) -> list[str]:
    """Each generated test: where it goes, what it tests, how it was validated, its code."""
    count = len(review.tests)
    lines = [paint.bold(f"Generated tests ({count}, each run before it is shown)")]
    for test in review.tests:
        target = f"{test.target_path}::{test.target_symbol}" if test.target_symbol else ""
        head = f"  {_clean(test.path)} ({test.framework}) tests {_clean(target)}"
        lines.extend(_wrap(head, options.width, "    ", first=""))
        lines.extend(
            _wrap(
                "validated: " + _clean(validation_summary(test)),
                options.width,
                "      ",
                first="    ",
            )
        )
        for code_line in test.source.rstrip("\n").splitlines():
            lines.append(paint.dim("    | " + _clean(code_line)))
    return lines


def _provenance(review: Review) -> str:
    parts = [f"model {_clean(review.model_version)}"]
    if review.base or review.head:
        parts.append(f"{_clean(review.base or '?')}..{_clean(review.head or 'working tree')}")
    return " \N{MIDDLE DOT} ".join(parts)


@dataclass(frozen=True)
class _Column:
    title: str
    minimum: int
    flexible: bool
    align_right: bool = False


_COLUMNS = (
    _Column("#", 1, flexible=False, align_right=True),
    _Column("Risk", 4, flexible=False, align_right=True),
    _Column("Level", 6, flexible=False),
    _Column("Location", 12, flexible=True),
    _Column("Symbol", 10, flexible=True),
    _Column("Why", 36, flexible=True),
    _Column("Complexity", 7, flexible=False),
)
# The reasons stay in the table only while every column keeps this much of its text;
# otherwise they move to a line of their own under each row.
_COMFORT = {"Location": 24, "Symbol": 20}
# Columns given up, in this order, when even their minimum widths do not fit the terminal.
_DROP_ORDER = ("Complexity", "Level")
_REASONS_INDENT = "   "


def _symbol_section(review: Review, options: ReportOptions, paint: _Painter) -> list[str]:
    from rich.text import Text

    symbols = ranked_symbols(review)
    if not symbols:
        return [paint.bold("Changed symbols"), "  none found in the changed lines"]
    shown = symbols[: options.max_symbols]
    rows = [_symbol_row(rank, symbol) for rank, symbol in enumerate(shown, start=1)]
    columns, widths = _layout(rows, options.width)
    reasons_below = all(column.title != "Why" for column in columns)
    table = _table(header_style="dim")
    for column, width in zip(columns, widths, strict=True):
        table.add_column(
            column.title,
            justify="right" if column.align_right else "left",
            width=width,
            no_wrap=True,
        )
    for symbol, row in zip(shown, rows, strict=True):
        cells = []
        for column, width in zip(columns, widths, strict=True):
            # A location keeps its end (file name and line) when cut, anything else its start.
            cell = row[column.title]
            cut = (
                truncate_start(cell, width) if column.title == "Location" else truncate(cell, width)
            )
            coloured = column.title in ("Risk", "Level")
            cells.append(Text(cut, style=_LEVEL_STYLE[symbol.level] if coloured else ""))
        table.add_row(*cells)
    drawn = _draw(table, options)  # the header, then one line per row (nothing wraps)
    lines = [paint.bold(f"Riskiest changes ({len(symbols)})"), drawn[0]]
    for row, line in zip(rows, drawn[1:], strict=True):
        lines.append(line)
        if reasons_below and row["Why"]:
            room = options.width - len(_REASONS_INDENT)
            lines.append(paint.dim(_REASONS_INDENT + truncate(row["Why"], room)))
    hidden = len(symbols) - len(shown)
    if hidden:
        lines.append(paint.dim(f"{ELLIPSIS}and {hidden} more"))
    return lines


def _table(**options: Any) -> Table:
    """A borderless rich Table whose columns are two spaces apart (none at the edges)."""
    from rich.table import Table

    return Table(box=None, pad_edge=False, padding=(0, 1), show_edge=False, **options)


def _draw(table: Table, options: ReportOptions) -> list[str]:
    """``table`` rendered by rich at the report's width: its lines, trailing spaces cut; ANSI
    styles (16 colours) only with ``options.color``."""
    import io

    from rich.console import Console

    out = io.StringIO()
    console = Console(
        file=out,
        width=options.width,
        color_system="standard" if options.color else None,
        force_terminal=options.color,
        no_color=not options.color,
        highlight=False,
        emoji=False,
        markup=False,
        legacy_windows=False,
        _environ={},  # the report's options decide, not the environment (NO_COLOR, COLUMNS)
    )
    console.print(table)
    lines = out.getvalue().rstrip("\n").split("\n")
    if not options.color:
        return [line.rstrip() for line in lines]
    # Padding at a line's end, styled or not, goes: the same text as without colour.
    trimmed = [_TRAILING.sub("", line) for line in lines]
    return [
        line + _RESET if "\x1b[" in line and not line.endswith(_RESET) else line for line in trimmed
    ]


_TRAILING = re.compile(r"(?:\s|\x1b\[[0-9;]*m)+$")
_RESET = "\x1b[0m"


def _symbol_row(rank: int, symbol: SymbolRisk) -> dict[str, str]:
    reasons = [_clean(factor.text) for factor in top_factors(symbol.factors, limit=3)]
    return {
        "#": str(rank),
        "Risk": percent(symbol.probability),
        "Level": symbol.level.value,
        "Location": _clean(location(symbol.path, symbol.start_line)),
        "Symbol": _clean(symbol.name),
        "Why": "; ".join(reasons),
        "Complexity": complexity_change(symbol),
    }


def _layout(rows: Sequence[dict[str, str]], width: int) -> tuple[list[_Column], list[int]]:
    """Columns and their widths: one line per symbol if it reads well, else reasons below."""
    columns = list(_COLUMNS)
    widths = _natural_widths(rows, columns)
    minimums = [
        min(widths[index], _COMFORT.get(column.title, column.minimum))
        for index, column in enumerate(columns)
    ]
    if _fit(columns, widths, minimums, width):
        return columns, widths
    columns = [column for column in columns if column.title != "Why"]
    for dropped in (None, *_DROP_ORDER):
        if dropped is not None:
            columns = [column for column in columns if column.title != dropped]
        widths = _natural_widths(rows, columns)
        if _fit(columns, widths, [column.minimum for column in columns], width):
            break
    return columns, widths


def _natural_widths(rows: Sequence[dict[str, str]], columns: Sequence[_Column]) -> list[int]:
    return [
        max([display_width(column.title)] + [display_width(row[column.title]) for row in rows])
        for column in columns
    ]


def _fit(
    columns: Sequence[_Column], widths: list[int], minimums: Sequence[int], width: int
) -> bool:
    """Shrink the widest flexible column one cell at a time until the table fits."""
    budget = width - len(GAP) * (len(columns) - 1)
    while sum(widths) > budget:
        shrinkable = [
            index
            for index, column in enumerate(columns)
            if column.flexible and widths[index] > minimums[index]
        ]
        if not shrinkable:
            return False
        widest = max(shrinkable, key=lambda index: widths[index])
        widths[widest] -= 1
    return True


def _bug_section(review: Review, options: ReportOptions, paint: _Painter) -> list[str]:
    from rich.text import Text

    bugs = ordered_bugs(review)
    if not bugs:
        return [paint.bold("Predicted bugs"), "  none"]
    lines = [paint.bold(f"Predicted bugs ({len(bugs)})")]
    shown = bugs[: options.max_bugs]
    places = [_clean(location(bug.path, bug.line)) for bug in shown]
    rules = [_clean(bug.rule_id) for bug in shown]
    # The place keeps its end (file name and line); rule and confidence are short. The
    # finding takes the rest of the width and wraps in it, or, when that leaves it too
    # narrow to read, goes under its row.
    place_width = min(max(display_width(place) for place in places), max(options.width // 3, 12))
    rule_width = min(max(display_width(rule) for rule in rules), 12)
    room = options.width - place_width - rule_width - len("Conf.") - 3 * len(GAP)
    beside = room >= _FINDING_MINIMUM
    table = _table(header_style="dim")
    table.add_column("Location", width=place_width, no_wrap=True)
    table.add_column("Rule", width=rule_width, no_wrap=True)
    table.add_column("Conf.", justify="right", no_wrap=True)
    if beside:
        table.add_column("Finding", overflow="fold", ratio=1)
    findings = []
    for bug, place, rule in zip(shown, places, rules, strict=True):
        what = f"{bug.title}: " if bug.title and not bug.message.startswith("`") else ""
        finding = [_clean(what + bug.message)]
        if bug.why:
            finding.append(_clean("Why: " + bug.why))
        if bug.fix is not None:
            finding.append(_clean("Fix: " + bug.fix.replacement.strip()))
        findings.append(finding)
        cells: list[Any] = [
            truncate_start(place, place_width),
            truncate(rule, rule_width),
            Text(percent(bug.confidence), style="dim"),
        ]
        table.add_row(*cells, *(["\n".join(finding)] if beside else []))
    drawn = _draw(table, options)
    if beside:
        lines.extend(drawn)
    else:  # the header, then one line per row (nothing wraps), each with its finding below
        lines.append(drawn[0])
        for line, finding in zip(drawn[1:], findings, strict=True):
            lines.append(line)
            for paragraph in finding:
                lines.extend(_wrap(paragraph, options.width, _FINDING_INDENT))
    hidden = len(bugs) - len(shown)
    if hidden:
        lines.append(paint.dim(f"{ELLIPSIS}and {plural(hidden, 'more finding')}"))
    return lines


#: The narrowest the findings column may be beside its row; narrower, findings go below.
_FINDING_MINIMUM = 36
_FINDING_INDENT = "    "


def _wrap(text: str, width: int, indent: str, *, first: str | None = None) -> list[str]:
    # textwrap counts characters, not cells; wide characters in warnings may overshoot a little.
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


class _Painter:
    """Renders text in a rich style for a 16-colour terminal, or leaves it alone when colour
    is off."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def _style(self, text: str, style: str) -> str:
        if not self.enabled or not text:
            return text
        from rich.color import ColorSystem
        from rich.style import Style

        return Style.parse(style).render(text, color_system=ColorSystem.STANDARD)

    def bold(self, text: str) -> str:
        return self._style(text, "bold")

    def dim(self, text: str) -> str:
        return self._style(text, "dim")

    def level(self, text: str, level: RiskLevel) -> str:
        return self._style(text, _LEVEL_STYLE[level])


def _clean(text: str) -> str:
    """Replace control characters (escape sequences from a file name, newlines) by spaces."""
    return "".join(" " if unicodedata.category(char) == "Cc" else char for char in text)


def display_width(text: str) -> int:
    """Terminal cells ``text`` takes: wide East Asian characters take two, combining marks none."""
    from rich.cells import cell_len

    return cell_len(text)


def truncate(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal cells, ending in an ellipsis when anything was cut."""
    if display_width(text) <= width:
        return text
    kept: list[str] = []
    used = 0
    for char in text:
        cell = display_width(char)
        if used + cell > width - 1:
            break
        kept.append(char)
        used += cell
    return "".join(kept) + ELLIPSIS


def truncate_start(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells from the left, starting with an ellipsis when cut."""
    if display_width(text) <= width:
        return text
    return truncate(text[::-1], width)[::-1]


def pad(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` terminal cells."""
    fill = " " * max(width - display_width(text), 0)
    return fill + text if right else text + fill
