"""``argus jobs``: the job queue: what is waiting, what failed for good, retry.

A job (one webhook delivery) that fails on every attempt the queue gives it is not dropped:
it stays in the dead-letter list with the reason of its last failure, until ``argus jobs
retry ID`` queues it again. Works on the embedded SQLite queue and on PostgreSQL, whichever
``ARGUS_DATABASE_URL`` (environment or ``.env``) names; the queue holds the GitHub App's
deliveries and ``argus serve``'s regression-test jobs alike.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from argus.core.errors import ConfigError


def add_commands(subparsers: Any) -> None:
    """Add the ``jobs`` sub-command (``list``, ``retry``)."""
    parser = subparsers.add_parser(
        "jobs",
        help="the job queue (App deliveries, regression tests): failed jobs and retrying them",
        description=(
            "Show the GitHub App's queued jobs by status, list the jobs that failed for good "
            "with their reason (--failed), and queue one of them again (retry ID). The queue "
            "is the one ARGUS_DATABASE_URL names (environment or .env; default "
            "sqlite:///.argus/github-app.db)."
        ),
    )
    parser.add_argument("--env-file", default=".env", help="the .env file to read (default: .env)")
    parser.add_argument("--database-url", help="the queue's database (default: ARGUS_DATABASE_URL)")
    actions = parser.add_subparsers(dest="jobs_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="jobs by status, or the failed ones (--failed)")
    listing.add_argument(
        "--failed", action="store_true", help="list the jobs that failed for good, newest first"
    )
    listing.add_argument(
        "--format", "-f", choices=("text", "json"), default="text", help="output format"
    )
    retry = actions.add_parser("retry", help="queue a failed job again (attempts from zero)")
    retry.add_argument("id", help="the job's id (from argus jobs list --failed)")
    parser.set_defaults(handler=run_jobs)


def open_queue(arguments: argparse.Namespace) -> Any:
    """The process's job queue (``argus.wiring``): ``--database-url``, else ARGUS_DATABASE_URL
    (environment or ``.env``), else the default; a clear error when there is none."""
    from argus.wiring import process_wiring

    wiring = process_wiring(dotenv=Path(arguments.env_file), queue_url=arguments.database_url)
    url = wiring.queue_url
    if not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
        raise ConfigError(
            f"ARGUS_DATABASE_URL must be sqlite:///<path> or postgresql://..., got {url!r}"
        )
    if url.startswith("sqlite:///"):
        from argus.regression_jobs import regression_queue_path

        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists() and not regression_queue_path(wiring.store_path).exists():
            raise ConfigError(
                f"no job queue at {path}: has argus serve run here (or set --database-url)?"
            )
    return wiring


def run_jobs(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """List or retry; exit 2 when ``retry`` names no failed job."""
    wiring = open_queue(arguments)
    try:
        queue = wiring.job_queue
        if arguments.jobs_command == "retry":
            if not queue.retry_failed(str(arguments.id)):
                raise ConfigError(
                    f"no failed job {arguments.id} (argus jobs list --failed shows them)"
                )
            print(f"Job {arguments.id} is queued again.", file=stdout)
            return 0
        if arguments.failed:
            return _print_failed(queue.failed_jobs(), arguments.format, stdout)
        counts = queue.counts() if hasattr(queue, "counts") else queue.statuses()
        if arguments.format == "json":
            print(json.dumps(counts, sort_keys=True), file=stdout)
        else:
            for status, count in sorted(counts.items()):
                print(f"{status:<10} {count}", file=stdout)
            if not counts:
                print("No jobs.", file=stdout)
        return 0
    finally:
        wiring.close()


def _print_failed(jobs: list[dict[str, Any]], output: str, stdout: TextIO) -> int:
    if output == "json":
        print(json.dumps(jobs, indent=2), file=stdout)
        return 0
    if not jobs:
        print("No failed jobs.", file=stdout)
        return 0
    for job in jobs:
        when = (
            datetime.fromtimestamp(job["finished_at"], UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            if job.get("finished_at")
            else "-"
        )
        print(
            f"{job['id']}  {job['kind']}  delivery {job['delivery_id']}  "
            f"{job['attempts']} attempts  failed {when}",
            file=stdout,
        )
        print(f"    {job.get('last_error') or '(no reason recorded)'}", file=stdout)
    print(f"\n{len(jobs)} failed; `argus jobs retry ID` queues one again.", file=stdout)
    return 0
