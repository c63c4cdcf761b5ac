"""Build the demo git repository of the "orders" service from examples/history/.

Usage: python scripts/make_demo_repo.py --out DIR [--force]

Every step folder in examples/history/ becomes one commit with the author, date and message
of its commit.toml; the same input always gives the same commit ids. The history lands on
``main``, the last steps on ``feature/bulk-discounts``, and the work tree is left on that
branch. Standard library only.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

HISTORY_DIR = Path(__file__).resolve().parent.parent / "examples" / "history"
MAIN_BRANCH = "main"
_STEP_NAME = re.compile(r"^\d+-[\w.-]+$")
_AUTHOR = re.compile(r"^(?P<name>[^<>]+?)\s*<(?P<email>[^<>@\s]+@[^<>\s]+)>$")


class DemoRepoError(Exception):
    """The demo repository could not be built; the message says why and what to do."""


@dataclass(frozen=True)
class Step:
    """One commit of the demo history, read from a step folder."""

    folder: Path
    author_name: str
    author_email: str
    date: str
    message: str
    branch: str
    deleted: tuple[str, ...]
    files: tuple[Path, ...]


@dataclass
class DemoRepo:
    """What was built: where, the final HEAD and the commit ids per branch."""

    path: Path
    head: str
    branch: str
    commits: dict[str, list[str]] = field(default_factory=dict)


def load_steps(history: Path = HISTORY_DIR) -> list[Step]:
    """Read every step folder of ``history`` in name order."""
    if not history.is_dir():
        raise DemoRepoError(f"history folder {history} does not exist")
    folders = sorted(p for p in history.iterdir() if p.is_dir() and _STEP_NAME.match(p.name))
    if not folders:
        raise DemoRepoError(f"no step folders (NN-name/) in {history}")
    return [_load_step(folder) for folder in folders]


def _load_step(folder: Path) -> Step:
    manifest = folder / "commit.toml"
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise DemoRepoError(f"{manifest}: {error}") from error
    for key in ("author", "date", "message"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise DemoRepoError(f"{manifest}: '{key}' must be a non-empty string")
    author = _AUTHOR.match(data["author"].strip())
    if author is None:
        raise DemoRepoError(f"{manifest}: author must look like 'Name <email>'")
    deleted = data.get("delete", [])
    if not isinstance(deleted, list) or not all(isinstance(path, str) for path in deleted):
        raise DemoRepoError(f"{manifest}: 'delete' must be a list of paths")
    files_root = folder / "files"
    files = tuple(
        sorted(p.relative_to(files_root) for p in files_root.rglob("*") if p.is_file())
        if files_root.is_dir()
        else ()
    )
    if not files and not deleted:
        raise DemoRepoError(f"{folder}: a step must add, change or delete at least one file")
    return Step(
        folder=folder,
        author_name=author["name"],
        author_email=author["email"],
        date=data["date"].strip(),
        message=data["message"].strip() + "\n",
        branch=str(data.get("branch", MAIN_BRANCH)),
        deleted=tuple(deleted),
        files=files,
    )


def _git_env(step: Step | None = None) -> dict[str, str]:
    # Nothing from the user's or system's git configuration may change the commit ids.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("GIT_") and key not in ("EMAIL",)
    }
    env.update(
        {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C",
        }
    )
    if step is not None:
        env.update(
            {
                "GIT_AUTHOR_NAME": step.author_name,
                "GIT_AUTHOR_EMAIL": step.author_email,
                "GIT_AUTHOR_DATE": step.date,
                "GIT_COMMITTER_NAME": step.author_name,
                "GIT_COMMITTER_EMAIL": step.author_email,
                "GIT_COMMITTER_DATE": step.date,
            }
        )
    return env


def _git(repo: Path, *args: str, step: Step | None = None, stdin: bytes | None = None) -> str:
    command = [
        "git",
        "-c",
        "init.defaultBranch=" + MAIN_BRANCH,
        "-c",
        "commit.gpgsign=false",
        "-c",
        "core.autocrlf=false",
        "-c",
        "core.hooksPath=" + os.devnull,
        "-c",
        "user.name=Argus Demo",
        "-c",
        "user.email=demo@argus.invalid",
        "-C",
        str(repo),
        *args,
    ]
    try:
        completed = subprocess.run(
            command, input=stdin, capture_output=True, env=_git_env(step), check=False
        )
    except FileNotFoundError as error:
        raise DemoRepoError("git is not installed or not on PATH") from error
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip()
        raise DemoRepoError(f"git {' '.join(args[:2])} failed: {message}")
    return completed.stdout.decode("utf-8", "replace").strip()


def _prepare_output(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise DemoRepoError(f"{out} exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise DemoRepoError(
                f"{out} exists and is not empty; pass --force to replace it or choose another --out"
            )
        resolved = out.resolve()
        if resolved == Path(resolved.anchor) or resolved in HISTORY_DIR.parents:
            raise DemoRepoError(f"refusing to delete {out}: it holds the demo sources")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def _apply(step: Step, repo: Path) -> None:
    for deleted in step.deleted:
        target = repo / deleted
        if not target.is_file():
            raise DemoRepoError(f"{step.folder.name}: cannot delete {deleted}, it does not exist")
        target.unlink()
    for relative in step.files:
        target = repo / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((step.folder / "files" / relative).read_bytes())
        target.chmod(0o644)


def build_demo_repo(out: Path, force: bool = False, history: Path = HISTORY_DIR) -> DemoRepo:
    """Replay ``history`` into a new git repository at ``out``; same input, same commit ids."""
    steps = load_steps(history)
    if steps[0].branch != MAIN_BRANCH:
        raise DemoRepoError(f"the first step must be on {MAIN_BRANCH}")
    _prepare_output(out, force)
    _git(out, "init", "-q")
    commits: dict[str, list[str]] = {}
    branch = MAIN_BRANCH
    for step in steps:
        if step.branch != branch:
            if step.branch in commits:
                _git(out, "checkout", "-q", step.branch)
            else:
                _git(out, "checkout", "-q", "-b", step.branch)
            branch = step.branch
        _apply(step, out)
        _git(out, "add", "-A")
        _git(out, "commit", "-q", "--no-verify", "-F", "-", step=step, stdin=step.message.encode())
        commits.setdefault(branch, []).append(_git(out, "rev-parse", "HEAD"))
    return DemoRepo(path=out, head=_git(out, "rev-parse", "HEAD"), branch=branch, commits=commits)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="folder for the new repository")
    parser.add_argument(
        "--force", action="store_true", help="delete a non-empty --out folder first"
    )
    arguments = parser.parse_args(argv)
    try:
        repo = build_demo_repo(arguments.out, force=arguments.force)
    except DemoRepoError as error:
        print(f"make_demo_repo: {error}", file=sys.stderr)
        return 2
    print(f"demo repository: {repo.path}")
    for name, ids in repo.commits.items():
        print(f"  {name}: {len(ids)} commits, tip {ids[-1][:12]}")
    print(f"  checked out: {repo.branch} at {repo.head}")
    print(f"  try: cd {repo.path} && git diff {MAIN_BRANCH}...{repo.branch}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
