"""Settings shared by every report format, fully defaulted and validated once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from argus.core.errors import ConfigError
from argus.core.predict.findings import LevelThresholds

LinkFor = Callable[[str, int], "str | None"]
"""Maps ``(path, line)`` to a URL for that line, or None when there is none."""

GITHUB_COMMENT_LIMIT = 65_536
"""The most characters GitHub accepts in one issue or pull-request comment."""

SARIF_RESULTS_SHOWN_BY_GITHUB = 5_000
"""GitHub code scanning keeps only this many results per run (it rejects more than 25,000)."""


@dataclass(frozen=True)
class RuleInfo:
    """What a bug-pattern rule is, for formats that describe rules (SARIF)."""

    name: str
    short_description: str
    full_description: str = ""
    precision: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportOptions:
    """How to render a review; every field has a default that suits the CLI."""

    color: bool = False
    """ANSI colour in the text report (the CLI decides by isatty and NO_COLOR)."""
    width: int = 100
    """Terminal width the text report adapts to."""
    max_symbols: int = 10
    """Rows of the riskiest-symbols table in the text and Markdown reports."""
    max_bugs: int = 50
    """Predicted bugs listed in the text and Markdown reports."""
    max_chars: int = GITHUB_COMMENT_LIMIT
    """Upper bound on the length of the Markdown report."""
    link_for: LinkFor | None = None
    """Turns a ``path:line`` in the Markdown report into a link."""
    thresholds: LevelThresholds = field(default_factory=LevelThresholds)
    """The level cut-offs, explained in the Markdown report."""
    tool_version: str | None = None
    """Argus version written into JSON and SARIF; None reads the installed package."""
    include_low_risk: bool = False
    """Also report low-risk symbols as SARIF results (as notes)."""
    max_results: int = SARIF_RESULTS_SHOWN_BY_GITHUB
    """Upper bound on SARIF results per run, keeping the most severe."""
    source_root: str | None = None
    """Absolute path of the checkout, recorded as SARIF ``%SRCROOT%``."""
    rules: Mapping[str, RuleInfo] = field(default_factory=dict)
    """Descriptions of bug-pattern rules by id; findings describe unknown rules themselves."""
    sections: tuple[str, ...] = ()
    """Markdown blocks the Markdown report places after the findings, before "How this score
    is computed" (the App's "changes since the last review"), within ``max_chars``."""

    def __post_init__(self) -> None:
        if self.width < 20:
            raise ConfigError(f"report width must be at least 20 columns, got {self.width}")
        for name in ("max_symbols", "max_bugs"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative")
        if self.max_chars < 1_000:
            raise ConfigError(f"max_chars must be at least 1000, got {self.max_chars}")
        if not 1 <= self.max_results <= 25_000:
            raise ConfigError(
                f"max_results must be between 1 and 25000 (GitHub's limit), got {self.max_results}"
            )


def installed_version() -> str:
    """The version of the installed ``argus-pr`` distribution, or ``0.0.0`` when not installed.

    The distribution is ``argus-pr`` because ``argus`` on PyPI is an unrelated project."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("argus-pr")
    except PackageNotFoundError:
        return "0.0.0"
