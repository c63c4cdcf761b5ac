"""``argus lsp``: run the language server (stdio by default, ``--tcp HOST:PORT`` to debug)."""

from __future__ import annotations

import argparse
from typing import Any, TextIO


def add_commands(subparsers: Any) -> None:
    """Add the ``lsp`` sub-command."""
    parser = subparsers.add_parser(
        "lsp",
        help="run the language server for editors (VS Code, Neovim, ...)",
        description=(
            "Run the Argus language server: risk diagnostics on changed functions while you "
            "type, hovers that explain them, and 'Generate test' code lenses."
        ),
    )
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (default)")
    transport.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP port (debugging)")
    parser.set_defaults(handler=run_lsp)


def run_lsp(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """Serve until the editor disconnects."""
    from argus.lsp_server.server import parse_address, serve
    from argus.wiring import process_wiring

    # The store and the router of "Generate test" come from the process's composition root.
    serve(parse_address(arguments.tcp) if arguments.tcp else None, parts=process_wiring())
    return 0
