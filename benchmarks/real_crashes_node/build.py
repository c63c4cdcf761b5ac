"""Build the real Node.js crash corpus: mine bug-fix commits, capture @sentry/node events.

A *recipe* (``<id>/recipe.json``) names a public repository, a buggy commit, the commit that
fixed it, the test file and title (from the fix) that fails at the buggy commit with an
uncaught exception other than an assertion (a ``TypeError``, ``RangeError``...) thrown inside
the project's own code, and the npm packages its tests need. Its ``event.json`` is what the
real ``@sentry/node`` (``includeLocalVariables: true``) sent while that test ran under mocha at
the buggy commit (``sentry_capture.cjs``), with the checkout's folder replaced by the
deployment prefix ``/srv/app``.

Projects are never stored here: checkouts and ``node_modules`` live in the cache
(``$ARGUS_CRASH_CACHE``, default ``~/.cache/argus-real-crashes``), cloned from the local
mirrors the ``fetch`` tool makes (``/work/.mirror/<owner>+<name>/repo``).

    nice -n 10 .venv/bin/python benchmarks/real_crashes_node/build.py mine nodeca/js-yaml \
        --limit 300
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
CAPTURE_HOOK = HERE / "sentry_capture.cjs"
MIRRORS = Path(os.environ.get("ARGUS_MIRRORS", "/work/.mirror"))
CACHE = Path(os.environ.get("ARGUS_CRASH_CACHE", Path.home() / ".cache" / "argus-real-crashes"))
SENTRY_NODE_VERSION = "10.78.0"
MOCHA_VERSION = "10.8.2"
SRV_PREFIX = "/srv/app"
MAX_FRAMES = 60
# Errors the runtime throws when code goes wrong; an application's own error classes (thrown
# on purpose on bad input) and assertion failures are no crash.
_CRASHES = {"TypeError", "RangeError", "ReferenceError", "SyntaxError", "URIError"}
_FIX_WORDS = re.compile(
    r"\b(fix|fixes|fixed|crash|error|exception|bug|throw|throws|undefined|null|issue)\b|#\d", re.I
)
_TEST_FILE = re.compile(r"(^|/)(test|tests|spec)/.*\.[cm]?js$|\.(test|spec)\.[cm]?js$")
_CRASH_WORDS = re.compile(
    r"crash|typeerror|rangeerror|referenceerror|cannot read|undefined|\bnull\b|throw|"
    r"exception|\berror\b|infinite|stack overflow|maximum call",
    re.I,
)
# Added lines that guard against a missing or wrong-typed value: the shape of a crash fix.
_GUARD = re.compile(
    r"^\+(?!\+).*(if \(!|\?\.|\|\| \{\}|\|\| \[\]|\|\| ''|typeof |[!=]= null|"
    r"[!=]== (null|undefined)|Array\.isArray|hasOwnProperty|String\(|Number\(|try \{)",
    re.M,
)
_TEST_DATA = re.compile(r"(^|/)(test|tests|spec)/")
_MAX_SUITE_FILES = 40
_SOURCE_FILE = re.compile(r"\.[cm]?js$")


def _run(command: Sequence[str], cwd: Path | None = None, **kwargs: object) -> str:
    done = subprocess.run(
        list(command),
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        errors="replace",
        **kwargs,
    )  # type: ignore[call-overload]
    return str(done.stdout)


def _npm_install(folder: Path, packages: Sequence[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "package.json").exists():
        (folder / "package.json").write_text('{"name": "argus-cache", "private": true}\n')
    _run(
        [
            "npm",
            "install",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--legacy-peer-deps",
            *packages,
        ],
        cwd=folder,
        timeout=600,
    )


def sentry_node() -> Path:
    """The folder of the pinned ``@sentry/node`` package, installed into the cache once."""
    folder = CACHE / "node-tools"
    package = folder / "node_modules" / "@sentry" / "node"
    ready = folder / f"ready-{SENTRY_NODE_VERSION}-{MOCHA_VERSION}"
    if not ready.exists():
        _npm_install(folder, [f"@sentry/node@{SENTRY_NODE_VERSION}", f"mocha@{MOCHA_VERSION}"])
        ready.write_text("ok\n")
    return package


def mocha() -> Path:
    """The cached mocha command line (the capture hook needs mocha >= 8's root hooks)."""
    sentry_node()
    return CACHE / "node-tools" / "node_modules" / "mocha" / "bin" / "mocha.js"


def mirror_of(repo: str) -> Path:
    """The local mirror of ``owner/name`` (made by the fetch tool)."""
    path = MIRRORS / repo.replace("/", "+") / "repo"
    if not path.exists():
        raise SystemExit(f"no mirror of {repo} at {path}: fetch github:{repo} first")
    return path


def checkout(repo: str, purpose: str = "checkouts") -> Path:
    """A private clone of ``repo`` in the cache (made once)."""
    folder = CACHE / purpose / repo.replace("/", "+")
    if not folder.exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        _run(["git", "clone", "-q", "--no-checkout", str(mirror_of(repo)), str(folder)])
    return folder


def switch(folder: Path, commit: str) -> None:
    """Check ``commit`` out in ``folder``, dropping changes and untracked files (not
    ``node_modules``, which is shared across commits)."""
    for _ in range(20):
        done = subprocess.run(
            ["git", "checkout", "-q", "-f", commit], cwd=folder, capture_output=True, text=True
        )
        if done.returncode == 0:
            break
        # The mirror leaves out the largest files: keep them out of the checkout (and of the
        # sandbox's worktrees, which copy the sparse-checkout patterns).
        missing = re.findall(r"invalid object \w+ \w+ for '([^']+)'", done.stderr)
        if not missing:
            raise subprocess.CalledProcessError(done.returncode, done.args, stderr=done.stderr)
        exclude(folder, missing)
    _run(["git", "clean", "-q", "-fdx", "-e", "node_modules"], cwd=folder)


def exclude(folder: Path, paths: Sequence[str]) -> None:
    """Leave ``paths`` out of every checkout of ``folder`` (sparse checkout, no cone)."""
    listed = folder / ".git" / "info" / "sparse-checkout"
    patterns = listed.read_text().split() if listed.exists() else ["/*"]
    patterns += [f"!/{path}" for path in paths if f"!/{path}" not in patterns]
    _run(["git", "sparse-checkout", "set", "--no-cone", *patterns], cwd=folder)


def dependencies(packages: Sequence[str]) -> Path:
    """A cached ``node_modules`` holding ``packages`` (the tests' npm dependencies)."""
    wanted = sorted(set(packages))
    key = hashlib.sha256("\n".join(wanted).encode()).hexdigest()[:12]
    folder = CACHE / "node-deps" / key
    if not (folder / "ready").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        if wanted:
            _npm_install(folder, wanted)
        else:
            (folder / "node_modules").mkdir()
        (folder / "ready").write_text("\n".join(wanted) + "\n")
    return folder / "node_modules"


# Tooling a test run does not need (and whose installs are large or run native builds).
_TOOLING = re.compile(
    r"^(@types/|@babel/|@rollup/|@typescript-eslint/|eslint|babel|webpack|rollup|browserify|"
    r"uglify|terser|karma|istanbul|nyc|c8|coveralls|codecov|mocha|grunt|gulp|typescript|ts-node|"
    r"zuul|benchmark|jshint|jscs|jsdoc|prettier|husky|lint-staged|puppeteer|playwright|"
    r"electron|gh-pages|np$|release-it|semantic-release|standard|xo$|tap$|ava$|jest|vitest|"
    r"sauce|pre-commit|browserstack|phantom|selenium|wd$|testling|airtap|nodemon|webdriver)"
)


def packages_of(folder: Path) -> list[str]:
    """The npm packages the project's tests may need at this checkout: its dependencies and
    devDependencies at their declared ranges, less build and lint tooling."""
    try:
        manifest = json.loads((folder / "package.json").read_text())
    except (OSError, json.JSONDecodeError):
        return []
    wanted: list[str] = []
    for key in ("dependencies", "devDependencies"):
        section = manifest.get(key) or {}
        for name, version in sorted(section.items()):
            if _TOOLING.match(name) or not isinstance(version, str):
                continue
            if version.startswith(("git", "http", "file:", "github:", "link:")) or "/" in version:
                continue
            wanted.append(f"{name}@{version}")
    return wanted


def link_dependencies(folder: Path, packages: Sequence[str]) -> None:
    """Make ``folder/node_modules`` the cached install of ``packages``."""
    modules = folder / "node_modules"
    wanted = dependencies(packages)
    if modules.is_symlink() and modules.resolve() == wanted.resolve():
        return
    if modules.is_symlink() or modules.is_file():
        modules.unlink()
    elif modules.exists():
        shutil.rmtree(modules)
    modules.symlink_to(wanted, target_is_directory=True)
    # The project's own package name resolves to itself, as npm links a package under test.
    try:
        name = json.loads((folder / "package.json").read_text()).get("name")
    except (OSError, json.JSONDecodeError):
        name = None
    del name  # not linked: the shared install is read-only for every commit


def run_mocha(
    folder: Path, test_files: Sequence[str], release: str, timeout: int = 300
) -> tuple[dict[str, str], list[dict[str, object]]]:
    """Run mocha on ``test_files`` with the capture hook: (state by test title, events)."""
    with tempfile.TemporaryDirectory(prefix="argus-node-capture-") as out:
        report = Path(out) / "report.json"
        environment = {
            **os.environ,
            "ARGUS_SENTRY_NODE": str(sentry_node()),
            "ARGUS_CAPTURE_OUT": out,
            "ARGUS_CAPTURE_ALL": "1",
            "ARGUS_CAPTURE_RELEASE": release,
            "NODE_PATH": str(folder / "node_modules"),
        }
        setup: list[str] = []
        for module in project_requires(folder):
            setup += ["--require", module]
        command = [
            "node",
            str(mocha()),
            *setup,
            "--require",
            str(CAPTURE_HOOK),
            "--reporter",
            "json",
            "--reporter-option",
            f"output={report}",
            "--timeout",
            "20000",
            "--full-trace",  # mocha would cut and relativise the stack the SDK reads
            "--no-config",
            "--no-package",
            # A suite that leaves a server or timer open would keep mocha alive until the
            # timeout; the hook has flushed the events in its afterAll by then.
            "--exit",
            *test_files,
        ]
        try:
            subprocess.run(
                command, cwd=folder, env=environment, capture_output=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return {}, []
        states: dict[str, str] = {}
        if report.exists():
            try:
                data = json.loads(report.read_text())
            except json.JSONDecodeError:
                data = {}
            for test in data.get("passes", []):
                states[test["fullTitle"]] = "passed"
            for test in data.get("failures", []):
                states[test["fullTitle"]] = "failed"
        events = []
        for envelope in sorted(Path(out).glob("envelope-*.bin")):
            events.extend(_events_of(envelope.read_bytes()))
        return states, events


def project_requires(folder: Path) -> list[str]:
    """The modules the project's mocha configuration preloads (``--require`` in
    ``test/mocha.opts``, ``require`` in ``.mocharc.*``): globals its tests expect."""
    found: list[str] = []
    opts = folder / "test" / "mocha.opts"
    if opts.exists():
        found += re.findall(r"(?:--require|-r)[ =]+(\S+)", opts.read_text(errors="replace"))
    for name in (".mocharc.json", ".mocharc.jsonc", ".mocharc.yml", ".mocharc.yaml"):
        path = folder / name
        if not path.exists():
            continue
        text = path.read_text(errors="replace")
        block = re.search(r"[\"']?require[\"']?\s*:\s*(\[[^\]]*\]|[^\n,}]+)", text)
        if block:
            found += re.findall(r"[\"']?([\w@./-]+)[\"']?", block.group(1).strip("[]"))
    kept = []
    for module in found:
        if module.startswith("."):
            module = str((folder / module).resolve())
        kept.append(module)
    return kept


def _events_of(envelope: bytes) -> list[dict[str, object]]:
    lines = envelope.split(b"\n")
    found = []
    index = 1
    while index + 1 < len(lines):
        header = json.loads(lines[index])
        if header.get("type") == "event":
            found.append(json.loads(lines[index + 1]))
        index += 2
    return found


def crash_site(event: dict[str, object], folder: Path) -> str | None:
    """The repository file (not a test) of the innermost frame in the checkout, when the
    error was thrown there."""
    values = event.get("exception", {}).get("values", [])  # type: ignore[union-attr]
    if not values:
        return None
    frames = values[-1].get("stacktrace", {}).get("frames", [])
    for frame in reversed(frames):
        name = str(frame.get("filename") or frame.get("abs_path") or "")
        if name.startswith("node:") or not name.startswith(str(folder)):
            if "node_modules" in name or name.startswith("node:") or not name:
                continue
            return None
        relative = name[len(str(folder)) + 1 :]
        if "node_modules/" in relative or _TEST_FILE.search(relative):
            return None
        return relative
    return None


def portable(event: dict[str, object], folder: Path) -> dict[str, object]:
    """The event as a deployment would send it: the checkout's folder is ``/srv/app``."""
    text = json.dumps(event).replace(str(folder), SRV_PREFIX)
    text = text.replace(str(CACHE / "node-tools"), "/opt/node-tools")
    text = re.sub(re.escape(str(CACHE / "node-deps")) + r"/\w+", "/opt/app-deps", text)
    kept = json.loads(text)
    for key in ("sdkProcessingMetadata", "breadcrumbs", "contexts", "server_name", "modules"):
        kept.pop(key, None)
    for value in kept.get("exception", {}).get("values", []):
        frames = value.get("stacktrace", {}).get("frames", [])
        if len(frames) > MAX_FRAMES:
            value["stacktrace"]["frames"] = frames[-MAX_FRAMES:]
    return kept


def _exception(event: dict[str, object]) -> tuple[str, str]:
    values = event.get("exception", {}).get("values", [])  # type: ignore[union-attr]
    if not values:
        return "", ""
    return str(values[-1].get("type", "")), str(values[-1].get("value", ""))


def changed_files(folder: Path, commit: str) -> list[str]:
    return _run(["git", "diff", "--name-only", f"{commit}^", commit], cwd=folder).split()


def mine(
    repo: str,
    packages: Sequence[str],
    limit: int,
    existing: set[str],
    strict: bool = False,
    guards: bool = False,
    commits: Sequence[str] = (),
) -> list[str]:
    """Recipes for bug-fix commits of ``repo`` whose new test crashes at the parent."""
    folder = checkout(repo, os.environ.get("ARGUS_MINE_FOLDER", "checkouts"))
    project = repo.split("/")[1].replace(".js", "").replace(".", "-").lower()
    log = _run(["git", "log", "--no-merges", "--format=%H%x09%s", "origin/HEAD"], cwd=folder)
    if commits:
        wanted = tuple(commits)
        log = "\n".join(line for line in log.splitlines() if line.startswith(wanted))
    made: list[str] = []
    tried = 0
    for line in log.splitlines():
        commit, _, subject = line.partition("\t")
        if tried >= limit:
            break
        if not (guards or commits or _FIX_WORDS.search(subject)) or (
            strict and not _CRASH_WORDS.search(subject)
        ):
            continue
        try:
            files = changed_files(folder, commit)
        except subprocess.CalledProcessError:
            continue  # the repository's first commit has no parent to crash at
        tests = [name for name in files if _TEST_FILE.search(name) or _TEST_DATA.search(name)]
        sources = [
            name
            for name in files
            if _SOURCE_FILE.search(name) and name not in tests and not name.startswith("dist/")
        ]
        if not tests or not sources:
            continue
        if guards:
            diff = _run(["git", "diff", f"{commit}^", commit, "--", *sources], cwd=folder)
            if not _GUARD.search(diff):
                continue
        identifier = f"{project}-{commit[:7]}"
        if identifier in existing:
            continue
        tried += 1
        print(f"  [{tried}] {commit[:7]} {subject[:60]}", flush=True)
        recipe = try_commit(repo, folder, commit, subject, tests, packages, identifier)
        if recipe is not None:
            made.append(identifier)
            print(f"  + {identifier}: {recipe['exception']} in {recipe['crash_site']}", flush=True)
    return made


def try_commit(
    repo: str,
    folder: Path,
    commit: str,
    subject: str,
    tests: Sequence[str],
    packages: Sequence[str],
    identifier: str,
) -> dict[str, object] | None:
    parent = _run(["git", "rev-parse", f"{commit}^"], cwd=folder).strip()
    runnable = [name for name in tests if _TEST_FILE.search(name)]
    switch(folder, parent)
    # The fix's test files and test data, at the parent's code.
    for name in tests:
        try:
            data = subprocess.run(
                ["git", "show", f"{commit}:{name}"], cwd=folder, capture_output=True, check=True
            ).stdout
        except subprocess.CalledProcessError:
            continue
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    packages = list(packages) or packages_of(folder)
    try:
        link_dependencies(folder, packages)
    except subprocess.CalledProcessError:
        return None
    spec_files = [name for name in runnable if (folder / name).exists() and _is_spec(folder / name)]
    if not spec_files:
        # Only test data changed (fixtures): the suite's top-level test files read it.
        listed = _run(["git", "ls-files", "test/*.js", "tests/*.js"], cwd=folder).split()
        suite = [name for name in listed if name.count("/") == 1 and _is_spec(folder / name)]
        # Those that name the changed data's folder or file (a fixtures runner), else all.
        hints = {Path(name).parent.name for name in tests} | {Path(name).stem for name in tests}
        hints -= {"test", "tests", "spec", "fixtures", ""}
        named = [
            name
            for name in suite
            if any(hint in (folder / name).read_text(errors="replace") for hint in hints)
        ]
        spec_files = (named or suite)[:_MAX_SUITE_FILES]
    if not spec_files:
        return None
    states, events = run_mocha(folder, spec_files, parent)
    crashes = []
    for event in events:
        kind, _ = _exception(event)
        if kind not in _CRASHES:
            continue
        site = crash_site(event, folder)
        if site is None:
            continue
        crashes.append((event, site))
    if not crashes:
        return None
    # The same test must pass at the fix.
    switch(folder, commit)
    link_dependencies(folder, packages)
    fixed_states, _ = run_mocha(folder, spec_files, commit)
    passing = [
        (event, site)
        for event, site in crashes
        if fixed_states.get(str(event.get("tags", {}).get("test", ""))) == "passed"  # type: ignore[union-attr]
    ]
    if not passing:
        return None
    event, site = passing[0]
    title = str(event.get("tags", {}).get("test", ""))  # type: ignore[union-attr]
    kind, message = _exception(event)
    recipe = {
        "id": identifier,
        "project": identifier.rsplit("-", 1)[0],
        "repo": repo,
        "source": "mined",
        "buggy": parent,
        "fixed": commit,
        "test_files": list(spec_files),
        "test": title,
        "npm": list(packages),
        "exception": kind,
        "message": message[:200],
        "crash_site": site,
        "subject": subject,
    }
    target = HERE / identifier
    target.mkdir(exist_ok=True)
    (target / "recipe.json").write_text(json.dumps(recipe, indent=1) + "\n")
    (target / "event.json").write_text(json.dumps(portable(event, folder), indent=1) + "\n")
    return recipe


def _is_spec(path: Path) -> bool:
    text = path.read_text(encoding="utf-8", errors="replace")[:200_000]
    return bool(re.search(r"\b(it|test|describe)\s*\(", text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    mining = commands.add_parser("mine", help="mine a repository's bug-fix commits")
    mining.add_argument("repo")
    mining.add_argument("--npm", action="append", default=[], help="npm packages the tests need")
    mining.add_argument("--limit", type=int, default=200)
    mining.add_argument(
        "--strict", action="store_true", help="only commits whose subject names a crash"
    )
    mining.add_argument(
        "--guards",
        action="store_true",
        help="any commit whose source diff adds a guard against a missing value",
    )
    mining.add_argument(
        "--commit", action="append", default=[], help="only these commits (hash prefixes)"
    )
    mining.add_argument(
        "--pickaxe",
        help="only commits whose test diff adds or removes this regular expression "
        "(git log -G), e.g. 'doesNotThrow|not\\.throw'",
    )
    commands.add_parser("tools", help="install the pinned @sentry/node and mocha")
    options = parser.parse_args(argv)
    if options.command == "tools":
        print(sentry_node())
        return 0
    existing = {path.parent.name for path in HERE.glob("*/recipe.json")}
    commits: list[str] = list(options.commit)
    if options.pickaxe:
        folder = checkout(options.repo)
        pickaxe = ["git", "log", "--no-merges", "--format=%H", "-G", options.pickaxe, "origin/HEAD"]
        commits = _run([*pickaxe, "--", "test*", "spec*"], cwd=folder).split()
        if not commits:
            print(f"no commit of {options.repo} matches {options.pickaxe!r}")
            return 0
    made = mine(
        options.repo,
        options.npm,
        options.limit,
        existing,
        options.strict,
        options.guards,
        commits,
    )
    print(f"{len(made)} new recipes from {options.repo}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
