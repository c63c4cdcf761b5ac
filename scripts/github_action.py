"""The steps of the Argus GitHub Action (action.yml), run by the interpreter Argus is installed in.

Usage (as action.yml runs it, with the environment a GitHub runner provides):

    python scripts/github_action.py review   # fetch enough history, review, summary, outputs
    python scripts/github_action.py gate     # exit 1 when the risk reaches ARGUS_FAIL_ON

``review`` reads the pull request's base and head SHAs from the ``pull_request`` object of
``$GITHUB_EVENT_PATH``, makes sure the checkout in ``$GITHUB_WORKSPACE`` holds both commits and
their merge base (a default ``actions/checkout`` is a depth-1 clone of the merge commit, which
has neither), runs ``argus review`` on the range, appends the Markdown report to
``$GITHUB_STEP_SUMMARY`` and writes ``risk-level``, ``risk``, ``files-changed``, ``sarif-file``,
``report-file``, ``json-file`` and ``checkout-path`` to ``$GITHUB_OUTPUT``.

Settings come from the environment (action.yml maps its inputs onto these):
``ARGUS_FAIL_ON`` (none, low, medium, high), ``ARGUS_HISTORY`` (full: fetch the whole history of
both commits, so history-based risk factors match a full clone; merge-base: deepen only until a
merge base exists), ``ARGUS_REPOSITORY_PATH`` (the checkout, relative to the workspace).
Standard library only: it must run before anything else is known to work.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

LEVELS = ("low", "medium", "high")
FAIL_ON_CHOICES = ("none", *LEVELS)
HISTORY_CHOICES = ("full", "merge-base")
# The first fetch takes the pull request's own commits plus one from each side (its merge base
# when the base branch has not moved), then deepens by DEEPEN_FIRST, doubling per round; after
# the last round the checkout is unshallowed outright (a merge base 40,950 commits back is rare).
DEEPEN_FIRST = 10
DEEPEN_ROUNDS = 12
DEFAULT_COMMITS = 49
REMOTE = "origin"


class ActionError(Exception):
    """The action cannot go on; the message says why and what to change in the workflow."""


@dataclass(frozen=True)
class PullRequest:
    """What the action needs from the event payload."""

    number: int
    base_sha: str
    head_sha: str
    base_ref: str
    commits: int = DEFAULT_COMMITS


@dataclass(frozen=True)
class ReviewResult:
    """The review's headline figures and where its reports were written."""

    level: str
    probability: float
    files_changed: int
    sarif_file: Path
    report_file: Path
    json_file: Path


def read_pull_request(event_path: str | None) -> PullRequest:
    """The pull request of the workflow's event; ActionError for any other event."""
    if not event_path:
        raise ActionError("GITHUB_EVENT_PATH is not set: run this inside a GitHub Actions job")
    try:
        payload = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ActionError(f"cannot read the event payload {event_path}: {error}") from error
    pull = payload.get("pull_request") if isinstance(payload, dict) else None
    if not isinstance(pull, dict):
        event = os.environ.get("GITHUB_EVENT_NAME", "this event")
        raise ActionError(
            f"the Argus action reviews pull requests, but {event} has no pull_request: "
            "run it on: pull_request (or pull_request_target)"
        )
    try:
        return PullRequest(
            number=int(pull["number"]),
            base_sha=str(pull["base"]["sha"]),
            head_sha=str(pull["head"]["sha"]),
            base_ref=str(pull["base"]["ref"]),
            commits=_positive(pull.get("commits"), DEFAULT_COMMITS),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ActionError(f"the pull_request in {event_path} lacks {error}") from error


def _positive(value: object, default: int) -> int:
    return value if isinstance(value, int) and value > 0 else default


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run git in ``repo``; ActionError with git's message when it fails and ``check``."""
    completed = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    )
    if check and completed.returncode != 0:
        raise ActionError(f"git {' '.join(args)} failed: {completed.stderr.strip()}")
    return completed


