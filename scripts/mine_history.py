"""Mine real repository histories into the labelled corpus the risk model is trained on.

    nice -n 10 .venv/bin/python scripts/mine_history.py                 # every repository below
    nice -n 10 .venv/bin/python scripts/mine_history.py flask requests  # some of them

Each repository is cloned (no checkout) from its mirror under ``--mirrors``
(``<owner>+<name>/repo``, as the search tool's ``fetch`` lays them out) or, failing that, from
GitHub, into ``--clones``; pinned at the commit recorded in the manifest when there is one (so a
rebuild reads the same history) or at the mirror's HEAD; given a commit-graph with changed-path
Bloom filters (``szz.write_commit_graph``: blame skips the commits that did not touch a file);
then read with Argus's own history reader (``HistoryIndex.sync``, every commit), labelled with
Argus's SZZ (``szz.label``) and turned into one
row per commit with the 14 Kamei features and the context features, each computed only from
the commits before it.

Refinements: SZZ ignores blank and comment-only lines and whitespace changes, blames only code
files (a fix that touches only tests or docs labels nothing) and skips fixes of more than 50
files. Rows of the newest 180 days (relative to the repository's newest commit) are dropped as
label-immature, and so are tangled mega-commits (more than 100 files or 10,000 changed lines).
Long histories give rows for their newest ``--window`` commits (5,000) only.

Output, in ``--out`` (default benchmarks/history_corpus): ``<name>.csv.gz`` (no source, no
names or e-mails: commit ids, times, features and labels) and ``manifest.json`` (per repository:
GitHub slug, language, mined HEAD, counts, mining wall and CPU seconds).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from argus.core.predict import szz  # noqa: E402
from argus.core.predict.features import (  # noqa: E402
    CONTEXT_FEATURE_NAMES,
    FEATURE_NAMES,
    commit_files,
    context_features,
    features_before,
    file_kind,  # noqa: E402
)
from argus.core.predict.history import (  # noqa: E402
    _END,
    _HUNKS,
    _START,
    SECONDS_PER_DAY,
    HistoryIndex,
    _definition_pattern,
    _git_log,
    _parse_file_header,
    function_in_header,
)
from argus.core.store.sqlite import SQLiteStore  # noqa: E402

IMMATURE_DAYS = 180
TANGLED_FILES = 100
TANGLED_LINES = 10_000
# Long histories are mined over their newest commits only (the reader still reads all of it,
# so the features of those commits see the whole past).
WINDOW = 5_000


@dataclass(frozen=True)
class Repository:
    """One corpus repository."""

    name: str
    slug: str
    language: str


REPOSITORIES: tuple[Repository, ...] = (
    Repository("flask", "pallets/flask", "python"),
    Repository("requests", "psf/requests", "python"),
    Repository("httpx", "encode/httpx", "python"),
    Repository("click", "pallets/click", "python"),
    Repository("jinja", "pallets/jinja", "python"),
    Repository("werkzeug", "pallets/werkzeug", "python"),
    Repository("marshmallow", "marshmallow-code/marshmallow", "python"),
    Repository("rich", "Textualize/rich", "python"),
    Repository("starlette", "encode/starlette", "python"),
    Repository("attrs", "python-attrs/attrs", "python"),
    Repository("tornado", "tornadoweb/tornado", "python"),
    Repository("pydantic", "pydantic/pydantic", "python"),
    Repository("celery", "celery/celery", "python"),
    Repository("pytest", "pytest-dev/pytest", "python"),
    Repository("poetry", "python-poetry/poetry", "python"),
    Repository("aiohttp", "aio-libs/aiohttp", "python"),
    Repository("scrapy", "scrapy/scrapy", "python"),
    Repository("fastapi", "fastapi/fastapi", "python"),
    Repository("sentry-python", "getsentry/sentry-python", "python"),
    Repository("httpie", "httpie/cli", "python"),
    Repository("sqlalchemy", "sqlalchemy/sqlalchemy", "python"),
    Repository("pip", "pypa/pip", "python"),
    Repository("pylint", "PyCQA/pylint", "python"),
    Repository("setuptools", "pypa/setuptools", "python"),
    Repository("mypy", "python/mypy", "python"),
    Repository("sphinx", "sphinx-doc/sphinx", "python"),
    Repository("boltons", "mahmoud/boltons", "python"),
    Repository("sqlparse", "andialbrecht/sqlparse", "python"),
    Repository("alembic", "sqlalchemy/alembic", "python"),
    Repository("paramiko", "paramiko/paramiko", "python"),
    Repository("express", "expressjs/express", "javascript"),
    Repository("axios", "axios/axios", "javascript"),
    Repository("gin", "gin-gonic/gin", "go"),
    Repository("cobra", "spf13/cobra", "go"),
    Repository("logrus", "sirupsen/logrus", "go"),
    Repository("gson", "google/gson", "java"),
)

COLUMNS: tuple[str, ...] = (
    "sha", "seq", "time", "buggy", "fix_seq", *FEATURE_NAMES, *CONTEXT_FEATURE_NAMES,
)  # fmt: skip


FUNCTION_COLUMNS: tuple[str, ...] = (
    "sha", "function", "kind", "lines", "hunks", "commit_lines", "touches", "fix_touches",
    "authors", "days_since_change", "file_commits", "file_fixes", "file_lines", "target",
)  # fmt: skip


def changed_functions(patch: bytes) -> dict[tuple[str, str], list[int]]:
    """(path, function) -> [changed lines, hunks] for one commit's ``-U0`` patch.

    A hunk counts for the function its header names (the one enclosing the hunk) and for every
    function whose definition line it adds or deletes, as the history reader records them.
    """
    found: dict[tuple[str, str], list[int]] = {}
    start = patch.find(b"diff --git ")
    if start < 0:
        return found
    for section in patch[start + 11 :].split(b"\ndiff --git "):
        header_end = section.find(b"\n@@ ")
        if header_end < 0:
            continue
        path = _parse_file_header(section[:header_end]).path
        definitions = _definition_pattern(path)
        if definitions is None:
            continue
        body = section[header_end:]
        matches = list(_HUNKS.finditer(body))
        for number, match in enumerate(matches):
            old_count = 1 if match.group(2) is None else int(match.group(2))
            new_count = 1 if match.group(4) is None else int(match.group(4))
            end = matches[number + 1].start() if number + 1 < len(matches) else len(body)
            names: set[str] = set()
            header = match.group(5).decode("utf-8", "replace")
            named = function_in_header(path, header) if header else None
            if named:
                names.add(named)
            for definition in definitions.finditer(body, match.end(), end):
                name = definition.group(definition.lastindex or 1)
                if name:
                    names.add(name.decode("ascii", "replace"))
            for name in names:
                entry = found.setdefault((path, name), [0, 0])
                entry[0] += old_count + new_count
                entry[1] += 1
    return found


def function_rows(index: HistoryIndex, repo: Path, bug_shas: set[str]) -> list[dict[str, object]]:
    """One row per function changed by each bug-introducing commit in ``bug_shas``.

    ``target`` is 1 when a fix that SZZ traced to the commit changed the same function of the
    same file; commits none of whose functions a fix changed are left out (nothing to rank).
    """
    db = index.store.connection
    repo_id = index.repository_id
    seq_by_sha = index.memory.seq_by_sha
    fixed: dict[str, set[tuple[str, str]]] = {}
    for bug_sha, fix_sha, path in db.execute(
        "SELECT DISTINCT bug_sha, fix_sha, path FROM szz_labels WHERE repository_id = ?",
        (repo_id,),
    ):
        if bug_sha not in bug_shas or fix_sha not in seq_by_sha:
            continue
        for (name,) in db.execute(
            "SELECT name FROM history_functions WHERE repository_id = ? AND seq = ? AND path = ?",
            (repo_id, seq_by_sha[fix_sha], path),
        ):
            fixed.setdefault(bug_sha, set()).add((path, name))
    rows: list[dict[str, object]] = []
    # Only the commits with targets, in history order (the order a full walk would give).
    wanted = sorted(seq_by_sha[sha] for sha in fixed if sha in seq_by_sha)
    if not wanted:
        return rows
    output = _git_log(repo, "HEAD", commits=[index.commits[seq].sha for seq in wanted])
    for record in output.split(_START)[1:]:
        header, _, patch = record.partition(_END)
        sha = header.split(b"\x00", 1)[0].decode("ascii", "replace")
        targets = fixed.get(sha)
        if not targets:
            continue
        functions = changed_functions(patch)
        if not any(key in targets for key in functions):
            continue
        commit = index.commits[seq_by_sha[sha]]
        commit_lines = sum(lines for lines, _ in functions.values())
        for (path, name), (lines, hunks) in sorted(functions.items()):
            seqs = [s for s in index.function_seqs(path, name) if s < commit.seq]
            file_seqs = [row.seq for row in index.rows_before(path, commit.seq)]
            last = max(seqs, default=None)
            rows.append(
                {
                    "sha": sha,
                    "function": hashlib.sha1(f"{path}:{name}".encode()).hexdigest()[:12],
                    "kind": file_kind(path),
                    "lines": lines,
                    "hunks": hunks,
                    "commit_lines": commit_lines,
                    "touches": len(seqs),
                    "fix_touches": sum(1 for s in seqs if index.commits[s].is_fix),
                    "authors": len({index.commits[s].author_email for s in seqs}),
                    "days_since_change": (
                        -1.0
                        if last is None
                        else round((commit.time - index.commits[last].time) / SECONDS_PER_DAY, 2)
                    ),
                    "file_commits": len(file_seqs),
                    "file_fixes": sum(1 for s in file_seqs if index.commits[s].is_fix),
                    "file_lines": next(
                        (
                            r.lines_before
                            for r in index.rows_by_seq.get(commit.seq, ())
                            if r.path == path
                        ),
                        0,
                    ),  # fmt: skip
                    "target": int((path, name) in targets),
                }
            )
    return rows


def _git(directory: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-C", str(directory), *args], capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


def _mirror(mirrors: Path, slug: str) -> Path | None:
    base = mirrors / slug.replace("/", "+") / "repo"
    for candidate in (base / ".git", base):
        if (candidate / "HEAD").exists():
            return candidate
    return None


def prepare_clone(repository: Repository, clones: Path, mirrors: Path, head: str | None) -> Path:
    """A no-checkout clone of the repository with HEAD detached at ``head`` (or its newest)."""
    target = clones / repository.name
    if not (target / ".git").exists():
        source = _mirror(mirrors, repository.slug)
        url = str(source) if source else f"https://github.com/{repository.slug}.git"
        clones.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "-q", "--no-checkout", url, str(target)], check=True)
    wanted = head or _git(target, "rev-parse", "origin/HEAD")
    _git(target, "update-ref", "--no-deref", "HEAD", wanted)
    return target


def mine(
    repo: Path, store: SQLiteStore, window: int
) -> tuple[list[dict[str, object]], list[dict[str, object]], dict[str, object]]:
    """Commit rows of one repository (immature and tangled ones dropped), the function rows of
    its bug-introducing commits, and the mining figures."""
    started = time.perf_counter()
    cpu = [_cpu_seconds()]
    # The commit-graph blame reads is written on the other core while the history is read.
    with ThreadPoolExecutor(max_workers=1) as background:
        graph = background.submit(szz.write_commit_graph, repo)
        index = HistoryIndex.sync(store, repo, max_commits=None)
        graph.result()
    read = time.perf_counter()
    cpu.append(_cpu_seconds())
    # Only the newest ``window`` commits become rows, so only fixes among them are traced:
    # every fix of a commit comes after it, hence inside the window too.
    first_row = max(0, len(index.commits) - window)
    report = szz.label(index, workers=2, fixes_from=first_row)
    labelled = time.perf_counter()
    cpu.append(_cpu_seconds())
    first_fix = szz.first_fix_seq(index)
    commits = index.commits
    newest = max((commit.time for commit in commits), default=0)
    mature_before = newest - IMMATURE_DAYS * SECONDS_PER_DAY
    rows: list[dict[str, object]] = []
    dropped = {"immature": 0, "tangled": 0, "boundary": 0}
    for commit in commits[first_row:]:
        if commit.is_boundary:
            dropped["boundary"] += 1
            continue
        files = commit_files(index, commit.seq)
        changed = sum(f.lines_added + f.lines_deleted for f in files)
        if len(files) > TANGLED_FILES or changed > TANGLED_LINES:
            dropped["tangled"] += 1
            continue
        if commit.time > mature_before:
            dropped["immature"] += 1
            continue
        features = features_before(
            index,
            files,
            commit.author_email,
            commit.time,
            is_fix=commit.is_fix,
            before_seq=commit.seq,
        )
        context = context_features(index, files, commit.author_email, before_seq=commit.seq)
        fix_seq = first_fix.get(commit.seq, -1)
        rows.append(
            {
                "sha": commit.sha,
                "seq": commit.seq,
                "time": commit.time,
                "buggy": int(fix_seq >= 0),
                "fix_seq": fix_seq,
                **features,
                **context,
            }
        )
    finished = time.perf_counter()
    cpu.append(_cpu_seconds())
    functions = function_rows(index, repo, {str(row["sha"]) for row in rows if row["buggy"]})
    figures: dict[str, object] = {
        "commits": len(commits),
        "window": len(commits) - first_row,
        "fix_commits": sum(1 for commit in commits if commit.is_fix),
        "fixes_traced": report.fixes_traced,
        "bug_introducing_commits": len(first_fix),
        "rows": len(rows),
        "buggy_rows": sum(int(row["buggy"]) for row in rows),  # type: ignore[call-overload]
        "dropped": dropped,
        "seconds": {
            "read": round(read - started, 2),
            "szz": round(labelled - read, 2),
            "features": round(finished - labelled, 2),
            "total": round(finished - started, 2),
            "functions": round(time.perf_counter() - finished, 2),
        },
        # CPU of Argus and its git processes: the work, apart from the machine's load
        "cpu_seconds": {
            "read": round(cpu[1] - cpu[0], 2),
            "szz": round(cpu[2] - cpu[1], 2),
            "features": round(cpu[3] - cpu[2], 2),
            "total": round(cpu[3] - cpu[0], 2),
            "functions": round(_cpu_seconds() - cpu[3], 2),
        },
        "function_rows": len(functions),
        "commits_per_second": round(len(commits) / max(finished - started, 1e-9), 1),
    }
    return rows, functions, figures


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its finished children (git)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _format(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def write_rows(
    path: Path, rows: list[dict[str, object]], columns: tuple[str, ...] = COLUMNS
) -> None:
    """Write rows as a gzip CSV with ``columns`` (deterministic bytes: no gzip mtime)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_format(row[column]) for column in columns])
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as stream,
    ):
        stream.write(text.getvalue().encode("utf-8"))


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of one corpus file, as strings keyed by column."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="repositories to mine (default: all)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "history_corpus")
    parser.add_argument("--clones", type=Path, default=Path("/work/corpora/repos"))
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument(
        "--window",
        type=int,
        help=f"rows for the newest N commits only (default: as recorded in the manifest, else "
        f"{WINDOW})",
    )
    parser.add_argument(
        "--cache", type=Path, help="keep each repository's history store here (faster re-runs)"
    )
    parser.add_argument(
        "--newest", action="store_true", help="mine the mirror's newest commit, not the pinned one"
    )
    args = parser.parse_args(argv)
    known = {repository.name: repository for repository in REPOSITORIES}
    unknown = [name for name in args.names if name not in known]
    if unknown:
        print(f"error: unknown repositories {unknown}; known: {sorted(known)}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    manifest_path = args.out / "manifest.json"
    manifest: dict[str, dict[str, object]] = {}
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for name in args.names or list(known):
        repository = known[name]
        recorded = manifest.get(name, {})
        pinned = None if args.newest else recorded.get("head")
        # Entries mined before windows existed hold every commit.
        window = args.window or int(recorded.get("window", recorded.get("commits", WINDOW)))
        repo = prepare_clone(repository, args.clones, args.mirrors, pinned)  # type: ignore[arg-type]
        with tempfile.TemporaryDirectory() as scratch:
            cache = args.cache / f"{name}.db" if args.cache else Path(scratch) / "history.db"
            store = SQLiteStore.open(cache)
            try:
                rows, functions, figures = mine(repo, store, window)
            finally:
                store.close()
        write_rows(args.out / f"{name}.csv.gz", rows)
        write_rows(args.out / f"{name}.functions.csv.gz", functions, FUNCTION_COLUMNS)
        manifest[name] = {
            "slug": repository.slug,
            "language": repository.language,
            "head": _git(repo, "rev-parse", "HEAD"),
            **figures,
        }
        manifest_path.write_text(
            json.dumps(dict(sorted(manifest.items())), indent=1, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        seconds = figures["seconds"]
        print(
            f"{name}: {figures['commits']} commits in {seconds['total']} s "  # type: ignore[index]
            f"({figures['commits_per_second']} commits/s; read {seconds['read']} s, "  # type: ignore[index]
            f"SZZ {seconds['szz']} s, features {seconds['features']} s), "  # type: ignore[index]
            f"{figures['rows']} rows, {figures['buggy_rows']} buggy",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
