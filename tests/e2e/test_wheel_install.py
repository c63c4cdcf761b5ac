"""The built wheel works where the repository is not: installed into a fresh virtual environment
outside the repository (no editable install, no repository files on the path), its `argus`
reviews a generated repository, serves `/healthz`, and answers a language-server round trip."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from tests.e2e.test_cli_review import DEMO_CONFIG
from tests.support import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
DEMO_SCRIPT = ROOT / "scripts" / "make_demo_repo.py"


def _clean_env(home: Path) -> dict[str, str]:
    """The environment of a user who never saw this repository."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ARGUS_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(HOME=str(home), NO_COLOR="1", GIT_CONFIG_NOSYSTEM="1")
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """``(bin dir, env)`` of a fresh venv with the wheel built from this checkout installed."""
    work = tmp_path_factory.mktemp("wheel")
    dist = work / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (wheel,) = dist.glob("argus_pr-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    home = work / "home"
    home.mkdir()
    env = _clean_env(home)
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        check=False,
    )
    assert pip.returncode == 0, pip.stderr[-3000:]
    yield venv / "bin", env


def test_the_wheel_carries_its_data_and_not_the_repository(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    bin_dir, env = installed
    probe = subprocess.run(
        [
            str(bin_dir / "python"),
            "-c",
            "import json, sys, argus, argus.core, argus.github_app, argus.lsp_server;"
            "import argus.ingest_server, argus.dashboard;"
            "from argus.core.store.sqlite import migration_scripts;"
            "from argus.core.predict.model import load_model;"
            "from argus.core.report import review_schema;"
            "from argus.core.router.prompts import default_prompts_directory as prompts_dir;"
            "print(json.dumps({'core': argus.core.__file__, 'path': sys.path,"
            " 'migrations': len(migration_scripts()), 'schema': bool(review_schema()),"
            " 'model': type(load_model()).__name__,"
            " 'prompts': len(list(prompts_dir().rglob('*.md')))}))",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    facts = json.loads(probe.stdout)
    assert facts["core"].startswith(str(bin_dir.parent)), facts["core"]
    assert not any(entry.startswith(str(ROOT)) for entry in facts["path"] if entry)
    assert facts["migrations"] >= 10
    assert facts["schema"] and facts["prompts"] >= 4 and facts["model"]


def test_a_projects_own_core_package_does_not_shadow_argus(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    bin_dir, env = installed
    # A project with packages named like Argus's parts (a Django project's core app): ``python
    # -m`` puts the working directory first on the path, where they used to shadow Argus's own.
    # The wheel's only top-level package is argus.
    for name in ("core", "dashboard", "github_app", "lsp_server", "ingest_server"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"raise SystemExit('shadowed: {name}')\n")
    probe = subprocess.run(
        [
            str(bin_dir / "python"),
            "-c",
            "import importlib.metadata as m, json;"
            "files = m.files('argus-pr');"
            "print(json.dumps(sorted({f.parts[0] for f in files if not f.parts[0].endswith("
            "('.dist-info', '.data')) and f.parts[0] not in ('..', '__pycache__')})))",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout) == ["argus"]
    for command in (["-m", "argus", "--version"], ["-m", "argus.lsp_server", "--help"]):
        ran = subprocess.run(
            [str(bin_dir / "python"), *command],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            check=False,
        )
        assert ran.returncode == 0 and "shadowed" not in ran.stderr, (command, ran.stderr)


def test_version_and_review_on_a_generated_repository(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    bin_dir, env = installed
    version = subprocess.run(
        [str(bin_dir / "argus"), "--version"], capture_output=True, text=True, env=env, check=False
    )
    assert version.returncode == 0 and version.stdout.startswith("argus "), version.stderr
    repo = tmp_path / "orders"
    subprocess.run([sys.executable, str(DEMO_SCRIPT), "--out", str(repo)], check=True)
    # The demo's planted defects are of opt-in rules: its owner turns them on.
    (repo / ".argus.yml").write_text(DEMO_CONFIG)
    with (repo / ".git" / "info" / "exclude").open("a") as exclude:
        exclude.write(".argus.yml\n")
    review = subprocess.run(
        [str(bin_dir / "argus"), "review", "--base", "main", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=repo,
        check=False,
    )
    assert review.returncode == 0, review.stderr
    report = json.loads(review.stdout)
    assert report["summary"]["level"] in {"low", "medium", "high"}
    assert report["bugs"], "the demo branch's planted defects are found"
    assert report["tool"]["version"] == version.stdout.split()[1]


def test_serve_answers_healthz(installed: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    bin_dir, env = installed
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(bin_dir / "argus"), "serve", "--port", str(port)],
            cwd=tmp_path,
            env={**env, "ARGUS_HOME": str(tmp_path / "home")},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:

            def healthy() -> bool:
                assert server.poll() is None, log.read_text()
                try:
                    answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                except httpx.HTTPError:
                    return False
                return answer.status_code == 200

            wait_until(healthy, 60, "the installed argus serve to answer /healthz")
        finally:
            server.terminate()
            server.wait(timeout=30)


def _frame(message: dict[str, object]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def _reader(stream: IO[bytes]) -> queue.Queue[dict[str, Any]]:
    """Messages the server writes, parsed on a thread (so a silent server cannot hang the test)."""
    messages: queue.Queue[dict[str, Any]] = queue.Queue()

    def pump() -> None:
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode().partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if length is None:
                return
            messages.put(json.loads(stream.read(length)))

    threading.Thread(target=pump, daemon=True).start()
    return messages


def _next(messages: queue.Queue[dict[str, Any]], deadline: float) -> dict[str, Any]:
    try:
        return messages.get(timeout=max(0.1, deadline - time.monotonic()))
    except queue.Empty:
        raise AssertionError("the language server did not answer in time") from None


def test_lsp_initialize_and_diagnostics(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    bin_dir, env = installed
    repo = tmp_path / "orders"
    subprocess.run([sys.executable, str(DEMO_SCRIPT), "--out", str(repo)], check=True)
    target = repo / "orders" / "service.py"
    server = subprocess.Popen(
        [str(bin_dir / "argus"), "lsp"],
        cwd=repo,
        env={**env, "ARGUS_HOME": str(tmp_path / "home")},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert server.stdin is not None and server.stdout is not None
    deadline = time.monotonic() + 90
    messages = _reader(server.stdout)
    try:
        server.stdin.write(
            _frame(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {
                        "processId": None,
                        "rootUri": repo.as_uri(),
                        "capabilities": {},
                        "initializationOptions": {"argus": {"baseRef": "main"}},
                    },
                }
            )
        )
        server.stdin.flush()
        while True:
            answer = _next(messages, deadline)
            if answer.get("id") == 1:
                break
        assert "capabilities" in answer["result"]
        server.stdin.write(_frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        server.stdin.write(
            _frame(
                {
                    "jsonrpc": "2.0",
                    "method": "textDocument/didOpen",
                    "params": {
                        "textDocument": {
                            "uri": target.as_uri(),
                            "languageId": "python",
                            "version": 1,
                            "text": target.read_text(),
                        }
                    },
                }
            )
        )
        server.stdin.flush()
        while True:
            message = _next(messages, deadline)
            if message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                if params["uri"] == target.as_uri() and params["diagnostics"]:
                    break
        assert any(diagnostic.get("source") == "argus" for diagnostic in params["diagnostics"])
    finally:
        server.kill()
        server.wait(timeout=30)
