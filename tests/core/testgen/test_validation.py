"""validate() on real temporary repositories: every candidate really runs in the sandbox."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

from argus.core.errors import ConfigError
from argus.core.testgen.candidate import Candidate, CandidateKind
from argus.core.testgen.sandbox import (
    FilesystemMode,
    IsolationPolicy,
    Limits,
    NetworkMode,
    UserMode,
    detect_isolation,
)
from argus.core.testgen.validation import Rejection, validate
from tests.core.testgen.sandbox_repos import (
    FIX_LINES,
    PythonRepo,
    git,
    node_repo,
    python_repo,
    worktree_count,
)

# Generous wall clock (the machine may be loaded); only the timeout tests wait for a limit.
FAST = Limits(timeout_seconds=20.0, memory_bytes=512 << 20)
NAMESPACES = detect_isolation().network is NetworkMode.NAMESPACE


@pytest.fixture()
def project(tmp_path: Path) -> PythonRepo:
    return python_repo(tmp_path)


@pytest.fixture(autouse=True)
def no_worktree_left(request: pytest.FixtureRequest, tmp_path: Path):
    """After every test, each repository it made has only its main work tree."""
    yield
    for repo in (tmp_path / "project", tmp_path / "jsproject"):
        if repo.exists():
            assert worktree_count(repo) == 1, git(repo, "worktree", "list")


def pytest_candidate(source: str, *, path: str = "tests/test_generated.py") -> Candidate:
    return Candidate("python", "pytest", path, source, ("calc.ops.mean",), CandidateKind.PR_TEST)


def regression(source: str, expected: str = "ZeroDivisionError") -> Candidate:
    return Candidate(
        "python",
        "pytest",
        "tests/test_regression.py",
        source,
        ("calc.ops.mean",),
        CandidateKind.REGRESSION_TEST,
        expected_exception=expected,
    )


EMPTY_MEAN = (
    "from calc.ops import mean\n\n\ndef test_mean_of_nothing():\n    assert mean([]) == 0.0\n"
)


def test_passing_pr_test_is_accepted_with_coverage_of_the_fix(project: PythonRepo) -> None:
    result = validate(
        pytest_candidate(EMPTY_MEAN),
        project.path,
        project.fixed,
        changed_lines=FIX_LINES,
        limits=FAST,
    )
    assert result.accepted, result.detail
    assert result.compiles and result.is_test and result.passes_on_head
    assert [run.passed for run in result.runs] == [True, True, True]
    assert result.coverage is not None
    assert result.coverage.covered == {"calc/ops.py": frozenset({5, 6})}
    assert result.coverage.changed_count == 3 and result.coverage.covered_count == 2
    assert result.isolation is not None
    assert {"compile", "head_run_1", "head_run_2", "head_run_3", "total"} <= set(result.timings)


def test_regression_test_fails_before_with_the_error_and_passes_after(project: PythonRepo) -> None:
    result = validate(
        regression(EMPTY_MEAN),
        project.path,
        project.fixed,
        before=project.buggy,
        changed_lines=FIX_LINES,
        limits=FAST,
    )
    assert result.accepted, result.detail
    assert result.fails_before is True
    assert result.expected_exception_seen is True
    assert result.passes_on_head is True
    before = result.runs[0]
    assert before.stage == "before" and before.commit == project.buggy
    assert "ZeroDivisionError" in before.output
    assert [run.stage for run in result.runs] == ["before", "head", "head", "head"]


def test_regression_test_failing_with_another_exception_is_rejected(project: PythonRepo) -> None:
    result = validate(
        regression(EMPTY_MEAN, expected="KeyError"),
        project.path,
        project.fixed,
        before=project.buggy,
        limits=FAST,
    )
    assert result.rejection is Rejection.WRONG_EXCEPTION
    assert result.fails_before is True and result.expected_exception_seen is False
    assert "KeyError" in result.detail


def test_regression_test_that_passes_on_the_buggy_code_is_rejected(project: PythonRepo) -> None:
    source = "from calc.ops import double\n\n\ndef test_double():\n    assert double(3) == 6\n"
    result = validate(
        regression(source), project.path, project.fixed, before=project.buggy, limits=FAST
    )
    assert result.rejection is Rejection.DOES_NOT_FAIL_BEFORE
    assert result.fails_before is False


def test_regression_test_that_still_fails_after_the_fix_is_rejected(project: PythonRepo) -> None:
    source = "from calc.ops import mean\n\n\ndef test_mean():\n    assert mean([]) == 1 / 0\n"
    result = validate(
        regression(source), project.path, project.fixed, before=project.buggy, limits=FAST
    )
    assert result.rejection is Rejection.FAILS_AFTER


def test_without_a_before_commit_a_regression_test_must_reproduce_on_head(
    project: PythonRepo,
) -> None:
    result = validate(regression(EMPTY_MEAN), project.path, project.buggy, limits=FAST, runs=2)
    assert result.accepted, result.detail
    assert result.fails_before is True and result.expected_exception_seen is True


def test_failing_pr_test_is_rejected(project: PythonRepo) -> None:
    source = "from calc.ops import double\n\n\ndef test_double():\n    assert double(2) == 5\n"
    result = validate(pytest_candidate(source), project.path, project.fixed, limits=FAST)
    assert result.rejection is Rejection.FAILS_ON_HEAD
    assert result.passes_on_head is False
    assert "assert 4 == 5" in result.detail


def test_test_that_misses_every_changed_line_is_rejected(project: PythonRepo) -> None:
    source = "from calc.ops import double\n\n\ndef test_double():\n    assert double(2) == 4\n"
    result = validate(
        pytest_candidate(source),
        project.path,
        project.fixed,
        changed_lines=FIX_LINES,
        limits=FAST,
        runs=1,
    )
    assert result.rejection is Rejection.NO_CHANGED_LINE_COVERED
    assert result.coverage is not None and result.coverage.covered_count == 0


def test_infinite_loop_times_out_within_the_limit(project: PythonRepo) -> None:
    source = "def test_forever():\n    while True:\n        pass\n"
    limits = Limits(timeout_seconds=2.0)
    started = time.monotonic()
    result = validate(pytest_candidate(source), project.path, project.fixed, limits=limits)
    elapsed = time.monotonic() - started
    assert result.rejection is Rejection.TIMEOUT
    assert len(result.runs) == 1 and result.runs[0].timed_out
    assert 2.0 <= result.runs[0].seconds < 4.0
    assert elapsed < 15.0


def test_memory_bomb_is_rejected(project: PythonRepo) -> None:
    source = "def test_bomb():\n    hoard = bytearray(2 * 1024 ** 3)\n    assert hoard\n"
    result = validate(
        pytest_candidate(source),
        project.path,
        project.fixed,
        limits=Limits(timeout_seconds=20.0, memory_bytes=256 << 20),
    )
    assert result.rejection is Rejection.MEMORY


class Listener:
    """A loopback server in this (the parent's) network namespace that counts connections."""

    def __enter__(self) -> Listener:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.accepted: list[object] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept)
        self.thread.start()
        return self

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                self.accepted.append(self.socket.accept())
            except TimeoutError:
                continue

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.socket.close()


