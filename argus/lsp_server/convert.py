"""Core findings -> lsprotocol types: diagnostics, hovers, code lenses and code actions.

Pure functions of a review, the buffer's lines and the settings, so they are tested by tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from lsprotocol import types

from argus.core.predict.findings import BugFinding, Review, SymbolRisk
from argus.core.predict.review import FILE_LEVEL
from argus.lsp_server.settings import Settings

SOURCE = "argus"
RISK_CODE = "ARGUS-RISK"
GENERATE_TEST_COMMAND = "argus.generateTest"
EXPLAIN_COMMAND = "argus.explain"
# Predicted bugs are concrete defects: always shown, with this severity.
BUG_SEVERITY = types.DiagnosticSeverity.Warning

SEVERITIES: Mapping[str, types.DiagnosticSeverity | None] = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
    "off": None,
}


def severity_of(name: str) -> types.DiagnosticSeverity | None:
    """The LSP severity for a configured name; None for "off" (not shown)."""
    return SEVERITIES.get(name.lower(), types.DiagnosticSeverity.Hint)


@cache
def rule_help_uris() -> Mapping[str, str]:
    """Rule id -> the address of its documentation, for every registered rule."""
    from argus.core.predict.rules import registered_rules

    return {rule.id: rule.help_uri for rule in registered_rules()}


def help_uri(rule_id: str) -> str:
    """Where a rule's documentation lives (the rule's own help_uri when it is registered)."""
    from argus.core.predict.rules import HELP_URI_BASE

    return rule_help_uris().get(rule_id, f"{HELP_URI_BASE}#{rule_id.lower()}")


def character(line: str, byte_column: int, encoding: str = "utf-16") -> int:
    """The LSP character offset of a 0-based UTF-8 byte column of ``line``."""
    encoded = line.encode("utf-8", "surrogatepass")
    byte_column = max(0, min(byte_column, len(encoded)))
    if encoding == types.PositionEncodingKind.Utf8:
        return byte_column
    prefix = encoded[:byte_column].decode("utf-8", "ignore")
    if encoding == types.PositionEncodingKind.Utf32:
        return len(prefix)
    return len(prefix.encode("utf-16-le", "surrogatepass")) // 2


def _line(lines: Sequence[str], number: int) -> str:
    return lines[number - 1] if 1 <= number <= len(lines) else ""


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _length(text: str, encoding: str) -> int:
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    return _utf16_length(text)


def symbol_range(symbol: SymbolRisk, lines: Sequence[str], encoding: str = "utf-16") -> types.Range:
    """The range of the symbol's name on its first line (the first changed line for a file)."""
    row = max(symbol.start_line, 1) - 1
    text = _line(lines, row + 1)
    simple = symbol.name.rsplit(".", 1)[-1]
    found = text.find(simple) if symbol.kind != "file" and simple else -1
    if found >= 0:
        start, end = text[:found], text[: found + len(simple)]
    else:
        stripped = len(text) - len(text.lstrip())
        start, end = text[:stripped], text.rstrip()
    return types.Range(
        start=types.Position(line=row, character=_length(start, encoding)),
        end=types.Position(line=row, character=_length(end, encoding)),
    )


def bug_range(bug: BugFinding, lines: Sequence[str], encoding: str = "utf-16") -> types.Range:
    """The exact range a rule matched (its columns are 1-based UTF-8 byte columns)."""
    start_line = max(bug.line, 1)
    end_line = max(bug.end_line or start_line, start_line)
    start_text, end_text = _line(lines, start_line), _line(lines, end_line)
    start = character(start_text, bug.column - 1, encoding)
    if bug.end_column is not None:
        end = character(end_text, bug.end_column - 1, encoding)
    else:
        end = _length(end_text, encoding)
    if end_line == start_line and end < start:
        end = start
    return types.Range(
        start=types.Position(line=start_line - 1, character=start),
        end=types.Position(line=end_line - 1, character=end),
    )


def factors_text(symbol: SymbolRisk) -> str:
    """The symbol's factors in one line."""
    return "; ".join(factor.text for factor in symbol.factors) or "size of the change"


def risk_message(symbol: SymbolRisk) -> str:
    """``Argus: risk 0.72 (high) — <factors>``."""
    return f"Argus: risk {symbol.probability:.2f} ({symbol.level.value}) — {factors_text(symbol)}"


def shown_symbols(review: Review | None, settings: Settings) -> list[SymbolRisk]:
    """The changed symbols at or above the minimum level whose severity is not "off"."""
    if review is None:
        return []
    return [
        symbol
        for symbol in review.symbols
        if symbol.level.rank >= settings.minimum_level.rank
        and severity_of(settings.severity_for(symbol.level)) is not None
    ]


