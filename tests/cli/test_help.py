"""The command line's help reads as sentences and names the defaults."""

from __future__ import annotations

import argparse
import re

from argus.cli import build_parser


def every_parser(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += every_parser(sub)
    return found


def test_every_help_line_starts_with_a_capital_letter() -> None:
    for parser in every_parser(build_parser()):
        text = parser.format_help()
        options = text.split("options:", 1)[1].split("\n\n", 1)[0]
        for match in re.finditer(r"^  \S.*?  +(\S)", options, re.MULTILINE):
            assert not match.group(1).islower(), f"{parser.prog}: {match.group(0)!r}"


def test_serve_help_names_the_default_host_and_port() -> None:
    [serve] = [p for p in every_parser(build_parser()) if p.prog == "argus serve"]
    text = " ".join(serve.format_help().split())
    assert "Address to listen on (default: 127.0.0.1)" in text
    assert "Port to listen on (default: 8000)" in text
