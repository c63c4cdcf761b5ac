"""Ranking the changed functions: inputs, scoring and a fit that finds a planted signal."""

from __future__ import annotations

import random

import pytest

from argus.core.predict.localisation import (
    INPUT_NAMES,
    CandidateFunction,
    Ranker,
    fit_ranker,
    rank_scores,
    ranking_inputs,
)


def _function(
    lines: int, kind: str = "code", fixes: int = 0, target: bool = False
) -> CandidateFunction:
    return CandidateFunction(
        lines=lines,
        hunks=1,
        kind=kind,
        touches=fixes * 2,
        fix_touches=fixes,
        days_since_change=None if fixes == 0 else 30.0,
        file_commits=10,
        file_fixes=fixes,
        file_lines=200,
        target=target,
    )


def test_inputs_are_relative_to_the_change() -> None:
    rows = ranking_inputs([_function(30), _function(10, "test")])
    assert len(rows[0]) == len(INPUT_NAMES)
    named = [dict(zip(INPUT_NAMES, row, strict=True)) for row in rows]
    assert named[0]["line_share"] == pytest.approx(0.75)
    assert (named[0]["largest"], named[1]["largest"]) == (1.0, 0.0)
    assert (named[0]["test_file"], named[1]["test_file"]) == (0.0, 1.0)
    assert named[0]["new_function"] == 1.0


def test_scores_are_a_weighted_sum() -> None:
    ranker = Ranker(weights=(0.5,) + (0.0,) * (len(INPUT_NAMES) - 1))
    assert rank_scores(ranker, [_function(3), _function(4)]) == [0.5, 0.5]


def test_fit_learns_that_fix_prone_code_is_the_target_not_the_biggest_test() -> None:
    generator = random.Random(5)
    changes = []
    for _ in range(300):
        target_index = generator.randrange(3)
        functions = [
            _function(
                lines=generator.randint(1, 40),
                kind="code" if index == target_index else generator.choice(["code", "test"]),
                fixes=generator.randint(2, 6) if index == target_index else 0,
                target=index == target_index,
            )
            for index in range(3)
        ]
        changes.append(functions)
    ranker = fit_ranker(changes[:200])
    hits = 0
    for functions in changes[200:]:
        scores = rank_scores(ranker, functions)
        best = max(range(len(functions)), key=lambda index: scores[index])
        hits += functions[best].target
    assert hits >= 90


def test_rows_of_the_corpus_file_are_read() -> None:
    row = {
        "lines": "12", "hunks": "2", "kind": "test", "touches": "3", "fix_touches": "1",
        "days_since_change": "-1", "file_commits": "9", "file_fixes": "4", "file_lines": "300",
        "target": "1",
    }  # fmt: skip
    function = CandidateFunction.from_row(row)
    assert function.days_since_change is None and function.target and function.kind == "test"


def test_the_shipped_ranker_loads_and_puts_fix_prone_code_above_a_bigger_test() -> None:
    from argus.core.predict.localisation import load_ranker

    ranker = load_ranker()
    test_function = _function(80, "test")
    fix_prone = _function(20, "code", fixes=4)
    scores = rank_scores(ranker, [test_function, fix_prone])
    assert scores[1] > scores[0]


def test_a_ranker_file_for_other_inputs_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from argus.core.errors import ModelError
    from argus.core.predict.localisation import load_ranker

    path = tmp_path / "ranker.json"
    path.write_text(json.dumps({"inputs": ["bias"], "weights": [1.0]}), encoding="utf-8")
    with pytest.raises(ModelError, match="does not match"):
        load_ranker(path)
    with pytest.raises(ModelError, match="cannot read"):
        load_ranker(tmp_path / "absent.json")
