"""A generated test before it is trusted: what it is, where it goes, what it is meant to prove."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath

from argus.core.errors import ConfigError
from argus.core.testgen.frameworks import Framework


class CandidateKind(StrEnum):
    """Why the test was generated: for a pull request, or to reproduce a production error."""

    PR_TEST = "pr_test"
    REGRESSION_TEST = "regression_test"


@dataclass(frozen=True)
class Candidate:
    """One generated test file, not yet run.

    ``path`` is relative to the repository root (POSIX separators) and must stay inside it.
    ``expected_exception`` names the error a regression test must fail with on the buggy code
    (``ZeroDivisionError``, ``TypeError``); it may be dotted (``json.JSONDecodeError``).
    """

    language: str
    framework: str
    path: str
    source: str
    targets: tuple[str, ...] = ()
    kind: CandidateKind = CandidateKind.PR_TEST
    expected_exception: str | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", CandidateKind(self.kind))
        except ValueError as error:
            raise ConfigError(
                f"unknown candidate kind {self.kind!r}: use pr_test or regression_test"
            ) from error
        try:
            Framework(self.framework)
        except ValueError as error:
            known = ", ".join(framework.value for framework in Framework)
            raise ConfigError(
                f"unknown test framework {self.framework!r}: use one of {known}"
            ) from error
        relative = PurePosixPath(self.path)
        if not self.path or relative.is_absolute() or ".." in relative.parts:
            raise ConfigError(
                f"test path {self.path!r} must be relative to the repository and stay inside it"
            )
        if relative.parts and relative.parts[0] == ".git":
            raise ConfigError(f"test path {self.path!r} cannot be inside .git")
        if self.kind is CandidateKind.REGRESSION_TEST and not self.expected_exception:
            raise ConfigError("a regression test needs the expected exception type")
