"""convert.py: core findings -> lsprotocol types, table by table."""

from __future__ import annotations

import pytest
from lsprotocol import types

from argus.core.predict.findings import BugFinding, Factor, Review, RiskLevel, SymbolRisk
from argus.core.predict.rules import HELP_URI_BASE, registered_rules
from argus.lsp_server import convert
from argus.lsp_server.settings import Settings

LINES = ["import os", "", "def pay(amount):", "    total = amount * 2  # é", "    return tötal"]


def symbol(
    level: RiskLevel,
    probability: float = 0.5,
    name: str = "pay",
    kind: str = "function",
    start: int = 3,
    end: int = 5,
) -> SymbolRisk:
    return SymbolRisk(
        path="m.py",
        name=name,
        kind=kind,
        language="python",
        start_line=start,
        end_line=end,
        probability=probability,
        level=level,
        factors=(Factor("la", "12 lines added", 0.4), Factor("exp", "new author", 0.2)),
    )


def bug(rule_id: str = "PY003", line: int = 4, column: int = 5, end_column: int | None = 10):
    return BugFinding(
        rule_id=rule_id,
        path="m.py",
        line=line,
        message="Handle it.",
        confidence=0.5,
        language="python",
        end_line=line,
        column=column,
        end_column=end_column,
        title="Swallowed exception",
    )


def review(*symbols: SymbolRisk, bugs: tuple[BugFinding, ...] = ()) -> Review:
    return Review(
        probability=0.5,
        level=RiskLevel.MEDIUM,
        factors=(),
        symbols=symbols,
        bugs=bugs,
        files_changed=1,
        lines_added=3,
        lines_deleted=0,
        model_version="test",
    )


@pytest.mark.parametrize(
    ("mapping", "level", "expected"),
    [
        ({}, RiskLevel.HIGH, types.DiagnosticSeverity.Warning),
        ({}, RiskLevel.MEDIUM, types.DiagnosticSeverity.Information),
        ({}, RiskLevel.LOW, types.DiagnosticSeverity.Hint),
        ({"high": "error"}, RiskLevel.HIGH, types.DiagnosticSeverity.Error),
        ({"medium": "warning"}, RiskLevel.MEDIUM, types.DiagnosticSeverity.Warning),
        ({"low": "information"}, RiskLevel.LOW, types.DiagnosticSeverity.Information),
        ({"high": "hint"}, RiskLevel.HIGH, types.DiagnosticSeverity.Hint),
    ],
)
def test_severity_mapping(mapping, level, expected):
    settings = Settings(severity={**Settings().severity, **mapping})
    [diagnostic] = convert.diagnostics(review(symbol(level)), LINES, settings)
    assert diagnostic.severity == expected


@pytest.mark.parametrize(
    ("minimum", "off", "shown"),
    [
        (RiskLevel.LOW, None, ["low", "medium", "high"]),
        (RiskLevel.MEDIUM, None, ["medium", "high"]),
        (RiskLevel.HIGH, None, ["high"]),
        (RiskLevel.LOW, "medium", ["low", "high"]),
        (RiskLevel.HIGH, "high", []),
    ],
)
def test_minimum_level_and_off(minimum, off, shown):
    severity = {**Settings().severity, **({off: "off"} if off else {})}
    settings = Settings(minimum_level=minimum, severity=severity)
    symbols = [
        symbol(RiskLevel.LOW, 0.1, "low_one"),
        symbol(RiskLevel.MEDIUM, 0.4, "medium_one"),
        symbol(RiskLevel.HIGH, 0.8, "high_one"),
    ]
    result = convert.diagnostics(review(*symbols, bugs=(bug(),)), LINES, settings)
    assert [d.data["symbol"].split("_")[0] for d in result if d.code == "ARGUS-RISK"] == shown
    assert [d.code for d in result if d.code != "ARGUS-RISK"] == ["PY003"]  # always shown


