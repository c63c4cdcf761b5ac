"""The synthetic benchmark repository generator in benchmarks/repo_gen.py."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from argus.core.lang.languages import language_for_path, parse

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "benchmarks" / "repo_gen.py"


def load_generator():
    spec = importlib.util.spec_from_file_location("repo_gen", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["repo_gen"] = module
    spec.loader.exec_module(module)
    return module


repo_gen = load_generator()


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    completed = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True
    )
    return completed.stdout


def assert_parses(repo: Path, paths: list[str]) -> None:
    for path in paths:
        language = language_for_path(path)
        assert language is not None, path
        tree = parse((repo / path).read_bytes(), language)
        assert not tree.root_node.has_error, path


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("bench") / "repo"
    return repo_gen.generate_repo(path, commits=50, files=40, seed=3)


def test_makes_exactly_the_requested_number_of_commits(generated) -> None:
    assert generated.commits == 50
    assert git(generated.path, "rev-list", "--count", "HEAD").strip() == "50"
    assert git(generated.path, "rev-parse", "HEAD").strip() == generated.head


def test_history_has_many_authors_and_fix_commits(generated) -> None:
    authors = set(git(generated.path, "log", "--format=%an").splitlines())
    fixes = git(generated.path, "log", "-i", "--grep=fix", "--grep=bug", "--format=%s")
    assert len(authors) == generated.authors >= 3
    assert len(fixes.splitlines()) == generated.fix_commits >= 1


def test_commits_move_forward_in_time_over_the_span(generated) -> None:
    stamps = [int(s) for s in git(generated.path, "log", "--reverse", "--format=%at").split()]
    assert stamps == sorted(stamps)
    assert stamps[0] == repo_gen.START_EPOCH
    assert stamps[-1] - stamps[0] > 365 * 86_400


def test_every_generated_file_parses_in_all_five_languages(generated) -> None:
    files = git(generated.path, "ls-files").split()
    assert len(files) == generated.files
    assert {language_for_path(path) for path in files} == set(repo_gen.LANGUAGES)
    assert_parses(generated.path, files)


def test_files_hold_functions_of_varied_complexity(generated) -> None:
    text = "".join(
        (generated.path / path).read_text() for path in git(generated.path, "ls-files").split()
    )
    assert text.count("def ") + text.count("func ") + text.count("function ") > 100
    assert "for (int i = 0;" in text and "if result >" in text


def test_same_seed_same_commits_other_seed_other_commits(generated, tmp_path: Path) -> None:
    same = repo_gen.generate_repo(tmp_path / "same", commits=50, files=40, seed=3)
    other = repo_gen.generate_repo(tmp_path / "other", commits=50, files=40, seed=4)
    assert same.head == generated.head
    assert other.head != generated.head


def test_refuses_a_non_empty_folder_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="force"):
        repo_gen.generate_repo(tmp_path, commits=5, files=5)
    assert (tmp_path / "keep.txt").exists()
    info = repo_gen.generate_repo(tmp_path, commits=5, files=5, force=True)
    assert info.commits == 5 and not (tmp_path / "keep.txt").exists()


def test_rejects_unknown_languages(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="languages"):
        repo_gen.generate_repo(tmp_path / "x", commits=5, languages=("cobol",))


def test_a_subset_of_languages_is_honoured(tmp_path: Path) -> None:
    info = repo_gen.generate_repo(tmp_path / "r", commits=20, files=10, languages=("go", "java"))
    assert set(info.files_by_language) == {"go", "java"}


def test_change_in_the_work_tree_spreads_over_languages(tmp_path: Path) -> None:
    info = repo_gen.generate_repo(tmp_path / "r", commits=30, files=60)
    change = repo_gen.make_change(info.path, files=25, changed_lines=1000, seed=1)
    assert len(change.files) == 25
    assert {language_for_path(path) for path in change.files} == set(repo_gen.LANGUAGES)
    assert abs(change.changed_lines - 1000) <= 50
    changed = git(info.path, "diff", "--name-only", "HEAD").split()
    assert sorted(changed) == sorted(change.files)
    assert_parses(info.path, change.files)


def test_change_committed_on_a_branch(tmp_path: Path) -> None:
    info = repo_gen.generate_repo(tmp_path / "r", commits=20, files=30)
    change = repo_gen.make_change(
        info.path, files=10, changed_lines=400, mode="commit", branch="pr/big"
    )
    assert git(info.path, "rev-parse", "--abbrev-ref", "HEAD").strip() == "pr/big"
    assert git(info.path, "rev-list", "--count", "main..pr/big").strip() == "1"
    assert git(info.path, "status", "--porcelain") == ""
    assert abs(change.changed_lines - 400) <= 20
    assert_parses(info.path, change.files)


def test_change_creates_files_when_the_repository_has_too_few(tmp_path: Path) -> None:
    info = repo_gen.generate_repo(tmp_path / "r", commits=5, files=5)
    change = repo_gen.make_change(info.path, files=12, changed_lines=600)
    assert len(change.files) == 12
    assert_parses(info.path, change.files)
    assert len(git(info.path, "diff", "--name-only", "HEAD").split()) == 12


def test_change_size_scales_linearly(tmp_path: Path) -> None:
    sizes = []
    for lines in (1000, 4000):
        info = repo_gen.generate_repo(tmp_path / str(lines), commits=10, files=40)
        sizes.append(repo_gen.make_change(info.path, files=20, changed_lines=lines).changed_lines)
    assert 3.8 <= sizes[1] / sizes[0] <= 4.2


def test_large_python_file_has_exactly_the_lines_asked_for() -> None:
    text = repo_gen.make_large_python_file(3000)
    assert text.count("\n") == 3000
    assert text.count("\ndef ") >= 100
    assert not parse(text.encode(), "python").root_node.has_error


def test_command_line_prints_what_it_made(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(tmp_path / "cli"), "--commits", "12"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "commits: 12" in completed.stdout
    again = subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(tmp_path / "cli"), "--commits", "12"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 2 and "--force" in again.stderr