def test_network_attempt_is_rejected_and_never_reaches_the_listener(project: PythonRepo) -> None:
    with Listener() as listener:
        source = (
            "import socket\n\n\n"
            "def test_phone_home():\n"
            f"    address = ('127.0.0.1', {listener.port})\n"
            "    socket.create_connection(address, timeout=2).sendall(b'secret')\n"
        )
        result = validate(pytest_candidate(source), project.path, project.fixed, limits=FAST)
    assert result.rejection is Rejection.NETWORK_ATTEMPT
    assert listener.accepted == []
    assert f"127.0.0.1', {listener.port}" in result.detail


def test_raw_socket_past_the_python_guard_meets_the_network_namespace(
    project: PythonRepo,
) -> None:
    with Listener() as listener:
        source = (
            "import _socket\n\n\n"
            "def test_raw():\n"
            "    raw = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)\n"
            "    raw.settimeout(2)\n"
            f"    raw.connect(('127.0.0.1', {listener.port}))\n"
        )
        result = validate(
            pytest_candidate(source), project.path, project.fixed, limits=FAST, runs=1
        )
    if NAMESPACES:
        assert result.rejection is Rejection.NETWORK_ATTEMPT
        assert "Network is unreachable" in result.runs[0].output
        assert listener.accepted == []
    else:
        # The documented limit of the fallback: only Python's socket module is guarded.
        assert listener.accepted


