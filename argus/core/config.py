"""The one loader of a repository's ``.argus.yml``, shared by the CLI, the editor and the App.

Every setting has a default. A file with a mistake is never half-applied: :func:`load_config`
raises :class:`ConfigFileError` listing each mistake with its line, and :func:`check_config`
returns those mistakes for ``argus config check``. Front-ends decide what a broken file means
for them (the CLI exits 2, the App posts one check-run message, the editor shows one warning).

Example::

    thresholds: {medium: 0.35, high: 0.6}
    fail_on: high
    ignore: ["docs/**", "migrations/*.py"]
    rules:
      PY010: on          # turn an opt-in rule on
      PY013: off         # turn a rule off
      PY003: error       # on, reported at this level (note, warning, error)
      ruff: off          # the repository's ruff (or eslint) inside the review: off
      ruff:B006: on      # one linter rule: on (also when its linter is off), off or a level
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from argus.core.classify import GitAttributes
from argus.core.errors import ConfigError
from argus.core.predict.findings import LevelThresholds, RiskLevel
from argus.core.predict.linters import normalise_rule_id
from argus.core.predict.rules import RuleSelection, registered_rules
from argus.core.router.generation import Tier

CONFIG_PATH = ".argus.yml"
KEYS = ("thresholds", "fail_on", "ignore", "languages", "generate_tests", "max_tier", "rules")
RULE_LEVELS = ("note", "warning", "error")
_ON = ("on", "true", "enabled", "yes")
_OFF = ("off", "false", "disabled", "no")


@dataclass(frozen=True)
class ConfigProblem:
    """One mistake in the file: 1-based line (0 when the file as a whole is wrong) and what."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"{CONFIG_PATH}:{self.line}: {self.message}"


class ConfigFileError(ConfigError):
    """``.argus.yml`` has mistakes; ``problems`` says where and what."""

    def __init__(self, problems: list[ConfigProblem], path: Path | None = None) -> None:
        self.problems = tuple(problems)
        self.path = path
        name = str(path) if path is not None else CONFIG_PATH
        where = [f"{name}:{problem.line}: {problem.message}" for problem in problems]
        super().__init__("; ".join(where))


@dataclass(frozen=True)
class RepoConfig:
    """What ``.argus.yml`` sets; every field has a default.

    ``fail_on`` is the risk level at or above which a CI check fails (None: never).
    ``rule_levels`` maps a rule id to the level its findings are reported at.
    ``note`` is set by a front-end that fell back to the defaults, saying why.
    """

    thresholds: LevelThresholds = field(default_factory=LevelThresholds)
    fail_on: RiskLevel | None = None
    ignore: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    generate_tests: bool = False
    max_tier: Tier | None = None
    rules: RuleSelection = field(default_factory=RuleSelection)
    rule_levels: tuple[tuple[str, str], ...] = ()
    note: str | None = None

    def ignores(self, path: str, extra: tuple[str, ...] | list[str] = ()) -> bool:
        """Whether ``path`` matches an ignore glob (the file's or ``extra`` ones)."""
        return any(fnmatch.fnmatch(path, glob) for glob in (*self.ignore, *extra))

    def level_of(self, rule_id: str) -> str | None:
        """The level ``.argus.yml`` sets for a rule's findings, None when it sets none."""
        return dict(self.rule_levels).get(rule_id)


def check_config(text: bytes | str) -> list[ConfigProblem]:
    """Every mistake in a ``.argus.yml`` text, each with its line; empty when it is valid."""
    try:
        _parse(text)
    except ConfigFileError as error:
        return list(error.problems)
    return []


def load_config(text: bytes | str | None) -> RepoConfig:
    """The settings in ``text`` (defaults when None or empty); raises ConfigFileError."""
    if text is None:
        return RepoConfig()
    return _parse(text)


def find_config(start: Path) -> Path | None:
    """The ``.argus.yml`` at the root of the git repository holding ``start``, if any."""
    current = start.resolve()
    for folder in (current, *current.parents):
        candidate = folder / CONFIG_PATH
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists():
            return None
    return None


