"""`argus serve` with ARGUS_PATTERN_STORE=cloudflare files errors in D1 + Vectorize + Workers
AI with no code, through the local stand-in of their REST APIs (tests/servers/cloudflare.py),
and `argus migrate` migrates the D1 database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from argus.ingest_server.keys import SQLiteProjectKeys
from tests.servers.cloudflare import CloudflareServer
from tests.support import argus_serve, free_port, without_model_keys

ROOT = Path(__file__).resolve().parents[2]
TRACEBACK = (ROOT / "tests" / "fixtures" / "errors" / "python_keyerror.txt").read_bytes()


def _environment(server: CloudflareServer, home: Path) -> dict[str, str]:
    env = without_model_keys(os.environ)
    for name in ("ARGUS_GITHUB_APP_ID", "ARGUS_DATABASE_URL"):
        env.pop(name, None)
    env.update(
        {
            "ARGUS_PATTERN_STORE": "cloudflare",
            "CLOUDFLARE_ACCOUNT_ID": server.account,
            "CLOUDFLARE_API_TOKEN": server.token,
            "CLOUDFLARE_API_BASE_URL": server.url,
            "ARGUS_D1_DATABASE_ID": "argus-d1",
            "ARGUS_VECTORIZE_INDEX": "argus-patterns",
            "ARGUS_HOME": str(home),
            "PYTHONPATH": str(ROOT),  # this checkout's code, whichever one is installed
        }
    )
    return env


def test_serve_files_errors_on_cloudflare_by_configuration(tmp_path: Path) -> None:
    home = tmp_path / "home"
    keys = SQLiteProjectKeys(home / "argus.db")  # the DSN keys stay local
    project = keys.add("shop", "acme")
    keys.close()
    with CloudflareServer(token="cf-token", account="cf-account") as cloudflare:
        env = _environment(cloudflare, home)
        migrated = subprocess.run(
            [sys.executable, "-m", "argus", "migrate"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert migrated.returncode == 0, migrated.stderr
        assert "D1 database argus-d1 up to date" in migrated.stdout
        with argus_serve(free_port(), cwd=tmp_path, env=env, log=tmp_path / "serve.log") as base:
            assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200
            for _ in range(2):
                answer = httpx.post(
                    f"{base}/api/{project.project_id}/errors",
                    content=TRACEBACK,
                    headers={"Authorization": f"Bearer {project.public_key}"},
                    timeout=30,
                )
                assert answer.status_code == 200, answer.text
        rows = cloudflare.database.execute("SELECT tenant, occurrences FROM patterns").fetchall()
        assert rows == [("acme", 2)]
        assert "argus-patterns" in cloudflare.indexes  # created at start-up
        assert len(cloudflare.indexes["argus-patterns"].vectors) == 1
        assert cloudflare.requests_to("/ai/run/")  # embedded by Workers AI


def test_a_missing_cloudflare_setting_stops_serve_naming_it(tmp_path: Path) -> None:
    env = without_model_keys(os.environ)
    env.update({"ARGUS_PATTERN_STORE": "cloudflare", "CLOUDFLARE_ACCOUNT_ID": "a"})
    env.pop("CLOUDFLARE_API_TOKEN", None)
    env["PYTHONPATH"] = str(ROOT)
    env["ARGUS_HOME"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "argus", "serve", "--port", str(free_port())],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "CLOUDFLARE_API_TOKEN" in result.stderr and "ARGUS_D1_DATABASE_ID" in result.stderr
