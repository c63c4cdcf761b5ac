"""The GitHub Action (action.yml) run the way a runner runs a composite action: its steps in
order, ``run:`` steps with bash, expressions over ``inputs`` and ``steps.*.outputs``, each step
with its own ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY`` files, ``GITHUB_EVENT_PATH`` holding a
recorded ``pull_request`` webhook payload whose SHAs point into a generated repository, and a
workspace checked out the way ``actions/checkout`` does by default: the PR's merge commit at
depth 1, with neither the base nor the head commit in it.

``uses:`` steps cannot run here; the harness records what they would have been given.
Argus is pip-installed from a copy of this checkout into a virtual environment whose
dependencies come from the test interpreter's site-packages (a ``.pth``), so no network is used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.e2e.test_cli_review import DEMO_CONFIG

ROOT = Path(__file__).resolve().parent.parent
DEMO_SCRIPT = ROOT / "scripts" / "make_demo_repo.py"
PAYLOAD = ROOT / "tests" / "fixtures" / "github-webhooks" / "pull_request.opened.payload.json"
SARIF_SCHEMA = ROOT / "tests" / "fixtures" / "sarif" / "sarif-2.1.0.json"
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Dana Tester",
    "GIT_AUTHOR_EMAIL": "dana@example.com",
    "GIT_COMMITTER_NAME": "Dana Tester",
    "GIT_COMMITTER_EMAIL": "dana@example.com",
    "GIT_AUTHOR_DATE": "2026-11-02T10:00:00Z",
    "GIT_COMMITTER_DATE": "2026-11-02T10:00:00Z",
}


def git(repo: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
        check=False,
    )
    assert completed.returncode == 0, f"git {args}: {completed.stderr}"
    return completed.stdout.strip()


# --- a composite action runner -------------------------------------------------------------

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_COMPARISON = re.compile(r"^([\w.-]+)\s*(==|!=)\s*'([^']*)'$")


@dataclass
class Run:
    """What running the action did."""

    steps: list[tuple[str, str]] = field(default_factory=list)  # (name, outcome)
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    log: str = ""
    uses: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return all(outcome != "failure" for _, outcome in self.steps)


class Context:
    def __init__(self, inputs: dict[str, str]) -> None:
        self.inputs = inputs
        self.step_outputs: dict[str, dict[str, str]] = {}

    def value(self, name: str) -> str:
        parts = name.split(".")
        if parts[0] == "inputs" and len(parts) == 2:
            return self.inputs[parts[1]]
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return self.step_outputs.get(parts[1], {}).get(parts[3], "")
        raise AssertionError(f"the harness does not know the expression {name!r}")

    def evaluate(self, expression: str) -> str | bool:
        comparison = _COMPARISON.match(expression)
        if comparison:
            left, operator, right = comparison.groups()
            # GitHub compares strings ignoring case.
            equal = self.value(left).lower() == right.lower()
            return equal if operator == "==" else not equal
        return self.value(expression)

    def substitute(self, text: str) -> str:
        return _EXPRESSION.sub(lambda match: str(self.evaluate(match.group(1))), text)

    def condition(self, text: str) -> bool:
        match = _EXPRESSION.fullmatch(text.strip())
        result = self.evaluate(match.group(1) if match else text.strip())
        assert isinstance(result, bool), f"if: {text} is not a condition"
        return result


def read_output_file(path: Path) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT file: name=value lines and name<<DELIMITER blocks."""
    values: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, index + 1)
            values[name] = "\n".join(lines[index + 1 : end])
            index = end + 1
            continue
        name, value = line.split("=", 1)
        values[name] = value
        index += 1
    return values


