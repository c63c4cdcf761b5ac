"""Read the public just-in-time defect data sets into labelled changes.

Two layouts are understood: the per-project ``<name>_k_feature.csv`` files (Kamei's fourteen
features, one row per commit) and ApacheJIT (``apachejit_*.csv``, no ``lt`` column). The
``__`` column of the per-project files repeats the label and is never read.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from argus.core.errors import ConfigError

PROJECTS: tuple[str, ...] = ("gerrit", "go", "jdt", "openstack", "platform", "qt")
APACHE_JIT = "apachejit"
DATA_DIR_ENV = "ARGUS_JIT_DATA"
APACHE_JIT_FILE = "apachejit_test_small.csv"

# Source column -> feature name, per layout. Anything not listed is ignored (notably ``__``).
_PROJECT_COLUMNS: Mapping[str, str] = {
    "ns": "ns",
    "nd": "nd",
    "nf": "nf",
    "entrophy": "entropy",
    "la": "la",
    "ld": "ld",
    "lt": "lt",
    "fix": "fix",
    "ndev": "ndev",
    "age": "age",
    "nuc": "nuc",
    "exp": "exp",
    "rexp": "rexp",
    "sexp": "sexp",
}
_APACHE_COLUMNS: Mapping[str, str] = {
    "ns": "ns",
    "nd": "nd",
    "nf": "nf",
    "ent": "entropy",
    "la": "la",
    "ld": "ld",
    "fix": "fix",
    "ndev": "ndev",
    "age": "age",
    "nuc": "nuc",
    "aexp": "exp",
    "arexp": "rexp",
    "asexp": "sexp",
}


@dataclass(frozen=True)
class LabelledChange:
    """One commit with its features and whether it later turned out to introduce a bug."""

    project: str
    commit: str
    date: int
    buggy: bool
    features: Mapping[str, float]


def resolve_data_dir(explicit: str | Path | None, project_root: Path) -> Path:
    """The data folder: explicit value, else ``$ARGUS_JIT_DATA``, else ``../shared/data/jit``."""
    chosen = explicit if explicit is not None else os.environ.get(DATA_DIR_ENV)
    path = Path(chosen) if chosen else project_root.parent / "shared" / "data" / "jit"
    if not path.is_dir():
        raise ConfigError(
            f"JIT data folder {path} does not exist; pass --data-dir or set {DATA_DIR_ENV}"
        )
    return path


def _number(text: str) -> float:
    lowered = text.strip().lower()
    if lowered == "true":
        return 1.0
    if lowered == "false":
        return 0.0
    return float(lowered)


def _read(
    path: Path, columns: Mapping[str, str], label: str, date: str, commit: str, project: str | None
) -> list[LabelledChange]:
    if not path.is_file():
        raise ConfigError(f"JIT data file {path} is missing; check --data-dir or {DATA_DIR_ENV}")
    changes: list[LabelledChange] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for line_number, row in enumerate(csv.DictReader(handle), start=2):
            try:
                features = {name: _number(row[source]) for source, name in columns.items()}
                changes.append(
                    LabelledChange(
                        project=project if project is not None else row["project"],
                        commit=row[commit],
                        date=int(float(row[date])),
                        buggy=_number(row[label]) >= 0.5,
                        features=features,
                    )
                )
            except (KeyError, ValueError) as error:
                raise ConfigError(f"{path}:{line_number}: unreadable row ({error})") from error
    return changes


def load_project(data_dir: Path, name: str) -> list[LabelledChange]:
    """All changes of one data set (one of ``PROJECTS`` or ``APACHE_JIT``), oldest first."""
    if name == APACHE_JIT:
        changes = _read(
            data_dir / APACHE_JIT_FILE, _APACHE_COLUMNS, "buggy", "author_date", "commit_id", None
        )
    elif name in PROJECTS:
        changes = _read(
            data_dir / f"{name}_k_feature.csv", _PROJECT_COLUMNS, "bug", "date", "_id", name
        )
    else:
        raise ConfigError(f"unknown JIT data set {name!r}; known: {', '.join(PROJECTS)}, apachejit")
    return sorted(changes, key=lambda change: (change.date, change.commit))


def time_split(
    changes: list[LabelledChange], train_fraction: float = 0.8
) -> tuple[list[LabelledChange], list[LabelledChange]]:
    """Oldest ``train_fraction`` of the changes, then the newest rest (input sorted by date)."""
    cut = int(len(changes) * train_fraction)
    ordered = sorted(changes, key=lambda change: (change.date, change.commit))
    return ordered[:cut], ordered[cut:]
