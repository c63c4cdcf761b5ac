"""Write the store fixture of this release: a store filled through the real commands.

Usage: python scripts/make_store_fixture.py [--out tests/fixtures/stores]

Run it once per release, with that release's code, and commit the result
(``argus-<version>.db`` and ``argus-<version>.json``). The upgrade test opens every committed
fixture with the current code and checks that each row is still there: a store written by an
old release must open, migrate and keep its patterns, occurrences, tests, project keys and
ledger rows in every later one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from argus import __version__  # noqa: E402
from argus.core.store.sqlite import migration_scripts  # noqa: E402
from tests.support import METRICS_SCENARIO, metrics_repo  # noqa: E402

ERRORS = ROOT / "tests" / "fixtures" / "errors"
#: Tables whose rows a user would miss; the upgrade test checks each row survives.
KEPT_TABLES = (
    "tenants",
    "patterns",
    "pattern_hashes",
    "pattern_occurrences",
    "pattern_events",
    "pattern_locations",
    "pattern_tests",
    "ingest_projects",
    "ingest_project_links",
    "router_requests",
    "tenant_spend",
    "repositories",
    "history_commits",
)


def argus(home: Path, *arguments: str, cwd: Path = ROOT) -> str:
    env = {**os.environ, "ARGUS_HOME": str(home), "NO_COLOR": "1"}
    completed = subprocess.run(
        [sys.executable, "-m", "argus", *arguments],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"argus {' '.join(arguments)} failed:\n{completed.stderr}")
    return completed.stdout


def fill(home: Path, work: Path) -> None:
    """Everything a user's store holds after a few days of use."""
    argus(home, "projects", "add", "shop")
    argus(home, "projects", "add", "billing", "--port", "8123")
    for name in ("python_keyerror.txt", "python_chained.txt", "node_typeerror.txt"):
        argus(home, "ingest", str(ERRORS / name))
    argus(home, "ingest", str(ERRORS / "sentry_event.json"), "--tenant", "acme")
    argus(home, "ingest", str(ERRORS / "python_keyerror.txt"))
    repo, _, _ = metrics_repo(work / "metrics-app")
    event = str(METRICS_SCENARIO / "event.json")
    for _ in range(2):  # generated, then reused from the pattern cache
        argus(home, "ingest", event, "--generate-test", "--repo", str(repo), "--fix", "fix")
    argus(home, "projects", "link", "shop", "--repo", str(repo))
    argus(home, "review", "--base", "main", "--head", "fix", "--format", "json", cwd=repo)


def manifest(database: Path) -> dict[str, object]:
    """Row counts of the kept tables, and the checksums of the migrations that wrote them."""
    with sqlite3.connect(database) as db:
        counts = {
            table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in KEPT_TABLES
        }
        applied = [
            row[0] for row in db.execute("SELECT name FROM schema_migrations ORDER BY version")
        ]
    checksums = {
        name: hashlib.sha256(sql.encode()).hexdigest()
        for _, name, sql in migration_scripts()
        if name in applied
    }
    return {"version": __version__, "rows": counts, "migrations": checksums}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "fixtures" / "stores")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        home = work / "home"
        fill(home, work)
        database = home / "argus.db"
        with sqlite3.connect(database) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.execute("PRAGMA journal_mode = DELETE")
        with sqlite3.connect(database) as db:
            db.execute("VACUUM")
        arguments.out.mkdir(parents=True, exist_ok=True)
        target = arguments.out / f"argus-{__version__}.db"
        shutil.copyfile(database, target)
        facts = manifest(target)
        empty = [table for table, count in facts["rows"].items() if not count]  # type: ignore[union-attr]
        if empty:
            raise SystemExit(f"the fixture has no rows in {empty}: fill() must reach them")
        (arguments.out / f"argus-{__version__}.json").write_text(
            json.dumps(facts, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
    print(f"wrote {target} ({target.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
