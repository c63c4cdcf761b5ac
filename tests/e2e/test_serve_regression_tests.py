"""Production errors become regression tests and a PR, as an operator runs it (issues 4 and 5).

`argus serve` runs as a subprocess with the GitHub App configured against the local GitHub API
server. Project "metrics" is linked (`argus projects link`) to a clone of a small buggy
repository (benchmark scenario 01: the average of no samples divides by zero) and to its GitHub
repository; project "orphan" is not linked. A real application sends its real exception with
the real sentry-sdk to each project's DSN. The answer comes back while the test is still to be
made; the serve process then generates the test in the background (free tier: no model key),
stores it on the pattern, and the App opens a PR adding it. The test fails on the buggy commit
with the production error and passes on the fix. A second identical error generates nothing.
The unlinked project's error is filed, and nothing is queued for it.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.core.testgen.sandbox_repos import git
from tests.servers.github_api import GitHubAPIServer, rsa_key_pair, signed_headers
from tests.support import argus_serve, free_port, metrics_repo, wait_until, without_model_keys

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "benchmarks" / "scenarios" / "01-average-empty"
WEBHOOKS = ROOT / "tests" / "fixtures" / "github-webhooks"
APP_ID = 4242
INSTALLATION = 77
SECRET = "regression-webhook-secret"
OWNER, NAME = "acme", "metrics"

# The deployed application: argv = DSN, release. It reports the crash, waits for the server's
# answer (flush), then says so on stdout.
APP_PY = """\
import sys
import time

import sentry_sdk

from metrics.report import summary

dsn, release = sys.argv[1:3]
sentry_sdk.init(dsn=dsn, release=release, environment="production")
try:
    summary("latency", [])
except ZeroDivisionError as error:
    sentry_sdk.capture_exception(error)
started = time.monotonic()
sentry_sdk.flush(timeout=30)
print(f"sent in {time.monotonic() - started:.3f}", flush=True)
"""


def rows(database: Path, sql: str, *params: object) -> list[tuple]:
    if not database.exists():
        return []
    with sqlite3.connect(database, timeout=30) as connection:
        try:
            return connection.execute(sql, params).fetchall()
        except sqlite3.OperationalError:  # table not created yet
            return []


def deploy(folder: Path) -> Path:
    """The buggy code as deployed (a copy, not the clone), with the application's entry point."""
    shutil.copytree(SCENARIO / "buggy", folder)
    (folder / "app.py").write_text(APP_PY)
    return folder


