"""Hypothesis property tests: the strategy mapping table, and generated tests run for real."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from argus.core.lang import analyse_source
from argus.core.lang.symbols import Symbol
from argus.core.testgen.hypothesis_gen import (
    ModuleTypes,
    Unsupported,
    module_types,
    property_tests,
    raised_exceptions,
    return_check,
    strategy_for,
)

FLOATS = "st.floats(allow_nan=False, allow_infinity=False)"

STRATEGIES = [
    ("int", "st.integers()", set()),
    ("float", FLOATS, set()),
    ("str", "st.text(max_size=40)", set()),
    ("bool", "st.booleans()", set()),
    ("bytes", "st.binary(max_size=40)", set()),
    ("None", "st.none()", set()),
    ("list[int]", "st.lists(st.integers(), max_size=8)", set()),
    ("List[str]", "st.lists(st.text(max_size=40), max_size=8)", set()),
    ("Sequence[int]", "st.lists(st.integers(), max_size=8)", set()),
    ("set[int]", "st.sets(st.integers(), max_size=8)", set()),
    ("frozenset[int]", "st.frozensets(st.integers(), max_size=8)", set()),
    (
        "dict[str, float]",
        f"st.dictionaries(st.text(max_size=40), {FLOATS}, max_size=8)",
        set(),
    ),
    ("tuple[int, str]", "st.tuples(st.integers(), st.text(max_size=40))", set()),
    ("tuple[int, ...]", "st.lists(st.integers(), max_size=8).map(tuple)", set()),
    ("Optional[int]", "st.one_of(st.none(), st.integers())", set()),
    ("int | None", "st.one_of(st.integers(), st.none())", set()),
    ("Union[int, str]", "st.one_of(st.integers(), st.text(max_size=40))", set()),
    ("Literal['a', 2]", "st.sampled_from(['a', 2])", set()),
    (
        "Decimal",
        "st.decimals(allow_nan=False, allow_infinity=False, places=4)",
        {"from decimal import Decimal"},
    ),
    ("datetime.date", "st.dates()", {"import datetime"}),
    ("'int'", "st.integers()", set()),
    ("Color", "st.sampled_from(Color)", {"Color"}),
    (
        "Point",
        f"st.builds(Point, x={FLOATS}, y={FLOATS}, label=st.text(max_size=40))",
        {"Point"},
    ),
    ("list[Color]", "st.lists(st.sampled_from(Color), max_size=8)", {"Color"}),
]

TYPES_SOURCE = """
from dataclasses import dataclass, field
from enum import Enum
from typing import ClassVar


class Color(Enum):
    RED = 1
    BLUE = 2


@dataclass
class Point:
    x: float
    y: float
    label: str = ""
    cache: dict = field(init=False, default_factory=dict)
    ORIGIN: ClassVar[int] = 0
