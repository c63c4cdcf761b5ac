"""``python -m argus.lsp_server [--stdio | --tcp HOST:PORT]``: run the Argus language server."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from argus.core.errors import ArgusError


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the transport options and serve; the exit code."""
    parser = argparse.ArgumentParser(prog="python -m argus.lsp_server", description=__doc__)
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (default)")
    transport.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP port (debugging)")
    arguments = parser.parse_args(argv)
    from argus.lsp_server.server import parse_address, serve

    try:
        serve(parse_address(arguments.tcp) if arguments.tcp else None)
    except ArgusError as error:
        print(f"argus lsp: error: {error}", file=sys.stderr)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