def test_swallowed_network_attempt_is_still_detected(project: PythonRepo) -> None:
    source = (
        "import socket\n\n\n"
        "def test_quietly():\n"
        "    try:\n"
        "        socket.create_connection(('192.0.2.1', 80), timeout=1)\n"
        "    except OSError:\n"
        "        pass\n"
    )
    result = validate(pytest_candidate(source), project.path, project.fixed, limits=FAST)
    assert result.rejection is Rejection.NETWORK_ATTEMPT


def test_network_is_refused_by_the_guard_when_namespaces_are_not_used(
    project: PythonRepo,
) -> None:
    policy = IsolationPolicy(use_namespaces=False, switch_user=False)
    source = (
        "import urllib.request\n\n\n"
        "def test_fetch():\n"
        "    urllib.request.urlopen('http://example.com', timeout=2)\n"
    )
    result = validate(
        pytest_candidate(source), project.path, project.fixed, limits=FAST, policy=policy
    )
    assert result.rejection is Rejection.NETWORK_ATTEMPT
    assert result.isolation is not None
    assert result.isolation.network is NetworkMode.PYTHON_GUARD
    assert result.isolation.filesystem is FilesystemMode.COPY_ONLY


def test_deleting_a_folder_outside_the_copy_leaves_it_intact(
    project: PythonRepo, tmp_path: Path
) -> None:
    sentinel = tmp_path / "sentinel"
    sentinel.mkdir()
    (sentinel / "keep.txt").write_text("precious")
    source = (
        "import shutil\n\n\n"
        "def test_vandal():\n"
        f"    shutil.rmtree({str(sentinel)!r}, ignore_errors=True)\n"
        f"    open({str(tmp_path / 'planted.txt')!r}, 'w').write('x')\n"
    )
    result = validate(pytest_candidate(source), project.path, project.fixed, limits=FAST)
    isolation = result.isolation
    assert isolation is not None
    protected = (
        isolation.filesystem is FilesystemMode.READ_ONLY_MOUNTS
        or isolation.user is UserMode.UNPRIVILEGED
    )
    if protected:
        assert (sentinel / "keep.txt").read_text() == "precious"
        assert not (tmp_path / "planted.txt").exists()
        assert result.rejection is Rejection.FAILS_ON_HEAD
        # Outside paths are refused, or (bubblewrap's empty view) not there at all.
        refusals = ("Read-only file system", "Permission denied", "No such file or directory")
        assert any(refusal in result.detail for refusal in refusals), result.detail
    else:
        # The documented fallback as the same user: nothing outside the copy is protected,
        # and the result says so.
        assert isolation.filesystem is FilesystemMode.COPY_ONLY


def test_server_secrets_are_not_in_the_test_environment(
    project: PythonRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGUS_WEBHOOK_SECRET", "hush")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-hush")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_hush")
    assert os.environ["ANTHROPIC_API_KEY"] == "sk-ant-hush"
    source = (
        "import os\n\n\n"
        "def test_environment():\n"
        "    names = set(os.environ)\n"
        "    assert not {n for n in names if n.startswith(('ARGUS_', 'GITHUB_', 'ANTHROPIC'))}\n"
        "    assert 'hush' not in repr(os.environ)\n"
        "    assert os.environ['HOME'].startswith(os.path.dirname(os.getcwd()))\n"
        "    allowed = {'PATH', 'HOME', 'LANG', 'TMPDIR', 'PYTHONPATH',\n"
        "               'PYTEST_DISABLE_PLUGIN_AUTOLOAD', 'PYTEST_VERSION',\n"
        "               'PYTEST_CURRENT_TEST'}\n"
        "    assert names <= allowed, names - allowed\n"
    )
    result = validate(pytest_candidate(source), project.path, project.fixed, limits=FAST, runs=1)
    assert result.accepted, result.detail


