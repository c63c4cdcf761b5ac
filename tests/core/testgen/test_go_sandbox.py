"""Go tests run in the sandbox when a Go toolchain is installed (make/system.mk: golang-go)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from argus.core.testgen.candidate import Candidate, CandidateKind
from argus.core.testgen.validation import validate
from tests.core.testgen.node_projects import git

BUGGY = "package calc\n\nfunc Mean(values []int) int {\n\treturn Sum(values) / len(values)\n}\n"
FIXED = (
    "package calc\n\nfunc Mean(values []int) int {\n\tif len(values) == 0 {\n\t\treturn 0\n"
    "\t}\n\treturn Sum(values) / len(values)\n}\n"
)
SUM = (
    "package calc\n\nfunc Sum(values []int) int {\n\ttotal := 0\n\tfor _, v := range values {\n"
    "\t\ttotal += v\n\t}\n\treturn total\n}\n"
)
TEST = (
    'package calc\n\nimport "testing"\n\nfunc TestMeanOfNothing(t *testing.T) {\n'
    '\tif Mean(nil) != 0 {\n\t\tt.Fatal("mean of nothing")\n\t}\n}\n'
)


@pytest.fixture
def go_repo(tmp_path: Path) -> tuple[Path, str, str]:
    repo = tmp_path / "calc"
    (repo / "calc").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "go.mod").write_text("module example.com/calc\n\ngo 1.19\n")
    (repo / "calc" / "sum.go").write_text(SUM)
    (repo / "calc" / "mean.go").write_text(BUGGY)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "mean")
    buggy = git(repo, "rev-parse", "HEAD")
    (repo / "calc" / "mean.go").write_text(FIXED)
    git(repo, "commit", "-q", "-am", "empty mean")
    return repo, buggy, git(repo, "rev-parse", "HEAD")


def test_a_go_regression_test_fails_before_and_passes_after_in_the_sandbox(
    go_repo: tuple[Path, str, str],
) -> None:
    assert shutil.which("go"), "no Go toolchain: `make system-deps` installs golang-go"
    repo, buggy, fixed = go_repo
    candidate = Candidate(
        "go",
        "go_test",
        "calc/mean_regression_test.go",
        TEST,
        kind=CandidateKind.REGRESSION_TEST,
        expected_exception="panic",
    )
    result = validate(candidate, repo, fixed, buggy, runs=1)
    assert result.accepted, (result.rejection, result.detail)
    before = next(run for run in result.runs if run.stage == "before")
    assert "integer divide by zero" in before.output
    assert result.isolation is not None and result.isolation.namespaces
