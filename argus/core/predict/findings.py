"""What a review finds: risky symbols, predicted bugs, and the overall verdict.

These are the types every front-end renders (terminal, JSON, Markdown, SARIF, LSP, GitHub).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class RiskLevel(StrEnum):
    """Coarse risk bands over the calibrated probability."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """0 for low, 1 for medium, 2 for high."""
        return ("low", "medium", "high").index(self.value)


@dataclass(frozen=True)
class LevelThresholds:
    """Probability cut-offs: at or above ``medium`` is medium, at or above ``high`` is high."""

    medium: float = 0.35
    high: float = 0.60

    def level_for(self, probability: float) -> RiskLevel:
        """The band a probability falls in."""
        if probability >= self.high:
            return RiskLevel.HIGH
        if probability >= self.medium:
            return RiskLevel.MEDIUM
        return RiskLevel.LOW


@dataclass(frozen=True)
class Factor:
    """One reason behind a score, in plain words, with its signed weight in log-odds."""

    name: str
    text: str
    contribution: float
    value: float | None = None


@dataclass(frozen=True)
class SymbolRisk:
    """The risk of one changed function, method, class, or whole file (``kind == "file"``)."""

    path: str
    name: str
    kind: str
    language: str | None
    start_line: int
    end_line: int
    probability: float
    level: RiskLevel
    factors: tuple[Factor, ...] = ()
    lines_added: int = 0
    lines_deleted: int = 0
    complexity_before: int | None = None
    complexity_after: int | None = None


@dataclass(frozen=True)
class BugFinding:
    """A concrete defect pattern found on a changed line.

    ``message`` says what is wrong here and what to do; ``why`` why the pattern breaks code;
    ``level`` is the level ``.argus.yml`` sets (empty: from the confidence); ``fix`` the edit
    when the fix is mechanical; ``help_uri`` where the rule is documented when it is not one of
    Argus's own (a linter's finding, ``ruff:B015``).
    """

    rule_id: str
    path: str
    line: int
    message: str
    confidence: float
    language: str
    end_line: int | None = None
    column: int = 1
    end_column: int | None = None
    title: str = ""
    snippet: str = ""
    factors: tuple[Factor, ...] = ()
    level: str = ""
    fix: Fix | None = None
    help_uri: str = ""

    @property
    def why(self) -> str:
        """Why the pattern breaks code, in plain words (empty when the rule gave no reason)."""
        return self.factors[0].text if self.factors else ""


@dataclass(frozen=True)
class Edit:
    """Replace the text from (line, column) to (end_line, end_column) by ``text``.

    Lines and columns are 1-based; the end is exclusive, as in LSP and SARIF regions.
    """

    line: int
    column: int
    end_line: int
    end_column: int
    text: str


@dataclass(frozen=True)
class Fix:
    """A mechanical fix: what it does, the edits, and the fixed text of the lines it touches
    (``first_line`` to ``last_line``), ready for a GitHub suggestion block."""

    description: str
    edits: tuple[Edit, ...]
    first_line: int
    last_line: int
    replacement: str
    original: str = ""


@dataclass(frozen=True)
class TestValidation:
    """How a generated test was validated in the sandbox before it was shown.

    ``runs``/``passed_runs`` count the runs on the head (the fixed code for a regression test).
    ``fails_before`` is True when a regression test failed on the code where the error happened
    with ``expected_exception``; ``passes_after`` when it then passed on the fix (or head).
    ``changed_lines_covered``/``changed_lines_total`` are None when coverage was not measured.
    ``tier`` is where the test came from (cache, local, workers_ai, haiku, sonnet, ...) and
    ``dollars`` what all the attempts of its routing cost.
    """

    __test__ = False  # not a pytest test class, whatever its name

    runs: int = 0
    passed_runs: int = 0
    fails_before: bool | None = None
    passes_after: bool | None = None
    expected_exception: str | None = None
    changed_lines_covered: int | None = None
    changed_lines_total: int | None = None
    isolation: str = ""
    tier: str = ""
    generator: str = ""
    dollars: float = 0.0
    cached: bool = False
    before: str | None = None
    after: str | None = None

    @property
    def coverage_ratio(self) -> float | None:
        """Covered changed lines over changed lines, when measured."""
        if self.changed_lines_covered is None or not self.changed_lines_total:
            return None
        return self.changed_lines_covered / self.changed_lines_total


@dataclass(frozen=True)
class GeneratedTest:
    """A generated test that survived validation: what it tests, its file, and how it was run.

    ``kind`` is ``pr_test`` (for a changed function) or ``regression_test`` (from a production
    error). ``path`` is where the file goes, relative to the repository root.
    """

    __test__ = False

    target_path: str
    target_symbol: str
    language: str
    framework: str
    path: str
    source: str
    kind: str
    validation: TestValidation = field(default_factory=TestValidation)
    pattern_id: str | None = None


@dataclass(frozen=True)
class Review:
    """The whole verdict on a change."""

    probability: float
    level: RiskLevel
    factors: tuple[Factor, ...]
    symbols: tuple[SymbolRisk, ...]
    bugs: tuple[BugFinding, ...]
    files_changed: int
    lines_added: int
    lines_deleted: int
    model_version: str
    base: str | None = None
    head: str | None = None
    warnings: tuple[str, ...] = field(default=())
    tests: tuple[GeneratedTest, ...] = field(default=())
    file_kinds: tuple[tuple[str, str], ...] = field(default=())
    """``(path, kind)`` for the files the repository's ``.gitattributes`` classifies (a
    :class:`argus.core.classify.FileKind` value); the others are classified by their path."""
