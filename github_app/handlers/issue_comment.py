"""Slash-commands in a PR's conversation: ``/argus <command> [arguments]``.

Bots (Argus included) are ignored. The App reacts 👀, then refuses cheaply (no review run)
when the command is unknown, the commenter lacks write access, or the plan's quota is used.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from core.report.markdown import escape
from github_app.context import Context
from github_app.dispatch import Dispatcher
from github_app.events import Event
from github_app.githubkit_adapter import GitHubAPIError
from github_app.handlers.pull_request import review_and_report
from github_app.handlers.tests import quota_note, with_tests
from github_app.review_service import pull_request_ref, review_pull_request, shipped_model
from github_app.state import REPOSITORY_WIDE

PREFIX = "/argus"
WRITERS = frozenset({"admin", "maintain", "write"})
HELP = """Argus commands (collaborators with write access):

| Command | What it does |
|---|---|
| `/argus help` | this list |
| `/argus review` | review the pull request again |
| `/argus tests [path[:function]]` | generate and validate tests (uses the plan's test runs) |
| `/argus explain path[:line]` | why a changed function is risky |
| `/argus ignore <glob> [--repo]` | leave matching paths out of this PR's (or all) reviews |
| `/argus pause [--repo]` / `/argus resume [--repo]` | stop or restart reviews |
| `/argus feedback up\\|down` | tell us whether the report helped |
"""


@dataclass(frozen=True)
class Command:
    """A parsed slash-command."""

    name: str
    arguments: tuple[str, ...]


def parse_command(body: str) -> Command | None:
    """The command on the comment's first line starting with ``/argus``, or None."""
    for line in body.splitlines():
        stripped = line.strip()
        if stripped == PREFIX or stripped.startswith(PREFIX + " "):
            try:
                words = shlex.split(stripped[len(PREFIX) :])
            except ValueError:
                words = stripped[len(PREFIX) :].split()
            if not words:
                return Command("help", ())
            return Command(words[0].lower(), tuple(words[1:]))
    return None


def is_bot(sender: dict[str, Any], bot_login: str) -> bool:
    """Whether the comment comes from a bot (GitHub Apps' accounts end with ``[bot]``)."""
    login = str(sender.get("login", ""))
    return sender.get("type") == "Bot" or login.endswith("[bot]") or login == bot_login


def register(dispatcher: Dispatcher) -> None:
    """Add this module's handlers to the table."""
    dispatcher.add("issue_comment.created", handle)


async def handle(ctx: Context, event: Event) -> None:
    """Answer one slash-command."""
    payload = event.payload
    issue, comment = payload["issue"], payload["comment"]
    bot_login = getattr(ctx.services, "bot_login", "argus[bot]")
    if is_bot(payload.get("sender") or comment.get("user") or {}, bot_login):
        return
    command = parse_command(str(comment.get("body") or ""))
    if command is None:
        return
    await ctx.github.add_reaction(ctx.owner, ctx.repo, int(comment["id"]), "eyes")
    number = int(issue["number"])
    run = COMMANDS.get(command.name)
    if run is None:
        await reply(ctx, number, f"Unknown command `{escape(command.name, 40)}`.\n\n{HELP}")
        return
    if command.name == "help":
        await reply(ctx, number, HELP)
        return
    if "pull_request" not in issue:
        await reply(ctx, number, "Argus commands work on pull requests only.")
        return
    login = str((payload.get("sender") or comment.get("user") or {}).get("login", ""))
    permission = await ctx.github.collaborator_permission(ctx.owner, ctx.repo, login)
    if permission not in WRITERS:
        await reply(
            ctx,
            number,
            f"Sorry @{login}, Argus commands need write access to this repository "
            f"(yours is `{permission}`).",
        )
        return
    await run(ctx, number, command, login)


async def reply(ctx: Context, number: int, body: str) -> None:
    """Answer in the PR conversation."""
    await ctx.github.create_comment(ctx.owner, ctx.repo, number, body)


async def _pull_request(ctx: Context, number: int) -> dict[str, Any] | None:
    """The PR as of Argus's last report, else as GitHub has it now (None, with a reply, when
    GitHub cannot give it)."""
    report = ctx.state.last_report(ctx.full_name, number)
    if report and report.get("pull_request"):
        stored: dict[str, Any] = report["pull_request"]
        return stored
    try:
        pull: dict[str, Any] = await ctx.github.get_pull_request(ctx.owner, ctx.repo, number)
    except GitHubAPIError as error:
        ctx.log.warning("cannot read pull request #%s: %s", number, error)
        await reply(ctx, number, "Argus could not read this pull request from GitHub; try again.")
        return None
    return pull


async def _review(ctx: Context, number: int, command: Command, login: str) -> None:
    pull_request = await _pull_request(ctx, number)
    if pull_request is None:
        return
    await review_and_report(ctx, pull_request, pushed=True)
    await reply(ctx, number, "Reviewed again: the report above is up to date.")


async def _tests(ctx: Context, number: int, command: Command, login: str) -> None:
    refusal = quota_note(ctx)
    if refusal:
        await reply(ctx, number, refusal)
        return
    pull_request = await _pull_request(ctx, number)
    if pull_request is None:
        return
    ref = pull_request_ref(ctx.owner, ctx.repo, pull_request)
    config = await ctx.config(ref.base_sha)
    ignored = ctx.state.ignored_globs(ctx.full_name, number)
    model = getattr(ctx.services, "review_model", None) or shipped_model()
    review = await review_pull_request(ctx.github, ref, config, model, ignored)
    target = command.arguments[0] if command.arguments else None
    review, notes = await with_tests(ctx, review, config, target)
    if notes:
        await reply(ctx, number, "\n\n".join(notes))
        return
    if not review.tests:
        await reply(
            ctx,
            number,
            "No generated test survived validation (or the repository has no clone on the "
            "Argus server holding this commit).",
        )
        return
    lines = [f"Generated {len(review.tests)} tests:"]
    for test in review.tests:
        validation = test.validation
        lines.append(
            f"- `{escape(test.path, 120)}` for `{escape(test.target_symbol, 80)}`: "
            f"passed {validation.passed_runs}/{validation.runs} runs"
        )
    await reply(ctx, number, "\n".join(lines))


async def _explain(ctx: Context, number: int, command: Command, login: str) -> None:
    if not command.arguments:
        await reply(ctx, number, "Usage: `/argus explain path[:line]`")
        return
    path, _, line_text = command.arguments[0].partition(":")
    line = int(line_text) if line_text.isdigit() else None
    pull_request = await _pull_request(ctx, number)
    if pull_request is None:
        return
    ref = pull_request_ref(ctx.owner, ctx.repo, pull_request)
    config = await ctx.config(ref.base_sha)
    model = getattr(ctx.services, "review_model", None) or shipped_model()
    review = await review_pull_request(ctx.github, ref, config, model, [])
    symbols = [
        s
        for s in review.symbols
        if s.path == path and (line is None or s.start_line <= line <= s.end_line)
    ]
    if not symbols:
        await reply(ctx, number, f"No changed function in `{escape(command.arguments[0], 200)}`.")
        return
    lines = []
    for symbol in symbols[:5]:
        lines.append(
            f"**`{escape(symbol.name, 100)}`** ({escape(symbol.path, 200)}:{symbol.start_line}): "
            f"{symbol.level.value} risk, {symbol.probability:.0%}"
        )
        lines.extend(f"- {escape(f.text, 300)}" for f in symbol.factors[:5])
    await reply(ctx, number, "\n".join(lines))


def _scope(command: Command, number: int) -> tuple[tuple[str, ...], int, str]:
    """Arguments without ``--repo``, the switch's PR number (0 for the repository), and a name."""
    if "--repo" in command.arguments:
        rest = tuple(a for a in command.arguments if a != "--repo")
        return rest, REPOSITORY_WIDE, "this repository"
    return command.arguments, number, "this pull request"


async def _ignore(ctx: Context, number: int, command: Command, login: str) -> None:
    arguments, scope, where = _scope(command, number)
    if len(arguments) != 1:
        await reply(ctx, number, "Usage: `/argus ignore <glob> [--repo]` (for example `docs/**`)")
        return
    glob = arguments[0]
    ctx.state.add_ignored(ctx.full_name, scope, glob)
    await reply(
        ctx, number, f"Paths matching `{escape(glob, 200)}` are left out of {where} from now on."
    )


async def _pause(ctx: Context, number: int, command: Command, login: str) -> None:
    _, scope, where = _scope(command, number)
    ctx.state.set_paused(ctx.full_name, scope, True)
    await reply(ctx, number, f"Reviews of {where} are paused; `/argus resume` restarts them.")


async def _resume(ctx: Context, number: int, command: Command, login: str) -> None:
    _, scope, where = _scope(command, number)
    ctx.state.set_paused(ctx.full_name, scope, False)
    note = ""
    if ctx.state.is_paused(ctx.full_name, number):
        note = " (the repository is still paused: `/argus resume --repo`)"
    await reply(ctx, number, f"Reviews of {where} are back on{note}.")


async def _feedback(ctx: Context, number: int, command: Command, login: str) -> None:
    vote = {"up": 1, "down": -1}.get(command.arguments[0].lower() if command.arguments else "")
    if vote is None:
        await reply(ctx, number, "Usage: `/argus feedback up` or `/argus feedback down`")
        return
    ctx.state.record_feedback(ctx.full_name, number, login, vote)
    await reply(ctx, number, "Thanks, noted.")


async def _help(ctx: Context, number: int, command: Command, login: str) -> None:
    await reply(ctx, number, HELP)


COMMANDS: dict[str, Callable[[Context, int, Command, str], Awaitable[None]]] = {
    "help": _help,
    "review": _review,
    "tests": _tests,
    "explain": _explain,
    "ignore": _ignore,
    "pause": _pause,
    "resume": _resume,
    "feedback": _feedback,
}
