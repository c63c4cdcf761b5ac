"""Read the corpus of mined real histories (``benchmarks/history_corpus``) into labelled changes.

The corpus is written by ``scripts/mine_history.py``: a ``manifest.json`` naming each repository
(GitHub slug, language, the commit it was mined at) and one ``<name>.csv.gz`` per repository with
one row per label-mature commit, in history order (column ``seq``).
"""

from __future__ import annotations

import csv
import gzip
import json
from dataclasses import dataclass
from pathlib import Path

from argus.core.errors import ConfigError
from argus.core.predict.jit_data import LabelledChange
from argus.core.predict.model import CONTEXT_FEATURE_NAMES, FEATURE_NAMES

_FEATURES = FEATURE_NAMES + CONTEXT_FEATURE_NAMES


@dataclass(frozen=True)
class CorpusProject:
    """One mined repository: its language and its changes in history order."""

    name: str
    language: str
    head: str
    changes: list[LabelledChange]


def load_corpus(directory: Path, names: list[str] | None = None) -> list[CorpusProject]:
    """The corpus projects (all, or ``names``), sorted by name; ConfigError when unreadable."""
    manifest_path = directory / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(
            f"cannot read the corpus manifest {manifest_path} ({error}); "
            "rebuild it with scripts/mine_history.py"
        ) from error
    wanted = sorted(manifest) if names is None else names
    unknown = [name for name in wanted if name not in manifest]
    if unknown:
        raise ConfigError(f"not in the corpus: {', '.join(unknown)}")
    return [
        CorpusProject(
            name=name,
            language=str(manifest[name]["language"]),
            head=str(manifest[name]["head"]),
            changes=_read(directory / f"{name}.csv.gz", name),
        )
        for name in wanted
    ]


def _read(path: Path, project: str) -> list[LabelledChange]:
    changes: list[tuple[int, LabelledChange]] = []
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as stream:
            for line_number, row in enumerate(csv.DictReader(stream), start=2):
                try:
                    features = {name: float(row[name]) for name in _FEATURES if row.get(name)}
                    change = LabelledChange(
                        project=project,
                        commit=row["sha"],
                        date=int(row["time"]),
                        buggy=row["buggy"] == "1",
                        features=features,
                    )
                    changes.append((int(row["seq"]), change))
                except (KeyError, ValueError) as error:
                    raise ConfigError(f"{path}:{line_number}: unreadable row ({error})") from error
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise ConfigError(f"cannot read corpus file {path} ({error})") from error
    return [change for _, change in sorted(changes, key=lambda item: item[0])]