def is_shallow(repo: Path) -> bool:
    """Whether the checkout is a shallow clone."""
    return git(repo, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"


def has_commit(repo: Path, sha: str) -> bool:
    """Whether the commit object is in the checkout."""
    return git(repo, "cat-file", "-e", f"{sha}^{{commit}}", check=False).returncode == 0


def merge_base(repo: Path, base: str, head: str) -> str | None:
    """The merge base of the two commits, None while the history does not reach it."""
    found = git(repo, "merge-base", base, head, check=False)
    if found.returncode != 0:
        return None
    return found.stdout.strip() or None


def ensure_history(repo: Path, pull: PullRequest, mode: str, log: list[str]) -> str:
    """Fetch what the review needs into ``repo`` and return the merge base.

    ``merge-base`` fetches both commits and deepens the shallow history until they meet;
    ``full`` fetches their whole history. A complete clone is only fetched into when a commit
    is missing, and is never made shallow.
    """
    wanted = (pull.base_sha, pull.head_sha)
    shallow = is_shallow(repo)
    if mode == "full" and shallow:
        log.append("unshallowing the checkout for the review's history")
        git(repo, "fetch", "--no-tags", "--unshallow", REMOTE, *wanted)
    elif not all(has_commit(repo, sha) for sha in wanted):
        log.append(f"fetching the pull request's base {pull.base_sha} and head {pull.head_sha}")
        depth = (f"--depth={pull.commits + 1}",) if shallow else ()
        git(repo, "fetch", "--no-tags", *depth, REMOTE, *wanted)
    step = DEEPEN_FIRST
    for _ in range(DEEPEN_ROUNDS):
        found = merge_base(repo, *wanted)
        if found is not None or not is_shallow(repo):
            break
        log.append(f"no merge base yet: deepening by {step} commits")
        git(repo, "fetch", "--no-tags", f"--deepen={step}", REMOTE, *wanted)
        step *= 2
    else:
        if merge_base(repo, *wanted) is None and is_shallow(repo):
            log.append("no merge base after deepening: fetching the whole history")
            git(repo, "fetch", "--no-tags", "--unshallow", REMOTE, *wanted)
    found = merge_base(repo, *wanted)
    if found is None:
        raise ActionError(
            f"base {pull.base_sha} and head {pull.head_sha} share no history: "
            "is the pull request's branch unrelated to its base?"
        )
    return found


def run_reviews(
    repo: Path, pull: PullRequest, out_dir: Path, environ: Mapping[str, str]
) -> ReviewResult:
    """Run ``argus review`` on base...head once per format; ActionError when it fails."""
    files = {fmt: out_dir / f"argus.{ext}" for fmt, ext in _FORMATS.items()}
    for fmt, path in files.items():
        # -P: the checkout is the working directory, and a package of the project named
        # `argus` must not shadow Argus.
        command = [sys.executable, "-P", "-m", "argus", "review", "--repo", str(repo)]
        command += ["--base", pull.base_sha, "--head", pull.head_sha]
        command += ["--format", fmt, "--output", str(path), "--color", "never"]
        completed = subprocess.run(
            command, capture_output=True, text=True, env=dict(environ), check=False
        )
        if completed.returncode != 0:
            raise ActionError(
                f"argus review --format {fmt} exited {completed.returncode}: "
                f"{completed.stderr.strip()}"
            )
    document = json.loads(files["json"].read_text(encoding="utf-8"))
    summary = document["summary"]
    return ReviewResult(
        level=str(summary["level"]),
        probability=float(summary["probability"]),
        files_changed=int(summary["files_changed"]),
        sarif_file=files["sarif"],
        report_file=files["markdown"],
        json_file=files["json"],
    )


_FORMATS = {"json": "json", "markdown": "md", "sarif": "sarif"}


def write_outputs(path: str | None, values: Mapping[str, str]) -> None:
    """Append ``name=value`` lines to the step's ``$GITHUB_OUTPUT`` file."""
    if not path:
        raise ActionError("GITHUB_OUTPUT is not set: run this inside a GitHub Actions job")
    with open(path, "a", encoding="utf-8") as stream:
        for name, value in values.items():
            if "\n" in value:
                raise ActionError(f"output {name} spans lines")  # ours never do
            stream.write(f"{name}={value}\n")


def append_summary(path: str | None, markdown: str) -> None:
    """Append the report to the job summary (``$GITHUB_STEP_SUMMARY``), when there is one."""
    if path:
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(markdown if markdown.endswith("\n") else markdown + "\n")


def choice(environ: Mapping[str, str], name: str, choices: Sequence[str], default: str) -> str:
    """The setting ``name`` from the environment, checked against ``choices``."""
    value = (environ.get(name) or default).strip().lower()
    if value not in choices:
        raise ActionError(f"{name}={value!r}: expected one of {', '.join(choices)}")
    return value


def fails(level: str, files_changed: int, fail_on: str) -> bool:
    """Whether a review at ``level`` fails the gate ``fail_on`` (at or above it fails)."""
    if fail_on == "none" or files_changed == 0:
        return False
    return LEVELS.index(level) >= LEVELS.index(fail_on)


def review(environ: Mapping[str, str]) -> int:
    """The action's review step; see the module docstring."""
    choice(environ, "ARGUS_FAIL_ON", FAIL_ON_CHOICES, "none")  # a typo fails before the work
    history = choice(environ, "ARGUS_HISTORY", HISTORY_CHOICES, "full")
    pull = read_pull_request(environ.get("GITHUB_EVENT_PATH"))
    workspace = Path(environ.get("GITHUB_WORKSPACE") or os.getcwd())
    repo = (workspace / environ.get("ARGUS_REPOSITORY_PATH", ".")).resolve()
    if not (repo / ".git").exists():
        raise ActionError(f"{repo} is not a git checkout: run actions/checkout before Argus")
    log: list[str] = []
    start = ensure_history(repo, pull, history, log)
    for line in log:
        print(f"argus: {line}")
    print(f"argus: reviewing #{pull.number}: {start[:12]}..{pull.head_sha[:12]}")
    temp = Path(environ.get("RUNNER_TEMP") or tempfile.gettempdir())
    out_dir = Path(tempfile.mkdtemp(prefix="argus-", dir=temp))
    child_env = dict(environ)
    # The store (history cache) stays out of the workspace, so it never lands in a commit.
    child_env.setdefault("ARGUS_HOME", str(temp / "argus-home"))
    child_env["NO_COLOR"] = "1"
    result = run_reviews(repo, pull, out_dir, child_env)
    append_summary(environ.get("GITHUB_STEP_SUMMARY"), result.report_file.read_text("utf-8"))
    write_outputs(
        environ.get("GITHUB_OUTPUT"),
        {
            "risk-level": result.level,
            "risk": f"{result.probability:.2f}",
            "files-changed": str(result.files_changed),
            "sarif-file": str(result.sarif_file),
            "report-file": str(result.report_file),
            "json-file": str(result.json_file),
            # SARIF paths are relative to the checkout (%SRCROOT%): upload-sarif's checkout_path.
            "checkout-path": str(repo),
        },
    )
    print(f"argus: risk {result.level.upper()} {result.probability:.2f}")
    return 0


def gate(environ: Mapping[str, str]) -> int:
    """The action's gate step: 1 (with an error annotation) when the risk reaches fail-on."""
    fail_on = choice(environ, "ARGUS_FAIL_ON", FAIL_ON_CHOICES, "none")
    level = choice(environ, "ARGUS_RISK_LEVEL", LEVELS, "low")
    files_changed = int(environ.get("ARGUS_FILES_CHANGED") or "0")
    risk = environ.get("ARGUS_RISK", "")
    if fails(level, files_changed, fail_on):
        print(
            f"::error title=Argus risk {level}::The pull request's risk is {level.upper()} "
            f"{risk}, at or above fail-on: {fail_on}. See the job summary for why."
        )
        return 1
    print(f"argus: risk {level} {risk} is below fail-on: {fail_on}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run one step; 2 with a ``::error::`` line when the action cannot go on."""
    args = list(sys.argv[1:] if argv is None else argv)
    steps = {"review": review, "gate": gate}
    if len(args) != 1 or args[0] not in steps:
        print(f"usage: github_action.py {'|'.join(steps)}", file=sys.stderr)
        return 2
    try:
        return steps[args[0]](os.environ)
    except ActionError as error:
        print(f"::error title=Argus::{error}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
