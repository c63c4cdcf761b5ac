import random

import pytest

from argus.core.lang import Symbol, extract_symbols, innermost_symbol, map_lines_to_symbols

from .helpers import source


def make(name: str, start: int, end: int) -> Symbol:
    return Symbol(name, name, "function", start, end, 1, None)


TEXT = """
import os

class Shop:
    def buy(self, item):
        def check():
            return item
        return check()

    def sell(self):
        pass

def main():
    pass
"""


@pytest.fixture
def symbols() -> list[Symbol]:
    return extract_symbols(source(TEXT), "python")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (1, None),
        (2, None),
        (3, "Shop"),
        (4, "Shop.buy"),
        (5, "Shop.buy.check"),
        (6, "Shop.buy.check"),
        (7, "Shop.buy"),
        (8, "Shop"),
        (9, "Shop.sell"),
        (10, "Shop.sell"),
        (11, None),
        (12, "main"),
        (13, "main"),
        (14, None),
        (0, None),
        (-5, None),
    ],
)
def test_innermost_symbol(symbols: list[Symbol], line: int, expected: str | None) -> None:
    found = innermost_symbol(symbols, line)
    assert (found.qualified_name if found else None) == expected
    mapped = map_lines_to_symbols(symbols, [line])
    assert list(mapped) == [found]


def test_map_lines_groups_in_given_order(symbols: list[Symbol]) -> None:
    mapped = map_lines_to_symbols(symbols, [13, 1, 5, 4, 6, 11, 12])
    named = {(s.qualified_name if s else None): lines for s, lines in mapped.items()}
    assert named == {"main": [13, 12], None: [1, 11], "Shop.buy.check": [5, 6], "Shop.buy": [4]}


def test_no_symbols_means_everything_is_file_level() -> None:
    assert map_lines_to_symbols([], [1, 2, 3]) == {None: [1, 2, 3]}
    assert innermost_symbol([], 1) is None
    assert map_lines_to_symbols([], []) == {}


def test_ties_and_identical_spans() -> None:
    first, second = make("first", 1, 1), make("second", 1, 1)
    assert innermost_symbol([first, second], 1) is second
    assert map_lines_to_symbols([first, second], [1]) == {second: [1]}
    outer, inner = make("outer", 2, 9), make("inner", 2, 4)
    assert innermost_symbol([inner, outer], 3) is inner
    assert map_lines_to_symbols([inner, outer], [3, 5]) == {inner: [3], outer: [5]}


def test_table_agrees_with_the_linear_scan_on_random_spans() -> None:
    chooser = random.Random(7)
    for _ in range(200):
        spans = []
        for index in range(chooser.randint(0, 12)):
            start = chooser.randint(1, 40)
            spans.append(make(f"s{index}", start, start + chooser.randint(0, 15)))
        lines = list(range(0, 60))
        mapped = map_lines_to_symbols(spans, lines)
        for owner, owned in mapped.items():
            for line in owned:
                assert innermost_symbol(spans, line) is owner, (spans, line)


def test_many_lines_map_quickly_enough_to_be_linearithmic() -> None:
    # 2,000 nested-and-sibling symbols, 50,000 lines: an O(n*m) scan would take seconds.
    symbols = [make(f"f{i}", i * 10 + 1, i * 10 + 8) for i in range(2000)]
    symbols += [make(f"g{i}", i * 10 + 3, i * 10 + 4) for i in range(2000)]
    mapped = map_lines_to_symbols(symbols, range(1, 50_001))
    assert sum(len(lines) for lines in mapped.values()) == 50_000
    assert mapped[symbols[2000]] == [3, 4]
    assert mapped[symbols[0]] == [1, 2, 5, 6, 7, 8]
