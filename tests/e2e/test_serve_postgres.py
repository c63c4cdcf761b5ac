"""`argus serve` processes sharing one PostgreSQL store (ARGUS_DATABASE_URL): errors sent to
either join one pattern and every acknowledged one is stored; /readyz says whether the store
answers; during a database outage ingestion answers 503 with Retry-After, and resumes by
itself when the database is back."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest

from argus.core.store.postgres import migrate
from argus.ingest_server.keys import Project
from argus.ingest_server.keys_postgres import PostgresProjectKeys
from tests.postgres_support import fresh_schema
from tests.servers.tcp_outage import TcpOutage
from tests.support import argus_serve, free_port, wait_until, without_model_keys

ROOT = Path(__file__).resolve().parents[2]
TRACEBACK = (ROOT / "tests" / "fixtures" / "errors" / "python_keyerror.txt").read_bytes()


@pytest.fixture
def database() -> Iterator[tuple[str, str, Project]]:
    with fresh_schema() as (url, schema):
        migrate(url, schema=schema)
        keys = PostgresProjectKeys(url, schema=schema)
        project = keys.add("shop", "acme")
        keys.close()
        yield url, schema, project


def _environment(url: str, schema: str, home: Path) -> dict[str, str]:
    env = without_model_keys(os.environ)
    env.pop("ARGUS_GITHUB_APP_ID", None)
    env.update(
        {
            "ARGUS_DATABASE_URL": url,
            "ARGUS_DATABASE_SCHEMA": schema,
            "ARGUS_HOME": str(home),
            # This checkout's code, whichever one the environment has installed.
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def _send(base: str, project: Project) -> httpx.Response:
    return httpx.post(
        f"{base}/api/{project.project_id}/errors",
        content=TRACEBACK,
        headers={"Authorization": f"Bearer {project.public_key}"},
        timeout=30,
    )


def _stored(url: str, schema: str) -> tuple[int, int]:
    with psycopg.connect(url) as db:
        row = db.execute(
            f"SELECT count(*), coalesce(sum(occurrences), 0) FROM {schema}.patterns"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_two_servers_on_one_database_file_one_pattern_and_lose_nothing(
    database: tuple[str, str, Project], tmp_path: Path
) -> None:
    url, schema, project = database
    with (
        argus_serve(
            free_port(),
            cwd=tmp_path,
            env=_environment(url, schema, tmp_path / "one"),
            log=tmp_path / "one.log",
        ) as one,
        argus_serve(
            free_port(),
            cwd=tmp_path,
            env=_environment(url, schema, tmp_path / "two"),
            log=tmp_path / "two.log",
        ) as two,
    ):
        for base in (one, two):
            ready = httpx.get(f"{base}/readyz", timeout=10)
            assert ready.status_code == 200, ready.text
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda n: _send((one, two)[n % 2], project), range(60)))
        assert [answer.status_code for answer in answers] == [200] * 60
        assert _stored(url, schema) == (1, 60)


def test_a_database_outage_is_503_with_retry_after_and_service_resumes(
    database: tuple[str, str, Project], tmp_path: Path
) -> None:
    url, schema, project = database
    real = psycopg.conninfo.conninfo_to_dict(url)
    with TcpOutage((str(real.get("host", "127.0.0.1")), int(real.get("port", 5432)))) as outage:
        proxied = f"postgresql://{real.get('user', 'postgres')}@127.0.0.1:{outage.port}/"
        proxied += str(real["dbname"])
        with argus_serve(
            free_port(),
            cwd=tmp_path,
            env=_environment(proxied, schema, tmp_path / "home"),
            log=tmp_path / "serve.log",
        ) as base:
            assert _send(base, project).status_code == 200
            outage.down()
            during = _send(base, project)
            assert during.status_code == 503, during.text
            assert during.headers["retry-after"].isdigit()
            not_ready = httpx.get(f"{base}/readyz", timeout=30)
            assert not_ready.status_code == 503 and "store" in not_ready.json()["failing"]
            outage.up()
            wait_until(
                lambda: httpx.get(f"{base}/readyz", timeout=30).status_code == 200,
                30,
                "/readyz to recover",
            )
            acknowledged = 1 + sum(_send(base, project).status_code == 200 for _ in range(5))
            assert acknowledged == 6
        assert _stored(url, schema) == (1, acknowledged)
