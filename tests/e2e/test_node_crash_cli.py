"""`argus ingest --generate-test` on a Node.js event the real @sentry/node sent: a node:test
regression test, validated in the sandbox, then reused from the pattern cache."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.core.testgen.node_projects import git, make_project
from tests.e2e.test_generate_tests import argus, ok

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "node_crash"


def test_ingest_generate_test_for_a_node_event(tmp_path: Path) -> None:
    repo, buggy, fixed = make_project(tmp_path, "shop")
    event = tmp_path / "event.json"
    event.write_bytes((FIXTURES / "shop_envelope.bin").read_bytes().split(b"\n")[2])
    home = tmp_path / "home"
    out = tmp_path / "written"
    arguments = (
        "ingest",
        str(event),
        "--generate-test",
        "--repo",
        str(repo),
        "--fix",
        fixed,
        "--write-tests",
        str(out),
        "--format",
        "json",
    )
    first = json.loads(ok(argus(*arguments, home=home)))["regression_test"]
    assert first["generated"], first["reasons"]
    test = first["test"]
    assert (test["language"], test["framework"]) == ("javascript", "node_test")
    check = test["validation"]
    assert (check["fails_before"], check["passes_after"]) == (True, True)
    assert (check["before"], check["after"]) == (buggy, fixed)  # before: the event's release
    assert check["expected_exception"] == "TypeError" and check["tier"] == "local"

    # Outside Argus too: node --test fails on the buggy code and passes on the fix.
    target = repo / test["path"]
    target.write_text(Path(first["written_to"]).read_text())
    run = ["node", "--test", test["path"]]
    on_buggy = subprocess.run(run, cwd=repo, capture_output=True, check=False)
    assert on_buggy.returncode == 1 and b"TypeError" in on_buggy.stdout
    git(repo, "checkout", "-q", fixed)
    assert subprocess.run(run, cwd=repo, capture_output=True, check=False).returncode == 0
    git(repo, "checkout", "-q", buggy)
    target.unlink()

    second = json.loads(ok(argus(*arguments, home=home)))["regression_test"]
    assert second["cached"] is True and second["test"]["source"] == test["source"]
