"""Judge a candidate test by running it: only tests that survive are ever shown.

A pull-request test must compile, be a test, pass on the head three times out of three and
(when changed lines are given, for Python) execute at least one changed line. A regression test
must, in addition, fail on the commit where the error happened with the expected exception.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from argus.core.testgen import coverage_check, static_check
from argus.core.testgen.candidate import Candidate, CandidateKind
from argus.core.testgen.frameworks import Framework, TestCommand, command_for
from argus.core.testgen.network_guard import BLOCKED_MESSAGE
from argus.core.testgen.sandbox import (
    DEFAULT_LIMITS,
    DEFAULT_POLICY,
    Isolation,
    IsolationPolicy,
    Limits,
    RunResult,
    Workspace,
    detect_isolation,
    workspace,
)

_OUTPUT_KEPT = 4000
_IMPORT_ERROR = re.compile(
    r"ModuleNotFoundError: No module named|ImportError: cannot import name|"
    r"ImportError while importing test module|Cannot find module|ERR_MODULE_NOT_FOUND|"
    r"no required module provides package|cannot find package",
)
_MEMORY = re.compile(
    r"(^|\s)MemoryError\b|heap out of memory|Fatal process out of memory|"
    r"Cannot allocate memory|runtime: out of memory",
    re.M,
)
_NETWORK = re.compile(
    re.escape(BLOCKED_MESSAGE) + r"|Network is unreachable|ENETUNREACH|EAI_AGAIN|"
    r"Temporary failure in name resolution|getaddrinfo ENOTFOUND"
)
_RUNNER_MISSING = re.compile(r"No module named '?(pytest|coverage)'?\s*$", re.M)
_NO_TESTS = re.compile(r"^(collected 0 items|no tests ran|Ran 0 tests)|^# tests 0$", re.M)
_PYTEST_NO_TESTS_COLLECTED = 5


class Rejection(StrEnum):
    """Why a candidate was dropped."""

    NOT_A_TEST = "not_a_test"
    DOES_NOT_COMPILE = "does_not_compile"
    RUNNER_UNAVAILABLE = "runner_unavailable"
    IMPORT_ERROR = "import_error"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    NETWORK_ATTEMPT = "network_attempt"
    FLAKY = "flaky"
    FAILS_ON_HEAD = "fails_on_head"
    DOES_NOT_FAIL_BEFORE = "does_not_fail_before"
    WRONG_EXCEPTION = "wrong_exception"
    FAILS_AFTER = "fails_after"
    NO_CHANGED_LINE_COVERED = "no_changed_line_covered"


@dataclass(frozen=True)
class RunRecord:
    """One sandboxed run of the candidate: where, how it ended, and the tail of its output."""

    stage: str
    commit: str | None
    passed: bool
    returncode: int
    timed_out: bool
    seconds: float
    output: str
    network_attempts: tuple[str, ...] = ()


@dataclass(frozen=True)
class ValidationResult:
    """Everything validation found out about a candidate.

    ``accepted`` is true only when ``rejection`` is None. ``passes_on_head`` is None when the
    candidate never ran on the head; ``fails_before`` and ``expected_exception_seen`` are None
    for pull-request tests; ``coverage`` is None when it was not measured.
    """

    candidate: Candidate
    rejection: Rejection | None
    detail: str = ""
    compiles: bool | None = None
    is_test: bool | None = None
    passes_on_head: bool | None = None
    flaky: bool = False
    fails_before: bool | None = None
    expected_exception_seen: bool | None = None
    coverage: coverage_check.CoverageReport | None = None
    isolation: Isolation | None = None
    timings: Mapping[str, float] = field(default_factory=dict)
    runs: tuple[RunRecord, ...] = ()

    @property
    def accepted(self) -> bool:
        """The candidate survived every check."""
        return self.rejection is None


class _Rejected(Exception):
    """Internal: stops validation at the first failed check."""

    def __init__(self, rejection: Rejection, detail: str):
        super().__init__(detail)
        self.rejection = rejection
        self.detail = detail


@dataclass
class _Progress:
    compiles: bool | None = None
    is_test: bool | None = None
    passes_on_head: bool | None = None
    flaky: bool = False
    fails_before: bool | None = None
    expected_exception_seen: bool | None = None
    coverage: coverage_check.CoverageReport | None = None
    timings: dict[str, float] = field(default_factory=dict)
    runs: list[RunRecord] = field(default_factory=list)


def validate(
    candidate: Candidate,
    repo: Path | str,
    head: str | None,
    before: str | None = None,
    changed_lines: Mapping[str, set[int]] | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
    runs: int = 3,
    policy: IsolationPolicy = DEFAULT_POLICY,
    python: str = sys.executable,
    compare_with_existing_tests: bool = False,
) -> ValidationResult:
    """Run ``candidate`` in the sandbox and say whether it may be shown, and why not.

    ``head`` is the commit the test must pass on (None: the working tree); for a regression
    test it is the fixed code. ``before`` is the commit where the error happened; when it is
    None a regression test is checked against ``head`` alone as a reproduction: it must fail
    there, every time, with the expected exception. ``changed_lines`` maps repository-relative
    paths to changed line numbers; for Python, at least one must be executed. With
    ``compare_with_existing_tests`` the project's tests that mention a changed module are run
    once under coverage too, so ``coverage.newly_covered`` says what the candidate adds.
    """
    started = time.monotonic()
    progress = _Progress()
    isolation = detect_isolation(policy, python)
    rejection: Rejection | None = None
    detail = ""
    try:
        _static(candidate, progress)
        if candidate.kind is CandidateKind.REGRESSION_TEST and before is not None:
            _run_before(candidate, repo, before, limits, policy, python, progress)
        reproduce_only = candidate.kind is CandidateKind.REGRESSION_TEST and before is None
        _run_head(
            candidate,
            repo,
            head,
            changed_lines,
            limits,
            runs,
            reproduce_only,
            policy,
            python,
            progress,
            compare_with_existing_tests,
        )
    except _Rejected as rejected:
        rejection, detail = rejected.rejection, rejected.detail
    progress.timings["total"] = time.monotonic() - started
    return ValidationResult(
        candidate=candidate,
        rejection=rejection,
        detail=detail,
        compiles=progress.compiles,
        is_test=progress.is_test,
        passes_on_head=progress.passes_on_head,
        flaky=progress.flaky,
        fails_before=progress.fails_before,
        expected_exception_seen=progress.expected_exception_seen,
        coverage=progress.coverage,
        isolation=isolation,
        timings=dict(progress.timings),
        runs=tuple(progress.runs),
    )


def _static(candidate: Candidate, progress: _Progress) -> None:
    moment = time.monotonic()
    compiled = static_check.compiles(candidate)
    progress.timings["compile"] = time.monotonic() - moment
    if compiled is not None:
        progress.compiles = compiled.ok
        if not compiled.ok:
            raise _Rejected(Rejection.DOES_NOT_COMPILE, compiled.detail)
    moment = time.monotonic()
    verdict = static_check.is_test(candidate)
    progress.timings["static_check"] = time.monotonic() - moment
    progress.is_test = verdict.ok
    if not verdict.ok:
        raise _Rejected(Rejection.NOT_A_TEST, verdict.detail)


def _run_before(
    candidate: Candidate,
    repo: Path | str,
    before: str,
    limits: Limits,
    policy: IsolationPolicy,
    python: str,
    progress: _Progress,
) -> None:
    moment = time.monotonic()
    with workspace(repo, before, policy=policy, python=python) as space:
        progress.timings["before_copy"] = time.monotonic() - moment
        command = _command(candidate, space, python)
        space.write(candidate.path, candidate.source)
        result = space.run(
            command.argv,
            _limits_for(command, limits),
            extra_environment=_environment_for(command, limits),
        )
    progress.timings["before_run"] = result.seconds
    progress.runs.append(_record("before", space.commit, result))
    _reject_hard_failures(result, "before")
    progress.fails_before = not result.passed
    if result.passed:
        raise _Rejected(
            Rejection.DOES_NOT_FAIL_BEFORE,
            f"the test passes on {before}, where the error happened",
        )
    seen = _exception_seen(candidate.expected_exception or "", result.output)
    progress.expected_exception_seen = seen
    if not seen:
        raise _Rejected(
            Rejection.WRONG_EXCEPTION,
            f"the test fails on {before} but not with {candidate.expected_exception}: "
            + _last_lines(result.output),
        )


def _run_head(
    candidate: Candidate,
    repo: Path | str,
    head: str | None,
    changed_lines: Mapping[str, set[int]] | None,
    limits: Limits,
    runs: int,
    reproduce_only: bool,
    policy: IsolationPolicy,
    python: str,
    progress: _Progress,
    compare_with_existing_tests: bool,
) -> None:
    stage = "head"
    moment = time.monotonic()
    with workspace(repo, head, policy=policy, python=python) as space:
        progress.timings["head_copy"] = time.monotonic() - moment
        command = _command(candidate, space, python)
        space.write(candidate.path, candidate.source)
        changed = coverage_check.python_changed_lines(changed_lines or {})
        measure = candidate.language == "python" and bool(changed)
        outcomes: list[bool] = []
        for number in range(max(1, runs)):
            argv = list(command.argv)
            if measure and number == 0:
                rcfile = space.root / "coveragerc"
                rcfile.write_text("[run]\nbranch = False\n", encoding="utf-8")
                argv = coverage_check.run_argv(
                    python, command.argv, space.copy, space.home, sorted(changed), rcfile
                )
            result = space.run(
                argv,
                _limits_for(command, limits),
                extra_environment=_environment_for(command, limits),
            )
            progress.timings[f"head_run_{number + 1}"] = result.seconds
            progress.runs.append(_record(stage, space.commit, result))
            _reject_hard_failures(result, stage)
            if reproduce_only and not result.passed:
                if not _exception_seen(candidate.expected_exception or "", result.output):
                    progress.expected_exception_seen = False
                    raise _Rejected(
                        Rejection.WRONG_EXCEPTION,
                        f"the test fails but not with {candidate.expected_exception}: "
                        + _last_lines(result.output),
                    )
                progress.expected_exception_seen = True
            outcomes.append(result.passed)
            if measure and number == 0:
                progress.coverage = _coverage(space, python, changed, limits, progress)
        if (
            compare_with_existing_tests
            and progress.coverage is not None
            and progress.coverage.measured
            and not reproduce_only
            and all(outcomes)
        ):
            progress.coverage = _with_baseline(
                progress.coverage, space, candidate, python, limits, progress
            )
    if len(set(outcomes)) > 1:
        progress.flaky = True
        shown = ", ".join("pass" if outcome else "fail" for outcome in outcomes)
        raise _Rejected(Rejection.FLAKY, f"runs on the same code disagree ({shown})")
    if reproduce_only:
        progress.fails_before = not outcomes[0]
        if outcomes[0]:
            raise _Rejected(
                Rejection.DOES_NOT_FAIL_BEFORE,
                "the test passes on the code where the error happens",
            )
    else:
        progress.passes_on_head = outcomes[0]
        if not outcomes[0]:
            reason = (
                Rejection.FAILS_AFTER
                if candidate.kind is CandidateKind.REGRESSION_TEST
                else Rejection.FAILS_ON_HEAD
            )
            raise _Rejected(reason, _last_lines(progress.runs[-1].output))
    report = progress.coverage
    if report is not None and report.measured and report.covered_count == 0:
        raise _Rejected(
            Rejection.NO_CHANGED_LINE_COVERED,
            f"none of the {report.changed_count} changed lines ran",
        )


def _limits_for(command: TestCommand, limits: Limits) -> Limits:
    """Room for a runtime's up-front reservations; its heap is held to the memory limit."""
    if not command.address_space_reserve:
        return limits
    return replace(limits, memory_bytes=limits.memory_bytes + command.address_space_reserve)


