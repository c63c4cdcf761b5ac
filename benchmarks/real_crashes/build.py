"""Build the real-crash corpus: mine bug-fix commits, capture Sentry events, keep recipes.

A *recipe* (``<id>/recipe.json``) names a public repository, a buggy commit, the commit that
fixed it, the test (a pytest node id, taken from the fix) that fails at the buggy commit with
an uncaught exception other than an assertion, and the packages its tests need. Its
``event.json`` is what the real ``sentry-sdk`` (``include_local_variables=True``) would have
sent while that test ran at the buggy commit (``sentry_capture_plugin.py``), with the
machine's folders replaced by deployment prefixes (``/srv/app``, ``/opt/venv/...``).

Projects are never stored here: checkouts and virtualenvs live in the cache
(``$ARGUS_CRASH_CACHE``, default ``~/.cache/argus-real-crashes``), cloned from the local
mirrors the ``fetch`` tool makes (``/work/.mirror/<owner>+<name>/repo``).

    # every bug-fix commit of a repository whose new test crashes at the parent
    nice -n 10 .venv/bin/python benchmarks/real_crashes/build.py mine PyCQA/pyflakes \
        --package pyflakes --limit 200
    # one known bug (BugsInPy): buggy, fixed, node id
    nice -n 10 .venv/bin/python benchmarks/real_crashes/build.py add cool-RR/PySnooper \
        --package pysnooper --buggy e21a31 --fixed 56f22f --test tests/test_chinese.py::test_chinese
    # capture the event of a stored recipe again
    nice -n 10 .venv/bin/python benchmarks/real_crashes/build.py capture pyflakes-1a2b3c4
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIRRORS = Path(os.environ.get("ARGUS_MIRRORS", "/work/.mirror"))
CACHE = Path(os.environ.get("ARGUS_CRASH_CACHE", Path.home() / ".cache" / "argus-real-crashes"))
SRV_PREFIX = "/srv/app"
SITE_PREFIX = "/opt/venv/lib/python3.11/site-packages"
STDLIB_PREFIX = "/usr/lib/python3.11"
MAX_FRAMES = 60
BASE_PACKAGES = ("pytest<9", "sentry-sdk==2.76.0")
_KEPT_KEYS = ("event_id", "level", "platform", "timestamp", "exception", "release", "environment")
# Exceptions that say the test met code that does not exist yet, not a crash of existing code.
_NOT_CRASHES = {"AssertionError", "ImportError", "ModuleNotFoundError", "NameError", "SyntaxError"}
_FIX_WORDS = re.compile(
    r"\b(fix|fixes|fixed|crash|error|exception|bug|traceback|issue)\b|#\d", re.I
)


def _run(command: Sequence[str], cwd: Path | None = None, **kwargs: object) -> str:
    done = subprocess.run(
        list(command), cwd=cwd, check=True, capture_output=True, text=True, **kwargs
    )  # type: ignore[call-overload]
    return str(done.stdout)


def mirror_of(repo: str) -> Path:
    """The local mirror of ``owner/name`` (made by the fetch tool)."""
    path = MIRRORS / repo.replace("/", "+") / "repo"
    if not path.exists():
        raise SystemExit(f"no mirror of {repo} at {path}: fetch github:{repo} first")
    return path


def checkout(repo: str) -> Path:
    """A private clone of ``repo`` in the cache (made once)."""
    folder = CACHE / "checkouts" / repo.replace("/", "+")
    if not folder.exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        _run(["git", "clone", "-q", "--no-checkout", str(mirror_of(repo)), str(folder)])
    return folder


def switch(folder: Path, commit: str) -> None:
    """Check ``commit`` out in ``folder``, dropping every change and untracked file."""
    _run(["git", "checkout", "-q", "-f", commit], cwd=folder)
    _run(["git", "clean", "-q", "-fdx"], cwd=folder)


def venv(packages: Sequence[str]) -> Path:
    """The python of a cached virtualenv holding ``packages`` plus pytest and sentry-sdk."""
    wanted = sorted({*BASE_PACKAGES, *packages})
    key = hashlib.sha256("\n".join(wanted).encode()).hexdigest()[:12]
    folder = CACHE / "venvs" / key
    python = folder / "bin" / "python"
    if not (folder / "ready").exists():
        shutil.rmtree(folder, ignore_errors=True)
        _run([sys.executable, "-m", "venv", str(folder)])
        _run([str(python), "-m", "pip", "install", "-q", "--prefer-binary", *wanted])
        (folder / "ready").write_text("\n".join(wanted) + "\n")
    return python


def run_tests(
    python: Path, folder: Path, targets: Sequence[str], root: str, package: str, timeout: int = 300
) -> tuple[dict[str, str], list[dict[str, object]]]:
    """Run pytest on ``targets`` in ``folder`` with the capture plugin: (outcome by node id,
    events of crashing tests)."""
    with tempfile.TemporaryDirectory(prefix="argus-capture-") as temporary:
        output = Path(temporary) / "events.jsonl"
        outcomes = Path(temporary) / "outcomes.jsonl"
        environment = {
            "ARGUS_OUTCOMES_OUT": str(outcomes),
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(HERE), str(folder / root)]),
            "ARGUS_CAPTURE_OUT": str(output),
            "ARGUS_CAPTURE_PACKAGE": package,
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        command = [
            str(python),
            "-m",
            "pytest",
            "-q",
            "-p",
            "sentry_capture_plugin",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "-W",
            "ignore",
            *targets,
        ]
        try:
            subprocess.run(
                command,
                cwd=folder,
                env=environment,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            pass
        verdicts: dict[str, str] = {}
        if outcomes.exists():
            for line in outcomes.read_text(encoding="utf-8").splitlines():
                entry = json.loads(line)
                verdicts[entry["nodeid"]] = entry["outcome"]
        records = []
        if output.exists():
            for line in output.read_text(encoding="utf-8").splitlines():
                records.append(json.loads(line))
        return verdicts, records


def _is_test_file(path: str) -> bool:
    name = Path(path).name
    parts = Path(path).parts
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name in ("conftest.py", "tests.py")
        or any(part in ("test", "tests", "testing") for part in parts[:-1])
    )


def crash_site(event: dict[str, object], folder: Path) -> str | None:
    """The repository file where the exception surfaced, or None when it is not a crash of
    the project's code (raised in the test itself, or a type that means missing code)."""
    values = event.get("exception", {}).get("values", [])  # type: ignore[union-attr]
    if not values:
        return None
    last = values[-1]
    if last.get("type") in _NOT_CRASHES:
        return None
    frames = (last.get("stacktrace") or {}).get("frames", [])
    mine = [
        frame for frame in frames if str(frame.get("abs_path", "")).startswith(str(folder) + "/")
    ]
    if not mine:
        return None
    relative = str(mine[-1]["abs_path"])[len(str(folder)) + 1 :]
    if _is_test_file(relative):
        return None
    return relative