def test_missing_module_is_an_import_error(project: PythonRepo) -> None:
    source = "import calc.nowhere\n\n\ndef test_it():\n    assert calc.nowhere\n"
    result = validate(pytest_candidate(source), project.path, project.fixed, limits=FAST)
    assert result.rejection is Rejection.IMPORT_ERROR
    assert "calc.nowhere" in result.detail


def test_code_that_is_not_a_test_is_rejected_before_running(project: PythonRepo) -> None:
    source = "from calc.ops import mean\n\n\ndef helper():\n    return mean([1])\n"
    result = validate(pytest_candidate(source), project.path, project.fixed, limits=FAST)
    assert result.rejection is Rejection.NOT_A_TEST
    assert result.runs == () and result.is_test is False


def test_prose_instead_of_code_does_not_compile(project: PythonRepo) -> None:
    source = "Sure! Here is a test for mean:\n\ndef test_mean(): assert mean([]) == 0\n"
    result = validate(pytest_candidate(source), project.path, project.fixed, limits=FAST)
    assert result.rejection is Rejection.DOES_NOT_COMPILE
    assert result.compiles is False and "line 1" in result.detail


def test_flaky_test_is_rejected(project: PythonRepo) -> None:
    source = (
        "from pathlib import Path\n\n\n"
        "def test_every_other_time():\n"
        "    counter = Path('counter.txt')\n"
        "    count = int(counter.read_text()) + 1 if counter.exists() else 1\n"
        "    counter.write_text(str(count))\n"
        "    assert count % 2 == 0\n"
    )
    result = validate(pytest_candidate(source), project.path, project.fixed, limits=FAST)
    assert result.rejection is Rejection.FLAKY
    assert result.flaky
    assert [run.passed for run in result.runs] == [False, True, False]


def test_unittest_candidate_runs_with_unittest(project: PythonRepo) -> None:
    source = (
        "import unittest\n\nfrom calc.ops import mean\n\n\n"
        "class MeanTest(unittest.TestCase):\n"
        "    def test_empty(self):\n"
        "        self.assertEqual(mean([]), 0.0)\n"
    )
    candidate = Candidate("python", "unittest", "tests/test_unit_mean.py", source)
    result = validate(candidate, project.path, project.fixed, changed_lines=FIX_LINES, limits=FAST)
    assert result.accepted, result.detail
    assert "Ran 1 test" in result.runs[-1].output
    assert result.coverage is not None and result.coverage.covered_count == 2


def test_working_tree_review_sees_uncommitted_and_untracked_files(project: PythonRepo) -> None:
    (project.path / "calc" / "extra.py").write_text("def triple(value):\n    return value * 3\n")
    (project.path / "ignored.txt").write_text("not copied")
    source = (
        "from pathlib import Path\n\nfrom calc.extra import triple\n\n\n"
        "def test_triple():\n"
        "    assert triple(2) == 6\n"
        "    assert not Path('ignored.txt').exists()\n"
    )
    result = validate(pytest_candidate(source), project.path, None, limits=FAST, runs=1)
    assert result.accepted, result.detail


def test_node_test_candidate_is_validated(tmp_path: Path) -> None:
    repo = node_repo(tmp_path)
    source = (
        "const test = require('node:test');\n"
        "const assert = require('node:assert');\n"
        "const { total } = require('../src/price.js');\n"
        "test('two items', () => {\n"
        "  assert.strictEqual(total([{ price: 2, quantity: 3 }, { price: 1, quantity: 1 }]), 7);\n"
        "});\n"
    )
    candidate = Candidate("javascript", "node_test", "test/total.test.js", source, ("total",))
    result = validate(candidate, repo, "HEAD", limits=FAST)
    assert result.accepted, result.detail
    assert result.compiles is True
    assert result.coverage is None