"""


@pytest.fixture(scope="module")
def types() -> ModuleTypes:
    return module_types(ast.parse(TYPES_SOURCE))


@pytest.mark.parametrize(("annotation", "strategy", "imports"), STRATEGIES)
def test_strategy_mapping(
    types: ModuleTypes, annotation: str, strategy: str, imports: set[str]
) -> None:
    node = ast.parse(annotation, mode="eval").body
    produced, needed = strategy_for(node, types)
    assert produced == strategy
    assert set(needed) == imports


@pytest.mark.parametrize("annotation", ["Any", "object", "Callable[[int], int]", "Widget"])
def test_unsupported_annotations(types: ModuleTypes, annotation: str) -> None:
    with pytest.raises(Unsupported):
        strategy_for(ast.parse(annotation, mode="eval").body, types)


@pytest.mark.parametrize(
    ("annotation", "check"),
    [
        ("int", "assert isinstance(result, int)"),
        ("float", "assert isinstance(result, (int, float))"),
        ("list[int]", "assert isinstance(result, list)"),
        ("None", "assert result is None"),
        ("str | None", "assert result is None or isinstance(result, str)"),
        ("Optional[dict]", "assert result is None or isinstance(result, dict)"),
        ("Point", None),
    ],
)
def test_return_checks(annotation: str, check: str | None) -> None:
    assert return_check(ast.parse(annotation, mode="eval").body) == check


def test_raised_exceptions_are_collected_from_the_body() -> None:
    function = ast.parse(
        "def f(x):\n"
        "    if x < 0:\n        raise ValueError('negative')\n"
        "    if x > 9:\n        raise errors.TooBig\n"
        "    try:\n        pass\n    except KeyError as error:\n        raise error\n"
        "    def inner():\n        raise KeyError\n"
        "    raise LimitError(x)\n"
    ).body[0]
    assert isinstance(function, ast.FunctionDef)
    assert raised_exceptions(function) == ["LimitError", "ValueError"]


MODULE = '''"""Pricing helpers."""

from dataclasses import dataclass
from enum import Enum


class Tier(Enum):
    BASIC = 1
    GOLD = 2


class PricingError(Exception):
    pass


@dataclass
class Line:
    quantity: int
    price: float


def discount(total: float, tier: Tier) -> float:
    rate = 0.1 if tier is Tier.GOLD else 0.0
    return total * (1 - rate)


def line_total(line: Line, limit: int) -> float:
    if limit < 0:
        raise PricingError("negative limit")
    return min(line.quantity, 1000) * line.price


def describe(items: list[str], separator: str | None = None) -> str:
    return (separator or ", ").join(items)


def broken(values: list[int]) -> int:
    return values[0]


def untyped(values):
    return values
'''


def symbol_named(source: str, name: str) -> Symbol:
    analysis = analyse_source("shop/pricing.py", source.encode())
    return next(symbol for symbol in analysis.symbols if symbol.name == name)


def run_test(root: Path, path: str, source: str) -> subprocess.CompletedProcess[str]:
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(source, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", path],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONPATH": str(root)},
    )


@pytest.fixture()
def package(tmp_path: Path) -> Path:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "pricing.py").write_text(MODULE)
    return tmp_path


@pytest.mark.parametrize("name", ["discount", "line_total", "describe"])
def test_generated_property_tests_pass_on_correct_code(package: Path, name: str) -> None:
    (candidate,) = property_tests(
        "shop/pricing.py", MODULE, symbol_named(MODULE, name), module="shop.pricing"
    )
    assert "@settings(max_examples=50, deadline=None, derandomize=True, database=None)" in (
        candidate.source
    )
    done = run_test(package, candidate.path, candidate.source)
    assert done.returncode == 0, done.stdout + done.stderr


def test_explicit_raises_are_allowed_and_imported(package: Path) -> None:
    (candidate,) = property_tests(
        "shop/pricing.py", MODULE, symbol_named(MODULE, "line_total"), module="shop.pricing"
    )
    assert "except PricingError:" in candidate.source
    assert "from shop.pricing import Line, PricingError, line_total" in candidate.source
    # A long strategy is laid out one argument per line, as ruff would.
    assert "    line=st.builds(\n        Line,\n        quantity=st.integers(),\n" in (
        candidate.source
    )
    assert all(len(line) <= 99 for line in candidate.source.splitlines())


def test_a_property_test_finds_a_real_bug(package: Path) -> None:
    (candidate,) = property_tests(
        "shop/pricing.py", MODULE, symbol_named(MODULE, "broken"), module="shop.pricing"
    )
    done = run_test(package, candidate.path, candidate.source)
    assert done.returncode == 1
    assert "IndexError" in done.stdout


def test_untyped_functions_get_no_property_test() -> None:
    assert (
        property_tests(
            "shop/pricing.py", MODULE, symbol_named(MODULE, "untyped"), module="shop.pricing"
        )
        == []
    )


def test_unittest_style(package: Path) -> None:
    (candidate,) = property_tests(
        "shop/pricing.py",
        MODULE,
        symbol_named(MODULE, "discount"),
        module="shop.pricing",
        framework="unittest",
    )
    assert "(unittest.TestCase):" in candidate.source
    (package / candidate.path).parent.mkdir(parents=True, exist_ok=True)
    (package / candidate.path).write_text(candidate.source)
    done = subprocess.run(
        [sys.executable, "-m", "unittest", "-v", "tests.test_properties_discount"],
        cwd=package,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONPATH": str(package)},
    )
    assert done.returncode == 0, done.stderr
    assert "Ran 1 test" in done.stderr


def test_property_test_survives_validation_in_the_sandbox(package: Path) -> None:
    from argus.core.testgen.validation import validate
    from tests.core.testgen.sandbox_repos import git

    git(package, "init", "-q", "-b", "main")
    git(package, "add", "-A")
    git(package, "commit", "-q", "-m", "pricing")
    (candidate,) = property_tests(
        "shop/pricing.py", MODULE, symbol_named(MODULE, "describe"), module="shop.pricing"
    )
    result = validate(
        candidate,
        package,
        git(package, "rev-parse", "HEAD"),
        changed_lines={"shop/pricing.py": {34, 38}},
    )
    assert result.accepted, (result.rejection, result.detail)
    assert result.coverage is not None and result.coverage.covered_count == 1
