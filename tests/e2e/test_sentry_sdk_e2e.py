"""The real sentry-sdk, configured with an Argus DSN, sends real exceptions to `argus serve`.

The server runs as a subprocess on a free loopback port; applications run as other
subprocesses from different folders with different values and compressions. The same bug
from two processes is one pattern with two occurrences, the same bug pasted as a plain
traceback (`argus ingest -`) matches that pattern by hash, and the server and CLI processes
writing the same store at once lose nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from argus.ingest_server.auth import hook_signature
from tests.support import argus_serve, free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "integration-client-secret"

PRICING_PY = '''\
"""Order pricing."""


def discount(price, buyers):
    share = price / buyers
    return round(share, 2)


def lookup(prices, sku):
    return prices[sku]
'''

# The application: argv = DSN (or "-" for none), bug, value, compression.
MAIN_PY = """\
import sys

from orders.pricing import discount, lookup

dsn, bug, value, compression = sys.argv[1:5]
if dsn != "-":
    import sentry_sdk

    experiments = {"transport_compression_algo": compression} if compression != "none" else {
        "transport_compression_level": 0
    }
    sentry_sdk.init(dsn=dsn, release="orders@1." + value, _experiments=experiments)


def handle(bug, value):
    if bug == "divide":
        return discount(int(value) * 10, 0)
    return lookup({"sku-1": 100}, "sku-" + value)


if dsn == "-":
    handle(bug, value)
else:
    try:
        handle(bug, value)
    except Exception as error:
        sentry_sdk.capture_exception(error)
    sentry_sdk.flush(timeout=20)
