"""The Argus language server: pygls glue from LSP requests to the analyser and converters.

Per document, an edit schedules one asyncio task: within a burst of edits it waits until they
pause for ``debounceMs`` (a newer edit cancels it), then analyses the buffer on the single
analysis thread; a result for an older version is dropped. Results are kept per document, so
pull diagnostics, hovers and lenses reuse them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from argus.lsp_server import convert
from argus.lsp_server.analysis import Analyser, BufferAnalysis, BufferRequest, StaleAnalysis
from argus.lsp_server.errors import CommandError
from argus.lsp_server.settings import SECTION, Settings, parse_settings
from argus.lsp_server.stdio import FramedStdin
from argus.lsp_server.workspace import Repositories

if TYPE_CHECKING:
    from argus.lsp_server.generate import GenerationParts

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """An analysis result together with the analysis settings it was made with."""

    analysis: BufferAnalysis
    generation: int


def _version() -> str:
    """The installed Argus distribution's version (the server names it to the client)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("argus")
    except PackageNotFoundError:
        return "unknown"


class ArgusLanguageServer(LanguageServer):
    """The server's state: settings, open documents' analyses and their pending tasks."""

    def __init__(
        self, repositories: Repositories | None = None, parts: GenerationParts | None = None
    ):
        super().__init__("argus", _version(), types.TextDocumentSyncKind.Incremental)
        #: The composition root's parts for test generation (None: the server's defaults).
        self.parts = parts
        self.settings = Settings()
        self.repositories = repositories or Repositories()
        self.analyser = Analyser(self.repositories)
        self.outcomes: dict[str, Outcome] = {}
        self.pending: dict[str, asyncio.Task[Outcome | None]] = {}
        self.latest: dict[str, int | None] = {}
        self.edited_at: dict[str, float] = {}
        self.generation = 0  # bumped when a setting changes what an analysis computes
        self.workspace_root: Path | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._told: set[str] = set()
        self.startup_problems: list[str] = []

    @property
    def executor(self) -> ThreadPoolExecutor:
        """The one analysis thread (SQLite connections and the caches live on it)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="argus")
        return self._executor

    async def on_thread(self, function: Any, *arguments: Any) -> Any:
        """Run ``function(*arguments)`` on the analysis thread."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *arguments)

    # -- settings ---------------------------------------------------------------------------

    def apply_settings(self, raw: object) -> None:
        """Apply client settings; re-analyse or re-publish what they change."""
        settings, problems = parse_settings(raw, self.settings)
        for problem in problems:
            self.log(types.MessageType.Warning, f"Argus: {problem} (kept the previous value)")
        before, self.settings = self.settings, settings
        if (before.base_ref, before.max_file_bytes) != (settings.base_ref, settings.max_file_bytes):
            self.generation += 1
            for uri in list(self.latest):
                self.schedule(uri, delay=False)
        elif before != settings:
            for uri, outcome in self.outcomes.items():
                self.publish(uri, outcome)
        if before != settings and self._refresh_supported():
            self.workspace_diagnostic_refresh(None)

    def _refresh_supported(self) -> bool:
        workspace = self.client_capabilities.workspace
        diagnostics = workspace.diagnostics if workspace else None
        return bool(diagnostics and diagnostics.refresh_support)

    async def pull_configuration(self) -> None:
        """Ask the client for the ``argus`` section when it offers workspace/configuration."""
        workspace = self.client_capabilities.workspace
        if not (workspace and workspace.configuration):
            return
        items = [types.ConfigurationItem(section=SECTION)]
        values = await self.workspace_configuration_async(types.ConfigurationParams(items=items))
        if values and isinstance(values[0], Mapping):
            self.apply_settings(values[0])

    # -- analysis ---------------------------------------------------------------------------

    def schedule(self, uri: str, delay: bool = True) -> None:
        """Analyse ``uri``'s current version, cancelling the analysis of older versions.

        Debounce: an edit that follows the previous one within ``debounceMs`` waits until the
        edits pause for that long; the first edit after a pause is analysed at once (a burst
        costs one analysis at its start, whose result is dropped, and one at its end).
        """
        loop = asyncio.get_running_loop()
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        self.latest[uri] = self.workspace.get_text_document(uri).version
        now = loop.time()
        quiet = now - self.edited_at.get(uri, -1e9) >= self.settings.debounce_ms / 1000
        self.edited_at[uri] = now
        task = loop.create_task(self._analyse_later(uri, delay and not quiet))
        task.add_done_callback(lambda done: self._report_failure(uri, done))
        self.pending[uri] = task

    def _report_failure(self, uri: str, task: asyncio.Task[Outcome | None]) -> None:
        """An analysis that crashed is reported to the user, not lost in a log."""
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        logger.error("analysis of %s failed", uri, exc_info=error)
        self.log(
            types.MessageType.Error,
            f"Argus: the analysis of {uri} failed ({type(error).__name__}: {error}); "
            "please report it with the server's log",
        )

    async def _analyse_later(self, uri: str, delay: bool) -> Outcome | None:
        if delay and self.settings.debounce_ms:
            await asyncio.sleep(self.settings.debounce_ms / 1000)
        return await self.analyse(uri)

    async def analyse(self, uri: str) -> Outcome | None:
        """Analyse the document's current version now; None when a newer version overtook it."""
        document = self.workspace.get_text_document(uri)
        version, generation = document.version, self.generation
        path = _fs_path(uri)
        request = BufferRequest(
            uri=uri,
            text=document.source,
            version=version,
            path=path,
            language_id=document.language_id or "",
            workspace_root=self.workspace_root,
        )

        def stale() -> bool:
            return self.latest.get(uri) != version or self.generation != generation

        try:
            analysis = await self.on_thread(self.analyser.analyse, request, self.settings, stale)
        except StaleAnalysis:
            return None
        if stale():
            return None
        outcome = Outcome(analysis, generation)
        self.outcomes[uri] = outcome
        self._tell(analysis, path)
        self.publish(uri, outcome)
        return outcome

    async def current(self, uri: str) -> Outcome:
        """The analysis of the document's current version, waiting for or running it."""
        while True:
            version = self.workspace.get_text_document(uri).version
            outcome = self.outcomes.get(uri)
            if (
                outcome is not None
                and outcome.analysis.version == version
                and outcome.generation == self.generation
            ):
                return outcome
            task = self.pending.get(uri)
            result: Outcome | None = None
            if task is not None and not task.done():
                with contextlib.suppress(asyncio.CancelledError):
                    result = await asyncio.shield(task)
            else:
                result = await self.analyse(uri)
            if result is not None and result.analysis.version == version:
                return result

    def diagnostics(self, outcome: Outcome) -> list[types.Diagnostic]:
        """The diagnostics of an outcome under the current settings."""
        analysis = outcome.analysis
        return convert.diagnostics(analysis.review, analysis.lines, self.settings, self.encoding)

    @property
    def pushes(self) -> bool:
        """Whether diagnostics are pushed: only to clients that do not pull them.

        A client that pulls (``textDocument/diagnostic``) would otherwise show every diagnostic
        twice, once per collection (VS Code does).
        """
        text_document = self.client_capabilities.text_document
        return not (text_document and text_document.diagnostic)

    def publish(self, uri: str, outcome: Outcome) -> None:
        """Push the outcome's diagnostics, tagged with the version they were computed for."""
        if not self.pushes:
            return
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri, diagnostics=self.diagnostics(outcome), version=outcome.analysis.version
            )
        )

    def forget(self, uri: str) -> None:
        """A closed document: stop its work, drop its state and clear its diagnostics."""
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        self.latest.pop(uri, None)
        self.edited_at.pop(uri, None)
        if self.outcomes.pop(uri, None) is not None and self.pushes:
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )

    @property
    def encoding(self) -> str:
        """The position encoding agreed with the client (UTF-16 unless it chose otherwise)."""
        return str(self.workspace.position_encoding or types.PositionEncodingKind.Utf16)

    @staticmethod
    def result_id(items: list[types.Diagnostic]) -> str:
        """A digest of the diagnostics: equal ids mean nothing changed for the client."""
        text = repr([(d.range, d.message, d.severity, d.code) for d in items])
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()

    # -- explanations -----------------------------------------------------------------------

    def explain(self, analysis: BufferAnalysis, line: int) -> str | None:
        """Markdown on the changed symbol at a 0-based line (runs on the analysis thread)."""
        symbol = convert.symbol_at(analysis.review, line + 1)
        if symbol is None or analysis.review is None:
            return None
        shown = symbol in convert.shown_symbols(analysis.review, self.settings)
        own_bugs = [
            b for b in analysis.review.bugs if symbol.start_line <= b.line <= symbol.end_line
        ]
        if not shown and not own_bugs:
            return None
        repository = (
            self.repositories.get(analysis.repository) if analysis.repository is not None else None
        )
        tests: list[str] = []
        errors = 0
        if repository is not None and symbol.kind != "file":
            tests = repository.tests_mentioning(symbol.name)
            if analysis.path is not None:
                errors = repository.production_errors(analysis.path, symbol.name)
        return convert.hover_markdown(symbol, analysis.review.bugs, errors, tests)

    # -- messages ---------------------------------------------------------------------------

    def log(self, kind: types.MessageType, message: str) -> None:
        """One ``window/logMessage``."""
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def _tell(self, analysis: BufferAnalysis, path: Path | None) -> None:
        """Say once per folder (or problem) why a document shows nothing."""
        if analysis.outside_git:
            folder = str(path.parent) if path is not None else "untitled"
            if folder not in self._told:
                self._told.add(folder)
                self.log(
                    types.MessageType.Info,
                    f"Argus: {folder} is not inside a git repository, so there is no change to "
                    "review; open a folder under git to see risk diagnostics.",
                )
        elif analysis.problem and analysis.problem not in self._told:
            self._told.add(analysis.problem)
            self.log(types.MessageType.Warning, f"Argus: {analysis.problem}")
        # What the review could not use (a shallow clone's history, ...): once per session.
        for warning in analysis.review.warnings if analysis.review is not None else ():
            if warning not in self._told:
                self._told.add(warning)
                self.log(types.MessageType.Warning, f"Argus: {warning}")

    def close(self) -> None:
        """Stop the analysis thread after closing every repository store on it."""
        if self._executor is not None:
            self._executor.submit(self.repositories.close).result(timeout=10)
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def _fs_path(uri: str) -> Path | None:
    """The file a ``file:`` URI names; None for other schemes (``untitled:``)."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return Path(path) if path else None


def _argument(arguments: tuple[Any, ...], key: str) -> Any:
    """A field of a command's first argument (an object such as ``{"uri": ..., "line": 3}``)."""
    first = arguments[0] if arguments else None
    if not isinstance(first, Mapping) or key not in first:
        raise CommandError(f"missing argument {key!r}: pass an object like {{{key!r}: ...}}")
    return first[key]


