"""Helpers for the language server's end-to-end tests: real git repositories, a recording client."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Union

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

PUBLISH = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS
TIMEOUT = 60.0

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ada Tester",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Tester",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with a fixed identity."""
    env = {**os.environ, **GIT_ENV, "HOME": str(repo)}
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout


# The planted defects are broad swallows (PY003), a rule that is opt-in since it was measured
# below the precision bar on real code; the repositories turn it on as a user would.
OPT_IN = "rules:\n  PY003: on\n"


def make_repo(root: Path, files: dict[str, str], message: str = "initial import") -> Path:
    """A git repository at ``root`` with ``files`` committed (no commit when ``files`` is empty)
    and an ``.argus.yml`` that turns the opt-in rule PY003 on."""
    root.mkdir(parents=True, exist_ok=True)
    (root / ".argus.yml").write_text(OPT_IN, encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "ada@example.com")
    git(root, "config", "user.name", "Ada Tester")
    if files:
        commit(root, files, message)
    return root


def commit(root: Path, files: dict[str, str], message: str) -> None:
    """Write ``files`` and commit them."""
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(root, "add", *files)
    git(root, "commit", "-q", "-m", message)


def _record_diagnostics(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
    client.diagnostics[params.uri] = params.diagnostics
    client.published.append(params)  # type: ignore[attr-defined]


def _apply_edit(
    client: LanguageClient, params: types.ApplyWorkspaceEditParams
) -> types.ApplyWorkspaceEditResult:
    client.applied_edits.append(params)  # type: ignore[attr-defined]
    return types.ApplyWorkspaceEditResult(applied=True)


def _command_or_code_action(value: Any, _: type) -> types.Command | types.CodeAction:
    # lsprotocol 2025.0.0 reads any object with a "command" key as a Command, so a CodeAction
    # carrying a command comes back mangled; a Command's "command" is a string.
    converter = default_converter()
    if isinstance(value.get("command"), str):
        return converter.structure(value, types.Command)
    return converter.structure(value, types.CodeAction)


def make_client() -> LanguageClient:
    """pytest-lsp's client, also keeping every publishDiagnostics and applyEdit it receives."""
    client = LanguageClient(converter_factory=default_converter)
    client.protocol._converter.register_structure_hook(
        Union[types.Command, types.CodeAction],  # noqa: UP007 - the exact type lsprotocol uses
        _command_or_code_action,
    )
    client.published = []  # type: ignore[attr-defined]
    client.applied_edits = []  # type: ignore[attr-defined]
    features: dict[str, Any] = dict(DEFAULT_CLIENT_FEATURES)
    features[PUBLISH] = _record_diagnostics
    features[types.WORKSPACE_APPLY_EDIT] = _apply_edit
    register_lsp_features(client, features)
    return client


SERVER_ENV = {key: value for key, value in os.environ.items() if key != "ARGUS_HOME"}
CONFIG = ClientServerConfig(
    server_command=[sys.executable, "-m", "argus.lsp_server"],
    client_factory=make_client,
    server_env=SERVER_ENV,
)


async def initialize(
    client: LanguageClient,
    root: Path | None,
    options: dict[str, Any] | None = None,
    capabilities: types.ClientCapabilities | None = None,
) -> None:
    """The initialize handshake with a workspace folder at ``root``."""
    folders = [types.WorkspaceFolder(uri=root.as_uri(), name=root.name)] if root else None
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities or types.ClientCapabilities(),
            root_uri=root.as_uri() if root else None,
            workspace_folders=folders,
            initialization_options=options,
        )
    )


async def published(
    client: LanguageClient,
    uri: str,
    version: int | None,
    send: Callable[[], None] | None = None,
) -> list[types.Diagnostic]:
    """Send (optionally), then wait for the diagnostics of ``uri`` at ``version``."""
    seen = len(client.published)  # type: ignore[attr-defined]
    if send is not None:
        send()
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while True:
        for params in client.published[seen:]:  # type: ignore[attr-defined]
            if params.uri == uri and params.version == version:
                return list(params.diagnostics)
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no diagnostics for {uri} version {version}")
        await asyncio.sleep(0.01)


def open_document(
    client: LanguageClient, path: Path, text: str | None = None, version: int = 1
) -> str:
    """didOpen a file (its text on disk unless given); returns its URI."""
    uri = path.as_uri()
    content = path.read_text(encoding="utf-8") if text is None else text
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="python", version=version, text=content)
        )
    )
    return uri


def change(
    client: LanguageClient,
    uri: str,
    version: int,
    start: tuple[int, int],
    end: tuple[int, int],
    text: str,
) -> None:
    """One incremental didChange replacing the range ``start``..``end`` with ``text``."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=start[0], character=start[1]),
                        end=types.Position(line=end[0], character=end[1]),
                    ),
                    text=text,
                )
            ],
        )
    )


def by_code(diagnostics: list[types.Diagnostic], code: str) -> list[types.Diagnostic]:
    """The diagnostics with this code."""
    return [d for d in diagnostics if d.code == code]
