"""``argus serve``: the error ingestion API, the GitHub App and the dashboard in one process.

Every part comes from the process's composition root (``argus.wiring``); this module binds the
socket, says what is served, and runs the served app under uvicorn until interrupted.
"""

from __future__ import annotations

import argparse
from typing import TextIO


def _log_to_stderr(level: str) -> None:
    """Show Argus's own log lines (job outcomes, regression tests) beside uvicorn's."""
    import logging
    import sys

    logger = logging.getLogger("argus")
    if logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


def run_serve(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """``argus serve``: run the ingestion server until interrupted."""
    import os

    import uvicorn

    from argus import operations
    from argus.gc_tuning import tune_for_serving
    from argus.serve import listen
    from argus.wiring import process_wiring

    wiring = process_wiring(host=arguments.host, port=arguments.port)
    settings = wiring.settings
    github = wiring.github  # validated before anything starts
    # Bound before anything says it is serving; uvicorn serves on this very socket.
    listening = listen(settings.host, settings.port)
    with listening:
        try:
            app = wiring.served_app
            webhooks = (
                "on" if settings.sentry_client_secret else "off (ARGUS_SENTRY_CLIENT_SECRET unset)"
            )
            print(
                f"Argus error ingestion on http://{settings.host}:{settings.port} "
                f"(store: {settings.store_path}; Sentry webhooks {webhooks})",
                file=stdout,
                flush=True,
            )
            if github is None:
                setup = wiring.setup
                print(
                    "GitHub App off (ARGUS_GITHUB_APP_ID unset): register it at "
                    f"http://{settings.host}:{settings.port}/setup from this machine, or at "
                    f"{setup.public_url}/setup?token={setup.token} (one-time token)",
                    file=stdout,
                    flush=True,
                )
            else:
                print(
                    f"GitHub App {github.app_id} on POST /webhooks/github "
                    f"(queue: {github.database_url})",
                    file=stdout,
                    flush=True,
                )
            if wiring.queue_on_postgres:
                print(
                    "Jobs (deliveries, regression tests) are worked by `argus worker` "
                    "processes on the PostgreSQL queue",
                    file=stdout,
                    flush=True,
                )
            _log_to_stderr(arguments.log_level)
            # The queue is checked where it is worked or fed at once (SQLite, or the App's).
            queue_used = github is not None or not wiring.queue_on_postgres
            checks = operations.serve_checks(
                settings.shared or settings.store_path, wiring.job_queue if queue_used else None
            )
            app = operations.prepare(app, checks, arguments.log_level, os.environ)
            config = uvicorn.Config(
                app,
                host=settings.host,
                port=settings.port,
                log_level=arguments.log_level,
                access_log=arguments.log_level == "debug",
                # JSON lines with ARGUS_LOG_FORMAT=json, as Argus's own; else uvicorn's text.
                log_config=(
                    operations.uvicorn_log_config(os.environ) or uvicorn.config.LOGGING_CONFIG
                ),
                # SIGTERM: stop accepting, finish what is in flight (bounded), then close.
                timeout_graceful_shutdown=operations.GRACEFUL_SHUTDOWN_SECONDS,
            )
            tune_for_serving()
            uvicorn.Server(config).run(sockets=[listening])
        finally:
            wiring.close()
    return 0
