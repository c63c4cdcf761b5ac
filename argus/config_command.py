"""``argus config check [FILE]``: validate a ``.argus.yml`` and point at each mistake's line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from argus.core.errors import ConfigError

#: ``argus.core.config.CONFIG_PATH``, written here so that `argus --help` imports no rule.
CONFIG_PATH = ".argus.yml"


def add_commands(commands: Any) -> None:
    """Add ``argus config check`` to the command line."""
    config = commands.add_parser("config", help="check the repository's .argus.yml")
    actions = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="validate .argus.yml; exit 2 naming each mistake")
    check.add_argument(
        "file", nargs="?", help=f"the file (default: {CONFIG_PATH} at the repo root)"
    )
    check.set_defaults(handler=run_check)


def run_check(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """Print each mistake as ``file:line: message``; 0 when valid, 2 when not."""
    from argus.core.config import check_config, find_config

    path = Path(arguments.file) if arguments.file else find_config(Path.cwd())
    if path is None:
        stdout.write(f"no {CONFIG_PATH} found; the defaults apply\n")
        return 0
    try:
        text = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None
    problems = check_config(text)
    for problem in problems:
        stdout.write(f"{path}:{problem.line}: {problem.message}\n")
    if problems:
        return 2
    stdout.write(f"{path}: valid\n")
    return 0