"""


def argus(*args: str, env: dict[str, str], stdin: bytes | None = None):
    return subprocess.run(
        [sys.executable, "-m", "argus", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        env=env,
        check=False,
        timeout=120,
    )


@dataclass
class Served:
    url: str
    dsn: str
    env: dict[str, str]
    home: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("argus-home")
    env = {**os.environ, "ARGUS_HOME": str(home), "ARGUS_SENTRY_CLIENT_SECRET": SECRET}
    port = free_port()
    added = argus("projects", "add", "orders", "--port", str(port), "--format", "json", env=env)
    assert added.returncode == 0, added.stderr.decode()
    dsn = json.loads(added.stdout)["dsn"]
    with argus_serve(
        port, cwd=ROOT, env=env, log=home / "serve.log", args=("--log-level", "warning")
    ) as url:
        yield Served(url, dsn, env, home)


def write_app(folder: Path) -> Path:
    (folder / "orders").mkdir(parents=True)
    (folder / "orders" / "__init__.py").write_text("")
    (folder / "orders" / "pricing.py").write_text(PRICING_PY)
    (folder / "main.py").write_text(MAIN_PY)
    return folder


def run_app(folder: Path, dsn: str, bug: str, value: str, compression: str = "br"):
    return subprocess.run(
        [sys.executable, "main.py", dsn, bug, value, compression],
        cwd=folder,
        capture_output=True,
        check=False,
        timeout=120,
        env={key: value for key, value in os.environ.items() if not key.startswith("SENTRY_")},
    )


def patterns(served: Served) -> list[dict]:
    listed = argus("patterns", "list", "--tenant", "orders", "--format", "json", env=served.env)
    assert listed.returncode == 0, listed.stderr.decode()
    return json.loads(listed.stdout)["patterns"]


def test_the_same_bug_from_two_sdk_processes_is_one_pattern_and_a_pasted_traceback_matches(
    served: Served, tmp_path: Path
) -> None:
    first = write_app(tmp_path / "srv" / "orders-release-1")
    second = write_app(tmp_path / "deploy" / "blue" / "orders")
    for folder, value, compression in ((first, "3", "br"), (second, "41", "gzip")):
        sent = run_app(folder, served.dsn, "divide", value, compression)
        assert sent.returncode == 0, sent.stderr.decode()
    (pattern,) = [p for p in patterns(served) if p["exception_type"] == "ZeroDivisionError"]
    assert pattern["occurrences"] == 2
    assert pattern["title"] == "ZeroDivisionError: division by zero"
    assert sorted(item["release"] for item in pattern["releases"]) == ["orders@1.3", "orders@1.41"]
    assert any(
        location["path"].endswith("orders/pricing.py") and location["function"] == "discount"
        for location in pattern["locations"]
    )

    # The same bug, uncaught in a third folder without the SDK: its traceback, pasted.
    crashed = run_app(write_app(tmp_path / "laptop" / "orders"), "-", "divide", "7")
    assert crashed.returncode == 1
    traceback = crashed.stderr
    assert traceback.startswith(b"Traceback (most recent call last):")
    pasted = argus("ingest", "--tenant", "orders", "-", env=served.env, stdin=traceback)
    assert pasted.returncode == 0, pasted.stderr.decode()
    out = pasted.stdout.decode()
    assert out.startswith(f"Matched pattern {pattern['id']} (seen 3 times; matched by hash)")
    assert "pricing.py:discount" in out


def test_a_different_bug_is_a_different_pattern_and_uncompressed_events_work(
    served: Served, tmp_path: Path
) -> None:
    sent = run_app(write_app(tmp_path / "app"), served.dsn, "lookup", "9", "none")
    assert sent.returncode == 0, sent.stderr.decode()
    (pattern,) = [p for p in patterns(served) if p["exception_type"] == "KeyError"]
    assert pattern["occurrences"] == 1
    assert pattern["frames"][0] == "pricing.py:lookup"


def test_a_wrong_dsn_key_stores_nothing_and_is_counted(served: Served, tmp_path: Path) -> None:
    before = patterns(served)
    wrong = served.dsn.replace(served.dsn.split("//", 1)[1].split("@", 1)[0], "0" * 32)
    sent = run_app(write_app(tmp_path / "app"), wrong, "divide", "5", "gzip")
    assert sent.returncode == 0, sent.stderr.decode()
    assert patterns(served) == before
    page = httpx.get(f"{served.url}/metrics", timeout=10).text
    # The SDK follows the refused event with a client report, refused too: at least one.
    (line,) = [
        line
        for line in page.splitlines()
        if line.startswith('argus_ingest_rejected_total{endpoint="envelope",reason="bad_key"}')
    ]
    assert float(line.rsplit(" ", 1)[1]) >= 1


def test_a_signed_webhook_reaches_the_tenant_in_its_path(served: Served) -> None:
    body = (ROOT / "tests" / "fixtures" / "errors" / "sentry_webhook_event_alert.json").read_bytes()
    headers = {
        "Content-Type": "application/json",
        "Sentry-Hook-Resource": "event_alert",
        "Sentry-Hook-Signature": hook_signature(body, SECRET),
    }
    good = httpx.post(f"{served.url}/webhooks/sentry/orders", content=body, headers=headers)
    forged = httpx.post(
        f"{served.url}/webhooks/sentry/orders",
        content=body.replace(b"production", b"staging"),
        headers=headers,
    )
    assert good.status_code == 200 and good.json()["status"] == "ingested", good.text
    assert forged.status_code == 401 and forged.json()["error"] == "bad_signature"


def test_serve_refuses_bad_settings_with_a_clear_message(served: Served) -> None:
    env = {**served.env, "ARGUS_INGEST_MAX_BYTES": "lots"}
    refused = argus("serve", "--port", str(free_port()), env=env)
    assert refused.returncode == 2
    assert b"ARGUS_INGEST_MAX_BYTES='lots' is not a number of bytes" in refused.stderr
    tiny = argus(
        "serve", "--port", str(free_port()), env={**served.env, "ARGUS_INGEST_MAX_BYTES": "10"}
    )
    assert tiny.returncode == 2 and b"at least 1024 bytes" in tiny.stderr


def test_the_server_and_the_cli_writing_at_once_lose_nothing(served: Served) -> None:
    key = served.dsn.split("//", 1)[1].split("@", 1)[0]
    project_id = served.dsn.rsplit("/", 1)[1]
    report = json.dumps(
        {
            "type": "ConcurrencyProbe",
            "message": "written from two processes",
            "frames": [{"file": "/srv/orders/probe.py", "function": "probe", "line": 3}],
        }
    ).encode()
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "argus", "ingest", "-", "--tenant", "orders"],
            cwd=ROOT,
            env=served.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]

    def post(_: int) -> int:
        return httpx.post(
            f"{served.url}/api/{project_id}/errors",
            content=report,
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        ).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        posted = pool.map(post, range(30))
        outcomes = [writer.communicate(report, timeout=120) for writer in writers]
        statuses = list(posted)
    assert statuses == [200] * 30
    assert [writer.returncode for writer in writers] == [0] * 4, [e for _, e in outcomes]
    (pattern,) = [p for p in patterns(served) if p["exception_type"] == "ConcurrencyProbe"]
    assert pattern["occurrences"] == 34
