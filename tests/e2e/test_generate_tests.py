"""`argus review --generate-tests` and `argus ingest --generate-test` as a user runs them:
subprocesses, no API key (free tiers only), tests written with --write-tests, text, JSON
(checked against the schema) and Markdown."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from argus.core.report.json_report import review_schema
from tests.core.testgen.sandbox_repos import git
from tests.support import metrics_repo, without_model_keys

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "benchmarks" / "scenarios" / "01-average-empty"

PRICING_BEFORE = '''"""Prices."""


def unit_price(total: float, quantity: int) -> float:
    return total / quantity
'''

PRICING_AFTER = '''"""Prices."""


def unit_price(total: float, quantity: int) -> float:
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    return round(total / quantity, 2)
'''


def argus(*args: str, home: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[bytes]:
    env = without_model_keys(os.environ)
    env["ARGUS_HOME"] = str(home)
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "argus", *args],
        cwd=cwd,
        capture_output=True,
        env=env,
        check=False,
        timeout=300,
    )


def ok(completed: subprocess.CompletedProcess[bytes]) -> str:
    assert completed.returncode == 0, completed.stderr.decode()
    return completed.stdout.decode()


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("e2e") / "shop"
    (repo / "shop").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "shop" / "__init__.py").write_text("")
    (repo / "shop" / "pricing.py").write_text(PRICING_BEFORE)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "prices")
    (repo / "shop" / "pricing.py").write_text(PRICING_AFTER)
    git(repo, "commit", "-q", "-am", "refuse bad quantities")
    return repo


def test_review_generate_tests_json_and_write_tests(shop: Path, tmp_path: Path) -> None:
    out = tmp_path / "generated"
    document = json.loads(
        ok(
            argus(
                "review",
                "--repo",
                str(shop),
                "--base",
                "HEAD~1",
                "--head",
                "HEAD",
                "--generate-tests",
                "--write-tests",
                str(out),
                "--format",
                "json",
                home=tmp_path / "home",
            )
        )
    )
    jsonschema.validate(document, review_schema())
    [test] = document["tests"]
    assert test["target_symbol"] == "unit_price" and test["kind"] == "pr_test"
    check = test["validation"]
    assert check["tier"] == "local" and check["generator"] == "hypothesis"
    assert check["runs"] == check["passed_runs"] == 3
    assert check["changed_lines_covered"] == check["changed_lines_total"] == 3
    written = out / Path(test["path"]).name  # into the directory given, not below it
    assert written.read_text() == test["source"]
    costs = json.loads(ok(argus("costs", "--format", "json", home=tmp_path / "home")))
    assert costs["tiers"]["local"]["requests"] == 1 and costs["dollars"] == 0


def test_review_generate_tests_text_and_markdown(shop: Path, tmp_path: Path) -> None:
    text = ok(
        argus(
            "review",
            "--repo",
            str(shop),
            "--base",
            "HEAD~1",
            "--head",
            "HEAD",
            "--generate-tests",
            "--color",
            "never",
            home=tmp_path / "home",
        )
    )
    assert "Generated tests (1, each run before it is shown)" in text
    assert "tests/test_properties_unit_price.py" in text
    assert "passes on" in text and "(3/3 runs); covers 3/3 changed lines (100%)" in text
    markdown = ok(
        argus(
            "review",
            "--repo",
            str(shop),
            "--base",
            "HEAD~1",
            "--head",
            "HEAD",
            "--generate-tests",
            "--format",
            "markdown",
            home=tmp_path / "home",
        )
    )
    assert "<details>\n<summary><code>tests/test\\_properties\\_unit\\_price.py</code>" in markdown
    assert "```python\n" in markdown and "@given(" in markdown


def test_review_write_tests_without_generate_tests_is_refused(shop: Path, tmp_path: Path) -> None:
    completed = argus(
        "review",
        "--repo",
        str(shop),
        "--base",
        "HEAD~1",
        "--write-tests",
        str(tmp_path),
        home=tmp_path / "home",
    )
    assert completed.returncode == 2
    assert b"--generate-tests" in completed.stderr


@pytest.fixture
def metrics_app(tmp_path: Path) -> tuple[Path, str, str]:
    return metrics_repo(tmp_path / "metrics-app")


def test_ingest_generate_test_writes_then_reuses_the_cached_test(
    metrics_app: tuple[Path, str, str], tmp_path: Path
) -> None:
    repo, buggy, fixed = metrics_app
    out = tmp_path / "tests-out"
    home = tmp_path / "home"
    arguments = (
        "ingest",
        str(SCENARIO / "event.json"),
        "--generate-test",
        "--repo",
        str(repo),
        "--write-tests",
        str(out),
        "--fix",
        "fix",
        "--format",
        "json",
    )
    first = json.loads(ok(argus(*arguments, home=home)))
    generated = first["regression_test"]
    assert generated["generated"] and generated["cached"] is False
    check = generated["test"]["validation"]
    assert (check["fails_before"], check["passes_after"]) == (True, True)
    assert (check["before"], check["after"]) == (buggy, fixed)
    assert check["expected_exception"] == "ZeroDivisionError" and check["tier"] == "local"
    written = Path(generated["written_to"])
    assert written.parent == out and written.read_text() == generated["test"]["source"]

    # The test really fails on the buggy code and passes on the fix, outside Argus too.
    target = repo / generated["test"]["path"]
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(written, target)
    run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(target)]
    on_buggy = subprocess.run(run, cwd=repo, capture_output=True, check=False)
    assert on_buggy.returncode == 1 and b"ZeroDivisionError" in on_buggy.stdout
    git(repo, "checkout", "-q", "fix")
    on_fix = subprocess.run(run, cwd=repo, capture_output=True, check=False)
    assert on_fix.returncode == 0, on_fix.stdout.decode()
    git(repo, "checkout", "-q", "main")
    target.unlink()

    second = json.loads(ok(argus(*arguments, home=home)))
    assert second["is_new"] is False
    reused = second["regression_test"]
    assert reused["cached"] is True and reused["test"]["validation"]["tier"] == "cache"
    assert reused["test"]["source"] == generated["test"]["source"]
    [stored] = second["pattern"]["tests"]
    assert stored["reuse_count"] == 1 and stored["success_rate"] == 1.0

    text = ok(argus(*arguments[:-2], home=home))
    assert "Reused the cached regression test" in text and "ZeroDivisionError" in text


def test_ingest_generate_test_needs_a_repository(tmp_path: Path) -> None:
    completed = argus(
        "ingest", str(SCENARIO / "event.json"), "--generate-test", home=tmp_path / "home"
    )
    assert completed.returncode == 2
    assert b"--repo" in completed.stderr
