"""The repository's linters inside the review: ruff for Python, its own ESLint for JS/TS.

Argus's own rules are for what a linter cannot see (the change itself); the patterns a linter
already knows are left to the linter, run once per review on the changed files and restricted
to the changed lines. Their findings are named ``ruff:CODE`` / ``eslint:rule``, shown in every
report like Argus's own, obey ``.argus.yml`` (``rules: {ruff: off}``, ``ruff:B006: off``,
``eslint: warning``) and the same suppression comments, and do not change the risk score
(their precision on real code is not what the risk model was calibrated on).

:func:`start_linters` starts the processes and returns at once, so they run while the review
parses and scores the change; :meth:`LinterRuns.result` collects them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from argus.core.classify import GitAttributes, classify
from argus.core.diff.changeset import ChangeSet, FileStatus
from argus.core.errors import ArgusError
from argus.core.predict.findings import BugFinding
from argus.core.predict.linters.eslint import EslintRun, is_script
from argus.core.predict.linters.ruff import RuffRun, config_paths
from argus.core.predict.rules.suppress import file_is_suppressed, is_suppressed

LINTERS = ("ruff", "eslint")
"""The linter names ``.argus.yml`` knows (``rules: {ruff: off}``)."""


def linter_of(rule_id: str) -> str | None:
    """``ruff`` for ``ruff:B006``, ``eslint`` for ``eslint:no-empty``, None for Argus's rules."""
    name, separator, _ = rule_id.partition(":")
    return name if separator and name in LINTERS else None


def normalise_rule_id(key: str) -> str | None:
    """A linter's rule key of ``.argus.yml`` as findings name it (``ruff``, ``ruff:B006``,
    ``eslint:no-empty``); None when the key is not a linter's."""
    name, separator, code = key.partition(":")
    name = name.lower()
    if name not in LINTERS:
        return None
    if not separator:
        return name
    if not code:
        return None
    return f"{name}:{code.upper()}" if name == "ruff" else f"{name}:{code}"


def ruff_config_paths(changeset: ChangeSet) -> list[str]:
    """Where the repository's ruff configuration for this change may be (for a front-end that
    fetches files, the App)."""
    return config_paths(f.new_path for f in _wanted(changeset) if f.new_path.endswith(".py"))


def _wanted(changeset: ChangeSet) -> list[_Changed]:
    wanted = []
    for change in changeset.files:
        if change.is_binary or change.status is FileStatus.DELETED or not change.new_path:
            continue
        if not change.added_lines:
            continue
        wanted.append(_Changed(change.new_path, frozenset(change.added_lines)))
    return wanted


class _Changed:
    __slots__ = ("added", "new_path")

    def __init__(self, new_path: str, added: frozenset[int]) -> None:
        self.new_path = new_path
        self.added = added


class LinterRuns:
    """The linters started for one review."""

    def __init__(
        self,
        ruff: RuffRun | None,
        eslint: EslintRun | None,
        sources: Mapping[str, bytes],
        enabled: Callable[[str], bool],
        levels: Mapping[str, str],
        problems: tuple[str, ...] = (),
    ) -> None:
        """Hold the started runs; ``sources`` are the post-images the suppressions are read in."""
        self._runs = [run for run in (ruff, eslint) if run is not None]
        self._problems = problems
        self._sources = sources
        self._enabled = enabled
        self._levels = levels

    def result(self) -> tuple[list[BugFinding], list[str]]:
        """The linters' findings (selected, unsuppressed, at their levels) and warnings."""
        findings: list[BugFinding] = []
        warnings: list[str] = list(self._problems)
        for run in self._runs:
            found, problems = run.result()
            warnings.extend(problems)
            for finding in found:
                if not self._enabled(finding.rule_id) or self._suppressed(finding):
                    continue
                level = self._levels.get(finding.rule_id) or self._levels.get(
                    linter_of(finding.rule_id) or ""
                )
                findings.append(replace(finding, level=level) if level else finding)
        return findings, warnings

    def cancel(self) -> None:
        """Stop the linters (the review failed): no process or temporary folder is left."""
        for run in self._runs:
            run.cancel()

    def _suppressed(self, finding: BugFinding) -> bool:
        lines = self._sources.get(finding.path, b"").split(b"\n")

        def line_text(number: int) -> str:
            if not 1 <= number <= len(lines):
                return ""
            return lines[number - 1].decode("utf-8", "replace").rstrip("\r")

        return is_suppressed(finding.rule_id, finding.line, line_text)


def start_linters(
    changeset: ChangeSet,
    new_sources: Mapping[str, bytes | None],
    *,
    root: Path | None,
    read_files: Callable[[list[str]], Mapping[str, bytes | None]] | None,
    enabled: Callable[[str], bool],
    levels: Mapping[str, str] | None = None,
    attributes: GitAttributes | None = None,
    ruff_binary: Callable[[], str | None] | None = None,
) -> LinterRuns:
    """Start ruff on the changed Python files and the repository's ESLint (when ``root`` has
    one) on the changed JS/TS files; ``read_files(paths)`` reads repository files (the ruff
    configuration) on the reviewed side, None for an absent one; ``enabled(rule_id)`` says whether
    ``.argus.yml`` lets a linter (``"ruff"``) or one of its rules (``"ruff:B006"``) speak."""
    python: dict[str, bytes] = {}
    scripts: dict[str, bytes] = {}
    changed: dict[str, frozenset[int]] = {}
    for change in _wanted(changeset):
        source = new_sources.get(change.new_path)
        if source is None:
            continue
        if not classify(change.new_path, attributes, source).gets_findings:
            continue  # test data, fixtures, examples, generated and vendored code
        if file_is_suppressed(source):
            continue
        if change.new_path.endswith((".py", ".pyi")):
            python[change.new_path] = source
        elif is_script(change.new_path):
            scripts[change.new_path] = source
        else:
            continue
        changed[change.new_path] = change.added
    ruff = None
    problems: list[str] = []
    if python and enabled("ruff"):
        configs: dict[str, bytes] = {}
        try:
            found = read_files(config_paths(python)) if read_files is not None else {}
            configs = {path: text for path, text in found.items() if text is not None}
            ruff = RuffRun(python, changed, configs, binary=ruff_binary)
        except (ArgusError, OSError) as error:
            # Ruff without the repository's configuration would say what its owners turned off.
            problems.append(f"the repository's ruff configuration could not be read ({error})")
    eslint = None
    if scripts and root is not None and enabled("eslint"):
        eslint = EslintRun(root, scripts, changed)
    return LinterRuns(ruff, eslint, {**python, **scripts}, enabled, levels or {}, tuple(problems))


__all__ = [
    "LINTERS",
    "LinterRuns",
    "linter_of",
    "normalise_rule_id",
    "ruff_config_paths",
    "start_linters",
]
