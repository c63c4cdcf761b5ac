"""The demo repository built from examples/history by scripts/make_demo_repo.py."""

import importlib.util
import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from argus.core.lang.languages import language_for_path, parse

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "make_demo_repo.py"
FEATURE = "feature/bulk-discounts"


def build(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        check=False,
    )


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    completed = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True
    )
    return completed.stdout


def export(repo: Path, ref: str, target: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", ref], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "orders"
    completed = build(out)
    assert completed.returncode == 0, completed.stderr
    return out


def test_main_has_a_history_of_several_authors_with_fixes(demo: Path) -> None:
    subjects = git(demo, "log", "--format=%s", "main").splitlines()
    authors = set(git(demo, "log", "--format=%an", "main").splitlines())
    fixes = [subject for subject in subjects if subject.lower().startswith("fix")]
    assert len(subjects) >= 15
    assert len(fixes) >= 3
    assert len(authors) >= 3


def test_commit_dates_are_spread_over_months(demo: Path) -> None:
    dates = git(demo, "log", "--format=%ad", "--date=short", "--reverse", "main").split()
    assert dates[0] == "2026-05-01"
    assert dates == sorted(dates)
    assert len(set(dates)) == len(dates)
    assert dates[-1] >= "2026-08-01"


def test_work_tree_is_left_on_the_clean_feature_branch(demo: Path) -> None:
    assert git(demo, "rev-parse", "--abbrev-ref", "HEAD").strip() == FEATURE
    assert git(demo, "status", "--porcelain") == ""


def test_feature_branch_touches_python_and_javascript_files(demo: Path) -> None:
    changed = git(demo, "diff", "--name-only", f"main...{FEATURE}").split()
    assert len(changed) >= 3
    assert {Path(path).suffix for path in changed} >= {".py", ".js"}


def test_feature_branch_carries_the_documented_defects(demo: Path) -> None:
    diff = git(demo, "diff", "-U0", f"main...{FEATURE}")
    added = [line[1:] for line in diff.splitlines() if line.startswith("+")]
    removed = [line[1:].strip() for line in diff.splitlines() if line.startswith("-")]
    expected = [
        "for index in range(len(lines) + 1):",
        "if coupon == None:",
        "f\"SELECT percent FROM bulk_agreements WHERE customer = '{customer}'\"",
        "except:",
        "tags=[]",
        "_announce_bulk_discount(notifier, order, tags)",
        'handle = open(path, "w"',
        "const tiers = JSON.parse(response.body);",
        'if (customer.type == "wholesale") {',
        "} catch (error) {}",
    ]
    for fragment in expected:
        assert any(fragment in line for line in added), fragment
    assert "if record is None:" in removed
    announce = [line for line in added if "_announce_bulk_discount(notifier" in line]
    assert not any("await" in line for line in announce)


def test_every_source_file_parses_on_both_branches(demo: Path, tmp_path: Path) -> None:
    for ref in ("main", FEATURE):
        tree = export(demo, ref, tmp_path / ref.replace("/", "-"))
        sources = [p for p in tree.rglob("*") if p.is_file() and language_for_path(str(p))]
        assert len(sources) >= 10
        for source in sources:
            language = language_for_path(str(source))
            assert language is not None
            assert not parse(source.read_bytes(), language).root_node.has_error, source


@pytest.mark.parametrize("ref", ["main", FEATURE])
def test_the_example_service_tests_pass(demo: Path, tmp_path: Path, ref: str) -> None:
    tree = export(demo, ref, tmp_path / "service")
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tree,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert " passed" in completed.stdout


def test_build_is_deterministic(demo: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert build(again).returncode == 0
    for ref in ("main", FEATURE):
        assert git(again, "rev-parse", ref) == git(demo, "rev-parse", ref)


def test_refuses_to_overwrite_a_non_empty_folder(tmp_path: Path) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    refused = build(out)
    assert refused.returncode == 2
    assert "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert (out / "notes.txt").read_text() == "keep me"
    forced = build(out, "--force")
    assert forced.returncode == 0, forced.stderr
    assert not (out / "notes.txt").exists()
    assert git(out, "rev-parse", "--abbrev-ref", "HEAD").strip() == FEATURE


def test_an_empty_existing_folder_is_used(tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    assert build(out).returncode == 0


def load_script():
    spec = importlib.util.spec_from_file_location("make_demo_repo", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_demo_repo"] = module
    spec.loader.exec_module(module)
    return module


def test_a_step_without_author_is_reported_clearly(tmp_path: Path) -> None:
    module = load_script()
    step = tmp_path / "history" / "01-start"
    (step / "files").mkdir(parents=True)
    (step / "files" / "a.py").write_text("x = 1\n")
    (step / "commit.toml").write_text('date = "2026-05-01T09:00:00+00:00"\nmessage = "Start"\n')
    with pytest.raises(module.DemoRepoError, match="author"):
        module.build_demo_repo(tmp_path / "out", history=tmp_path / "history")


def write_step(history: Path, name: str, manifest: str, files: dict[str, str]) -> None:
    step = history / name
    (step / "files").mkdir(parents=True)
    (step / "commit.toml").write_text(manifest)
    for path, text in files.items():
        (step / "files" / path).parent.mkdir(parents=True, exist_ok=True)
        (step / "files" / path).write_text(text)


def test_steps_can_delete_files_and_branch(tmp_path: Path) -> None:
    module = load_script()
    history = tmp_path / "history"
    who = 'author = "Ada Lovelace <ada@example.org>"\n'
    write_step(
        history,
        "01-start",
        who + 'date = "2026-05-01T09:00:00+00:00"\nmessage = "Start"\n',
        {"a.py": "x = 1\n", "b.py": "y = 2\n"},
    )
    write_step(
        history,
        "02-drop",
        who + 'date = "2026-05-02T09:00:00+00:00"\nmessage = "Drop b"\ndelete = ["b.py"]\n',
        {},
    )
    write_step(
        history,
        "03-topic",
        who + 'branch = "topic"\ndate = "2026-05-03T09:00:00+00:00"\nmessage = "Topic"\n',
        {"a.py": "x = 3\n"},
    )
    repo = module.build_demo_repo(tmp_path / "out", history=history)
    assert [len(repo.commits["main"]), len(repo.commits["topic"])] == [2, 1]
    assert git(repo.path, "ls-tree", "--name-only", "main").split() == ["a.py"]
    assert git(repo.path, "show", "topic:a.py") == "x = 3\n"
    assert git(repo.path, "log", "-1", "--format=%an <%ae> %aI", "main").strip() == (
        "Ada Lovelace <ada@example.org> 2026-05-02T09:00:00+00:00"
    )