def risk_diagnostic(
    symbol: SymbolRisk, lines: Sequence[str], settings: Settings, encoding: str = "utf-16"
) -> types.Diagnostic:
    """The diagnostic of one changed symbol's risk, at its name."""
    return types.Diagnostic(
        range=symbol_range(symbol, lines, encoding),
        message=risk_message(symbol),
        severity=severity_of(settings.severity_for(symbol.level)),
        code=RISK_CODE,
        source=SOURCE,
        data={"kind": "risk", "symbol": symbol.name, "line": symbol.start_line - 1},
    )


def bug_diagnostic(
    bug: BugFinding,
    lines: Sequence[str],
    owner: SymbolRisk | None,
    encoding: str = "utf-16",
) -> types.Diagnostic:
    """The diagnostic of one predicted bug, with its rule id and documentation link.

    ``owner`` is the changed function the bug is in (its name goes in ``data`` for the
    "Generate test" code action).
    """
    named = owner is not None and owner.kind != "file"
    owner_name = owner.name if owner is not None and named else None
    owner_line = owner.start_line - 1 if owner is not None and named else None
    title = f"{bug.title}: " if bug.title else ""
    return types.Diagnostic(
        range=bug_range(bug, lines, encoding),
        message=f"Argus: {title}{bug.message}",
        severity=BUG_SEVERITY,
        code=bug.rule_id,
        code_description=types.CodeDescription(href=bug.help_uri or help_uri(bug.rule_id)),
        source=SOURCE,
        data={
            "kind": "bug",
            "symbol": owner_name,
            "line": owner_line,
            **({"fix": _fix_data(bug, lines, encoding)} if bug.fix is not None else {}),
        },
    )


def _fix_data(bug: BugFinding, lines: Sequence[str], encoding: str) -> dict[str, Any]:
    """The finding's mechanical fix as LSP positions, for the quick fix code action."""
    assert bug.fix is not None
    edits = []
    for edit in bug.fix.edits:
        start = character(_line(lines, edit.line), edit.column - 1, encoding)
        end = character(_line(lines, edit.end_line), edit.end_column - 1, encoding)
        edits.append([edit.line - 1, start, edit.end_line - 1, end, edit.text])
    return {"title": bug.fix.description.replace("`", ""), "edits": edits}


def fix_actions(
    uri: str, diagnostics_in_range: Iterable[types.Diagnostic]
) -> list[types.CodeAction]:
    """A quick fix for each Argus diagnostic that carries a mechanical fix."""
    actions = []
    for diagnostic in diagnostics_in_range:
        data = diagnostic.data if isinstance(diagnostic.data, Mapping) else {}
        fix = data.get("fix")
        if diagnostic.source != SOURCE or not isinstance(fix, Mapping):
            continue
        edits = [
            types.TextEdit(
                range=types.Range(
                    start=types.Position(line=int(edit[0]), character=int(edit[1])),
                    end=types.Position(line=int(edit[2]), character=int(edit[3])),
                ),
                new_text=str(edit[4]),
            )
            for edit in fix.get("edits", [])
        ]
        actions.append(
            types.CodeAction(
                title=f"Argus: {fix.get('title', 'apply the fix')}",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                is_preferred=True,
                edit=types.WorkspaceEdit(changes={uri: edits}),
            )
        )
    return actions


def diagnostics(
    review: Review | None, lines: Sequence[str], settings: Settings, encoding: str = "utf-16"
) -> list[types.Diagnostic]:
    """Every diagnostic of a buffer's review, risks first, then predicted bugs."""
    if review is None:
        return []
    result = [
        risk_diagnostic(s, lines, settings, encoding) for s in shown_symbols(review, settings)
    ]
    for bug in review.bugs:
        result.append(bug_diagnostic(bug, lines, symbol_at(review, bug.line), encoding))
    return result


def symbol_at(review: Review | None, line: int) -> SymbolRisk | None:
    """The innermost changed symbol spanning a 1-based line (else a file-level entry)."""
    if review is None:
        return None
    spanning = [s for s in review.symbols if s.start_line <= line <= s.end_line]
    named = [s for s in spanning if s.kind != "file"]
    if named:
        return min(named, key=lambda s: (s.end_line - s.start_line, -s.start_line))
    return spanning[0] if spanning else None


def symbol_named(review: Review | None, name: str) -> SymbolRisk | None:
    """The changed symbol with this (qualified) name."""
    if review is None:
        return None
    return next((s for s in review.symbols if s.name == name), None)