def clean(event: dict[str, object], folder: Path, python: Path) -> dict[str, object]:
    """The event with machine folders replaced and bulky, machine-specific parts dropped."""
    kept = {key: event[key] for key in _KEPT_KEYS if key in event}
    text = json.dumps(kept)
    site = str(python.parent.parent / "lib" / "python3.11" / "site-packages")
    text = text.replace(site, SITE_PREFIX).replace(str(folder), SRV_PREFIX)
    text = text.replace(sysconfig.get_paths()["stdlib"], STDLIB_PREFIX)
    cleaned: dict[str, object] = json.loads(text)
    for value in cleaned.get("exception", {}).get("values", []):  # type: ignore[union-attr]
        frames = (value.get("stacktrace") or {}).get("frames", [])
        if len(frames) > MAX_FRAMES:
            # A deep recursion: keep the outermost and innermost frames, as Sentry's server
            # does, and say how many were left out.
            kept = frames[:10] + frames[-(MAX_FRAMES - 10) :]
            value["stacktrace"]["frames_omitted"] = [10, len(frames) - (MAX_FRAMES - 10)]
            value["stacktrace"]["frames"] = frames = kept
        for frame in frames:
            if not frame.get("in_app"):
                frame.pop("vars", None)  # library frames: their variables are not ours to keep
                frame.pop("pre_context", None)
                frame.pop("post_context", None)
    return cleaned


