"""settings.py: typed, defaulted settings validated where they arrive."""

from __future__ import annotations

import pytest

from argus.core.predict.findings import RiskLevel
from argus.lsp_server.settings import Settings, parse_settings


def test_defaults():
    settings, problems = parse_settings(None)
    assert settings == Settings()
    assert problems == []
    assert settings.base_ref is None  # the default branch
    assert settings.minimum_level is RiskLevel.LOW
    assert dict(settings.severity) == {"high": "warning", "medium": "information", "low": "hint"}
    assert settings.generate_tests is True
    assert settings.max_file_bytes == 500_000
    assert settings.debounce_ms == 25


@pytest.mark.parametrize("wrap", [lambda s: {"argus": s}, lambda s: s], ids=["nested", "flat"])
def test_every_key_nested_or_flat(wrap):
    raw = {
        "baseRef": "origin/main",
        "minimumLevel": "Medium",
        "severity": {"high": "error"},
        "generateTests": False,
        "maxFileBytes": 1000,
        "debounceMs": 0,
        "interpreter": "/usr/bin/python3",  # client-only: accepted, ignored
        "serverPath": "/opt/argus",
    }
    settings, problems = parse_settings(wrap(raw))
    assert problems == []
    assert settings == Settings(
        base_ref="origin/main",
        minimum_level=RiskLevel.MEDIUM,
        severity={"high": "error", "medium": "information", "low": "hint"},
        generate_tests=False,
        max_file_bytes=1000,
        debounce_ms=0,
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"baseRef": 3}, "argus.baseRef"),
        ({"baseRef": "--upload-pack=x"}, "argus.baseRef"),
        ({"minimumLevel": "severe"}, "argus.minimumLevel"),
        ({"severity": "loud"}, "argus.severity must be an object"),
        ({"severity": {"high": "scream"}}, "argus.severity.high"),
        ({"severity": {"critical": "error"}}, "unknown level 'critical'"),
        ({"generateTests": "yes"}, "argus.generateTests"),
        ({"maxFileBytes": 0}, "argus.maxFileBytes"),
        ({"debounceMs": -1}, "argus.debounceMs"),
        ({"debounceMs": True}, "argus.debounceMs"),
    ],
)
def test_bad_values_keep_the_previous_one(raw, message):
    current = Settings(base_ref="main", debounce_ms=40)
    settings, problems = parse_settings(raw, current)
    assert settings == current
    assert len(problems) == 1 and message in problems[0]


def test_changes_apply_over_the_current_settings():
    first, _ = parse_settings({"severity": {"high": "error"}})
    second, _ = parse_settings({"severity": {"low": "off"}, "minimumLevel": "high"}, first)
    assert dict(second.severity) == {"high": "error", "medium": "information", "low": "off"}
    assert second.minimum_level is RiskLevel.HIGH
    assert second.severity_for(RiskLevel.LOW) == "off"


def test_an_empty_base_ref_means_the_default_branch():
    settings, problems = parse_settings({"baseRef": "  "}, Settings(base_ref="develop"))
    assert problems == []
    assert settings.base_ref is None