def run_action(
    action_dir: Path, inputs: dict[str, str], runner_env: dict[str, str], workdir: Path
) -> Run:
    """Run action_dir/action.yml's steps in order, as a runner would."""
    action = yaml.safe_load((action_dir / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    given = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
    unknown = set(inputs) - set(given)
    assert not unknown, f"not inputs of the action: {unknown}"
    context = Context({**given, **inputs})
    run = Run()
    for number, step in enumerate(action["runs"]["steps"]):
        name = step.get("name", f"step {number}")
        failed_before = not run.succeeded
        should_run = context.condition(step["if"]) if "if" in step else True
        if failed_before or not should_run:  # success() is implied in every if:
            run.steps.append((name, "skipped"))
            continue
        if "uses" in step:
            given_with = {key: context.substitute(str(v)) for key, v in step["with"].items()}
            run.uses.append((step["uses"], given_with))
            run.steps.append((name, "success"))
            continue
        assert step["shell"] == "bash"
        output_file = workdir / f"output-{number}"
        summary_file = workdir / f"summary-{number}"
        output_file.touch()
        summary_file.touch()
        env = {
            **runner_env,
            **{key: context.substitute(str(v)) for key, v in step.get("env", {}).items()},
            "GITHUB_ACTION_PATH": str(action_dir),
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(summary_file),
        }
        script = workdir / f"step-{number}.sh"
        script.write_text(context.substitute(step["run"]), encoding="utf-8")
        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=runner_env["GITHUB_WORKSPACE"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        run.log += f"## {name} (exit {completed.returncode})\n{completed.stdout}{completed.stderr}"
        run.summary += summary_file.read_text(encoding="utf-8")
        if "id" in step:
            context.step_outputs[step["id"]] = read_output_file(output_file)
        run.steps.append((name, "success" if completed.returncode == 0 else "failure"))
    run.outputs = {
        name: context.substitute(spec["value"]) for name, spec in action["outputs"].items()
    }
    return run


# --- the repository, the pull requests, the checkout -----------------------------------------


@dataclass(frozen=True)
class PullRequest:
    number: int
    base_ref: str
    base_sha: str
    head_ref: str
    head_sha: str
    merge_base: str
    commits: int


@dataclass(frozen=True)
class Origin:
    path: Path
    risky: PullRequest  # the demo's feature branch: high risk
    docs: PullRequest  # one README line: low risk


def open_pull_request(repo: Path, number: int, head_ref: str) -> PullRequest:
    """Make the refs GitHub makes for a pull request into main: pull/N/head and pull/N/merge."""
    base_sha = git(repo, "rev-parse", "main")
    head_sha = git(repo, "rev-parse", head_ref)
    tree = git(repo, "merge-tree", "--write-tree", base_sha, head_sha)
    merge = git(repo, "commit-tree", tree, "-p", base_sha, "-p", head_sha, "-m", "Merge")
    git(repo, "update-ref", f"refs/pull/{number}/head", head_sha)
    git(repo, "update-ref", f"refs/pull/{number}/merge", merge)
    start = git(repo, "merge-base", base_sha, head_sha)
    commits = int(git(repo, "rev-list", "--count", f"{start}..{head_sha}"))
    return PullRequest(number, "main", base_sha, head_ref, head_sha, start, commits)


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Origin:
    path = tmp_path_factory.mktemp("origin") / "orders"
    built = subprocess.run(
        [sys.executable, str(DEMO_SCRIPT), "--out", str(path)], capture_output=True, check=False
    )
    assert built.returncode == 0, built.stderr.decode()
    git(path, "checkout", "-q", "-b", "docs/readme", "main")
    with (path / "README.md").open("a", encoding="utf-8") as readme:
        readme.write("\nSee docs/ for the order lifecycle.\n")
    git(path, "commit", "-qam", "Mention the docs in the README")
    # main moves on after both branches left it, further than the PRs' own commits, so the
    # first fetch of the base does not reach the merge base.
    git(path, "checkout", "-q", "main")
    # The team turns on the opt-in rules whose defects the demo plants (its .argus.yml is on
    # main after both branches left it: in the merge checkout, not in the reviewed change).
    (path / ".argus.yml").write_text(DEMO_CONFIG, encoding="utf-8")
    git(path, "add", ".argus.yml")
    git(path, "commit", "-qm", "Turn on the rules this team wants")
    # Packages of the project named like Argus and like one of its parts (a Django project's
    # `core` app): Argus, run in the checkout, must still import its own.
    for name in ("argus", "core"):
        (path / name).mkdir()
        (path / name / "__init__.py").write_text(
            f"raise ImportError('the project {name} package')\n"
        )
        git(path, "add", name)
    git(path, "commit", "-qm", "Add the argus and core packages")
    for number in range(4):
        with (path / "CHANGELOG.md").open("a", encoding="utf-8") as changelog:
            changelog.write(f"- change {number}\n")
        git(path, "add", "CHANGELOG.md")
        git(path, "commit", "-qm", f"Changelog entry {number}")
    risky = open_pull_request(path, 1, "feature/bulk-discounts")
    docs = open_pull_request(path, 2, "docs/readme")
    # A review run in the origin itself (the full-clone comparison) reads the same rules
    # whatever branch is checked out there.
    if not (path / ".argus.yml").exists():
        (path / ".argus.yml").write_text(DEMO_CONFIG, encoding="utf-8")
        with (path / ".git" / "info" / "exclude").open("a", encoding="utf-8") as exclude:
            exclude.write(".argus.yml\n")
    return Origin(path, risky, docs)


@pytest.fixture(scope="module")
def action_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout's files, as a runner checks out the action's repository."""
    target = tmp_path_factory.mktemp("action") / "argus-action"
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "-co", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in listed:
        relative = os.fsdecode(raw)
        if not relative or relative.startswith(("vscode-extension/", "benchmarks/")):
            continue
        source = ROOT / relative
        if source.is_file():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)
    return target


@pytest.fixture(scope="module")
def shared_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment that sees the test interpreter's packages (Argus's dependencies)."""
    venv = tmp_path_factory.mktemp("venv") / "argus-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    purelib = Path(
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_path('purelib'))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (purelib / "argus-test-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return venv


def checkout_like_actions_checkout(origin: Path, workspace: Path, pull: PullRequest) -> None:
    """What actions/checkout does on a pull_request event by default: fetch-depth 1 of the
    merge ref, detached."""
    workspace.mkdir(parents=True)
    git(workspace, "init", "-q")
    git(workspace, "remote", "add", "origin", f"file://{origin}")
    ref = f"refs/pull/{pull.number}/merge"
    git(
        workspace,
        "fetch",
        "-q",
        "--no-tags",
        "--depth=1",
        "origin",
        f"+{ref}:refs/remotes/pull/{pull.number}/merge",
    )
    git(workspace, "checkout", "-q", "--detach", f"refs/remotes/pull/{pull.number}/merge")


def event_payload(pull: PullRequest, origin: Origin) -> dict:
    """The recorded pull_request.opened delivery, pointed at the generated repository."""
    payload = json.loads(PAYLOAD.read_text(encoding="utf-8"))
    payload["number"] = pull.number
    payload["pull_request"]["number"] = pull.number
    payload["pull_request"]["commits"] = pull.commits
    payload["pull_request"]["base"].update(ref=pull.base_ref, sha=pull.base_sha)
    payload["pull_request"]["head"].update(ref=pull.head_ref, sha=pull.head_sha)
    return payload


@dataclass
class Runner:
    """One job's runner: its temp dir, workspace and event."""

    root: Path
    env: dict[str, str]
    workspace: Path


def make_runner(
    tmp_path: Path, shared_venv: Path, payload: dict, event: str = "pull_request"
) -> Runner:
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    # The venv a previous run left (as actions/cache would restore it): saves a resolve per test.
    (temp / "argus-venv").symlink_to(shared_venv)
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(payload), encoding="utf-8")
    workspace = tmp_path / "work" / "orders"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_WORKSPACE": str(workspace),
        "RUNNER_TEMP": str(temp),
        **{key: value for key, value in GIT_ENV.items() if key.startswith("GIT_CONFIG")},
    }
    return Runner(tmp_path, env, workspace)


def start_job(tmp_path: Path, shared_venv: Path, origin: Origin, pull: PullRequest) -> Runner:
    runner = make_runner(tmp_path, shared_venv, event_payload(pull, origin))
    checkout_like_actions_checkout(origin.path, runner.workspace, pull)
    # The default checkout really is depth 1 and holds neither side of the pull request.
    assert git(runner.workspace, "rev-parse", "--is-shallow-repository") == "true"
    assert git(runner.workspace, "rev-list", "--count", "HEAD") == "1"
    for sha in (pull.base_sha, pull.head_sha, pull.merge_base):
        missing = subprocess.run(
            ["git", "-C", str(runner.workspace), "cat-file", "-e", f"{sha}^{{commit}}"],
            capture_output=True,
            check=False,
        )
        assert missing.returncode != 0
    return runner


def act(runner: Runner, action_dir: Path, **inputs: str) -> Run:
    inputs.setdefault("python", sys.executable)
    workdir = runner.root / "steps"
    workdir.mkdir(exist_ok=True)
    return run_action(action_dir, inputs, runner.env, workdir)


def argus_json(repo: Path, base: str, head: str, home: Path) -> dict:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "argus",
            "review",
            "--repo",
            str(repo),
            "--base",
            base,
            "--head",
            head,
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "ARGUS_HOME": str(home), **GIT_ENV},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