class _Collector:
    def __init__(self) -> None:
        self.problems: list[ConfigProblem] = []

    def add(self, node: yaml.Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 0
        self.problems.append(ConfigProblem(line, message))


def _parse(text: bytes | str) -> RepoConfig:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ConfigFileError([ConfigProblem(0, f"not UTF-8 text ({error.reason})")]) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigFileError([ConfigProblem(line, f"not valid YAML: {problem}")]) from None
    if root is None:
        return RepoConfig()
    collector = _Collector()
    if not isinstance(root, yaml.MappingNode):
        collector.add(root, "the file must be a mapping of settings (key: value)")
        raise ConfigFileError(collector.problems)
    values: dict[str, Any] = {}
    nodes: dict[str, yaml.Node] = {}
    for key_node, value_node in root.value:
        key = str(key_node.value)
        if key not in KEYS:
            collector.add(key_node, f"unknown setting {key!r}; known: {', '.join(KEYS)}")
            continue
        nodes[key] = value_node
        values[key] = yaml.SafeLoader(text).construct_object(value_node, deep=True)
    config = _build(values, nodes, collector)
    if collector.problems:
        raise ConfigFileError(sorted(collector.problems, key=lambda problem: problem.line))
    return config


def _build(values: dict[str, Any], nodes: dict[str, yaml.Node], problems: _Collector) -> RepoConfig:
    thresholds = LevelThresholds()
    if "thresholds" in values:
        raw = values["thresholds"]
        try:
            if not isinstance(raw, dict) or set(map(str, raw)) - {"medium", "high"}:
                raise ValueError
            medium = float(raw.get("medium", thresholds.medium))
            high = float(raw.get("high", thresholds.high))
            if not 0 <= medium <= high <= 1:
                raise ValueError
            thresholds = LevelThresholds(medium=medium, high=high)
        except (TypeError, ValueError):
            problems.add(
                nodes["thresholds"],
                "thresholds: give medium and high, with 0 <= medium <= high <= 1",
            )
    fail_on = None
    if values.get("fail_on") is not None:
        try:
            fail_on = RiskLevel(str(values["fail_on"]).lower())
        except ValueError:
            problems.add(nodes["fail_on"], "fail_on: use low, medium or high")
    max_tier = None
    if values.get("max_tier"):
        try:
            max_tier = Tier(str(values["max_tier"]).lower())
        except ValueError:
            tiers = ", ".join(tier.value for tier in Tier)
            problems.add(nodes["max_tier"], f"max_tier: use one of {tiers}")
    generate_tests = values.get("generate_tests", False)
    if not isinstance(generate_tests, bool):
        problems.add(nodes["generate_tests"], "generate_tests: use true or false")
        generate_tests = False
    selection, levels = _rules(values.get("rules"), nodes.get("rules"), problems)
    return RepoConfig(
        thresholds=thresholds,
        fail_on=fail_on,
        ignore=_strings(values.get("ignore"), "ignore", nodes.get("ignore"), problems),
        languages=tuple(
            item.lower()
            for item in _strings(
                values.get("languages"), "languages", nodes.get("languages"), problems
            )
        ),
        generate_tests=generate_tests,
        max_tier=max_tier,
        rules=selection,
        rule_levels=levels,
    )


def _strings(
    value: object, name: str, node: yaml.Node | None, problems: _Collector
) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        problems.add(node, f"{name}: give a list of strings")
        return ()
    return tuple(value)


def _rules(
    value: object, node: yaml.Node | None, problems: _Collector
) -> tuple[RuleSelection, tuple[tuple[str, str], ...]]:
    if value is None:
        return RuleSelection(), ()
    if not isinstance(value, dict) or not isinstance(node, yaml.MappingNode):
        problems.add(node, "rules: map rule ids to on, off, note, warning or error")
        return RuleSelection(), ()
    known = {rule.id for rule in registered_rules()}
    enable: set[str] = set()
    disable: set[str] = set()
    levels: list[tuple[str, str]] = []
    for key_node, value_node in node.value:
        linter_rule = normalise_rule_id(str(key_node.value))
        rule_id = linter_rule or str(key_node.value).upper()
        setting = str(value_node.value).lower() if isinstance(value_node, yaml.ScalarNode) else ""
        if rule_id not in known and linter_rule is None:
            problems.add(key_node, f"rules: unknown rule {key_node.value!r} (see docs/rules.md)")
            continue
        if setting in _ON:
            enable.add(rule_id)
        elif setting in _OFF:
            disable.add(rule_id)
        elif setting in RULE_LEVELS:
            enable.add(rule_id)
            levels.append((rule_id, setting))
        else:
            problems.add(
                value_node,
                f"rules: {rule_id}: use on, off, note, warning or error, not {value_node.value!r}",
            )
    return RuleSelection(enable=frozenset(enable), disable=frozenset(disable)), tuple(levels)


def load_repository_config(start: Path) -> tuple[RepoConfig, GitAttributes]:
    """``.argus.yml`` and ``.gitattributes`` at the root of the repository holding ``start``.

    Defaults when the files are absent; raises ConfigFileError (naming each mistake's line)
    when ``.argus.yml`` is malformed, so a front-end never applies defaults silently.
    """
    path = find_config(start)
    config = RepoConfig()
    if path is not None:
        try:
            config = load_config(path.read_bytes())
        except ConfigFileError as error:
            raise ConfigFileError(list(error.problems), path) from None
    root = path.parent if path is not None else _repository_root(start)
    attributes_file = root / ".gitattributes" if root is not None else None
    text = attributes_file.read_bytes() if attributes_file and attributes_file.is_file() else None
    return config, GitAttributes.parse(text)


def _repository_root(start: Path) -> Path | None:
    current = start.resolve()
    for folder in (current, *current.parents):
        if (folder / ".git").exists():
            return folder
    return None
