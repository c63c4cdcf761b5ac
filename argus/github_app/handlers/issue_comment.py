"""Slash-commands in a PR's conversation: ``/argus <command> [arguments]``.

Bots (Argus included) are ignored. The App reacts 👀, then refuses cheaply (no review run)
when the command is unknown, the commenter lacks write access, or the plan's quota is used.
Each command returns its reply; the handler posts it once (argus.github_app.delivery.reply).
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from argus.core.report.markdown import escape
from argus.github_app.context import Context
from argus.github_app.delivery import Steps, react, reply
from argus.github_app.events import Event
from argus.github_app.githubkit_adapter import GitHubAPIError
from argus.github_app.reporting import review_and_report
from argus.github_app.review_service import pull_request_ref, review_pull_request, shipped_model
from argus.github_app.state import REPOSITORY_WIDE
from argus.github_app.test_requests import quota_note, tests_reply

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


async def handle(ctx: Context, event: Event) -> None:
    """Answer one slash-command: a 👀 reaction, then one reply (each a step of its own)."""
    payload = event.payload
    issue, comment = payload["issue"], payload["comment"]
    if is_bot(payload.get("sender") or comment.get("user") or {}, ctx.services.bot_login):
        return
    command = parse_command(str(comment.get("body") or ""))
    if command is None:
        return
    steps = Steps(ctx)
    await steps.run("reaction", lambda: react(ctx, int(comment["id"])))
    number = int(issue["number"])
    answer = await _answer(ctx, number, command, payload)
    if answer is not None:
        await steps.run("reply", lambda: reply(ctx, number, answer))
    steps.finish()


async def _answer(
    ctx: Context, number: int, command: Command, payload: dict[str, Any]
) -> str | None:
    """The reply to ``command`` (None: nothing to say), after running it."""
    run = COMMANDS.get(command.name)
    if run is None:
        return f"Unknown command `{escape(command.name, 40)}`.\n\n{HELP}"
    if command.name == "help":
        return HELP
    if "pull_request" not in payload["issue"]:
        return "Argus commands work on pull requests only."
    comment = payload["comment"]
    login = str((payload.get("sender") or comment.get("user") or {}).get("login", ""))
    permission = await ctx.github.collaborator_permission(ctx.owner, ctx.repo, login)
    if permission not in WRITERS:
        return (
            f"Sorry @{login}, Argus commands need write access to this repository "
            f"(yours is `{permission}`)."
        )
    return await run(ctx, number, command, login)


class Unreadable(Exception):
    """GitHub cannot give the pull request now."""


async def _pull_request(ctx: Context, number: int) -> dict[str, Any]:
    """The PR as of Argus's last report, else as GitHub has it now."""
    report = ctx.state.last_report(ctx.full_name, number)
    if report and report.get("pull_request"):
        stored: dict[str, Any] = report["pull_request"]
        return stored
    try:
        pull: dict[str, Any] = await ctx.github.get_pull_request(ctx.owner, ctx.repo, number)
    except GitHubAPIError as error:
        ctx.log.warning("cannot read pull request #%s: %s", number, error)
        raise Unreadable(str(error)) from error
    return pull


UNREADABLE = "Argus could not read this pull request from GitHub; try again."


async def _review(ctx: Context, number: int, command: Command, login: str) -> str | None:
    try:
        pull_request = await _pull_request(ctx, number)
    except Unreadable:
        return UNREADABLE
    await review_and_report(ctx, pull_request, pushed=True)
    return "Reviewed again: the report above is up to date."


async def _tests(ctx: Context, number: int, command: Command, login: str) -> str | None:
    refusal = quota_note(ctx)  # before anything costs a call
    if refusal:
        return refusal
    try:
        pull_request = await _pull_request(ctx, number)
    except Unreadable:
        return UNREADABLE
    target = command.arguments[0] if command.arguments else None
    return await tests_reply(ctx, pull_request, target)


async def _explain(ctx: Context, number: int, command: Command, login: str) -> str | None:
    if not command.arguments:
        return "Usage: `/argus explain path[:line]`"
    path, _, line_text = command.arguments[0].partition(":")
    line = int(line_text) if line_text.isdigit() else None
    try:
        pull_request = await _pull_request(ctx, number)
    except Unreadable:
        return UNREADABLE
    ref = pull_request_ref(ctx.owner, ctx.repo, pull_request)
    config = await ctx.config(ref.base_sha)
    model = ctx.services.review_model or shipped_model()
    attributes = await ctx.attributes(ref.base_sha)
    review = await review_pull_request(ctx.github, ref, config, model, [], attributes)
    symbols = [
        s
        for s in review.symbols
        if s.path == path and (line is None or s.start_line <= line <= s.end_line)
    ]
    if not symbols:
        return f"No changed function in `{escape(command.arguments[0], 200)}`."
    lines = []
    for symbol in symbols[:5]:
        lines.append(
            f"**`{escape(symbol.name, 100)}`** ({escape(symbol.path, 200)}:{symbol.start_line}): "
            f"{symbol.level.value} risk, {symbol.probability:.0%}"
        )
        lines.extend(f"- {escape(f.text, 300)}" for f in symbol.factors[:5])
    return "\n".join(lines)


def _scope(command: Command, number: int) -> tuple[tuple[str, ...], int, str]:
    """Arguments without ``--repo``, the switch's PR number (0 for the repository), and a name."""
    if "--repo" in command.arguments:
        rest = tuple(a for a in command.arguments if a != "--repo")
        return rest, REPOSITORY_WIDE, "this repository"
    return command.arguments, number, "this pull request"


async def _ignore(ctx: Context, number: int, command: Command, login: str) -> str | None:
    arguments, scope, where = _scope(command, number)
    if len(arguments) != 1:
        return "Usage: `/argus ignore <glob> [--repo]` (for example `docs/**`)"
    glob = arguments[0]
    ctx.state.add_ignored(ctx.full_name, scope, glob)
    return f"Paths matching `{escape(glob, 200)}` are left out of {where} from now on."


async def _pause(ctx: Context, number: int, command: Command, login: str) -> str | None:
    _, scope, where = _scope(command, number)
    ctx.state.set_paused(ctx.full_name, scope, True)
    return f"Reviews of {where} are paused; `/argus resume` restarts them."


async def _resume(ctx: Context, number: int, command: Command, login: str) -> str | None:
    _, scope, where = _scope(command, number)
    ctx.state.set_paused(ctx.full_name, scope, False)
    note = ""
    if ctx.state.is_paused(ctx.full_name, number):
        note = " (the repository is still paused: `/argus resume --repo`)"
    return f"Reviews of {where} are back on{note}."


async def _feedback(ctx: Context, number: int, command: Command, login: str) -> str | None:
    vote = {"up": 1, "down": -1}.get(command.arguments[0].lower() if command.arguments else "")
    if vote is None:
        return "Usage: `/argus feedback up` or `/argus feedback down`"
    ctx.state.record_feedback(ctx.full_name, number, login, vote)
    return "Thanks, noted."


async def _help(ctx: Context, number: int, command: Command, login: str) -> str | None:
    return HELP


COMMANDS: dict[str, Callable[[Context, int, Command, str], Awaitable[str | None]]] = {
    "help": _help,
    "review": _review,
    "tests": _tests,
    "explain": _explain,
    "ignore": _ignore,
    "pause": _pause,
    "resume": _resume,
    "feedback": _feedback,
}