def save(recipe: dict[str, object], event: dict[str, object]) -> Path:
    """Write ``<id>/recipe.json`` and ``<id>/event.json``."""
    folder = HERE / str(recipe["id"])
    folder.mkdir(exist_ok=True)
    (folder / "recipe.json").write_text(json.dumps(recipe, indent=1) + "\n", encoding="utf-8")
    (folder / "event.json").write_text(json.dumps(event, indent=1) + "\n", encoding="utf-8")
    return folder


def capture(recipe: dict[str, object]) -> dict[str, object] | None:
    """Run the recipe's test at its buggy commit (with the fix's test files) and return the
    cleaned event, or None when it does not crash there or does not pass at the fix."""
    repo, root, package = str(recipe["repo"]), str(recipe["root"]), str(recipe["package"])
    folder = checkout(repo)
    python = venv(list(recipe.get("pip", [])))  # type: ignore[arg-type]
    test = str(recipe["test"])
    switch(folder, str(recipe["fixed"]))
    verdicts, _ = run_tests(python, folder, [test], root, package)
    if verdicts.get(test) != "passed":
        print(f"  {recipe['id']}: the test does not pass at the fix ({verdicts.get(test)})")
        return None
    switch(folder, str(recipe["buggy"]))
    files = list(recipe["test_files"])  # type: ignore[call-overload]
    if files:
        _run(["git", "checkout", str(recipe["fixed"]), "--", *files], cwd=folder)
    _, records = run_tests(python, folder, [test], root, package)
    for record in records:
        event = record["event"]
        if crash_site(event, folder) is not None:  # type: ignore[arg-type]
            return clean(event, folder, python)  # type: ignore[arg-type]
    print(f"  {recipe['id']}: the test does not crash at the buggy commit")
    return None


def mine(options: argparse.Namespace) -> None:
    """Bug-fix commits whose new or changed test crashes at the parent: recipes and events."""
    folder = checkout(options.repo)
    python = venv(options.pip)
    log = _run(
        ["git", "log", "--no-merges", "--format=%H %P", f"--since={options.since}", "HEAD"],
        cwd=folder,
    ).splitlines()
    project = options.repo.split("/")[1].lower()
    found = 0
    seen = {
        (r["test"], r.get("crash_site"))
        for r in (json.loads(p.read_text()) for p in HERE.glob("*/recipe.json"))
    }
    for line in log[: options.limit]:
        parts = line.split()
        if len(parts) != 2:
            continue
        fixed, buggy = parts
        message = _run(["git", "log", "-1", "--format=%B", fixed], cwd=folder)
        if not _FIX_WORDS.search(message):
            continue
        changed = _run(["git", "diff", "--name-only", buggy, fixed], cwd=folder).split()
        tests = [
            p
            for p in changed
            if p.endswith(".py") and _is_test_file(p) and Path(p).name != "conftest.py"
        ]
        sources = [
            p
            for p in changed
            if p.endswith(".py") and not _is_test_file(p) and p.startswith(options.package_dir)
        ]
        if not tests or not sources:
            continue
        identifier = f"{project}-{fixed[:7]}"
        if (HERE / identifier).exists():
            continue
        switch(folder, buggy)
        present = [
            p
            for p in tests
            if subprocess.run(["git", "cat-file", "-e", f"{fixed}:{p}"], cwd=folder).returncode == 0
        ]
        if not present:
            continue
        _run(["git", "checkout", fixed, "--", *present], cwd=folder)
        _, records = run_tests(python, folder, present, options.root, options.package)
        for record in records:
            event = record["event"]
            site = crash_site(event, folder)
            if site is None or (record["nodeid"], site) in seen:
                continue
            seen.add((record["nodeid"], site))
            recipe = {
                "id": identifier,
                "project": project,
                "repo": options.repo,
                "source": "mined",
                "buggy": buggy,
                "fixed": fixed,
                "test": record["nodeid"],
                "test_files": present,
                "package": options.package,
                "root": options.root,
                "pip": options.pip,
                "exception": event["exception"]["values"][-1]["type"],
                "crash_site": site,
                "subject": message.splitlines()[0][:120],
            }
            captured = capture(recipe)
            if captured is not None:
                save(recipe, captured)
                found += 1
                print(f"{identifier}: {recipe['exception']} in {site} ({record['nodeid']})")
            break
    print(f"mined {found} crashes from {options.repo}")