def test_failing_and_broken_javascript_candidates_are_rejected(tmp_path: Path) -> None:
    repo = node_repo(tmp_path)
    failing = Candidate(
        "javascript",
        "node_test",
        "test/total.test.js",
        "const test = require('node:test');\nconst assert = require('node:assert');\n"
        "test('wrong', () => assert.strictEqual(1, 2));\n",
    )
    broken = Candidate("javascript", "node_test", "test/broken.test.js", "test('x', () => {\n")
    assert validate(failing, repo, "HEAD", limits=FAST).rejection is Rejection.FAILS_ON_HEAD
    broken_result = validate(broken, repo, "HEAD", limits=FAST)
    assert broken_result.rejection is Rejection.DOES_NOT_COMPILE
    assert "test/broken.test.js" in broken_result.detail


def test_candidate_path_must_stay_inside_the_repository() -> None:
    with pytest.raises(ConfigError):
        Candidate("python", "pytest", "../outside/test_x.py", "def test_x(): pass\n")
    with pytest.raises(ConfigError):
        Candidate("python", "pytest", "/etc/test_x.py", "def test_x(): pass\n")
    with pytest.raises(ConfigError):
        Candidate("python", "pytest", "tests/test_x.py", "", kind=CandidateKind.REGRESSION_TEST)
    with pytest.raises(ConfigError, match="unknown test framework 'nose'"):
        Candidate("python", "nose", "tests/test_x.py", "def test_x(): pass\n")
    with pytest.raises(ConfigError, match="unknown candidate kind"):
        Candidate("python", "pytest", "tests/test_x.py", "", kind="smoke_test")  # type: ignore[arg-type]


def test_project_dependencies_are_linked_into_the_worktree(tmp_path: Path) -> None:
    # A world-readable place: the sandbox user must be able to reach the linked folder.
    shared = Path(tempfile.mkdtemp(prefix="argus-test-shared-"))
    try:
        shared.chmod(0o755)
        repo = node_repo(shared)
        (repo / ".gitignore").write_text("node_modules/\n")
        git(repo, "add", ".gitignore")
        git(repo, "commit", "-q", "-m", "ignore dependencies")
        runner = repo / "node_modules" / ".bin" / "vitest"
        runner.parent.mkdir(parents=True)
        # A stand-in for the real vitest: proves the command, the link and the file it gets.
        runner.write_text('#!/bin/sh\n[ "$1" = run ] && grep -q "adds" "$3"\n')
        runner.chmod(0o755)
        source = (
            "import { test, expect } from 'vitest';\ntest('adds', () => expect(1 + 1).toBe(2));\n"
        )
        candidate = Candidate("javascript", "vitest", "test/add.test.js", source)
        result = validate(candidate, repo, "HEAD", limits=FAST, runs=1)
        assert result.accepted, result.detail
        assert result.runs[0].passed
        assert worktree_count(repo) == 1
        missing = validate(
            Candidate("javascript", "jest", "test/add.test.js", source), repo, "HEAD", limits=FAST
        )
        assert missing.rejection is Rejection.RUNNER_UNAVAILABLE
        assert "node_modules/.bin/jest" in missing.detail
    finally:
        shutil.rmtree(shared)


def test_javascript_regression_test_fails_before_with_the_error(tmp_path: Path) -> None:
    repo = node_repo(tmp_path)
    buggy = git(repo, "rev-parse", "HEAD")
    price = repo / "src" / "price.js"
    price.write_text(price.read_text().replace("items.reduce", "(items || []).reduce"))
    git(repo, "commit", "-q", "-am", "no items, no total")
    source = (
        "const test = require('node:test');\n"
        "const assert = require('node:assert');\n"
        "const { total } = require('../src/price.js');\n"
        "test('no basket', () => assert.strictEqual(total(undefined), 0));\n"
    )

    def candidate(expected: str) -> Candidate:
        return Candidate(
            "javascript",
            "node_test",
            "test/basket.test.js",
            source,
            ("total",),
            CandidateKind.REGRESSION_TEST,
            expected_exception=expected,
        )

    result = validate(candidate("TypeError"), repo, "HEAD", before=buggy, limits=FAST)
    assert result.accepted, result.detail
    assert result.fails_before and result.expected_exception_seen and result.passes_on_head
    wrong = validate(candidate("RangeError"), repo, "HEAD", before=buggy, limits=FAST)
    assert wrong.rejection is Rejection.WRONG_EXCEPTION


