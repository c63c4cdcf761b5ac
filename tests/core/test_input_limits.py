"""Bounds on untrusted input: JSON depth, byte budgets, encodable text (issue #10)."""

import json
import threading

import pytest

from argus.core.input_limits import (
    MAX_JSON_DEPTH,
    ByteBudget,
    JsonTooDeep,
    json_depth,
    loads_bounded,
    without_lone_surrogates,
)
from argus.core.patterns.limits import cut_text


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 65 + "1" + "}" * 65,
        "[" * 65 + "]" * 65,
    ],
)
def test_json_nested_past_the_limit_is_refused(text):
    with pytest.raises(JsonTooDeep):
        loads_bounded(text)


def test_json_within_the_limit_is_parsed_as_json_loads_parses_it():
    text = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert loads_bounded(text) == json.loads(text)
    assert loads_bounded(b'{"a": [1, {"b": "[[[["}]}') == {"a": [1, {"b": "[[[["}]}
    with pytest.raises(json.JSONDecodeError):
        loads_bounded("{")
    assert json_depth({"a": [[1]], "b": 2}, 10) == 3


def test_a_byte_budget_never_lends_more_than_it_has():
    budget = ByteBudget(1000)
    assert budget.take(600) and not budget.take(500) and budget.take(400)
    assert budget.held == 1000 and budget.refused == 1
    budget.give(1000)
    assert budget.held == 0 and budget.peak == 1000

    shared = ByteBudget(10_000)
    taken = []

    def grab():
        for _ in range(1000):
            if shared.take(7):
                taken.append(7)

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(taken) <= 10_000 and shared.peak <= 10_000


def test_lone_surrogates_are_escaped_and_other_text_kept():
    assert without_lone_surrogates("ok é 😀") == "ok é 😀"
    assert without_lone_surrogates("a\ud800b\udfff") == "a\\ud800b\\udfff"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("one two three", 9, "one two …"),
        ("key ghp_abcdefgh", 12, "key …"),
        ("x" * 100, 10, "…"),
        ("x" * 1000, 300, "x" * 299 + "…"),  # a run longer than any credential: kept in part
    ],
)
def test_cut_text_never_keeps_half_a_token(text, limit, expected):
    assert cut_text(text, limit) == expected
