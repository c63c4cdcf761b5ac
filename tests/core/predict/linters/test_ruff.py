"""Ruff inside the review: the changed lines only, the repository's configuration, suppressions,
.argus.yml, and one warning (never a crash) when ruff is missing, broken or slow."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from argus.core.config import load_config
from argus.core.diff import changeset_for_review
from argus.core.diff.blobs import read_blobs, read_worktree_files
from argus.core.predict.findings import Review
from argus.core.predict.linters import ruff_config_paths
from argus.core.predict.linters.ruff import RuffRun, config_paths, default_codes, is_ruff_config
from argus.core.predict.review import Sources
from argus.core.predict.rules import registered_rules
from argus.core.predict.service import ReviewService, ServiceOptions
from argus.core.report import describe_rules, render
from tests.core.report import sarif_multitool

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ada Tester",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Tester",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}
BEFORE = "def kept(y=[]):\n    return y\n"
AFTER = BEFORE + "\n\ndef added(x=[]):\n    x == 1\n    return x\n"
SELECT_B = '[tool.ruff.lint]\nselect = ["B"]\n'


def git(repo: Path, *args: str) -> None:
    env = {**os.environ, **GIT_ENV, "HOME": str(repo)}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def repository(
    root: Path, after: str = AFTER, files: dict[str, str] | None = None, path: str = "m.py"
) -> Path:
    """A repository whose committed ``path`` holds BEFORE and whose working tree holds
    ``after``; ``files`` are committed alongside (the ruff configuration)."""
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(BEFORE)
    for name, text in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "initial import")
    target.write_text(after)
    return root


def review_of(repo: Path, options: ServiceOptions | None = None) -> Review:
    """The review of the working tree's change; by default with PY016 off, so ruff's B015 on
    the same line is not left out as said already (that is tested on its own)."""
    if options is None:
        options = ServiceOptions(rules=load_config("rules: {PY016: off}").rules)
    changeset = changeset_for_review(repo, "HEAD", None)
    paths = [f.path for f in changeset.files]
    sources = Sources(old=read_blobs(repo, "HEAD", paths), new=read_worktree_files(repo, paths))
    with ReviewService(repo, use_history=False) as service:
        return service.review(changeset, sources, options)


def ruff_findings(review: Review) -> list[tuple[str, int]]:
    return sorted((b.rule_id, b.line) for b in review.bugs if b.rule_id.startswith("ruff:"))


def test_a_mutable_default_added_is_found_on_that_line_only(tmp_path: Path) -> None:
    repo = repository(tmp_path / "repo", files={"pyproject.toml": SELECT_B})
    review = review_of(repo)
    # Line 1 has the same mutable default, unchanged: not the change's business.
    assert ruff_findings(review) == [("ruff:B006", 5), ("ruff:B015", 6)]
    finding = next(b for b in review.bugs if b.rule_id == "ruff:B006")
    assert finding.path == "m.py" and finding.language == "python"
    assert "mutable" in finding.message.lower()
    assert finding.help_uri == "https://docs.astral.sh/ruff/rules/mutable-argument-default"
    assert finding.fix is None  # ruff's fix for B006 is unsafe: it changes the meaning
    assert review.warnings == ()


def test_the_repository_ruff_configuration_that_ignores_a_rule_is_obeyed(tmp_path: Path) -> None:
    config = SELECT_B + 'ignore = ["B006"]\n'
    repo = repository(tmp_path / "repo", files={"pyproject.toml": config})
    assert ruff_findings(review_of(repo)) == [("ruff:B015", 6)]


def test_a_configuration_in_the_file_s_folder_applies(tmp_path: Path) -> None:
    files = {"pyproject.toml": SELECT_B, "pkg/ruff.toml": '[lint]\nselect = ["F"]\n'}
    repo = repository(tmp_path / "repo", files=files, path="pkg/m.py")
    assert ruff_findings(review_of(repo)) == []


def test_noqa_on_the_line_silences_ruff(tmp_path: Path) -> None:
    after = BEFORE + "\n\ndef added(x=[]):  # noqa: B006\n    x == 1  # noqa\n    return x\n"
    repo = repository(tmp_path / "repo", after=after, files={"pyproject.toml": SELECT_B})
    assert ruff_findings(review_of(repo)) == []


def test_argus_own_ignore_comment_covers_a_ruff_rule(tmp_path: Path) -> None:
    after = BEFORE + "\n\ndef added(x=[]):  # argus: ignore[ruff:B006]\n    x == 1\n    return x\n"
    repo = repository(tmp_path / "repo", after=after, files={"pyproject.toml": SELECT_B})
    assert ruff_findings(review_of(repo)) == [("ruff:B015", 6)]


def test_without_a_ruff_configuration_ruff_stays_silent(tmp_path: Path) -> None:
    # No rule is handed over to ruff (B015 fires inside pytest.raises, PY016 does not).
    assert default_codes() == ()
    by_id = {rule.id: rule for rule in registered_rules()}
    assert by_id["PY016"].default_on
    review = review_of(repository(tmp_path / "repo"), ServiceOptions())
    assert ruff_findings(review) == []
    assert [(b.rule_id, b.line) for b in review.bugs] == [("PY016", 6)]


def test_a_ruff_finding_that_restates_an_argus_one_on_its_line_is_said_once(
    tmp_path: Path,
) -> None:
    repo = repository(tmp_path / "repo", files={"pyproject.toml": SELECT_B})
    review = review_of(repo, ServiceOptions())
    assert sorted((b.rule_id, b.line) for b in review.bugs) == [("PY016", 6), ("ruff:B006", 5)]


def test_argus_yml_turns_ruff_or_one_of_its_rules_off_and_sets_levels(tmp_path: Path) -> None:
    repo = repository(tmp_path / "repo", files={"pyproject.toml": SELECT_B})

    def with_config(text: str) -> Review:
        config = load_config(text)
        options = ServiceOptions(rules=config.rules, rule_levels=dict(config.rule_levels))
        return review_of(repo, options)

    assert ruff_findings(with_config("rules: {ruff: off}")) == []
    assert ruff_findings(with_config("rules: {ruff:B006: off, PY016: off}")) == [("ruff:B015", 6)]
    assert ruff_findings(with_config("rules:\n  ruff: off\n  ruff:b006: on\n")) == [
        ("ruff:B006", 5)
    ]
    levels = {b.rule_id: b.level for b in with_config("rules: {ruff: error, PY016: off}").bugs}
    assert levels == {"ruff:B006": "error", "ruff:B015": "error"}


def test_a_safe_fix_becomes_the_finding_s_fix(tmp_path: Path) -> None:
    after = BEFORE + "\n\ndef added(x):\n    if x is 1:\n        return x\n"
    config = '[tool.ruff.lint]\nselect = ["F632"]\n'
    repo = repository(tmp_path / "repo", after=after, files={"pyproject.toml": config})
    review = review_of(repo)
    (finding,) = review.bugs
    assert (finding.rule_id, finding.line) == ("ruff:F632", 6)
    assert finding.fix is not None
    assert (finding.fix.first_line, finding.fix.last_line) == (6, 6)
    assert finding.fix.original == "    if x is 1:"
    assert finding.fix.replacement == "    if x == 1:"
    sarif = json.loads(render(review, "sarif"))
    assert sarif["runs"][0]["results"][0]["fixes"]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (None, "ruff is not installed"),
        ("#!/bin/sh\necho 'ruff failed: boom' >&2\nexit 2\n", "ruff could not check the change"),
        ("#!/bin/sh\necho 'not json'\n", "could not be read"),
    ],
)
def test_a_missing_or_broken_ruff_leaves_one_warning_and_the_review(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str | None, expected: str
) -> None:
    binary = tmp_path / "ruff"
    if script is not None:
        binary.write_text(script)
        binary.chmod(0o755)
    monkeypatch.setattr(
        "argus.core.predict.linters.ruff.find_ruff", lambda: str(binary) if script else None
    )
    review = review_of(repository(tmp_path / "repo", files={"pyproject.toml": SELECT_B}))
    assert ruff_findings(review) == []
    assert [w for w in review.warnings if "ruff" in w] == [review.warnings[-1]]
    assert expected in review.warnings[-1]
    assert review.symbols  # the review itself still ran


def test_a_slow_ruff_is_stopped_at_its_timeout(tmp_path: Path) -> None:
    binary = tmp_path / "ruff"
    binary.write_text("#!/bin/sh\nexec sleep 30\n")
    binary.chmod(0o755)
    run = RuffRun(
        {"m.py": b"x == 1\n"},
        {"m.py": frozenset({1})},
        {"pyproject.toml": SELECT_B.encode()},
        timeout=0.3,
        binary=lambda: str(binary),
    )
    assert run.result() == ([], ["ruff did not finish within 0.3 s; its rules were not checked"])


def test_a_failure_message_never_shows_paths_outside_the_change(tmp_path: Path) -> None:
    binary = tmp_path / "ruff"
    binary.write_text("#!/bin/sh\necho 'Failed to parse /etc/secret: line SECRET=1' >&2\nexit 2\n")
    binary.chmod(0o755)
    configs = {"pyproject.toml": SELECT_B.encode()}
    run = RuffRun({"m.py": b"x\n"}, {"m.py": frozenset({1})}, configs, binary=lambda: str(binary))
    (_, warnings) = run.result()
    assert warnings == ["ruff could not check the change (exit status 2: see the log for details)"]


def test_paths_that_leave_the_folder_are_never_written(tmp_path: Path) -> None:
    run = RuffRun({"../escape.py": b"x == 1\n", "/abs.py": b"x == 1\n"}, {}, {})
    assert run.result() == ([], [])
    assert not (tmp_path.parent / "escape.py").exists()


def test_configuration_paths_and_what_counts_as_a_ruff_configuration() -> None:
    assert config_paths(["a/b/m.py"]) == [
        ".ruff.toml",
        "a/.ruff.toml",
        "a/b/.ruff.toml",
        "a/b/pyproject.toml",
        "a/b/ruff.toml",
        "a/pyproject.toml",
        "a/ruff.toml",
        "pyproject.toml",
        "ruff.toml",
    ]
    assert is_ruff_config("pyproject.toml", b"[project]\nname='x'\n[tool.ruff.lint]\n")
    assert not is_ruff_config("pyproject.toml", b"[project]\nname='x'\n")
    assert is_ruff_config("sub/ruff.toml", b"")


def test_the_app_s_configuration_paths_are_those_of_changed_python_files(tmp_path: Path) -> None:
    repo = repository(tmp_path / "repo", files={"pyproject.toml": SELECT_B})
    changeset = changeset_for_review(repo, "HEAD", None)
    assert ruff_config_paths(changeset) == [".ruff.toml", "pyproject.toml", "ruff.toml"]
    # Fetched configuration files (the App) take the place of the repository's.
    options = ServiceOptions(linter_configs={"ruff.toml": b'[lint]\nselect = ["B006"]\n'})
    assert ruff_findings(review_of(repo, options)) == [("ruff:B006", 5)]


def test_ruff_findings_validate_as_sarif(tmp_path: Path) -> None:
    repo = repository(tmp_path / "repo", files={"pyproject.toml": SELECT_B})
    review = review_of(repo)
    text = render(review, "sarif", rules=describe_rules(registered_rules()))
    run = json.loads(text)["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert rules["ruff:B006"]["helpUri"].startswith("https://docs.astral.sh/ruff/rules/")
    sarif_file = tmp_path / "review.sarif"
    sarif_file.write_text(text)
    assert sarif_multitool.validate(sarif_file, tmp_path / "validation.sarif") == []


def test_a_measured_ruff_rule_weighs_in_the_risk_as_its_argus_twin_did(tmp_path: Path) -> None:
    config = '[tool.ruff.lint]\nselect = ["B015"]\n'
    repo = repository(tmp_path / "repo", files={"pyproject.toml": config})
    with_ruff = review_of(repo)
    as_argus = review_of(
        repo, ServiceOptions(rules=load_config("rules: {ruff: off, PY016: on}").rules)
    )
    assert [b.rule_id for b in as_argus.bugs] == ["PY016"]
    ruff_added = next(s for s in with_ruff.symbols if s.name == "added")
    argus_added = next(s for s in as_argus.symbols if s.name == "added")
    assert round(ruff_added.probability, 6) == round(argus_added.probability, 6)
    assert round(with_ruff.probability, 6) == round(as_argus.probability, 6)
    assert ruff_added.factors[0].text == "1 predicted bug (ruff:B015)"


def test_an_unmeasured_ruff_rule_is_shown_but_leaves_the_risk_alone(tmp_path: Path) -> None:
    after = BEFORE + "\n\ndef added(x):\n    import os\n    return x\n"
    config = '[tool.ruff.lint]\nselect = ["F401"]\n'
    repo = repository(tmp_path / "repo", after=after, files={"pyproject.toml": config})
    shown = review_of(repo)
    silent = review_of(repo, ServiceOptions(rules=load_config("rules: {ruff: off}").rules))
    assert [(b.rule_id, b.confidence) for b in shown.bugs] == [("ruff:F401", 0.5)]
    assert shown.probability == silent.probability
    assert [s.probability for s in shown.symbols] == [s.probability for s in silent.symbols]


def test_ruff_findings_fit_the_json_report_schema(tmp_path: Path) -> None:
    import jsonschema

    from argus.core.report import review_schema

    config = '[tool.ruff.lint]\nselect = ["B", "F401"]\n'
    after = AFTER + "import os\n"
    repo = repository(tmp_path / "repo", after=after, files={"pyproject.toml": config})
    document = json.loads(render(review_of(repo), "json"))
    jsonschema.validate(document, review_schema())
    assert sorted(b["rule_id"] for b in document["bugs"]) == ["ruff:B006", "ruff:B015", "ruff:F401"]


def test_argus_yml_names_linters_and_their_rules_and_rejects_others() -> None:
    from argus.core.config import check_config

    assert check_config("rules:\n  ruff: off\n  eslint: warning\n  ruff:e711: on\n") == []
    assert load_config("rules: {ruff:e711: on}").rules.enable == frozenset({"ruff:E711"})
    assert load_config("rules: {eslint:no-Empty: off}").rules.disable == frozenset(
        {"eslint:no-Empty"}
    )
    problems = check_config("rules:\n  pylint: off\n  'ruff:': off\n")
    assert [problem.line for problem in problems] == [2, 3]