def _line_argument(arguments: tuple[Any, ...]) -> int:
    line = _argument(arguments, "line")
    if not isinstance(line, int) or isinstance(line, bool) or line < 0:
        raise CommandError(f"'line' must be a 0-based line number, not {line!r}")
    return line


def _open_uri(server: ArgusLanguageServer, arguments: tuple[Any, ...]) -> str:
    uri = _argument(arguments, "uri")
    if not isinstance(uri, str) or uri not in server.latest:
        raise CommandError(f"{uri!r} is not an open document")
    return uri


def create_server(
    repositories: Repositories | None = None, parts: GenerationParts | None = None
) -> ArgusLanguageServer:
    """A server with every feature registered (nothing starts until it is run)."""
    server = ArgusLanguageServer(repositories, parts)

    @server.feature(types.INITIALIZE)
    def initialize(ls: ArgusLanguageServer, params: types.InitializeParams) -> None:
        folders = params.workspace_folders or []
        root = folders[0].uri if folders else params.root_uri
        ls.workspace_root = _fs_path(root) if root else None
        ls.settings, ls.startup_problems = parse_settings(params.initialization_options)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: ArgusLanguageServer, params: types.InitializedParams) -> None:
        for problem in ls.startup_problems:
            ls.log(types.MessageType.Warning, f"Argus: {problem} (using the default)")
        await ls.pull_configuration()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configuration_changed(
        ls: ArgusLanguageServer, params: types.DidChangeConfigurationParams
    ) -> None:
        if isinstance(params.settings, Mapping) and params.settings:
            ls.apply_settings(params.settings)
        else:
            await ls.pull_configuration()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ArgusLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, delay=False)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ArgusLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ArgusLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, delay=False)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ArgusLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(
            identifier=convert.SOURCE, inter_file_dependencies=False, workspace_diagnostics=False
        ),
    )
    async def pull_diagnostics(
        ls: ArgusLanguageServer, params: types.DocumentDiagnosticParams
    ) -> types.DocumentDiagnosticReport:
        items = ls.diagnostics(await ls.current(params.text_document.uri))
        result_id = ls.result_id(items)
        if params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=result_id)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: ArgusLanguageServer, params: types.HoverParams) -> types.Hover | None:
        analysis = (await ls.current(params.text_document.uri)).analysis
        text = await ls.on_thread(ls.explain, analysis, params.position.line)
        symbol = convert.symbol_at(analysis.review, params.position.line + 1)
        if text is None or symbol is None:
            return None
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
            range=convert.symbol_range(symbol, analysis.lines, ls.encoding),
        )

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=True))
    async def code_lens(
        ls: ArgusLanguageServer, params: types.CodeLensParams
    ) -> list[types.CodeLens]:
        uri = params.text_document.uri
        analysis = (await ls.current(uri)).analysis
        return convert.code_lenses(uri, analysis.review, analysis.lines, ls.settings, ls.encoding)

    @server.feature(types.CODE_LENS_RESOLVE)
    def resolve_lens(ls: ArgusLanguageServer, lens: types.CodeLens) -> types.CodeLens:
        return convert.resolve_code_lens(lens, ls.settings)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(
        ls: ArgusLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        return convert.code_actions(
            params.text_document.uri, params.context.diagnostics, ls.settings
        )

    @server.command(convert.EXPLAIN_COMMAND)
    async def explain(ls: ArgusLanguageServer, *arguments: Any) -> str:
        uri, line = _open_uri(ls, arguments), _line_argument(arguments)
        analysis = (await ls.current(uri)).analysis
        text = await ls.on_thread(ls.explain, analysis, line)
        return text or "Argus: nothing changed at this line carries a risk worth showing."

    @server.command(convert.GENERATE_TEST_COMMAND)
    async def generate_test(ls: ArgusLanguageServer, *arguments: Any) -> dict[str, Any]:
        from argus.lsp_server.generate import run_generate_test

        uri, line = _open_uri(ls, arguments), _line_argument(arguments)
        given = arguments[0].get("symbol") or ""
        if not isinstance(given, str):
            raise CommandError(f"'symbol' must be a function name, not {given!r}")
        if not ls.settings.generate_tests:
            raise CommandError("test generation is turned off (setting argus.generateTests)")
        review = (await ls.current(uri)).analysis.review
        symbol = convert.target_function(review, given, line)
        if symbol is None:
            raise CommandError(f"no changed function at line {line + 1}: put the cursor in one")
        return await run_generate_test(ls, uri, symbol, line)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: ArgusLanguageServer, params: None) -> None:
        ls.close()

    return server


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` -> (host, port); ConfigError when malformed."""
    from argus.core.errors import ConfigError

    host, separator, port = text.rpartition(":")
    if not separator or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"--tcp expects HOST:PORT (for example 127.0.0.1:2087), not {text!r}")
    return host, int(port)


def serve(tcp: tuple[str, int] | None = None, parts: GenerationParts | None = None) -> None:
    """Run the server until the client exits: over stdio, or on a TCP port for debugging.
    ``parts``: the process's composition root (``argus lsp`` passes ``argus.wiring``'s)."""
    logging.basicConfig(level=logging.WARNING, format="argus-lsp %(levelname)s %(message)s")
    server = create_server(parts=parts)
    try:
        if tcp is None:
            # pygls reads stdin as it comes: framed strictly first (argus.lsp_server.stdio).
            server.start_io(stdin=FramedStdin(sys.stdin.buffer))  # type: ignore[arg-type]
        else:
            server.start_tcp(*tcp)
    finally:
        server.close()