@pytest.mark.parametrize(
    ("risk", "code", "start", "end"),
    [
        (symbol(RiskLevel.HIGH), "ARGUS-RISK", (2, 4), (2, 7)),  # the name "pay"
        (symbol(RiskLevel.HIGH, name="Cart.pay"), "ARGUS-RISK", (2, 4), (2, 7)),
        (
            symbol(RiskLevel.HIGH, name="(file)", kind="file", start=1, end=1),
            "ARGUS-RISK",
            (0, 0),
            (0, 9),
        ),
        (symbol(RiskLevel.HIGH, name="vanished", start=4), "ARGUS-RISK", (3, 4), (3, 27)),
    ],
)
def test_risk_ranges_and_codes(risk, code, start, end):
    [diagnostic] = convert.diagnostics(review(risk), LINES, Settings())
    assert diagnostic.code == code
    assert diagnostic.source == "argus"
    assert (diagnostic.range.start.line, diagnostic.range.start.character) == start
    assert (diagnostic.range.end.line, diagnostic.range.end.character) == end
    assert diagnostic.message == ("Argus: risk 0.50 (high) — 12 lines added; new author")


@pytest.mark.parametrize(
    ("finding", "encoding", "start", "end"),
    [
        (bug(column=5, end_column=10), "utf-16", (3, 4), (3, 9)),
        (bug(column=5, end_column=None), "utf-16", (3, 4), (3, 27)),
        # "tötal": ö is 2 bytes in UTF-8, 1 unit in UTF-16; byte columns 12..18 -> 11..16
        (bug(line=5, column=12, end_column=18), "utf-16", (4, 11), (4, 16)),
        (bug(line=5, column=12, end_column=18), "utf-8", (4, 11), (4, 17)),
        (bug(line=5, column=12, end_column=18), "utf-32", (4, 11), (4, 16)),
        (bug(line=9, column=1, end_column=3), "utf-16", (8, 0), (8, 0)),  # beyond the buffer
    ],
)
def test_bug_ranges(finding, encoding, start, end):
    [diagnostic] = convert.diagnostics(review(bugs=(finding,)), LINES, Settings(), encoding)
    assert (diagnostic.range.start.line, diagnostic.range.start.character) == start
    assert (diagnostic.range.end.line, diagnostic.range.end.character) == end


@pytest.mark.parametrize("rule", registered_rules()[:5], ids=lambda rule: rule.id)
def test_bug_code_and_href_come_from_the_rule(rule):
    [diagnostic] = convert.diagnostics(review(bugs=(bug(rule.id),)), LINES, Settings())
    assert diagnostic.code == rule.id
    assert diagnostic.code_description is not None
    assert diagnostic.code_description.href == rule.help_uri
    assert diagnostic.severity == types.DiagnosticSeverity.Warning
    assert diagnostic.message == "Argus: Swallowed exception: Handle it."


def test_unknown_rule_links_to_its_anchor():
    assert convert.help_uri("ZZ999") == f"{HELP_URI_BASE}#zz999"


def test_bug_data_names_the_function_it_is_in():
    risk = symbol(RiskLevel.LOW)
    [_, diagnostic] = convert.diagnostics(review(risk, bugs=(bug(),)), LINES, Settings())
    assert diagnostic.data == {"kind": "bug", "symbol": "pay", "line": 2}
    [alone] = convert.diagnostics(review(bugs=(bug(),)), LINES, Settings())
    assert alone.data == {"kind": "bug", "symbol": None, "line": None}


def test_hover_markdown():
    risk = symbol(RiskLevel.HIGH, 0.72)
    text = convert.hover_markdown(risk, [bug()], production_errors=3, tests=["t.py::test_pay"])
    assert text.splitlines()[0] == "**Argus: risk 0.72 (high)** for `pay`"
    assert "- 12 lines added" in text and "- new author" in text
    assert f"([PY003]({HELP_URI_BASE}#py003))" in text
    assert "Production: 3 errors recorded in this function." in text
    assert "- `t.py::test_pay`" in text
    quiet = convert.hover_markdown(risk, [bug(line=1)])
    assert "Predicted bugs" not in quiet and "Production" not in quiet
    assert "No test in this repository mentions it by name." in quiet


