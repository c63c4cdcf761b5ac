"""The ``argus`` command line: parse arguments, call the composition root, print, exit."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import TextIO

from argus.core.errors import ArgusError

EXIT_CODES = """\
exit codes:
  0  the review ran and the risk is below --fail-on (or --fail-on was not given)
  1  the review ran and the overall risk is at or above --fail-on
  2  bad input or usage: unknown ref, not a git repository, malformed diff, bad option
  3  an unexpected internal error (please report it with the message printed)
"""

FORMATS = ("text", "json", "markdown", "sarif", "html")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every ``argus`` command."""
    parser = argparse.ArgumentParser(
        prog="argus",
        description="Argus predicts which changes will break, and explains why.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    review = commands.add_parser(
        "review",
        help="review the changes between a base and the working tree (or --head, or --diff)",
        description=(
            "Review a change: its overall risk as a calibrated probability, the changed "
            "functions ranked by risk with the factors that drove each score, and predicted "
            "bugs (defect patterns in the changed lines)."
        ),
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    review.add_argument(
        "range",
        nargs="?",
        metavar="RANGE",
        help="what to review, as git names it: BASE..HEAD or BASE...HEAD (the change since "
        "their merge base, as in a pull request), or REF (the working tree against REF); "
        "the same as --base and --head",
    )
    review.add_argument("--repo", default=".", help="the git repository (default: .)")
    review.add_argument(
        "--base",
        help="base branch or ref; the change is merge-base(base, head)..head "
        "(default: origin/HEAD, else main, else master, else HEAD)",
    )
    review.add_argument("--head", help="head ref (default: the working tree, staged or not)")
    review.add_argument(
        "--diff", metavar="FILE|-", help="review a unified diff file (or - for stdin) instead"
    )
    _add_format(review)
    review.add_argument(
        "--fail-on",
        choices=("low", "medium", "high"),
        help="exit 1 when the overall risk reaches this level",
    )
    review.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    review.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help="colour in text"
    )
    review.add_argument(
        "--no-history",
        action="store_true",
        help="do not read git history (size and complexity only)",
    )
    review.add_argument("--top", type=int, default=15, help="rows in the risk table (default 15)")
    review.add_argument(
        "--tenant",
        default="local",
        help="whose production errors count as risk factors (default: local, as argus ingest)",
    )
    review.add_argument(
        "--generate-tests",
        action="store_true",
        help="add tests for the riskiest changed functions, each run in a sandbox first",
    )
    review.add_argument(
        "--write-tests",
        metavar="DIR",
        help="with --generate-tests: write the tests into DIR",
    )
    review.add_argument(
        "--max-tier",
        metavar="TIER",
        help="with --generate-tests: the dearest tier to use "
        "(local, workers_ai, openai_compatible, haiku, sonnet)",
    )

    learn = commands.add_parser(
        "learn",
        help="learn from this repository's history: trace fixes to the commits that caused them",
        description=(
            "Find bug-fix commits, trace each to the commits that introduced the lines it "
            "changed (SZZ), and adapt the risk model to this repository."
        ),
    )
    learn.add_argument("--repo", default=".", help="the git repository (default: .)")
    _add_format(learn, choices=("text", "json"))

    predict = commands.add_parser("predict", help="score commits")
    predict_commands = predict.add_subparsers(dest="predict_command", metavar="WHAT")
    history = predict_commands.add_parser(
        "history",
        help="score every non-merge commit using only what was known before it (JSONL)",
    )
    history.add_argument("--repo", default=".", help="the git repository (default: .)")
    history.add_argument("--out", required=True, metavar="FILE.jsonl", help="where to write")
    _add_format(history, choices=("text", "json"))

    review.set_defaults(handler=_lazy("argus.commands", "run_review"))
    learn.set_defaults(handler=_lazy("argus.commands", "run_learn"))
    history.set_defaults(handler=_lazy("argus.commands", "run_predict_history"))
    for module in COMMAND_MODULES:
        import_module(module).add_commands(commands)
    _use_house_style(parser)
    return parser


class HelpFormatter(argparse.HelpFormatter):
    """Help that reads as sentences: each option's help starts with a capital letter, and
    names its default when it has one the text does not already give."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help
        if not text or text == argparse.SUPPRESS:
            return text
        text = text[0].upper() + text[1:]
        default = action.default
        shown = default not in (None, False, True, argparse.SUPPRESS) and not isinstance(
            action, argparse._SubParsersAction
        )
        if shown and "default" not in text.lower() and action.option_strings:
            text += " (default: %(default)s)"
        return text


class RawHelpFormatter(HelpFormatter, argparse.RawDescriptionHelpFormatter):
    """:class:`HelpFormatter` keeping the description's and epilog's own line breaks."""


def _use_house_style(parser: argparse.ArgumentParser) -> None:
    """Give ``parser`` and every sub-command's parser the house help formatter."""
    formatter = parser.formatter_class
    raw = isinstance(formatter, type) and issubclass(
        formatter, argparse.RawDescriptionHelpFormatter
    )
    parser.formatter_class = RawHelpFormatter if raw else HelpFormatter
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if choice.help:
                    choice.help = choice.help[0].upper() + choice.help[1:]
            for sub in action.choices.values():
                _use_house_style(sub)


# Modules that add their own sub-commands: each has ``add_commands(subparsers)`` and sets a
# ``handler(arguments, stdout) -> int`` default on its parsers (imported only when needed).
COMMAND_MODULES: tuple[str, ...] = (
    "argus.ingest_cli",
    "argus.costs_command",
    "argus.lsp_command",
    "argus.worker_command",
    "argus.doctor_command",
    "argus.dashboard_command",
    "argus.config_command",
    "argus.jobs_command",
    "argus.migrate_command",
)


def _lazy(module: str, name: str) -> Callable[[argparse.Namespace, TextIO], int]:
    """A handler that imports its module only when the command runs (keeps start-up fast)."""

    def handler(arguments: argparse.Namespace, stdout: TextIO) -> int:
        function: Callable[[argparse.Namespace, TextIO], int] = getattr(import_module(module), name)
        return function(arguments, stdout)

    return handler


def _add_format(parser: argparse.ArgumentParser, choices: Sequence[str] = FORMATS) -> None:
    parser.add_argument(
        "--format", "-f", choices=choices, default="text", help="output format (default: text)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if arguments.version:
        from argus import __version__

        print(f"argus {__version__}")
        return 0
    handler = getattr(arguments, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        try:
            return int(handler(arguments, sys.stdout))
        finally:
            # The command's parts (argus.wiring, when it built any) end with the command.
            wiring = sys.modules.get("argus.wiring")
            if wiring is not None:
                wiring.end_process()
    except ArgusError as error:
        print(f"argus: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away; nothing more to say.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception:  # noqa: BLE001 - the last line of defence: a clear message, exit code 3
        import traceback

        traceback.print_exc()
        print(
            "argus: internal error (the traceback above says where); please report it",
            file=sys.stderr,
        )
        return 3
