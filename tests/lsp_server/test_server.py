"""End to end: the real server over stdio (pytest-lsp), in real git repositories."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from argus.core.predict.rules import registered_rules
from tests.lsp_server.support import (
    CONFIG,
    SERVER_ENV,
    by_code,
    change,
    commit,
    git,
    initialize,
    make_client,
    make_repo,
    open_document,
    published,
)

pytestmark = pytest.mark.asyncio

BASE = '''"""Prices."""

import math


def apply_discount(price, rate):
    return price * (1 - rate)


def total(items):
    return math.fsum(items)
'''

# apply_discount now swallows every exception (rule PY003) and branches.
RISKY = BASE.replace(
    "    return price * (1 - rate)\n",
    "    try:\n"
    "        if rate > 1:\n"
    "            rate = rate / 100\n"
    "        return price * (1 - rate)\n"
    "    except:\n"
    "        pass\n",
)

TESTS = """from prices import apply_discount


def test_apply_discount_rounds():
    assert apply_discount(10, 0.5) == 5
"""


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "shop", {"prices.py": BASE, "tests/test_prices.py": TESTS})


def _help_uri(rule_id: str) -> str:
    return next(rule.help_uri for rule in registered_rules() if rule.id == rule_id)


def _level(diagnostic: types.Diagnostic) -> str:
    found = re.search(r"\((low|medium|high)\)", diagnostic.message)
    assert found, diagnostic.message
    return found.group(1)


async def _open_risky(client: LanguageClient, repo: Path, options=None) -> tuple[str, list]:
    await initialize(client, repo, options)
    path = repo / "prices.py"
    uri = path.as_uri()
    diagnostics = await published(client, uri, 1, lambda: open_document(client, path, RISKY))
    return uri, diagnostics


async def test_open_publishes_risk_and_predicted_bug(client: LanguageClient, repo: Path):
    uri, diagnostics = await _open_risky(client, repo)

    risks = by_code(diagnostics, "ARGUS-RISK")
    assert len(risks) == 1
    risk = risks[0]
    assert risk.source == "argus"
    assert risk.range.start == types.Position(line=5, character=4)  # the name apply_discount
    assert risk.range.end == types.Position(line=5, character=18)
    assert re.match(r"Argus: risk 0\.\d\d \((low|medium|high)\) — .+", risk.message)
    expected = {
        "high": types.DiagnosticSeverity.Warning,
        "medium": types.DiagnosticSeverity.Information,
        "low": types.DiagnosticSeverity.Hint,
    }[_level(risk)]
    assert risk.severity == expected

    bugs = by_code(diagnostics, "PY003")
    assert len(bugs) == 1
    bug = bugs[0]
    assert bug.source == "argus"
    assert bug.severity == types.DiagnosticSeverity.Warning
    assert bug.code_description is not None
    assert bug.code_description.href == _help_uri("PY003")
    assert bug.range.start.line == 10  # the `except:` line (0-based)
    assert bug.range.start.character == 4


async def test_unchanged_buffer_has_no_diagnostics(client: LanguageClient, repo: Path):
    await initialize(client, repo)
    path = repo / "prices.py"
    assert await published(client, path.as_uri(), 1, lambda: open_document(client, path)) == []


async def test_incremental_edits_update_diagnostics_without_saving(
    client: LanguageClient, repo: Path
):
    await initialize(client, repo)
    path = repo / "prices.py"
    uri = path.as_uri()
    assert await published(client, uri, 1, lambda: open_document(client, path)) == []

    # Line 6 is "    return price * (1 - rate)": wrap it in try/except: pass, as typed.
    edit = "    try:\n        return price * (1 - rate)\n    except:\n        pass\n"
    diagnostics = await published(
        client, uri, 2, lambda: change(client, uri, 2, (6, 0), (7, 0), edit)
    )
    assert by_code(diagnostics, "ARGUS-RISK")
    assert by_code(diagnostics, "PY003")[0].range.start.line == 8

    # Remove the except clause again: the predicted bug goes, the risk of the edit stays.
    diagnostics = await published(
        client,
        uri,
        3,
        lambda: change(client, uri, 3, (8, 0), (10, 0), "    finally:\n        pass\n"),
    )
    assert by_code(diagnostics, "PY003") == []
    assert by_code(diagnostics, "ARGUS-RISK")
    assert path.read_text(encoding="utf-8") == BASE  # nothing was saved


async def test_typing_fast_publishes_only_the_newest_version(client: LanguageClient, repo: Path):
    await initialize(client, repo, {"debounceMs": 200})
    path = repo / "prices.py"
    uri = path.as_uri()
    await published(client, uri, 1, lambda: open_document(client, path))
    for version, character in enumerate("    x = 1", start=2):
        change(client, uri, version, (7, version - 2), (7, version - 2), character)
    last = 1 + len("    x = 1")
    diagnostics = await published(client, uri, last)
    assert by_code(diagnostics, "ARGUS-RISK")
    versions = [p.version for p in client.published if p.uri == uri]  # type: ignore[attr-defined]
    assert versions == [1, last]  # the debounce dropped every intermediate version


async def test_pull_diagnostics_with_result_id(client: LanguageClient, repo: Path):
    uri, pushed = await _open_risky(client, repo)
    document = types.TextDocumentIdentifier(uri=uri)
    first = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(document))
    assert isinstance(first, types.RelatedFullDocumentDiagnosticReport)
    assert first.result_id
    assert [d.code for d in first.items] == [d.code for d in pushed]

    again = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(document, previous_result_id=first.result_id)
    )
    assert isinstance(again, types.RelatedUnchangedDocumentDiagnosticReport)
    assert again.result_id == first.result_id

    change(client, uri, 2, (10, 0), (12, 0), "    finally:\n        pass\n")
    after = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(document, previous_result_id=first.result_id)
    )
    assert isinstance(after, types.RelatedFullDocumentDiagnosticReport)
    assert after.result_id != first.result_id
    assert by_code(list(after.items), "PY003") == []


async def test_clients_that_pull_are_not_pushed_to(client: LanguageClient, repo: Path):
    capabilities = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            diagnostic=types.DiagnosticClientCapabilities(related_document_support=True)
        )
    )
    await initialize(client, repo, capabilities=capabilities)
    path = repo / "prices.py"
    uri = open_document(client, path, RISKY)
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri))
    )
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert by_code(list(report.items), "PY003")
    change(client, uri, 2, (10, 0), (12, 0), "    finally:\n        pass\n")
    after = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(
            types.TextDocumentIdentifier(uri), previous_result_id=report.result_id
        )
    )
    assert isinstance(after, types.RelatedFullDocumentDiagnosticReport)
    assert by_code(list(after.items), "PY003") == []
    assert client.published == []  # type: ignore[attr-defined]


async def test_hover_explains_a_flagged_function(client: LanguageClient, repo: Path):
    uri, _ = await _open_risky(client, repo)
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line=5, character=8))
    )
    assert hover is not None
    assert isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.kind == types.MarkupKind.Markdown
    text = hover.contents.value
    assert text.startswith("**Argus: risk 0.")
    assert "`apply_discount`" in text
    assert "Why:" in text
    assert "PY003" in text and _help_uri("PY003") in text
    assert "tests/test_prices.py::test_apply_discount_rounds" in text
    assert "Production" not in text  # no production errors recorded in this repository

    unchanged = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line=15, character=6))
    )
    assert unchanged is None


async def test_hover_names_production_errors_filed_for_the_function(
    client: LanguageClient, repo: Path
):
    traceback = (
        "Traceback (most recent call last):\n"
        '  File "/srv/shop/app.py", line 3, in <module>\n'
        "    checkout()\n"
        '  File "/srv/shop/prices.py", line 7, in apply_discount\n'
        "    return price * (1 - rate)\n"
        "TypeError: unsupported operand type(s) for -: 'int' and 'str'\n"
    )
    report = repo.parent / "error.txt"
    report.write_text(traceback, encoding="utf-8")
    for _ in range(2):
        subprocess.run(
            [sys.executable, "-m", "argus", "ingest", str(report)],
            cwd=repo,
            env=SERVER_ENV,
            check=True,
            capture_output=True,
        )
    uri, diagnostics = await _open_risky(client, repo)
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line=5, character=8))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "Production: 2 errors recorded in this function." in hover.contents.value
    # The errors also weigh in the risk, as in `argus review`.
    assert "2 production errors" in hover.contents.value
    assert "2 production errors" in by_code(diagnostics, "ARGUS-RISK")[0].message


async def test_code_lens_is_resolved_with_the_generate_test_command(
    client: LanguageClient, repo: Path
):
    uri, diagnostics = await _open_risky(client, repo)
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(uri))
    )
    assert len(lenses) == 1
    assert lenses[0].command is None  # created cheaply, filled on resolve
    assert lenses[0].range.start.line == 5
    resolved = await client.code_lens_resolve_async(lenses[0])
    assert resolved.command is not None
    probability = re.search(r"risk (0\.\d\d)", by_code(diagnostics, "ARGUS-RISK")[0].message)
    assert probability is not None
    assert resolved.command.title == f"Argus: risk {probability.group(1)} · Generate test"
    assert resolved.command.command == "argus.generateTest"
    assert list(resolved.command.arguments or ()) == [
        {"uri": uri, "symbol": "apply_discount", "line": 5}
    ]


async def test_code_action_on_an_argus_diagnostic(client: LanguageClient, repo: Path):
    uri, diagnostics = await _open_risky(client, repo)
    bug = by_code(diagnostics, "PY003")[0]
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=bug.range,
            context=types.CodeActionContext(diagnostics=[bug]),
        )
    )
    assert actions is not None and len(actions) == 1
    action = actions[0]
    assert isinstance(action, types.CodeAction)
    assert action.kind == types.CodeActionKind.QuickFix
    assert action.command is not None
    assert action.command.command == "argus.generateTest"
    assert list(action.command.arguments or ()) == [
        {"uri": uri, "symbol": "apply_discount", "line": 5}
    ]

    foreign = types.Diagnostic(range=bug.range, message="unused", source="pyflakes")
    none = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=bug.range,
            context=types.CodeActionContext(diagnostics=[foreign]),
        )
    )
    assert not none


async def test_explain_command_returns_the_hover_text(client: LanguageClient, repo: Path):
    uri, _ = await _open_risky(client, repo)
    text = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="argus.explain", arguments=[{"uri": uri, "line": 7}])
    )
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line=7, character=8))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert text == hover.contents.value

    with pytest.raises(JsonRpcException, match="not an open document"):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="argus.explain", arguments=[{"uri": "file:///nowhere.py", "line": 0}]
            )
        )


async def test_configuration_changes_apply_without_restart(client: LanguageClient, repo: Path):
    uri, diagnostics = await _open_risky(client, repo)
    risk = by_code(diagnostics, "ARGUS-RISK")[0]
    level = _level(risk)

    def configure(settings: dict) -> None:
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"argus": settings})
        )

    recoloured = await published(client, uri, 1, lambda: configure({"severity": {level: "error"}}))
    assert by_code(recoloured, "ARGUS-RISK")[0].severity == types.DiagnosticSeverity.Error

    hidden = await published(
        client, uri, 1, lambda: configure({level: "x", "severity": {level: "off"}})
    )
    assert by_code(hidden, "ARGUS-RISK") == []
    assert by_code(hidden, "PY003")  # predicted bugs are always shown

    above = {"low": "medium", "medium": "high", "high": None}[level]
    if above is not None:
        raised = await published(
            client,
            uri,
            1,
            lambda: configure({"severity": {level: "warning"}, "minimumLevel": above}),
        )
        assert by_code(raised, "ARGUS-RISK") == []
        assert by_code(raised, "PY003")

    shown = await published(
        client, uri, 1, lambda: configure({"minimumLevel": "low", "severity": {level: "hint"}})
    )
    assert by_code(shown, "ARGUS-RISK")[0].severity == types.DiagnosticSeverity.Hint


async def test_a_branch_s_committed_defect_gets_diagnostics_by_default(
    client: LanguageClient, repo: Path
):
    """The default base is the merge base with the default branch: what the PR will show."""
    git(repo, "switch", "-q", "-c", "feature")
    commit(repo, {"prices.py": RISKY}, "rework discounts")
    path = repo / "prices.py"
    uri = path.as_uri()
    await initialize(client, repo)
    by_default = await published(client, uri, 1, lambda: open_document(client, path))
    assert by_code(by_default, "ARGUS-RISK")
    assert by_code(by_default, "PY003")

    against_head = await published(
        client,
        uri,
        1,
        lambda: client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"argus": {"baseRef": "HEAD"}})
        ),
    )
    assert against_head == []


async def test_base_ref_setting_compares_with_the_merge_base(client: LanguageClient, repo: Path):
    git(repo, "switch", "-q", "-c", "feature")
    commit(repo, {"prices.py": RISKY}, "rework discounts")
    path = repo / "prices.py"
    uri = path.as_uri()
    await initialize(client, repo, {"argus": {"baseRef": "HEAD"}})
    assert await published(client, uri, 1, lambda: open_document(client, path)) == []

    against_main = await published(
        client,
        uri,
        1,
        lambda: client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"argus": {"baseRef": "main"}})
        ),
    )
    assert by_code(against_main, "ARGUS-RISK")
    assert by_code(against_main, "PY003")


async def test_bad_settings_are_reported_and_ignored(client: LanguageClient, repo: Path):
    await initialize(client, repo, {"minimumLevel": "severe", "debounceMs": -3})
    path = repo / "prices.py"
    diagnostics = await published(
        client, path.as_uri(), 1, lambda: open_document(client, path, RISKY)
    )
    assert by_code(diagnostics, "ARGUS-RISK")
    messages = [m.message for m in client.log_messages]
    assert any("argus.minimumLevel must be low, medium or high" in m for m in messages)
    assert any("argus.debounceMs" in m for m in messages)


async def test_unknown_base_ref_is_logged_once(client: LanguageClient, repo: Path):
    await initialize(client, repo, {"argus": {"baseRef": "no-such-branch"}})
    path = repo / "prices.py"
    assert (
        await published(client, path.as_uri(), 1, lambda: open_document(client, path, RISKY)) == []
    )
    warnings = [m for m in client.log_messages if "no-such-branch" in m.message]
    assert len(warnings) == 1
    assert warnings[0].type == types.MessageType.Warning


async def test_outside_git_logs_once_and_shows_nothing(client: LanguageClient, tmp_path: Path):
    folder = tmp_path / "loose"
    folder.mkdir()
    (folder / "a.py").write_text("def f():\n    try:\n        pass\n    except:\n        pass\n")
    (folder / "b.py").write_text("def g():\n    return 1\n")
    await initialize(client, folder)
    assert (
        await published(
            client, (folder / "a.py").as_uri(), 1, lambda: open_document(client, folder / "a.py")
        )
        == []
    )
    assert (
        await published(
            client, (folder / "b.py").as_uri(), 1, lambda: open_document(client, folder / "b.py")
        )
        == []
    )
    notes = [m for m in client.log_messages if "not inside a git repository" in m.message]
    assert len(notes) == 1


async def test_repository_without_commits_treats_everything_as_new(
    client: LanguageClient, tmp_path: Path
):
    repo = make_repo(tmp_path / "fresh", {})
    path = repo / "prices.py"
    path.write_text(RISKY, encoding="utf-8")
    await initialize(client, repo)
    diagnostics = await published(client, path.as_uri(), 1, lambda: open_document(client, path))
    risky_lines = {d.range.start.line for d in by_code(diagnostics, "ARGUS-RISK")}
    assert {5, 14} <= risky_lines  # apply_discount and total, both new
    assert by_code(diagnostics, "PY003")


async def test_untracked_and_untitled_buffers_compare_with_empty(
    client: LanguageClient, repo: Path
):
    await initialize(client, repo)
    new_file = repo / "fresh.py"  # not on disk, not in git
    untracked = await published(
        client, new_file.as_uri(), 1, lambda: open_document(client, new_file, RISKY)
    )
    assert {d.range.start.line for d in by_code(untracked, "ARGUS-RISK")} >= {5, 14}

    uri = "untitled:Untitled-1"
    untitled = await published(
        client,
        uri,
        1,
        lambda: client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id="python", version=1, text=RISKY)
            )
        ),
    )
    assert by_code(untitled, "PY003")
    assert by_code(untitled, "ARGUS-RISK")


async def test_syntax_errors_keep_diagnostics_for_what_parses(client: LanguageClient, repo: Path):
    broken = RISKY + "\n\ndef half_typed(:\n    return (\n"
    await initialize(client, repo)
    path = repo / "prices.py"
    diagnostics = await published(
        client, path.as_uri(), 1, lambda: open_document(client, path, broken)
    )
    assert by_code(diagnostics, "PY003")
    assert any(d.range.start.line == 5 for d in by_code(diagnostics, "ARGUS-RISK"))


async def test_large_file_gets_file_level_analysis_only(client: LanguageClient, repo: Path):
    await initialize(client, repo, {"argus": {"maxFileBytes": 100}})
    path = repo / "prices.py"
    diagnostics = await published(
        client, path.as_uri(), 1, lambda: open_document(client, path, RISKY)
    )
    risks = by_code(diagnostics, "ARGUS-RISK")
    assert len(risks) == 1
    assert "apply_discount" not in risks[0].message
    assert by_code(diagnostics, "PY003") == []  # rules need the parse a large file does not get
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(path.as_uri()))
    )
    assert not lenses


async def test_close_clears_diagnostics(client: LanguageClient, repo: Path):
    uri, diagnostics = await _open_risky(client, repo)
    assert diagnostics
    cleared = await published(
        client,
        uri,
        None,
        lambda: client.text_document_did_close(
            types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri))
        ),
    )
    assert cleared == []


TYPED_BASE = '''"""Prices."""


def apply_discount(price: float, rate: float) -> float:
    return price * (1 - rate)
'''

TYPED_CHANGED = TYPED_BASE.replace(
    "    return price * (1 - rate)\n",
    "    if rate > 1:\n        rate = rate / 100\n    return price * (1 - rate)\n",
)


async def test_generate_test_creates_a_validated_test_with_progress(
    client: LanguageClient, tmp_path: Path
):
    repo = make_repo(tmp_path / "typed", {"prices.py": TYPED_BASE, "tests/__init__.py": ""})
    path = repo / "prices.py"
    path.write_text(TYPED_CHANGED, encoding="utf-8")  # saved, not committed
    capabilities = types.ClientCapabilities(
        window=types.WindowClientCapabilities(work_done_progress=True)
    )
    await initialize(client, repo, capabilities=capabilities)
    uri = path.as_uri()
    diagnostics = await published(client, uri, 1, lambda: open_document(client, path))
    assert by_code(diagnostics, "ARGUS-RISK")

    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="argus.generateTest",
            arguments=[{"uri": uri, "symbol": "apply_discount", "line": 3}],
        )
    )
    assert result["validated"] is True
    assert result["path"].startswith("tests/") and result["path"].endswith(".py")
    assert result["uri"] == (repo / result["path"]).as_uri()

    [applied] = client.applied_edits  # type: ignore[attr-defined]
    create, insert = applied.edit.document_changes
    assert isinstance(create, types.CreateFile) and create.uri == result["uri"]
    assert isinstance(insert, types.TextDocumentEdit)
    source = insert.edits[0].new_text
    assert "def test_" in source and "apply_discount" in source
    assert not (repo / result["path"]).exists()  # the editor creates it, not the server

    [reports] = [r for token, r in client.progress_reports.items() if "generate" in str(token)]
    assert isinstance(reports[0], types.WorkDoneProgressBegin)
    assert any(isinstance(r, types.WorkDoneProgressReport) for r in reports)
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    assert "validated" in (reports[-1].message or "")


async def test_generate_test_refuses_unsaved_buffers_clearly(client: LanguageClient, repo: Path):
    uri, _ = await _open_risky(client, repo)
    with pytest.raises(JsonRpcException, match="save prices.py first"):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="argus.generateTest",
                arguments=[{"uri": uri, "symbol": "apply_discount", "line": 5}],
            )
        )
    # The server is still there and answering.
    again = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri))
    )
    assert isinstance(again, types.RelatedFullDocumentDiagnosticReport)


async def test_generate_test_off_by_setting(client: LanguageClient, repo: Path):
    uri, _ = await _open_risky(client, repo, {"generateTests": False})
    with pytest.raises(JsonRpcException, match="turned off"):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="argus.generateTest",
                arguments=[{"uri": uri, "symbol": "apply_discount", "line": 5}],
            )
        )
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(uri))
    )
    resolved = await client.code_lens_resolve_async(lenses[0])
    assert resolved.command is not None and resolved.command.command == "argus.explain"
    assert "Generate test" not in resolved.command.title


ARGUS_CONFIG = ClientServerConfig(
    server_command=[sys.executable, "-m", "argus", "lsp", "--stdio"],
    client_factory=make_client,
    server_env=SERVER_ENV,
)


@pytest_lsp.fixture(config=ARGUS_CONFIG)
async def argus_client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


async def test_argus_lsp_command_serves_the_same(argus_client: LanguageClient, repo: Path):
    uri, diagnostics = await _open_risky(argus_client, repo)
    assert by_code(diagnostics, "ARGUS-RISK")
    assert by_code(diagnostics, "PY003")


async def test_a_malformed_argus_yml_is_one_warning_naming_the_line(
    client: LanguageClient, repo: Path
):
    (repo / ".argus.yml").write_text("rules:\n  PY003: sometimes\n")
    await initialize(client, repo)
    path = repo / "prices.py"
    assert (
        await published(client, path.as_uri(), 1, lambda: open_document(client, path, RISKY)) == []
    )
    warnings = [m for m in client.log_messages if ".argus.yml:2:" in m.message]
    assert len(warnings) == 1 and warnings[0].type == types.MessageType.Warning
    assert "PY003: use on, off, note, warning or error" in warnings[0].message


async def test_rules_turned_off_in_argus_yml_are_not_shown(client: LanguageClient, repo: Path):
    (repo / ".argus.yml").write_text("rules:\n  PY003: off\n")
    await initialize(client, repo)
    path = repo / "prices.py"
    diagnostics = await published(
        client, path.as_uri(), 1, lambda: open_document(client, path, RISKY)
    )
    assert by_code(diagnostics, "ARGUS-RISK") and by_code(diagnostics, "PY003") == []


async def test_a_shallow_clone_s_missing_history_is_logged_once(
    client: LanguageClient, repo: Path, tmp_path: Path
):
    clone = tmp_path / "ci"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", repo.as_uri(), str(clone)],
        check=True,
        capture_output=True,
    )
    await initialize(client, clone)
    path = clone / "prices.py"
    uri = path.as_uri()
    assert by_code(
        await published(client, uri, 1, lambda: open_document(client, path, RISKY)), "ARGUS-RISK"
    )
    await published(client, uri, 2, lambda: change(client, uri, 2, (0, 0), (0, 0), "\n"))
    shallow = [m for m in client.log_messages if "history is shallow (1 commit)" in m.message]
    assert len(shallow) == 1
    assert shallow[0].type == types.MessageType.Warning
