"""The server's settings: typed, fully defaulted, validated once where they arrive.

They come from ``initializationOptions`` (``{"argus": {...}}`` or flat) and from
``workspace/didChangeConfiguration``; a bad value is reported and its default kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from argus.core.predict.findings import RiskLevel

SECTION = "argus"
SEVERITY_NAMES = ("error", "warning", "information", "hint", "off")
DEFAULT_SEVERITY: Mapping[str, str] = {"high": "warning", "medium": "information", "low": "hint"}
# Keys the VS Code client reads itself; the server accepts and ignores them.
CLIENT_ONLY_KEYS = frozenset({"interpreter", "serverPath"})


@dataclass(frozen=True)
class Settings:
    """Everything the server can be told; every field has the documented default."""

    # None: the merge base with the default branch (origin/HEAD, else main, else master),
    # what the pull request will show; "HEAD" for uncommitted edits alone.
    base_ref: str | None = None
    minimum_level: RiskLevel = RiskLevel.LOW
    severity: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SEVERITY))
    generate_tests: bool = True
    max_file_bytes: int = 500_000
    debounce_ms: int = 25

    def severity_for(self, level: RiskLevel) -> str:
        """The severity name ("error" ... "hint", or "off") that a risk level is shown with."""
        return self.severity.get(level.value, DEFAULT_SEVERITY[level.value])


def _section(raw: object) -> Mapping[str, Any]:
    """The ``argus`` section of what a client sent, nested or flat."""
    if not isinstance(raw, Mapping):
        return {}
    nested = raw.get(SECTION)
    if isinstance(nested, Mapping):
        return nested
    return raw


def parse_settings(raw: object, current: Settings | None = None) -> tuple[Settings, list[str]]:
    """Apply the keys present in ``raw`` over ``current`` (or the defaults).

    Returns the settings and one plain message per value that was refused (its previous value
    is kept), so the caller can tell the user.
    """
    settings = current or Settings()
    problems: list[str] = []
    section = _section(raw)
    changes: dict[str, Any] = {}
    for key, value in section.items():
        if value is None or key in CLIENT_ONLY_KEYS:
            continue
        if key == "baseRef":
            if isinstance(value, str) and not value.strip():
                changes["base_ref"] = None  # the default branch
            elif isinstance(value, str) and not value.startswith("-"):
                changes["base_ref"] = value.strip()
            else:
                problems.append(f"argus.baseRef must be a branch or ref name, not {value!r}")
        elif key == "minimumLevel":
            if isinstance(value, str) and value.lower() in ("low", "medium", "high"):
                changes["minimum_level"] = RiskLevel(value.lower())
            else:
                problems.append(f"argus.minimumLevel must be low, medium or high, not {value!r}")
        elif key == "severity":
            severity = _severity(value, settings.severity, problems)
            if severity is not None:
                changes["severity"] = severity
        elif key == "generateTests":
            if isinstance(value, bool):
                changes["generate_tests"] = value
            else:
                problems.append(f"argus.generateTests must be true or false, not {value!r}")
        elif key in ("maxFileBytes", "debounceMs"):
            minimum = 1 if key == "maxFileBytes" else 0
            if isinstance(value, int | float) and not isinstance(value, bool) and value >= minimum:
                changes["max_file_bytes" if key == "maxFileBytes" else "debounce_ms"] = int(value)
            else:
                problems.append(
                    f"argus.{key} must be a number of at least {minimum}, not {value!r}"
                )
    return replace(settings, **changes), problems


def _severity(
    value: object, current: Mapping[str, str], problems: list[str]
) -> dict[str, str] | None:
    if not isinstance(value, Mapping):
        problems.append(f"argus.severity must be an object like {dict(DEFAULT_SEVERITY)}")
        return None
    merged = dict(current)
    for level, name in value.items():
        if level not in DEFAULT_SEVERITY:
            problems.append(f"argus.severity: unknown level {level!r} (use high, medium, low)")
        elif not isinstance(name, str) or name.lower() not in SEVERITY_NAMES:
            problems.append(
                f"argus.severity.{level} must be one of {', '.join(SEVERITY_NAMES)}, not {name!r}"
            )
        else:
            merged[level] = name.lower()
    return merged
