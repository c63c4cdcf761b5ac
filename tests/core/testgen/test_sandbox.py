"""The sandbox itself: copies, confinement, limits and clean-up, with real processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from argus.core.errors import ConfigError, GitError
from argus.core.testgen.candidate import Candidate
from argus.core.testgen.sandbox import (
    FilesystemMode,
    IsolationPolicy,
    Limits,
    NetworkMode,
    UserMode,
    detect_isolation,
    workspace,
    worktrees,
)
from argus.core.testgen.validation import Rejection, validate
from tests.core.testgen.sandbox_repos import PythonRepo, git, python_repo, worktree_count

# Generous wall clock (the machine may be loaded); only the timeout tests wait for a limit.
FAST = Limits(timeout_seconds=20.0, memory_bytes=512 << 20)
FALLBACK = IsolationPolicy(use_namespaces=False, switch_user=False)


def namespaces_available() -> bool:
    """Measured independently of the sandbox: can this process create the namespaces?"""
    if shutil.which("unshare") is None:
        return False
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    done = subprocess.run(
        ["unshare", *user, "--net", "--mount", "--pid", "--fork", "true"], capture_output=True
    )
    return done.returncode == 0


@pytest.fixture()
def project(tmp_path: Path) -> PythonRepo:
    return python_repo(tmp_path)


def test_isolation_is_the_strongest_the_machine_allows() -> None:
    isolation = detect_isolation()
    if namespaces_available():
        assert isolation.network is NetworkMode.NAMESPACE
        assert isolation.filesystem is FilesystemMode.READ_ONLY_MOUNTS
        assert isolation.pid_namespace
        if os.geteuid() == 0:
            # As root the run drops to `nobody`, even with the interpreter in a pyenv under /root.
            assert isolation.user is UserMode.UNPRIVILEGED
        else:
            assert isolation.user is UserMode.USER_NAMESPACE
    else:
        assert isolation.network is NetworkMode.PYTHON_GUARD
    assert isolation.network.value in isolation.describe()


def test_fallback_policy_reports_the_weaker_isolation() -> None:
    isolation = detect_isolation(FALLBACK)
    assert isolation.network is NetworkMode.PYTHON_GUARD
    assert isolation.filesystem is FilesystemMode.COPY_ONLY
    assert not isolation.pid_namespace
    assert isolation.user is not UserMode.UNPRIVILEGED


def test_worktree_at_the_commit_exists_during_the_run_and_is_removed_after(
    project: PythonRepo,
) -> None:
    with workspace(project.path, project.buggy) as space:
        assert space.commit == project.buggy
        assert "if not values" not in (space.copy / "calc" / "ops.py").read_text()
        assert space.copy in worktrees(project.path)
        root = space.root
    assert worktree_count(project.path) == 1
    assert not root.exists()


def test_worktree_is_removed_when_the_body_raises(project: PythonRepo) -> None:
    with pytest.raises(RuntimeError), workspace(project.path, project.fixed) as space:
        root = space.root
        raise RuntimeError("boom")
    assert worktree_count(project.path) == 1
    assert not root.exists()


def test_stale_worktrees_are_pruned(project: PythonRepo, tmp_path: Path) -> None:
    stale = tmp_path / "stale"
    git(project.path, "worktree", "add", "--detach", str(stale), project.buggy)
    shutil.rmtree(stale)
    assert worktree_count(project.path) == 2
    with workspace(project.path, project.fixed):
        pass
    assert worktree_count(project.path) == 1


def test_unknown_commit_and_non_repository_are_git_errors(
    project: PythonRepo, tmp_path: Path
) -> None:
    with pytest.raises(GitError), workspace(project.path, "no-such-ref"):
        pass
    outside = tmp_path / "plain"
    outside.mkdir()
    with pytest.raises(GitError), workspace(outside, None):
        pass


def test_environment_is_exactly_the_clean_one(
    project: PythonRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGUS_GITHUB_PRIVATE_KEY", "-----BEGIN")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    with workspace(project.path, project.fixed) as space:
        result = space.run(["env", "-0"], FAST)
    assert result.passed, result.stderr
    variables = dict(item.split("=", 1) for item in result.stdout.strip("\0\n").split("\0"))
    expected = {"PATH", "HOME", "LANG", "TMPDIR", "PYTHONPATH"}
    if detect_isolation().network is not NetworkMode.NAMESPACE:
        expected |= {"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"}
    assert set(variables) == expected
    assert variables["HOME"] == str(space.home)
    assert str(space.copy) in variables["PYTHONPATH"].split(os.pathsep)


def test_src_layout_packages_are_importable(project: PythonRepo) -> None:
    (project.path / "src" / "shapes").mkdir(parents=True)
    (project.path / "src" / "shapes" / "__init__.py").write_text("SIDES = 4\n")
    with workspace(project.path, None) as space:
        result = space.run(["python", "-c", "import shapes; print(shapes.SIDES)"], FAST)
    assert result.stdout.strip() == "4", result.stderr


def test_runs_as_an_unprivileged_user_in_the_copy(project: PythonRepo) -> None:
    with workspace(project.path, project.fixed) as space:
        result = space.run(["sh", "-c", "id -u; pwd"], FAST)
    uid, cwd = result.stdout.split()
    assert cwd == str(space.copy)
    if detect_isolation().user is UserMode.UNPRIVILEGED:
        assert uid == "65534"


def test_private_files_of_root_are_hidden(project: PythonRepo) -> None:
    with workspace(project.path, project.fixed) as space:
        result = space.run(["sh", "-c", "ls -A /root"], FAST)
    if space.isolation.filesystem is not FilesystemMode.READ_ONLY_MOUNTS:
        return  # nothing is hidden without a mount namespace (docs/sandbox.md, fallbacks)
    interpreter_roots = {
        Path(path).relative_to("/root").parts[0]
        for path in (sys.prefix, sys.base_prefix, os.path.realpath(sys.executable))
        if Path(path).is_relative_to("/root")
    }
    assert set(result.stdout.split()) <= interpreter_roots


def test_timeout_kills_the_whole_process_group(project: PythonRepo) -> None:
    with workspace(project.path, project.fixed) as space:
        started = time.monotonic()
        result = space.run(
            ["sh", "-c", "(sleep 2; touch late.txt) & sleep 30"], Limits(timeout_seconds=1.0)
        )
        assert result.timed_out and not result.passed
        assert time.monotonic() - started < 5.0
        time.sleep(2.5)
        assert not (space.copy / "late.txt").exists()


def test_file_size_and_process_limits_hold(project: PythonRepo) -> None:
    # Each limit on its own: the process limit counts every process of the sandbox user, so
    # sandboxed runs of other tests at the same moment could keep `head` from starting at all.
    file_limit = Limits(timeout_seconds=20.0, file_size_bytes=1 << 20)
    process_limit = Limits(timeout_seconds=20.0, processes=4)
    with workspace(project.path, project.fixed) as space:
        big = space.run(["sh", "-c", "head -c 2000000 /dev/zero > big.bin"], file_limit)
        assert not big.passed
        assert (space.copy / "big.bin").stat().st_size <= 1 << 20
        if detect_isolation().user is UserMode.UNPRIVILEGED:
            forks = space.run(
                ["sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 3 & done; wait"], process_limit
            )
            assert "fork" in forks.stderr.lower() or "resource" in forks.stderr.lower()


def test_output_is_kept_to_its_tail(project: PythonRepo) -> None:
    limits = Limits(timeout_seconds=20.0, output_bytes=1000)
    with workspace(project.path, project.fixed) as space:
        result = space.run(["sh", "-c", "seq 1 100000"], limits)
    assert len(result.stdout) <= 1000
    assert result.stdout.rstrip().endswith("100000")


def test_a_symlinked_attempts_file_is_not_followed(project: PythonRepo) -> None:
    with workspace(project.path, project.fixed) as space:
        result = space.run(["sh", "-c", 'ln -s /etc/passwd "$HOME/.argus-network-attempts"'], FAST)
        assert result.passed, result.stderr
    assert result.network_attempts == ()


def test_writing_a_candidate_outside_the_copy_is_refused(project: PythonRepo) -> None:
    with workspace(project.path, project.fixed) as space, pytest.raises(ConfigError):
        space.write("../home/escape.py", "x = 1\n")


def test_python_guard_blocks_connections_in_the_fallback_mode(project: PythonRepo) -> None:
    with workspace(project.path, project.fixed, policy=FALLBACK) as space:
        assert space.isolation.network is NetworkMode.PYTHON_GUARD
        result = space.run(
            [sys.executable, "-c", "import socket; socket.create_connection(('192.0.2.1', 80))"],
            FAST,
        )
    assert not result.passed
    assert "network access is blocked" in result.stderr
    assert result.network_attempts == ("connect ('192.0.2.1', 80)",)


def test_working_tree_copy_has_tracked_and_untracked_but_not_ignored_files(
    project: PythonRepo,
) -> None:
    (project.path / "notes.md").write_text("untracked")
    (project.path / "ignored.txt").write_text("ignored")
    (project.path / "tests" / "test_ops.py").unlink()
    with workspace(project.path, None) as space:
        copied = {
            path.relative_to(space.copy).as_posix()
            for path in space.copy.rglob("*")
            if path.is_file()
        }
        assert space.commit is None
    assert copied == {".gitignore", "calc/__init__.py", "calc/ops.py", "notes.md"}
    assert worktree_count(project.path) == 1


def test_user_namespace_mode_protects_like_a_non_root_server_would(
    project: PythonRepo, tmp_path: Path
) -> None:
    policy = IsolationPolicy(user_namespace=True)
    isolation = detect_isolation(policy)
    sentinel = tmp_path / "sentinel"
    sentinel.mkdir()
    (sentinel / "keep.txt").write_text("precious")
    script = (
        f"rm -rf {sentinel}; "
        "mount -o remount,bind,rw / 2>/dev/null && echo remounted; "
        "touch in-copy.txt && echo wrote-copy"
    )
    with workspace(project.path, project.fixed, policy=policy) as space:
        result = space.run(["sh", "-c", script], FAST)
        wrote = (space.copy / "in-copy.txt").exists()
    if namespaces_available():
        assert isolation.user is UserMode.USER_NAMESPACE
        assert (sentinel / "keep.txt").read_text() == "precious"
        assert "remounted" not in result.stdout
        assert "wrote-copy" in result.stdout and wrote
    else:
        assert isolation.network is NetworkMode.PYTHON_GUARD


def test_missing_test_runner_is_reported_as_unavailable(
    project: PythonRepo, tmp_path: Path
) -> None:
    bare = tmp_path / "bare-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    candidate = Candidate("python", "pytest", "tests/test_x.py", "def test_x():\n    pass\n")
    python = str(bare / "bin" / "python")
    result = validate(candidate, project.path, project.fixed, python=python, runs=1)
    assert result.rejection is Rejection.RUNNER_UNAVAILABLE, result.detail
    assert "pytest" in result.detail


def test_a_process_that_leaves_the_group_still_dies_in_the_pid_namespace(
    project: PythonRepo,
) -> None:
    script = 'setsid sh -c "sleep 2; touch escaped.txt" & sleep 30'
    with workspace(project.path, project.fixed) as space:
        result = space.run(["sh", "-c", script], Limits(timeout_seconds=1.0))
        time.sleep(3)
        escaped = (space.copy / "escaped.txt").exists()
    assert result.timed_out
    # Without a PID namespace `setsid` escapes the group kill: the documented fallback limit.
    assert escaped is not space.isolation.pid_namespace
