"""The mined corpus in benchmarks/history_corpus reads back as labelled changes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from argus.core.errors import ConfigError
from argus.core.predict.history_corpus import load_corpus
from argus.core.predict.model import CONTEXT_FEATURE_NAMES, FEATURE_NAMES

CORPUS = Path(__file__).resolve().parents[3] / "benchmarks" / "history_corpus"


def test_the_shipped_corpus_has_thirty_repositories_mostly_python() -> None:
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest) >= 30
    assert sum(entry["language"] == "python" for entry in manifest.values()) >= 20
    assert not {"black", "luigi", "thefuck", "tqdm", "youtube-dl"} & set(manifest)
    assert all(len(entry["head"]) == 40 for entry in manifest.values())


def test_a_project_reads_back_in_history_order_with_every_feature() -> None:
    (flask,) = load_corpus(CORPUS, ["flask"])
    assert flask.language == "python" and len(flask.changes) > 3000
    assert 0.02 < sum(change.buggy for change in flask.changes) / len(flask.changes) < 0.5
    first = flask.changes[0]
    assert set(first.features) == set(FEATURE_NAMES + CONTEXT_FEATURE_NAMES)


def test_bad_corpus_input_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="manifest"):
        load_corpus(tmp_path)
    (tmp_path / "manifest.json").write_text(
        json.dumps({"x": {"language": "python", "head": "0" * 40}}), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="not in the corpus"):
        load_corpus(tmp_path, ["y"])
    with pytest.raises(ConfigError, match="cannot read corpus file"):
        load_corpus(tmp_path)
    with gzip.open(tmp_path / "x.csv.gz", "wt", encoding="utf-8") as stream:
        stream.write("sha,seq,time,buggy\nabc,zero,1,0\n")
    with pytest.raises(ConfigError, match="unreadable row"):
        load_corpus(tmp_path)