def target_function(review: Review | None, name: str, line: int) -> str | None:
    """The qualified name a "Generate test" request means: ``name`` when it is a changed
    function, else the changed function at the 0-based ``line`` whose name is or ends with
    ``name`` (any, when ``name`` is empty: a client without symbols sends only the line), else
    ``name`` itself."""
    if symbol_named(review, name) is not None:
        return name
    at_line = symbol_at(review, line + 1)
    if at_line is not None and at_line.kind != "file":
        simple = at_line.name.rsplit(".", 1)[-1]
        if not name or name in (at_line.name, simple) or at_line.name.endswith("." + name):
            return at_line.name
    return name or None


def hover_markdown(
    symbol: SymbolRisk,
    bugs: Iterable[BugFinding],
    production_errors: int = 0,
    tests: Sequence[str] = (),
) -> str:
    """Why a changed symbol is risky, in a few lines of Markdown."""
    what = "this file's top-level code" if symbol.name == FILE_LEVEL else f"`{symbol.name}`"
    lines = [
        f"**Argus: risk {symbol.probability:.2f} ({symbol.level.value})** for {what}",
        "",
    ]
    if symbol.factors:
        lines.append("Why:")
        lines.extend(f"- {factor.text}" for factor in symbol.factors)
    own = [bug for bug in bugs if symbol.start_line <= bug.line <= symbol.end_line]
    if own:
        lines.append("")
        lines.append("Predicted bugs:")
        lines.extend(
            f"- line {bug.line}: {bug.message} "
            f"([{bug.rule_id}]({bug.help_uri or help_uri(bug.rule_id)}))"
            for bug in own
        )
    if production_errors:
        noun = "error" if production_errors == 1 else "errors"
        lines.append("")
        lines.append(f"Production: {production_errors} {noun} recorded in this function.")
    if symbol.kind != "file":
        lines.append("")
        if tests:
            lines.append("Tests that mention it:")
            lines.extend(f"- `{test}`" for test in tests)
        else:
            lines.append("No test in this repository mentions it by name.")
    return "\n".join(lines)


def command_arguments(uri: str, symbol: SymbolRisk) -> dict[str, Any]:
    """The arguments of ``argus.generateTest`` for one symbol (``line`` is 0-based, as in LSP)."""
    return {"uri": uri, "symbol": symbol.name, "line": symbol.start_line - 1}


def code_lenses(
    uri: str, review: Review | None, lines: Sequence[str], settings: Settings, encoding: str
) -> list[types.CodeLens]:
    """One unresolved lens above each shown, changed function (the command comes on resolve)."""
    return [
        types.CodeLens(
            range=symbol_range(symbol, lines, encoding),
            data={**command_arguments(uri, symbol), "probability": symbol.probability},
        )
        for symbol in shown_symbols(review, settings)
        if symbol.kind != "file"
    ]


def resolve_code_lens(lens: types.CodeLens, settings: Settings) -> types.CodeLens:
    """Fill a lens's command: "Argus: risk 0.72 · Generate test" (explain when tests are off)."""
    data = lens.data if isinstance(lens.data, Mapping) else {}
    probability = float(data.get("probability", 0.0))
    arguments = {key: data.get(key) for key in ("uri", "symbol", "line")}
    if settings.generate_tests:
        command = types.Command(
            title=f"Argus: risk {probability:.2f} · Generate test",
            command=GENERATE_TEST_COMMAND,
            arguments=[arguments],
        )
    else:
        command = types.Command(
            title=f"Argus: risk {probability:.2f}",
            command=EXPLAIN_COMMAND,
            arguments=[{"uri": arguments["uri"], "line": arguments["line"]}],
        )
    return types.CodeLens(range=lens.range, command=command, data=lens.data)


def code_actions(
    uri: str, diagnostics_in_range: Iterable[types.Diagnostic], settings: Settings
) -> list[types.CodeAction]:
    """The quick fixes of mechanical findings, then "Generate test" for each Argus diagnostic
    that belongs to a function."""
    diagnostics_in_range = list(diagnostics_in_range)
    actions: list[types.CodeAction] = fix_actions(uri, diagnostics_in_range)
    if not settings.generate_tests:
        return actions
    seen: set[str] = set()
    for diagnostic in diagnostics_in_range:
        data = diagnostic.data if isinstance(diagnostic.data, Mapping) else {}
        name = data.get("symbol")
        if diagnostic.source != SOURCE or not isinstance(name, str) or name == FILE_LEVEL:
            continue
        if name in seen:
            continue
        seen.add(name)
        actions.append(
            types.CodeAction(
                title=f"Argus: generate a test for {name}",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                command=types.Command(
                    title="Generate test",
                    command=GENERATE_TEST_COMMAND,
                    arguments=[{"uri": uri, "symbol": name, "line": data.get("line")}],
                ),
            )
        )
    return actions
