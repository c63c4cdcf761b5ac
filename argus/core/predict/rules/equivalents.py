"""The same problem under other tools' names: ruff/flake8 codes, pylint names, ESLint rules,
golangci-lint linters and Java ``@SuppressWarnings`` keys.

A suppression comment that names one of these covers the Argus rule too, and
``RUFF_EQUIVALENT`` tells which ruff rule restates an Argus rule (benchmarks compare them).
"""

from __future__ import annotations

RUFF_EQUIVALENT: dict[str, tuple[str, ...]] = {
    "PY001": ("B006",),
    "PY002": ("E722",),
    "PY003": ("S110", "S112"),
    "PY004": ("E711",),
    "PY005": ("F632",),
    "PY006": ("S608",),
    "PY007": ("F631",),
    "PY008": ("SIM115",),
    "PY011": ("S602", "S605"),
    "PY012": ("S506",),
    "PY013": ("S113",),
    "PY014": ("B909",),
    "PY015": ("B012",),
    "PY016": ("B015",),
    "PY018": ("ASYNC251",),
    "PY020": ("DTZ003", "DTZ004"),
}
"""Argus rule -> the ruff rules that catch the same pattern."""

DELEGATED_TO_RUFF: dict[str, tuple[str, ...]] = {}
"""Argus rules handed over to ruff: a rule goes here when, measured side by side on the same
changed lines of the findings corpus (``benchmarks/findings_ruff.py``), ruff's twin finds the
same lines with the same precision; the Argus copy is then off by default (still available as
opt-in) and the review runs ruff's rule instead (``argus/core/predict/linters/ruff.py``); the twins
listed here form the default ruff selection of a repository with no ruff configuration.

Empty today. PY016 and ruff's B015 found the same 29 lines on the first corpus (0.97 both), but
on the larger one B015 still fires on comparisons run for their exception directly inside
``with pytest.raises(...)`` (29 FALSE findings in attrs, pydantic and celery tests), which PY016
now leaves alone (0.85 on 46): ours stays. A repository with its own ruff configuration gets
its configured rules on the changed lines either way."""

_OTHER_NAMES: dict[str, tuple[str, ...]] = {
    "PY001": ("W0102", "dangerous-default-value"),
    "PY002": ("W0702", "bare-except", "B001"),
    "PY003": (
        "W0702",
        "W0703",
        "W0718",
        "bare-except",
        "broad-except",
        "broad-exception-caught",
        "E722",
        "BLE001",
        "SIM105",
    ),
    "PY004": ("C0121", "singleton-comparison"),
    "PY005": ("R0123", "literal-comparison"),
    "PY006": ("B608",),
    "PY007": ("W0199", "assert-on-tuple"),
    "PY008": ("R1732", "consider-using-with"),
    "PY011": ("B602", "B605", "S604"),
    "PY012": ("B506",),
    "PY013": ("W3101", "missing-timeout", "B113"),
    "PY014": (
        "W4701",
        "W4702",
        "modified-iterating-list",
        "modified-iterating-dict",
        "modified-iterating-set",
    ),
    "PY015": ("W0150", "W0134", "lost-exception", "return-in-finally", "SIM107"),
    "PY016": ("W0104", "pointless-statement", "expression-not-assigned"),
    "PY017": ("W0101", "unreachable"),
    "PY019": ("RUF006",),
    "JS001": ("@typescript-eslint/no-floating-promises", "require-await"),
    "JS002": ("eqeqeq",),
    "JS003": ("@typescript-eslint/no-floating-promises", "promise/catch-or-return"),
    "JS004": ("no-empty",),
    "JS005": ("guard-for-in", "no-restricted-syntax"),
    "JS006": ("no-cond-assign",),
    "JS007": ("radix",),
    "JS008": ("no-implied-eval", "@typescript-eslint/no-implied-eval"),
    "JS010": ("@typescript-eslint/no-misused-promises",),
    "JS011": ("use-isnan",),
    "JS012": ("valid-typeof",),
    "GO001": ("errcheck",),
    "GO002": ("nilerr",),
    "GO005": ("gocritic", "revive"),
    "JAVA002": ("emptycatchblock",),
    "JAVA004": ("equalshashcode",),
    "JAVA005": ("resource",),
}


def names_for(rule_id: str) -> frozenset[str]:
    """Every other name (lower case) of the problem an Argus rule finds."""
    names = (*RUFF_EQUIVALENT.get(rule_id, ()), *_OTHER_NAMES.get(rule_id, ()))
    return frozenset(name.lower() for name in names)