def test_code_lens_is_resolved_later():
    risks = (symbol(RiskLevel.HIGH, 0.72), symbol(RiskLevel.LOW, 0.1, "(file)", "file", 1, 1))
    [lens] = convert.code_lenses("file:///m.py", review(*risks), LINES, Settings(), "utf-16")
    assert lens.command is None
    resolved = convert.resolve_code_lens(lens, Settings())
    assert resolved.command == types.Command(
        title="Argus: risk 0.72 · Generate test",
        command="argus.generateTest",
        arguments=[{"uri": "file:///m.py", "symbol": "pay", "line": 2}],
    )
    explained = convert.resolve_code_lens(lens, Settings(generate_tests=False))
    assert explained.command is not None
    assert explained.command.command == "argus.explain"
    assert explained.command.arguments == [{"uri": "file:///m.py", "line": 2}]


def test_code_actions_only_for_argus_diagnostics_on_functions():
    [risk] = convert.diagnostics(review(symbol(RiskLevel.HIGH)), LINES, Settings())
    foreign = types.Diagnostic(
        range=risk.range, message="x", source="flake8", data={"symbol": "pay"}
    )
    [file_level] = convert.diagnostics(
        review(symbol(RiskLevel.HIGH, name="(file)", kind="file", start=1, end=1)),
        LINES,
        Settings(),
    )
    [action] = convert.code_actions("file:///m.py", [risk, risk, foreign, file_level], Settings())
    assert action.title == "Argus: generate a test for pay"
    assert action.command is not None
    assert action.command.arguments == [{"uri": "file:///m.py", "symbol": "pay", "line": 2}]
    assert convert.code_actions("file:///m.py", [risk], Settings(generate_tests=False)) == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [(3, "inner"), (4, "outer"), (1, "(file)"), (9, None)],
)
def test_symbol_at_prefers_the_innermost(line, expected):
    outer = symbol(RiskLevel.LOW, name="outer", start=2, end=6)
    inner = symbol(RiskLevel.LOW, name="inner", start=3, end=3)
    file_level = symbol(RiskLevel.LOW, name="(file)", kind="file", start=1, end=8)
    found = convert.symbol_at(review(outer, inner, file_level), line)
    assert (found.name if found else None) == expected


@pytest.mark.parametrize(
    ("name", "line", "expected"),
    [
        ("Cart.total", 0, "Cart.total"),  # a changed function, by its qualified name
        ("total", 3, "Cart.total"),  # an editor's simple name for the function at the line
        ("", 3, "Cart.total"),  # no name: the changed function at the line
        ("", 0, None),  # no name, no function there
        ("helper", 0, "helper"),  # not changed: taken as given
    ],
)
def test_target_function(name, line, expected):
    method = symbol(RiskLevel.HIGH, name="Cart.total", kind="method", start=3, end=6)
    assert convert.target_function(review(method), name, line) == expected


def test_a_mechanical_fix_becomes_a_preferred_quick_fix_even_without_test_generation():
    from argus.core.predict.findings import Edit, Fix

    lines = ["def f(a):", "    if a == None:  # é", "        return 1"]
    bug = BugFinding(
        rule_id="PY004",
        path="m.py",
        line=2,
        message="`a == None` tests for None with `==`.",
        confidence=0.9,
        language="python",
        column=8,
        end_line=2,
        end_column=17,
        fix=Fix("Compare with `is`", (Edit(2, 10, 2, 12, "is"),), 2, 2, "    if a is None:", ""),
    )
    diagnostic = convert.bug_diagnostic(bug, lines, None)
    (action,) = convert.code_actions("file:///m.py", [diagnostic], Settings(generate_tests=False))
    assert action.title == "Argus: Compare with is" and action.is_preferred
    assert action.kind == types.CodeActionKind.QuickFix
    (edit,) = action.edit.changes["file:///m.py"]
    assert edit.new_text == "is"
    assert (edit.range.start.line, edit.range.start.character) == (1, 9)
    assert (edit.range.end.line, edit.range.end.character) == (1, 11)
