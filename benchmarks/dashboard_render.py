"""Server time of each dashboard page over a big tenant: 100k error patterns and 10k reviews.

Builds the store with bulk SQL in the shapes the real writers use (patterns with locations,
tests, sampled events and regression requests; a month of ledger rows; reviews over a year,
some traced by SZZ), then times each page through the app in process (median of --runs).

    nice -n 10 .venv/bin/python benchmarks/dashboard_render.py

The last line is the slowest page's median time next to the 200 ms target, with the CPU time
the process spent on it and the machine's load average (on a busy machine wall time is
mostly waiting for a core).
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402

from argus.core.store.sqlite import SQLiteStore  # noqa: E402
from argus.dashboard import auth  # noqa: E402
from argus.dashboard.app import VIEWS, create_dashboard_app  # noqa: E402

TARGET_MS = 200.0
TENANT = "github-4242"


def build(path: Path, patterns: int, reviews: int, seed: int = 7) -> None:
    """Fill the store at ``path`` for TENANT (and a little for another tenant)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    SQLiteStore.open(path).close()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    kinds = ["KeyError", "TypeError", "ValueError", "AttributeError", "IndexError"]

    def stamp(moment: datetime) -> str:
        return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"

    pattern_rows, location_rows, test_rows, event_rows, request_rows = [], [], [], [], []
    for n in range(patterns):
        first = now - timedelta(days=rng.uniform(0, 365))
        last = first + timedelta(days=rng.uniform(0, (now - first).days + 0.1))
        kind = rng.choice(kinds)
        pattern_id = f"p{n:07d}"
        pattern_rows.append(
            (
                pattern_id,
                TENANT,
                f"h{n}",
                kind,
                f"message {n}",
                f"{kind}: message {n}",
                "[]",
                int(rng.paretovariate(1.2)),
                stamp(first),
                stamp(last),
            )
        )
        for k in range(2):
            location_rows.append((pattern_id, TENANT, f"app/m{n % 500}.py", f"f{n}_{k}", 3 - k))
        if n % 10 == 0:
            test_rows.append(
                (
                    pattern_id,
                    "t",
                    "pytest",
                    1.0,
                    0,
                    "def test(): pass\n",
                    stamp(first + timedelta(days=1)),
                )
            )
            request_rows.append(
                (
                    TENANT,
                    pattern_id,
                    1,
                    rng.choice(["generated", "failed"]),
                    1,
                    rng.choice([None, "sandbox timed out"]),
                    None,
                    0,
                    first.timestamp(),
                )
            )
        for slot in range(3):
            event_rows.append((pattern_id, slot, slot, stamp(last - timedelta(hours=slot)), "{}"))
    db.executemany(
        "INSERT INTO patterns (id, tenant, pattern_hash, exception_type, message, title, frames,"
        " occurrences, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        pattern_rows,
    )
    db.executemany("INSERT INTO pattern_locations VALUES (?, ?, ?, ?, ?)", location_rows)
    db.executemany(
        "INSERT INTO pattern_tests (pattern_id, test_id, framework, success_rate, reuse_count,"
        " code, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        test_rows,
    )
    db.executemany(
        "INSERT INTO pattern_events (pattern_id, slot, occurrence, seen_at, event)"
        " VALUES (?, ?, ?, ?, ?)",
        event_rows,
    )
    db.executemany(
        "INSERT INTO regression_requests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)", request_rows
    )
    ledger = []
    for n in range(20_000):
        moment = now - timedelta(days=rng.uniform(0, now.day - 1 + 0.5))
        tier = rng.choice(["cache", "local", "workers_ai", "haiku", "sonnet"])
        ledger.append(
            (
                f"r{n}",
                stamp(moment),
                moment.strftime("%Y-%m"),
                TENANT,
                tier,
                "p",
                "m",
                rng.choice(["ok", "invalid", "miss"]),
                rng.random() < 0.5,
                rng.random() / 100,
                rng.choice([None, "does not fail on old code"]),
            )
        )
    db.executemany(
        "INSERT INTO router_requests (routing_id, created_at, month, tenant, tier, provider,"
        " model, outcome, cache_hit, dollars, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ledger,
    )
    db.execute(
        "INSERT INTO tenant_plans (tenant, plan, updated_at) VALUES (?, 'team', '')", (TENANT,)
    )
    review_rows = []
    for n in range(reviews):
        moment = now - timedelta(days=rng.uniform(0, 365))
        probability = rng.random()
        level = "high" if probability >= 0.6 else "medium" if probability >= 0.3 else "low"
        review_rows.append(
            (
                TENANT,
                f"acme/repo{n % 20}",
                n,
                f"{n:040x}",
                probability,
                level,
                rng.randint(0, 3),
                int(rng.random() < 0.4),
                stamp(moment),
            )
        )
    db.executemany(
        "INSERT INTO reviews (tenant, repository, pull_request, head_sha, probability, level,"
        " bugs, tests_validated, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        review_rows,
    )
    for repo in range(20):
        db.execute(
            "INSERT INTO repositories (root, created_at) VALUES (?, 0)", (f"acme/repo{repo}",)
        )
        db.execute(
            "INSERT INTO history_sync (repository_id, commit_count, synced_at)"
            " VALUES (last_insert_rowid(), 0, 0)"
        )
    db.executemany(
        "INSERT OR IGNORE INTO szz_labels VALUES ((SELECT id FROM repositories WHERE root = ?),"
        " ?, ?, 0, 'a.py', 1)",
        [(f"acme/repo{n % 20}", f"{n:040x}", f"{n:039x}f") for n in range(0, reviews, 7)],
    )
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


def main(argv: list[str] | None = None) -> int:
    """Build the store, time every page, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patterns", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", metavar="FILE", help="build the store at FILE and keep it")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(arguments.keep) if arguments.keep else Path(folder) / "argus.db"
        started = time.perf_counter()
        build(path, arguments.patterns, arguments.reviews)
        print(
            f"built the store in {time.perf_counter() - started:.1f} s "
            f"({arguments.patterns:,} patterns, {arguments.reviews:,} reviews)"
        )
        app = create_dashboard_app(path)
        db = sqlite3.connect(path, isolation_level=None)
        token = auth.create_link(db, TENANT, 600)
        db.close()
        client = TestClient(app)
        client.get(f"/signin/{token}", follow_redirects=False)
        slowest = ("", 0.0, 0.0)
        for view in (*VIEWS, "api/score"):
            url = "/" if view == "overview" else f"/{view}"
            begun = time.perf_counter()
            client.get(url)  # warms the page cache and, first, the per-day pattern count
            cold = (time.perf_counter() - begun) * 1000
            times, cpu_times = [], []
            for _ in range(arguments.runs):
                begun, begun_cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                times.append((time.perf_counter() - begun) * 1000)
                cpu_times.append((time.process_time() - begun_cpu) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            median, cpu = statistics.median(times), statistics.median(cpu_times)
            print(
                f"{url:<12} median {median:7.1f} ms (CPU {cpu:6.1f} ms)"
                f"  max {max(times):7.1f} ms  first {cold:7.1f} ms"
            )
            if median > slowest[1]:
                slowest = (url, median, cpu)
    print(
        f"dashboard_render: slowest page {slowest[0]} {slowest[1]:.1f} ms median "
        f"(CPU {slowest[2]:.1f} ms; load average {os.getloadavg()[0]:.1f}) "
        f"(target <= {TARGET_MS:.0f} ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
