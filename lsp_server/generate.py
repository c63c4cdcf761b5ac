"""``argus.generateTest``: generate a validated test for a changed function and open it.

The deterministic generators of core/testgen (free of any model or key) propose candidates:
a Hypothesis property test for an annotated function, a characterisation test from literal
calls found in the repository. Each is validated in the sandbox against the working tree
(it must compile, pass every run and execute a changed line); the first that survives is
created in the project's test folder through ``workspace/applyEdit``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from core.errors import ArgusError

if TYPE_CHECKING:
    from core.lang.symbols import Symbol
    from core.testgen.candidate import Candidate
    from core.testgen.validation import ValidationResult
    from lsp_server.analysis import BufferAnalysis
    from lsp_server.server import ArgusLanguageServer

Report = Callable[[str], None]


@dataclass(frozen=True)
class GeneratedTest:
    """A validated test: where it goes (repo-relative) and its source."""

    path: str
    source: str
    generator: str


def _fail(message: str) -> Exception:
    from lsp_server.server import CommandError

    return CommandError(message)


def find_symbol(path: str, source: bytes, name: str) -> Symbol | None:
    """The function called ``name`` (qualified) in ``source``."""
    from core.lang import analyse_source

    analysis = analyse_source(path, source)
    return next((s for s in analysis.symbols if s.qualified_name == name), None)


def generate(
    root: Path, path: str, name: str, changed_lines: frozenset[int], report: Report
) -> GeneratedTest:
    """Propose and validate tests for function ``name`` of ``path`` in the working tree.

    Raises ArgusError with the reasons when no candidate survives validation.
    """
    from core.testgen.characterise import characterisation_tests, sandbox_runner
    from core.testgen.hypothesis_gen import property_tests
    from core.testgen.repo_view import RepoView
    from core.testgen.style import python_style

    source = (root / path).read_bytes()
    symbol = find_symbol(path, source, name)
    if symbol is None:
        raise ArgusError(f"{name} is not a function of {path} as saved")
    importable = RepoView(root).import_path(path)
    framework = python_style(root).framework.value
    candidates: list[tuple[str, Candidate]] = []
    report("looking for a property test")
    for candidate in property_tests(
        path,
        source.decode("utf-8", "replace"),
        symbol,
        module=importable.module,
        framework=framework,
        import_root=importable.root,
    ):
        candidates.append(("property", candidate))
    report("recording a characterisation test")
    for candidate in characterisation_tests(
        root,
        path,
        symbol,
        module=importable.module,
        runner=sandbox_runner(root, None),
        import_root=importable.root,
    ):
        candidates.append(("characterisation", candidate))
    if not candidates:
        raise ArgusError(
            f"no test could be generated for {name}: annotate its parameters (for a property "
            "test) or call it with literal arguments somewhere in the repository (for a "
            "characterisation test)"
        )
    reasons = []
    lines = set(changed_lines) or set(range(symbol.start_line, symbol.end_line + 1))
    for generator, candidate in candidates:
        report(f"validating the {generator} test in the sandbox")
        result = _validate(candidate, root, {path: lines})
        if result.accepted:
            return GeneratedTest(candidate.path, candidate.source, generator)
        detail = f": {result.detail}" if result.detail else ""
        reasons.append(f"{generator} test rejected ({result.rejection}){detail}")
    raise ArgusError("no generated test survived validation: " + "; ".join(reasons))


def _validate(candidate: Candidate, root: Path, changed: dict[str, set[int]]) -> ValidationResult:
    from core.testgen.validation import validate

    return validate(candidate, root, None, changed_lines=changed)


def free_path(root: Path, path: str) -> str:
    """``path``, or ``name_2.py``, ``name_3.py``... when a file is already there."""
    candidate = PurePosixPath(path)
    number = 2
    while (root / str(candidate)).exists():
        candidate = candidate.with_name(f"{PurePosixPath(path).stem}_{number}{candidate.suffix}")
        number += 1
    return str(candidate)


def creation_edit(uri: str, source: str) -> types.WorkspaceEdit:
    """A workspace edit creating the file ``uri`` with ``source`` in it."""
    return types.WorkspaceEdit(
        document_changes=[
            types.CreateFile(uri=uri, options=types.CreateFileOptions(overwrite=False)),
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
                edits=[
                    types.TextEdit(
                        range=types.Range(
                            start=types.Position(line=0, character=0),
                            end=types.Position(line=0, character=0),
                        ),
                        new_text=source,
                    )
                ],
            ),
        ]
    )


def _check_ready(server: ArgusLanguageServer, analysis: BufferAnalysis, uri: str) -> Path:
    if analysis.repository is None or analysis.path is None:
        raise _fail("test generation needs a file inside a git repository")
    if not analysis.path.endswith(".py"):
        raise _fail(
            "test generation is not available yet for this language: Argus generates tests "
            "for Python functions"
        )
    on_disk = analysis.repository / analysis.path
    buffer = server.workspace.get_text_document(uri).source
    try:
        saved = on_disk.read_text(encoding="utf-8")
    except OSError:
        saved = None
    if saved != buffer:
        raise _fail(f"save {analysis.path} first: the test is validated against the saved files")
    return analysis.repository


async def run_generate_test(
    server: ArgusLanguageServer, uri: str, symbol: str, line: int
) -> dict[str, Any]:
    """Generate, validate and open a test; CommandError when that cannot be done."""
    analysis = (await server.current(uri)).analysis
    root = _check_ready(server, analysis, uri)
    assert analysis.path is not None
    progress = _Progress(server)
    await progress.begin(f"Argus: generating a test for {symbol}")
    try:
        generated = await asyncio.to_thread(
            generate, root, analysis.path, symbol, analysis.changed_lines, progress.report
        )
    except ArgusError as error:
        progress.end(f"failed: {error}")
        raise _fail(str(error)) from error
    path = free_path(root, generated.path)
    test_uri = (root / path).as_uri()
    progress.report(f"opening {path}")
    outcome = await server.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(
            edit=creation_edit(test_uri, generated.source), label=f"Argus: test for {symbol}"
        )
    )
    progress.end(f"{path} ({generated.generator} test, validated)")
    if not outcome.applied:
        raise _fail(f"the editor did not create {path}: {outcome.failure_reason or 'no reason'}")
    return {"uri": test_uri, "path": path, "generator": generated.generator, "validated": True}


class _Progress:
    """``$/progress`` for one command, when the client supports work-done progress."""

    def __init__(self, server: ArgusLanguageServer):
        self.server = server
        self.token = f"argus-generate-{uuid.uuid4().hex}"
        window = server.client_capabilities.window
        self.enabled = bool(window and window.work_done_progress)
        self.loop = asyncio.get_running_loop()

    async def begin(self, title: str) -> None:
        if not self.enabled:
            return
        await self.server.work_done_progress.create_async(self.token)
        self.server.work_done_progress.begin(
            self.token, types.WorkDoneProgressBegin(title=title, cancellable=False)
        )

    def report(self, message: str) -> None:
        """Safe from any thread."""
        if self.enabled:
            value = types.WorkDoneProgressReport(message=message)
            self.loop.call_soon_threadsafe(self.server.work_done_progress.report, self.token, value)

    def end(self, message: str) -> None:
        if self.enabled:
            self.server.work_done_progress.end(
                self.token, types.WorkDoneProgressEnd(message=message)
            )