def _environment_for(command: TestCommand, limits: Limits) -> dict[str, str]:
    environment = dict(command.environment)
    if command.runtime == "node":
        heap = f"--max-old-space-size={max(16, limits.memory_bytes >> 20)}"
        environment["NODE_OPTIONS"] = " ".join((heap, *_node_wasm_flags()))
    return environment


@functools.cache
def _node_wasm_flags() -> tuple[str, ...]:
    """V8's WebAssembly trap handler reserves about 10 GiB of address space per memory, far
    past the sandbox's limit (Vitest's bundler loads WebAssembly, and failed with "Out of
    memory: Cannot allocate Wasm memory"); without it V8 checks bounds in the code instead.
    Node before 20.15 has no such flag."""
    node = shutil.which("node")
    if node is None:
        return ()
    try:
        done = subprocess.run(
            [node, "--disable-wasm-trap-handler", "-e", "0"], capture_output=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return ("--disable-wasm-trap-handler",) if done.returncode == 0 else ()


def _command(candidate: Candidate, space: Workspace, python: str) -> TestCommand:
    runner = command_for(
        Framework(candidate.framework),
        candidate.path,
        space.copy,
        python=python,
        source=candidate.source,
    )
    if not runner.available:
        raise _Rejected(Rejection.RUNNER_UNAVAILABLE, runner.reason or "")
    return runner


def _coverage(
    space: Workspace,
    python: str,
    changed: Mapping[str, frozenset[int]],
    limits: Limits,
    progress: _Progress,
) -> coverage_check.CoverageReport:
    rcfile = space.root / "coveragerc"
    result = space.run(coverage_check.report_argv(python, space.home, rcfile), limits)
    progress.timings["coverage_report"] = result.seconds
    report = space.read_untrusted(coverage_check.report_path(space.home), 32 << 20)
    return coverage_check.parse_report(report if result.passed else None, space.copy, changed)


def _with_baseline(
    report: coverage_check.CoverageReport,
    space: Workspace,
    candidate: Candidate,
    python: str,
    limits: Limits,
    progress: _Progress,
) -> coverage_check.CoverageReport:
    """Add what the project's existing tests of the changed modules already cover."""
    moment = time.monotonic()
    tests = coverage_check.existing_tests(space.copy, report.changed, candidate.path)
    if not tests:
        progress.timings["baseline"] = time.monotonic() - moment
        return replace(report, baseline={})
    rcfile = space.root / "coveragerc"
    name = coverage_check.BASELINE_NAME
    pytest_argv = (python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests)
    argv = coverage_check.run_argv(
        python, pytest_argv, space.copy, space.home, sorted(report.changed), rcfile, name
    )
    environment = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    ran = space.run(argv, limits, extra_environment=environment)
    made = space.run(coverage_check.report_argv(python, space.home, rcfile, name), limits)
    progress.timings["baseline"] = time.monotonic() - moment
    if ran.timed_out or not made.passed:
        return report  # no baseline: newly_covered stays unknown
    data = space.read_untrusted(coverage_check.report_path(space.home, name), 32 << 20)
    existing = coverage_check.parse_report(data, space.copy, report.changed)
    if not existing.measured:
        return report
    return replace(report, baseline=existing.covered, baseline_tests=tuple(tests))


def _reject_hard_failures(result: RunResult, stage: str) -> None:
    """Timeouts, memory, network and import errors reject whatever the stage expected."""
    where = f" (on {stage})"
    if result.timed_out:
        raise _Rejected(Rejection.TIMEOUT, f"no result within {result.seconds:.1f} s{where}")
    if result.network_attempts or _NETWORK.search(result.output):
        attempts = "; ".join(result.network_attempts[:3])
        raise _Rejected(
            Rejection.NETWORK_ATTEMPT, f"the test tried to use the network{where} {attempts}"
        )
    if _MEMORY.search(result.output) or (not result.passed and result.returncode in (-9, 137)):
        raise _Rejected(Rejection.MEMORY, f"the test ran out of its memory limit{where}")
    if not result.passed and _RUNNER_MISSING.search(result.output):
        raise _Rejected(
            Rejection.RUNNER_UNAVAILABLE,
            "the sandbox interpreter lacks the test runner: " + _last_lines(result.output, 2),
        )
    if not result.passed and _IMPORT_ERROR.search(result.output):
        raise _Rejected(Rejection.IMPORT_ERROR, _last_lines(result.output))
    if result.returncode == _PYTEST_NO_TESTS_COLLECTED or _NO_TESTS.search(result.output):
        raise _Rejected(Rejection.NOT_A_TEST, f"the runner found no test to run{where}")


def _exception_seen(expected: str, output: str) -> bool:
    """Is ``expected`` (last dotted part) the error a traceback or test report ends with?"""
    name = re.escape(expected.rsplit(".", 1)[-1])
    if not name:
        return False
    pattern = rf"(?m)^(E\s+|FAILED .* - |\s*(name: ')?)([\w.]+\.)?{name}('|:|$| \[)"
    return re.search(pattern, output) is not None


def _record(stage: str, commit: str | None, result: RunResult) -> RunRecord:
    return RunRecord(
        stage=stage,
        commit=commit,
        passed=result.passed,
        returncode=result.returncode,
        timed_out=result.timed_out,
        seconds=result.seconds,
        output=result.output[-_OUTPUT_KEPT:],
        network_attempts=result.network_attempts,
    )


def _last_lines(output: str, count: int = 6) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:])[-800:]