# --- the tests ---------------------------------------------------------------------------------


def test_a_risky_pull_request_on_a_depth_1_checkout_is_reviewed_uploaded_and_gated(
    tmp_path: Path, origin: Origin, action_dir: Path, shared_venv: Path
) -> None:
    runner = start_job(tmp_path, shared_venv, origin, origin.risky)
    run = act(runner, action_dir, **{"fail-on": "high"})

    assert [outcome for _, outcome in run.steps] == ["success", "success", "success", "failure"], (
        run.log
    )
    assert "::error title=Argus risk high::" in run.log
    # The job summary is the Markdown review of the pull request's range.
    assert f"High risk ({float(run.outputs['risk']):.0%}) — 7 files" in run.summary
    assert "orders/service.py" in run.summary and "PY001" in run.summary
    assert run.outputs["risk-level"] == "high"
    assert 0.6 <= float(run.outputs["risk"]) <= 1.0
    assert run.outputs["files-changed"] == "7"
    report = json.loads(Path(run.outputs["json-file"]).read_text())
    assert (report["base"], report["head"]) == (origin.risky.merge_base, origin.risky.head_sha)
    # The SARIF went to code scanning, and it is valid SARIF with the predicted bugs.
    assert run.uses == [
        (
            "github/codeql-action/upload-sarif@v4",
            {
                "sarif_file": run.outputs["sarif-file"],
                "checkout_path": str(runner.workspace),
                "category": "argus",
            },
        )
    ]
    sarif = json.loads(Path(run.outputs["sarif-file"]).read_text())
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()))
    results = sarif["runs"][0]["results"]
    assert len(results) >= 1
    assert any(r["ruleId"] == "PY001" for r in results)
    # history: full (the default) made the checkout whole, so the risk is the one a full clone
    # gives: the same pull request gets the same risk everywhere.
    assert git(runner.workspace, "rev-parse", "--is-shallow-repository") == "false"
    full = argus_json(origin.path, origin.risky.base_sha, origin.risky.head_sha, tmp_path / "h")
    # To two decimals, the standard the App's clone review meets too (the repository's rules
    # come from the merge checkout here and from the origin's working tree there).
    assert round(report["summary"]["probability"], 2) == round(full["summary"]["probability"], 2)
    # Nothing of Argus's was left in the workspace.
    assert git(runner.workspace, "status", "--porcelain") == ""


