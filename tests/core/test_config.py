from pathlib import Path

import pytest

from argus.core.config import ConfigFileError, check_config, load_config, load_repository_config
from argus.core.predict.findings import RiskLevel
from argus.core.predict.rules import registered_rules


def test_absent_or_empty_file_gives_the_defaults():
    assert load_config(None) == load_config(b"") == load_config(b"# nothing\n")


def test_every_setting_is_read():
    config = load_config(
        b"thresholds: {medium: 0.2, high: 0.5}\n"
        b"fail_on: medium\n"
        b"ignore: ['docs/**']\n"
        b"rules:\n"
        b"  PY010: on\n"
        b"  py013: off\n"
        b"  PY003: error\n"
    )
    assert (config.thresholds.medium, config.thresholds.high) == (0.2, 0.5)
    assert config.fail_on is RiskLevel.MEDIUM and config.ignores("docs/a.md")
    assert config.rules.enable == {"PY010", "PY003"} and config.rules.disable == {"PY013"}
    assert config.level_of("PY003") == "error" and config.level_of("PY010") is None
    rules = {rule.id: rule for rule in registered_rules()}
    assert config.rules.includes(rules["PY010"]) and not config.rules.includes(rules["PY013"])


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (b"fail_on: [high\n", 2, "not valid YAML"),
        (b"- a list\n", 1, "must be a mapping"),
        (b"fail_on: high\nfail_on_typo: high\n", 2, "unknown setting 'fail_on_typo'"),
        (b"fail_on: sometimes\n", 1, "fail_on: use low, medium or high"),
        (b"\n\nthresholds: {medium: 0.9, high: 0.1}\n", 3, "thresholds"),
        (b"rules:\n  PY003: loud\n", 2, "use on, off, note, warning or error"),
        (b"rules:\n  XX1: off\n", 2, "unknown rule 'XX1'"),
        (b"generate_tests: maybe\n", 1, "true or false"),
        (b"\xff\xfe", 0, "not UTF-8"),
    ],
)
def test_each_mistake_is_reported_with_its_line(text, line, words):
    (problem,) = check_config(text)
    assert problem.line == line and words in problem.message
    with pytest.raises(ConfigFileError) as raised:
        load_config(text)
    assert f".argus.yml:{line}:" in str(raised.value)


def test_several_mistakes_are_all_reported_in_line_order():
    problems = check_config(b"colour: blue\nfail_on: never\nrules:\n  PY003: on\n  NOPE: on\n")
    assert [problem.line for problem in problems] == [1, 2, 5]


def test_the_repository_root_file_and_gitattributes_are_found(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".argus.yml").write_text("rules:\n  PY013: off\n")
    (tmp_path / ".gitattributes").write_text("gen/** linguist-generated\n")
    nested = tmp_path / "src" / "pkg"
    nested.mkdir(parents=True)
    config, attributes = load_repository_config(nested)
    assert config.rules.disable == {"PY013"}
    assert attributes.value("gen/x.py", "linguist-generated") is True
    (tmp_path / ".argus.yml").write_text("rules: [PY013]\n")
    with pytest.raises(ConfigFileError) as raised:
        load_repository_config(nested)
    assert raised.value.exit_code == 2 and ".argus.yml:1: rules:" in str(raised.value)