def test_hypothesis_property_test_runs_in_the_sandbox(project: PythonRepo) -> None:
    source = (
        "from hypothesis import given, settings, strategies as st\n\n"
        "from calc.ops import double, mean\n\n\n"
        "@settings(max_examples=30, deadline=None)\n"
        "@given(st.lists(st.integers(-1000, 1000), max_size=20))\n"
        "def test_mean_of_doubles_is_double_the_mean(values):\n"
        "    assert abs(mean([double(v) for v in values]) - 2 * mean(values)) < 1e-9\n"
    )
    result = validate(
        pytest_candidate(source),
        project.path,
        project.fixed,
        changed_lines=FIX_LINES,
        limits=Limits(timeout_seconds=30.0),
    )
    assert result.accepted, result.detail
    assert result.coverage is not None and result.coverage.covered_count >= 2


def test_go_candidate_without_a_go_toolchain_is_a_clear_rejection(
    project: PythonRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    git_path = shutil.which("git")
    assert git_path is not None
    (tools / "git").symlink_to(git_path)
    monkeypatch.setenv("PATH", str(tools))
    source = 'package calc\n\nimport "testing"\n\nfunc TestMean(t *testing.T) {}\n'
    candidate = Candidate("go", "go_test", "calc/mean_test.go", source)
    result = validate(candidate, project.path, project.fixed, limits=FAST)
    assert result.rejection is Rejection.RUNNER_UNAVAILABLE
    assert result.detail == "go toolchain not available (no `go` on PATH)"
    assert result.runs == ()


def test_javascript_network_attempt_and_memory_bomb_are_rejected(tmp_path: Path) -> None:
    repo = node_repo(tmp_path)
    with Listener() as listener:
        phone_home = (
            "const test = require('node:test');\n"
            "const net = require('node:net');\n"
            "test('phone home', () => new Promise((resolve, reject) => {\n"
            f"  const socket = net.connect({listener.port}, '127.0.0.1', resolve);\n"
            "  socket.on('error', reject);\n"
            "}));\n"
        )
        network = validate(
            Candidate("javascript", "node_test", "test/net.test.js", phone_home),
            repo,
            "HEAD",
            limits=FAST,
            runs=1,
        )
    hoard = (
        "const test = require('node:test');\n"
        "test('hoard', () => {\n"
        "  const kept = [];\n"
        "  for (;;) kept.push(new Array(1e6).fill(7));\n"
        "});\n"
    )
    memory = validate(
        Candidate("javascript", "node_test", "test/hoard.test.js", hoard),
        repo,
        "HEAD",
        limits=Limits(timeout_seconds=30.0, memory_bytes=256 << 20),
        runs=1,
    )
    if NAMESPACES:
        assert network.rejection is Rejection.NETWORK_ATTEMPT, network.detail
        assert listener.accepted == []
    else:
        # The documented limit of the fallback: only Python code is guarded.
        assert listener.accepted
    assert memory.rejection is Rejection.MEMORY, memory.detail


def test_lines_newly_covered_compared_with_the_existing_tests(project: PythonRepo) -> None:
    (project.path / "tests" / "test_mean_existing.py").write_text(
        "from calc.ops import mean\n\n\ndef test_empty():\n    assert mean([]) == 0.0\n"
    )
    source = "from calc import ops\n\n\ndef test_two():\n    assert ops.mean([1, 3]) == 2\n"
    result = validate(
        pytest_candidate(source),
        project.path,
        None,
        changed_lines=FIX_LINES,
        limits=FAST,
        runs=1,
        compare_with_existing_tests=True,
    )
    assert result.accepted, result.detail
    coverage = result.coverage
    assert coverage is not None
    assert coverage.covered == {"calc/ops.py": frozenset({5, 7})}
    assert coverage.baseline == {"calc/ops.py": frozenset({5, 6})}
    assert coverage.newly_covered == {"calc/ops.py": frozenset({7})}
    assert coverage.baseline_tests == ("tests/test_mean_existing.py", "tests/test_ops.py")
    assert "baseline" in result.timings
