"""``argus.generateTest``: generate a validated test for a changed function and open it.

Core's test-generation service does the work, as for ``argus review --generate-tests`` and the
App, on its free tier (no model, no key): a Hypothesis property test for an annotated function,
a characterisation test from literal calls found in the repository, each validated in the
sandbox against the working tree (it must compile, pass every run and execute a changed line).
The first that survives is created where the project keeps its tests, through
``workspace/applyEdit``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol

from lsprotocol import types

from argus.core.errors import ArgusError
from argus.lsp_server.errors import CommandError

if TYPE_CHECKING:
    from argus.core.lang.symbols import Symbol
    from argus.core.predict.findings import GeneratedTest
    from argus.core.router.router import Router
    from argus.core.store.sqlite import SQLiteStore
    from argus.lsp_server.analysis import BufferAnalysis
    from argus.lsp_server.server import ArgusLanguageServer

Report = Callable[[str], None]


class GenerationParts(Protocol):
    """What the editor's test generation asks of the process's composition root
    (``argus.wiring.Wiring`` in ``argus lsp``): the repository's store, and the router."""

    def open_store(self, repo: Path | None = None) -> SQLiteStore:
        """The store of ``repo``, opened (the caller closes it)."""
        ...

    def router(self, store: SQLiteStore, *, default_plan: str = ...) -> Router:
        """A generation router metering into ``store``'s ledger."""
        ...


class _DefaultParts:
    """Without a composition root (tests of the server alone): the repository's store and a
    router with no paid provider (the editor asks only for the free tier anyway)."""

    def open_store(self, repo: Path | None = None) -> SQLiteStore:
        from argus.core.store.sqlite import SQLiteStore, locate_store

        return SQLiteStore.open(locate_store(repo))

    def router(self, store: SQLiteStore, *, default_plan: str = "local") -> Router:
        from argus.core.router.config import ProviderSettings
        from argus.core.testgen.routing import generation_router

        return generation_router(store, ProviderSettings(), default_plan=default_plan)


def _fail(message: str) -> Exception:
    return CommandError(message)


def find_symbol(path: str, source: bytes, name: str) -> Symbol | None:
    """The function called ``name`` (qualified) in ``source``."""
    from argus.core.lang import analyse_source

    analysis = analyse_source(path, source)
    return next((s for s in analysis.symbols if s.qualified_name == name), None)


async def generate(
    root: Path,
    path: str,
    name: str,
    changed_lines: frozenset[int],
    report: Report,
    parts: GenerationParts | None = None,
) -> GeneratedTest:
    """A validated test for function ``name`` of ``path`` in the working tree, from core's
    test-generation service on its free tier (no model, no key): the same generators, sandbox
    and test-file placement as ``argus review --generate-tests`` and the App.

    Raises ArgusError with the reasons when no candidate survives validation.
    """
    from argus.core.predict.findings import Review, RiskLevel, SymbolRisk
    from argus.core.router.generation import Tier
    from argus.core.testgen.service import GenerationLog, generate_for_review_async

    source = await asyncio.to_thread((root / path).read_bytes)
    symbol = find_symbol(path, source, name)
    if symbol is None or symbol.kind not in ("function", "method"):
        raise ArgusError(f"{name} is not a function of {path} as saved")
    span = set(range(symbol.start_line, symbol.end_line + 1))
    lines = (set(changed_lines) & span) or span
    target = SymbolRisk(
        path, name, symbol.kind, "python", symbol.start_line, symbol.end_line, 1.0, RiskLevel.HIGH
    )
    review = Review(1.0, RiskLevel.HIGH, (), (target,), (), 1, 0, 0, "editor")
    log = GenerationLog()
    report("generating and validating tests in the sandbox")
    # The ledger is the repository's, as for `argus review --generate-tests`.
    parts = parts or _DefaultParts()
    with parts.open_store(root) as store:
        router = parts.router(store, default_plan="local")
        try:
            tests = await generate_for_review_async(
                review,
                root,
                None,
                {path: lines},
                router=router,
                max_tests=1,
                max_tier=Tier.LOCAL,
                log=log,
            )
        finally:
            await router.aclose()
    if not tests:
        reasons = "; ".join(log.notes) or (
            f"annotate the parameters of {name} (for a property test) or call it with literal "
            "arguments somewhere in the repository (for a characterisation test)"
        )
        raise ArgusError(f"no generated test survived validation: {reasons}")
    return tests[0]


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
        generated = await generate(
            root, analysis.path, symbol, analysis.changed_lines, progress.report, server.parts
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
    generator = generated.validation.generator
    progress.end(f"{path} ({generator} test, validated)")
    if not outcome.applied:
        raise _fail(f"the editor did not create {path}: {outcome.failure_reason or 'no reason'}")
    return {"uri": test_uri, "path": path, "generator": generator, "validated": True}


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