def test_a_low_risk_pull_request_passes_the_high_gate(
    tmp_path: Path, origin: Origin, action_dir: Path, shared_venv: Path
) -> None:
    runner = start_job(tmp_path, shared_venv, origin, origin.docs)
    run = act(runner, action_dir, **{"fail-on": "high", "upload-sarif": "false"})

    assert run.succeeded, run.log
    assert [outcome for _, outcome in run.steps] == ["success", "success", "skipped", "success"]
    assert run.uses == []  # upload-sarif: false skips the upload step
    assert run.outputs["risk-level"] == "low"
    assert run.outputs["files-changed"] == "1"
    assert "README.md" in run.summary
    assert "below fail-on: high" in run.log
    sarif = json.loads(Path(run.outputs["sarif-file"]).read_text())
    assert sarif["version"] == "2.1.0"


def test_history_merge_base_only_deepens_until_the_merge_base_is_there(
    tmp_path: Path, origin: Origin, action_dir: Path, shared_venv: Path
) -> None:
    runner = start_job(tmp_path, shared_venv, origin, origin.risky)
    run = act(runner, action_dir, history="merge-base")

    assert run.succeeded, run.log
    # fail-on defaults to none: the gate step does not run, even on a high risk.
    assert [outcome for _, outcome in run.steps] == ["success", "success", "success", "skipped"]
    assert "deepening" in run.log
    assert run.outputs["risk-level"] == "high"
    report = json.loads(Path(run.outputs["json-file"]).read_text())
    assert report["base"] == origin.risky.merge_base
    assert git(runner.workspace, "rev-parse", "--is-shallow-repository") == "true"
    total = int(git(origin.path, "rev-list", "--count", "--all"))
    assert int(git(runner.workspace, "rev-list", "--count", "--all")) < total


