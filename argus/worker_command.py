"""``argus worker``: work the job queue (PostgreSQL for scale-out, or SQLite): the App's
deliveries and the regression-test jobs, with the runners of the composition root."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO


def add_commands(subparsers: Any) -> None:
    """Add the ``worker`` sub-command."""
    parser = subparsers.add_parser(
        "worker",
        help="work the job queue: the GitHub App's deliveries and the regression-test jobs",
        description=(
            "Take the queued jobs and handle them: the GitHub App's webhook deliveries (reviews, "
            "check runs, the sticky PR comment, slash-commands) and the regression tests "
            "argus serve asks for. Without the App configured, only the regression-test jobs "
            "are worked. Settings come from the environment "
            "and .env (ARGUS_GITHUB_APP_ID, ARGUS_GITHUB_PRIVATE_KEY, ARGUS_GITHUB_WEBHOOK_SECRET, "
            "ARGUS_GITHUB_API_URL, ARGUS_DATABASE_URL). With a postgresql:// database the jobs "
            "are procrastinate's; with sqlite:/// the embedded queue's. Stops on SIGINT/SIGTERM."
        ),
    )
    parser.add_argument("--env-file", default=".env", help="the .env file to read (default: .env)")
    parser.add_argument(
        "--concurrency", type=int, default=2, help="jobs handled at once (default: 2)"
    )
    parser.add_argument(
        "--lease-seconds",
        type=float,
        default=60.0,
        help="SQLite queue: how long a taken job stays this worker's without renewal (60)",
    )
    parser.add_argument(
        "--heartbeat-seconds",
        type=float,
        default=10.0,
        help="PostgreSQL queue: seconds between this worker's heartbeats (10)",
    )
    parser.add_argument(
        "--stalled-seconds",
        type=float,
        default=30.0,
        help="PostgreSQL queue: a worker silent this long is dead and its jobs are retried (30)",
    )
    parser.set_defaults(handler=run_worker)


def run_worker(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """Work until signalled: the webhook deliveries (when the App is configured) and the
    regression-test jobs ``argus serve`` queues, from the one job queue."""
    import asyncio
    import logging
    import os
    import signal

    from argus.gc_tuning import tune_for_serving
    from argus.operations import JsonFormatter, operations_settings
    from argus.wiring import process_wiring

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # procrastinate's INFO lines repeat each job's whole payload (tens of KB for a pull
    # request); Argus logs each job's outcome itself.
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    if operations_settings(os.environ).log_format == "json":
        for handler in logging.getLogger().handlers:  # procrastinate's lines too
            handler.setFormatter(JsonFormatter())
    if arguments.concurrency < 1:
        raise SystemExit("argus worker: --concurrency must be at least 1")
    wiring = process_wiring(dotenv=Path(arguments.env_file), lease_seconds=arguments.lease_seconds)
    github = wiring.github
    # With PostgreSQL, the App's state and the cost ledger are the shared store's, as every
    # node's; reviews on clones count the errors `argus serve` ingests into the same store
    # (Wiring.row_location).
    deps = wiring.app_deps() if github is not None else None
    runners = wiring.job_runners()
    tune_for_serving()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(number, stop.set)
        if wiring.queue_on_postgres:
            from argus.github_app.queue_postgres import run_postgres_worker

            print("argus worker: PostgreSQL queue (procrastinate)", file=stdout, flush=True)
            await run_postgres_worker(
                wiring.queue_url,
                deps,
                concurrency=arguments.concurrency,
                heartbeat_seconds=arguments.heartbeat_seconds,
                stalled_seconds=arguments.stalled_seconds,
                stop=stop,
                runners=runners,
            )
        else:
            from argus.github_app.worker import EmbeddedWorker

            queue = wiring.job_queue
            options = {} if deps is not None else {"metrics": wiring.metrics}
            worker = EmbeddedWorker.for_deps(
                queue, deps, runners, concurrency=arguments.concurrency, **options
            )
            print(f"argus worker: SQLite queue at {queue.path}", file=stdout, flush=True)
            await worker.run_until(stop)

    try:
        asyncio.run(main())
    finally:
        wiring.close()
    return 0