def argus(*args: str, env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "argus", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def send_crash(app: Path, dsn: str, release: str) -> float:
    """Run the application once; the seconds its flush waited for the server's answer."""
    sent = subprocess.run(
        [sys.executable, "app.py", dsn, release],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")},
    )
    assert sent.returncode == 0, sent.stderr
    return float(sent.stdout.split()[-1])


def installation_created() -> bytes:
    payload = json.loads((WEBHOOKS / "installation.created.payload.json").read_text())
    payload["installation"]["id"] = INSTALLATION
    payload["installation"]["account"]["login"] = OWNER
    payload["repositories"] = [
        {"id": 1, "node_id": "R_1", "name": NAME, "full_name": f"{OWNER}/{NAME}", "private": True}
    ]
    return json.dumps(payload).encode()


def test_a_production_error_becomes_a_validated_regression_test_and_a_pull_request(
    tmp_path: Path,
) -> None:
    repo, buggy, fixed = metrics_repo(tmp_path / "metrics-service")
    app = deploy(tmp_path / "srv" / "metrics")
    private_key, public_key = rsa_key_pair()
    workdir = tmp_path / "server"
    workdir.mkdir()
    (workdir / "app.pem").write_text(private_key)
    home = workdir / "home"
    env = without_model_keys(os.environ)
    env.update(ARGUS_HOME=str(home), GIT_CONFIG_NOSYSTEM="1")
    port = free_port()

    with GitHubAPIServer(APP_ID, public_key) as github:
        github.add_repository(OWNER, NAME, repo, default_branch="main")
        # The buggy line came in with pull request #3, merged by dana.
        github.add_merged_pull_request(OWNER, NAME, 3, [buggy], author="dana")
        (workdir / ".env").write_text(
            f"ARGUS_GITHUB_APP_ID={APP_ID}\n"
            f"ARGUS_GITHUB_PRIVATE_KEY={workdir / 'app.pem'}\n"
            f"ARGUS_GITHUB_WEBHOOK_SECRET={SECRET}\n"
            f"ARGUS_GITHUB_API_URL={github.url}\n"
            f"ARGUS_DATABASE_URL=sqlite:///{workdir / 'app.db'}\n"
        )
        linked = json.loads(
            argus("projects", "add", NAME, "--port", str(port), "-f", "json", env=env, cwd=workdir)
        )
        orphan = json.loads(
            argus(
                "projects", "add", "orphan", "--port", str(port), "-f", "json", env=env, cwd=workdir
            )
        )
        said = argus(
            "projects", "link", NAME, "--repo", str(repo), "--github", f"{OWNER}/{NAME}",
            "--installation", str(INSTALLATION), env=env, cwd=workdir,
        )  # fmt: skip
        assert f"linked to {repo}" in said and f"installation {INSTALLATION}" in said

        log = workdir / "serve.log"
        with argus_serve(port, cwd=workdir, env=env, log=log) as base:
            # The App learns of its installation on acme/metrics from GitHub's webhook.
            body = installation_created()
            answer = httpx.post(
                f"{base}/webhooks/github",
                content=body,
                headers=signed_headers(SECRET, body, "installation", "install-1"),
                timeout=10,
            )
            assert answer.status_code == 202
            wait_until(
                lambda: rows(
                    workdir / "app.db",
                    "SELECT 1 FROM gh_installation_repositories WHERE installation_id = ? "
                    "AND full_name = ? AND enabled = 1",
                    INSTALLATION,
                    f"{OWNER}/{NAME}",
                ),
                60,
                "the App to record its installation",
            )

            # The production error, sent by the real SDK; its release is the buggy commit.
            waited = send_crash(app, linked["dsn"], buggy)
            store = home / "argus.db"
            jobs = workdir / "app.db"  # the one job queue: the App's deliveries and these
            ((pattern_id, attempts),) = rows(
                store, "SELECT pattern_id, attempts FROM regression_requests"
            )
            assert attempts == 1
            assert waited < 10
            assert ("argus_generate_regression_test",) in rows(jobs, "SELECT kind FROM github_jobs")

            def finished() -> bool:
                found = rows(
                    store,
                    "SELECT status FROM regression_requests WHERE pattern_id = ?",
                    pattern_id,
                )
                return bool(found) and found[0][0] != "queued"

            wait_until(finished, 300, "the regression test to be generated")
            ((status, reason, test_path, pr_queued, took),) = rows(
                store,
                "SELECT status, reason, test_path, pull_request_queued, "
                "finished_at - requested_at FROM regression_requests",
            )
            assert (status, reason, pr_queued) == ("generated", None, 1), reason
            # Answered without waiting for the test: the SDK's flush took less time than making
            # the test. (Reading the request's status right after the answer raced a fast
            # generation: it was once "generated" already.)
            assert waited < took

            # Stored on the pattern: validated (rate 1.0), with its code.
            shown = json.loads(
                argus(
                    "patterns",
                    "show",
                    pattern_id,
                    "--tenant",
                    NAME,
                    "-f",
                    "json",
                    env=env,
                    cwd=workdir,
                )
            )
            (stored,) = shown["tests"]
            assert stored["test_id"] == test_path and stored["success_rate"] == 1.0
            ((code,),) = rows(
                store, "SELECT code FROM pattern_tests WHERE pattern_id = ?", pattern_id
            )
            assert "summary" in code or "average" in code

            # It fails on the buggy commit with the production error and passes on the fix.
            target = repo / test_path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(code)
            pytest_run = [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                str(target),
            ]
            on_buggy = subprocess.run(
                pytest_run, cwd=repo, capture_output=True, text=True, check=False
            )
            assert on_buggy.returncode == 1 and "ZeroDivisionError" in on_buggy.stdout
            git(repo, "checkout", "-q", fixed)
            on_fix = subprocess.run(
                pytest_run, cwd=repo, capture_output=True, text=True, check=False
            )
            assert on_fix.returncode == 0, on_fix.stdout
            git(repo, "checkout", "-q", "main")
            target.unlink()

            # The App opened the PR with that file, through the git database API.
            wait_until(lambda: github.created_pulls, 60, "the regression-test PR")
            (pull,) = github.created_pulls
            branch = f"argus/regression-{pattern_id}"
            assert pull["head"]["ref"] == branch and pull["base"]["ref"] == "main"
            assert pattern_id in pull["body"]
            (tree,) = github.requests_to("POST", rf"/repos/{OWNER}/{NAME}/git/trees")
            assert {"path": test_path, "mode": "100644", "type": "blob", "content": code} in (
                tree.body["tree"]
            )
            (ref,) = github.requests_to("POST", rf"/repos/{OWNER}/{NAME}/git/refs")
            assert ref.body["ref"] == f"refs/heads/{branch}"
            assert len(github.requests_to("POST", rf"/repos/{OWNER}/{NAME}/git/commits")) == 1

            # The pull request that introduced the failing line hears of it (blamed at the
            # deployed commit, then GitHub's "pull requests associated with a commit").
            wait_until(
                lambda: github.issue_comments(OWNER, NAME, 3), 60, "the comment on the PR #3"
            )
            (told,) = github.issue_comments(OWNER, NAME, 3)
            assert "`metrics/stats.py` line 5 (`average`)" in told["body"]
            assert "ZeroDivisionError: division by zero" in told["body"]
            assert "**once**" in told["body"] and pull["html_url"] in told["body"]
            assert github.requests_to("GET", rf"/repos/{OWNER}/{NAME}/commits/{buggy}/pulls")

            # The same error again: filed, and nothing generated or opened again.
            send_crash(app, linked["dsn"], buggy)
            wait_until(
                lambda: (
                    rows(store, "SELECT occurrences FROM patterns WHERE id = ?", pattern_id)
                    == [(2,)]
                ),
                30,
                "the second occurrence",
            )
            # The unlinked project's error: filed, no request, no job.
            send_crash(app, orphan["dsn"], buggy)
            wait_until(
                lambda: rows(store, "SELECT 1 FROM patterns WHERE tenant = 'orphan'"),
                30,
                "the unlinked project's pattern",
            )
            time.sleep(2)
            # One queue: the installation delivery, this one generation job and its PR job.
            assert rows(jobs, "SELECT kind, status FROM github_jobs ORDER BY id") == [
                ("installation.created", "done"),
                ("argus_generate_regression_test", "done"),
                ("argus_regression_test", "done"),
            ]
            assert rows(store, "SELECT pattern_id, attempts FROM regression_requests") == [
                (pattern_id, 1)
            ]
            assert len(github.created_pulls) == 1
            assert len(github.issue_comments(OWNER, NAME, 3)) == 1
    output = log.read_text()
    assert f"project {orphan['project_id']} has no linked repository" in output
    assert f"regression test {test_path} for pattern {pattern_id}" in output
