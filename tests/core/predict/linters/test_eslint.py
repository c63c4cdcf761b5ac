"""The repository's own ESLint inside the review: the changed lines only, nothing when the
repository has none. ESLint comes from the extension's node_modules (installed by ``make
vsix``), linked into a tiny repository."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from argus.core.diff import changeset_for_review
from argus.core.diff.blobs import read_blobs, read_worktree_files
from argus.core.predict.findings import Review
from argus.core.predict.linters.eslint import EslintRun, has_eslint
from argus.core.predict.review import Sources
from argus.core.predict.service import ReviewService
from tests.core.predict.linters.test_ruff import git

EXTENSION_MODULES = Path(__file__).resolve().parents[4] / "vscode-extension" / "node_modules"
CONFIG = (
    "module.exports = [{ rules: { eqeqeq: 'error', 'no-var': 'error', 'no-empty': 'error' } }];\n"
)
BEFORE = "var kept = 1 == 2;\n"
AFTER = BEFORE + "if (kept == null) {}\nconst fine = kept === 3;\n"


@pytest.fixture
def eslint_modules() -> Path:
    if shutil.which("node") is None or not (EXTENSION_MODULES / "eslint").is_dir():
        pytest.fail("ESLint is not installed; run: make -f make/vscode.mk vscode-lint")
    return EXTENSION_MODULES


def repository(root: Path, modules: Path | None, config: bool = True) -> Path:
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "app.js").write_text(BEFORE)
    if config:
        (root / "eslint.config.js").write_text(CONFIG)
    (root / ".gitignore").write_text("node_modules\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "initial import")
    if modules is not None:
        (root / "node_modules").symlink_to(modules, target_is_directory=True)
    (root / "app.js").write_text(AFTER)
    return root


def review_of(repo: Path) -> Review:
    changeset = changeset_for_review(repo, "HEAD", None)
    paths = [f.path for f in changeset.files]
    sources = Sources(old=read_blobs(repo, "HEAD", paths), new=read_worktree_files(repo, paths))
    with ReviewService(repo, use_history=False) as service:
        return service.review(changeset, sources)


def test_eslint_findings_on_the_changed_lines_only(tmp_path: Path, eslint_modules: Path) -> None:
    review = review_of(repository(tmp_path / "repo", eslint_modules))
    found = sorted((b.rule_id, b.line) for b in review.bugs if b.rule_id.startswith("eslint:"))
    # Line 1's `var` and `==` are unchanged: not reported.
    assert found == [("eslint:eqeqeq", 2), ("eslint:no-empty", 2)]
    eqeqeq = next(b for b in review.bugs if b.rule_id == "eslint:eqeqeq")
    assert eqeqeq.path == "app.js" and "===" in eqeqeq.message
    assert eqeqeq.help_uri == "https://eslint.org/docs/latest/rules/eqeqeq"
    assert not [w for w in review.warnings if "ESLint" in w]


def test_no_eslint_in_the_repository_means_nothing_at_all(tmp_path: Path) -> None:
    without_modules = repository(tmp_path / "none", None)
    assert not has_eslint(without_modules)
    review = review_of(without_modules)
    assert not [b for b in review.bugs if b.rule_id.startswith("eslint:")]
    assert not [w for w in review.warnings if "ESLint" in w]


def test_eslint_without_a_configuration_is_not_run(tmp_path: Path, eslint_modules: Path) -> None:
    assert not has_eslint(repository(tmp_path / "repo", eslint_modules, config=False))


def test_an_eslint_fix_becomes_the_finding_s_fix(tmp_path: Path, eslint_modules: Path) -> None:
    repo = repository(tmp_path / "repo", eslint_modules)
    source = b"let a = 1;\nvar b = a;\n"
    run = EslintRun(repo, {"app.js": source}, {"app.js": frozenset({2})})
    findings, warnings = run.result()
    assert warnings == []
    (finding,) = findings
    assert finding.rule_id == "eslint:no-var" and finding.fix is not None
    assert finding.fix.original == "var b = a;"
    assert finding.fix.replacement == "let b = a;"


def test_a_broken_configuration_is_one_warning(tmp_path: Path, eslint_modules: Path) -> None:
    repo = repository(tmp_path / "repo", eslint_modules)
    (repo / "eslint.config.js").write_text("module.exports = [{ rules: { 'no-such-rule': 2 } }];")
    review = review_of(repo)
    assert not [b for b in review.bugs if b.rule_id.startswith("eslint:")]
    assert len([w for w in review.warnings if "ESLint" in w]) == 1