def add(options: argparse.Namespace) -> None:
    """One known crash (e.g. from BugsInPy), captured and stored."""
    folder = checkout(options.repo)
    buggy = _run(["git", "rev-parse", options.buggy], cwd=folder).strip()
    fixed = _run(["git", "rev-parse", options.fixed], cwd=folder).strip()
    test_file = options.test.split("::")[0]
    recipe = {
        "id": options.id or f"{options.repo.split('/')[1].lower()}-{fixed[:7]}",
        "project": options.repo.split("/")[1].lower(),
        "repo": options.repo,
        "source": options.source,
        "buggy": buggy,
        "fixed": fixed,
        "test": options.test,
        "test_files": options.test_files or [test_file],
        "package": options.package,
        "root": options.root,
        "pip": options.pip,
    }
    event = capture(recipe)
    if event is None:
        raise SystemExit(1)
    values = event["exception"]["values"]  # type: ignore[index]
    recipe["exception"] = values[-1]["type"]
    print(save(recipe, event))


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("mine", "add"):
        sub = commands.add_parser(name)
        sub.add_argument("repo")
        sub.add_argument("--package", required=True, help="the import name of the project")
        sub.add_argument("--root", default=".", help="folder that holds the package")
        sub.add_argument("--pip", action="append", default=[], help="a package its tests need")
        if name == "mine":
            sub.add_argument("--package-dir", default="", help="source files start with this")
            sub.add_argument("--limit", type=int, default=300)
            sub.add_argument("--since", default="2015-01-01")
        else:
            sub.add_argument("--buggy", required=True)
            sub.add_argument("--fixed", required=True)
            sub.add_argument("--test", required=True)
            sub.add_argument("--test-files", action="append", default=[])
            sub.add_argument("--id")
            sub.add_argument("--source", default="BugsInPy")
    sub = commands.add_parser("capture")
    sub.add_argument("ids", nargs="+")
    options = parser.parse_args(argv)
    if options.command == "mine":
        mine(options)
    elif options.command == "add":
        add(options)
    else:
        for identifier in options.ids:
            recipe = json.loads((HERE / identifier / "recipe.json").read_text(encoding="utf-8"))
            event = capture(recipe)
            if event is not None:
                save(recipe, event)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def shrink(path: Path) -> None:
    """Apply the frame limit to a stored event (events captured before it existed)."""
    text = path.read_text(encoding="utf-8").replace(sysconfig.get_paths()["stdlib"], STDLIB_PREFIX)
    event = json.loads(text)
    for value in event.get("exception", {}).get("values", []):
        frames = (value.get("stacktrace") or {}).get("frames", [])
        if len(frames) > MAX_FRAMES:
            value["stacktrace"]["frames_omitted"] = [10, len(frames) - (MAX_FRAMES - 10)]
            value["stacktrace"]["frames"] = frames[:10] + frames[-(MAX_FRAMES - 10) :]
        for frame in value.get("stacktrace", {}).get("frames", []):
            if not frame.get("in_app"):
                frame.pop("pre_context", None)
                frame.pop("post_context", None)
    path.write_text(json.dumps(event, indent=1) + "\n", encoding="utf-8")