def test_a_plain_depth_1_clone_of_the_head_branch_works_too(
    tmp_path: Path, origin: Origin, action_dir: Path, shared_venv: Path
) -> None:
    runner = make_runner(tmp_path, shared_venv, event_payload(origin.risky, origin))
    runner.workspace.parent.mkdir(parents=True)
    subprocess.run(
        [
            "git",
            "clone",
            "-q",
            "--depth",
            "1",
            "--branch",
            origin.risky.head_ref,
            f"file://{origin.path}",
            str(runner.workspace),
        ],
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    run = act(runner, action_dir, history="merge-base", **{"fail-on": "medium"})

    assert [outcome for _, outcome in run.steps][-1] == "failure"
    assert run.outputs["risk-level"] == "high"
    report = json.loads(Path(run.outputs["json-file"]).read_text())
    assert (report["base"], report["head"]) == (origin.risky.merge_base, origin.risky.head_sha)


def test_an_event_without_a_pull_request_fails_with_a_clear_error(
    tmp_path: Path, origin: Origin, action_dir: Path, shared_venv: Path
) -> None:
    runner = make_runner(tmp_path, shared_venv, {"ref": "refs/heads/main"}, event="push")
    runner.workspace.mkdir(parents=True)
    git(runner.workspace, "init", "-q")
    run = act(runner, action_dir)

    assert [outcome for _, outcome in run.steps] == ["success", "failure", "skipped", "skipped"]
    assert "reviews pull requests, but push has no pull_request" in run.log
    assert run.summary == ""


def test_a_misspelt_fail_on_stops_before_the_review(
    tmp_path: Path, origin: Origin, action_dir: Path, shared_venv: Path
) -> None:
    runner = start_job(tmp_path, shared_venv, origin, origin.docs)
    run = act(runner, action_dir, **{"fail-on": "hihg"})

    assert [outcome for _, outcome in run.steps][:2] == ["success", "failure"]
    assert "ARGUS_FAIL_ON='hihg': expected one of none, low, medium, high" in run.log
    assert git(runner.workspace, "rev-parse", "--is-shallow-repository") == "true"
