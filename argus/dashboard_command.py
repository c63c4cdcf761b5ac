"""``argus dashboard link``: a one-time sign-in link to the dashboard ``argus serve`` shows."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, TextIO

from argus.core.errors import ConfigError

DEFAULT_URL = "http://127.0.0.1:8000"


def add_commands(commands: Any) -> None:
    """Register ``argus dashboard link``."""
    dashboard = commands.add_parser(
        "dashboard",
        help="the web dashboard of argus serve",
        description="Sign in to the dashboard that `argus serve` shows at /.",
    )
    actions = dashboard.add_subparsers(dest="dashboard_command", metavar="ACTION")
    link = actions.add_parser(
        "link",
        help="print a one-time sign-in URL",
        description=(
            "Print a URL that signs one browser in to the dashboard, once, before it expires. "
            "Run it where `argus serve` runs (same ARGUS_HOME or repository)."
        ),
    )
    link.add_argument("--tenant", default="local", help="whose data to show (default: local)")
    link.add_argument("--ttl", default="10m", help="how long the link works (default: 10m)")
    link.add_argument(
        "--url",
        default=None,
        help="the server's address as the browser reaches it "
        f"(default: $ARGUS_DASHBOARD_URL, else {DEFAULT_URL})",
    )
    link.add_argument("--repo", default=".", help="the repository whose store to use")
    link.set_defaults(handler=run_link)
    dashboard.set_defaults(handler=_usage(dashboard))


def _usage(parser: argparse.ArgumentParser) -> Any:
    def handler(arguments: argparse.Namespace, stdout: TextIO) -> int:
        parser.print_help(stdout)
        return 2

    return handler


def run_link(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """Store a one-time link and print its URL."""
    from argus.dashboard.auth import create_link, parse_ttl

    ttl = parse_ttl(arguments.ttl)
    base = (arguments.url or os.environ.get("ARGUS_DASHBOARD_URL") or DEFAULT_URL).rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ConfigError(f"--url {base!r} must start with http:// or https://")
    from argus.wiring import process_wiring

    with process_wiring().open_store(Path(arguments.repo)) as store:
        token = create_link(store.connection, arguments.tenant, ttl)
    stdout.write(f"{base}/signin/{token}\n")
    return 0
