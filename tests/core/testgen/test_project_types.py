"""Project classes as Hypothesis strategies: how each kind of class is read, table-driven, and
property tests of functions and methods taking them, run for real."""

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
    Unsupported,
    property_tests,
    return_check,
    strategy_for,
)
from argus.core.testgen.project_types import ModuleTypes, ProjectTypes, module_types, snake

TEXT = "st.text(max_size=40)"
DECIMALS = "st.decimals(allow_nan=False, allow_infinity=False, places=4)"

MODELS = '''"""Domain types, one of each kind."""

from abc import ABC, abstractmethod
from dataclasses import InitVar, dataclass, field
from decimal import Decimal
from enum import Enum
from typing import ClassVar, NamedTuple, Optional, Protocol

import attrs
from pydantic import BaseModel


class Tier(str, Enum):
    BASIC = "basic"
    GOLD = "gold"


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class Priced(Line):
    currency: str = "EUR"
    audit: list = field(init=False, default_factory=list)
    RATE: ClassVar[int] = 2
    seed: InitVar[int] = 0

    def __post_init__(self, seed: int) -> None:
        del seed


class Point(NamedTuple):
    x: int
    y: int = 0


@attrs.define
class Box:
    width: int
    height: int = 1
    _label: str = ""


class Customer:
    def __init__(self, name: str, tier: Tier = Tier.BASIC, credit: Optional[Decimal] = None,
                 *, tags=()):
        self.name = name
        self.tier = tier
        self.credit = credit


class Account(BaseModel):
    owner: str
    balance: Decimal = Decimal(0)


class Node:
    def __init__(self, value: int, parent: "Node"):
        self.value = value
        self.parent = parent


class Leaf:
    def __init__(self, value: int, parent: Optional["Leaf"] = None):
        self.value = value


class Untyped:
    def __init__(self, name):
        self.name = name


class Shape(ABC):
    @abstractmethod
    def area(self) -> float: ...


class Greeter(Protocol):
    def greet(self) -> str: ...


class Plain:
    pass


class Failure(ValueError):
    pass
'''

PRICING = '''"""Prices of lines for customers."""

from decimal import Decimal

from shop import models
from shop.models import Customer, Line
from shop.models import Box as Crate

from .models import Tier


class Basket:
    def __init__(self, customer: Customer, lines: list[Line]):
        self.customer = customer
        self.lines = lines

    def total(self, discount: int) -> Decimal:
        if not 0 <= discount <= 100:
            raise ValueError("discount out of range")
        amount = sum((line.unit_price * line.quantity for line in self.lines), Decimal(0))
        return amount * (100 - discount) / 100

    def first_sku(self) -> str:
        return self.lines[0].sku

    @staticmethod
    def describe(tier: Tier) -> str:
        return tier.value.upper()

    @property
    def size(self) -> int:
        return len(self.lines)

    async def count(self, extra: int) -> int:
        return len(self.lines) + extra


def price(customer: Customer, lines: list[Line], where: models.Point) -> Decimal:
    total = sum((line.unit_price * line.quantity for line in lines), Decimal(0))
    if customer.tier is Tier.GOLD:
        total = total * Decimal("0.9")
    return total


def pack(crate: Crate) -> int:
    return crate.width * crate.height
'''

FILES = {"shop/__init__.py": "", "shop/models.py": MODELS, "shop/pricing.py": PRICING}


def project() -> ProjectTypes:
    def read(module: str) -> str | None:
        for name in (f"{module.replace('.', '/')}.py", f"{module.replace('.', '/')}/__init__.py"):
            if name in FILES:
                return FILES[name]
        return None

    return ProjectTypes(read)


@pytest.fixture(scope="module")
def pricing_types() -> ModuleTypes:
    return module_types(ast.parse(PRICING), "shop.pricing", project())


LINE = f"st.builds(Line, sku={TEXT}, quantity=st.integers(), unit_price={DECIMALS})"
CUSTOMER = (
    f"st.builds(Customer, name={TEXT}, tier=st.sampled_from(Tier), "
    f"credit=st.one_of(st.none(), {DECIMALS}))"
)
M = "from shop.models import "

# (annotation as the pricing module writes it, strategy, imports)
CLASS_STRATEGIES = [
    ("Tier", "st.sampled_from(Tier)", {M + "Tier"}),
    ("Line", LINE, {M + "Line", "from decimal import Decimal"}),
    ("list[Line]", f"st.lists({LINE}, max_size=8)", {M + "Line", "from decimal import Decimal"}),
    (
        "Optional[Customer]",
        f"st.one_of(st.none(), {CUSTOMER})",
        {M + "Customer", M + "Tier", "from decimal import Decimal"},
    ),
    ("models.Point", "st.builds(Point, x=st.integers(), y=st.integers())", {M + "Point"}),
    (
        "Crate",  # an alias: the class is imported under its own name
        "st.builds(Box, width=st.integers(), height=st.integers(), label=st.text(max_size=40))",
        {M + "Box"},
    ),
    (
        "models.Priced",  # inherited fields first; init=False, ClassVar left out; InitVar kept
        f"st.builds(Priced, sku={TEXT}, quantity=st.integers(), unit_price={DECIMALS}, "
        f"currency={TEXT}, seed=st.integers())",
        {M + "Priced", "from decimal import Decimal"},
    ),
    (
        "models.Account",
        f"st.builds(Account, owner={TEXT}, balance={DECIMALS})",
        {M + "Account", "from decimal import Decimal"},
    ),
    ("models.Leaf", "st.builds(Leaf, value=st.integers())", {M + "Leaf"}),  # recursion: default
    ("models.Plain", "st.builds(Plain)", {M + "Plain"}),
    (
        "dict[str, list[models.Point]]",
        f"st.dictionaries({TEXT}, st.lists(st.builds(Point, x=st.integers(), y=st.integers()), "
        "max_size=8), max_size=8)",
        {M + "Point"},
    ),
]


@pytest.mark.parametrize(("annotation", "strategy", "imports"), CLASS_STRATEGIES)
def test_project_class_strategies(
    pricing_types: ModuleTypes, annotation: str, strategy: str, imports: set[str]
) -> None:
    produced, needed = strategy_for(ast.parse(annotation, mode="eval").body, pricing_types)
    assert produced == strategy
    assert set(needed) == imports


@pytest.mark.parametrize(
    "annotation",
    [
        "models.Node",  # a required field of its own type
        "models.Untyped",  # a required parameter without annotation
        "models.Shape",  # abstract
        "models.Greeter",  # a Protocol
        "models.Failure",  # its base class is not the project's
        "models.Missing",
        "Decimalish",
    ],
)
def test_classes_without_a_strategy(pricing_types: ModuleTypes, annotation: str) -> None:
    with pytest.raises(Unsupported):
        strategy_for(ast.parse(annotation, mode="eval").body, pricing_types)


@pytest.mark.parametrize(
    ("annotation", "check"),
    [
        ("Decimal", "assert isinstance(result, Decimal)"),
        ("Line", "assert isinstance(result, Line)"),
        ("Optional[Customer]", "assert result is None or isinstance(result, Customer)"),
        ("'Tier'", "assert isinstance(result, Tier)"),
        ("Iterable[Line]", None),
    ],
)
def test_return_checks_know_project_classes(
    pricing_types: ModuleTypes, annotation: str, check: str | None
) -> None:
    assert return_check(ast.parse(annotation, mode="eval").body, pricing_types) == check


@pytest.mark.parametrize(
    ("name", "expected"),
    [("OrderService", "order_service"), ("HTTPClient", "http_client"), ("Box", "box")],
)
def test_instance_names(name: str, expected: str) -> None:
    assert snake(name) == expected


def symbol_named(qualified: str) -> Symbol:
    analysis = analyse_source("shop/pricing.py", PRICING.encode())
    return next(item for item in analysis.symbols if item.qualified_name == qualified)


@pytest.fixture()
def package(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def run_test(root: Path, path: str, source: str) -> subprocess.CompletedProcess[str]:
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(source, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", path],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONPATH": str(root)},
    )


# (symbol, what the generated test calls, what it must contain)
GENERATED = [
    (
        "price",
        "price(customer=customer, lines=lines, where=where)",
        "assert isinstance(result, Decimal)",
    ),
    ("pack", "pack(crate=crate)", "from shop.models import Box"),
    ("Basket.total", "basket.total(discount=discount)", "except ValueError:"),
    ("Basket.describe", "Basket.describe(tier=tier)", "assert isinstance(result, str)"),
    ("Basket.count", "asyncio.run(basket.count(extra=extra))", "assert isinstance(result, int)"),
]


@pytest.mark.parametrize(("name", "call", "contains"), GENERATED)
def test_generated_tests_for_functions_and_methods_pass(
    package: Path, name: str, call: str, contains: str
) -> None:
    (candidate,) = property_tests(
        "shop/pricing.py", PRICING, symbol_named(name), module="shop.pricing", project=project()
    )
    assert call in candidate.source
    assert contains in candidate.source
    assert all(len(line) <= 99 for line in candidate.source.splitlines())
    compile(candidate.source, candidate.path, "exec")
    done = run_test(package, candidate.path, candidate.source)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_method_test_builds_the_instance_from_its_constructor() -> None:
    (candidate,) = property_tests(
        "shop/pricing.py",
        PRICING,
        symbol_named("Basket.total"),
        module="shop.pricing",
        project=project(),
    )
    assert "from shop.models import Customer, Line, Tier" in candidate.source
    assert "from shop.pricing import Basket" in candidate.source
    assert "    basket=st.builds(\n        Basket,\n        customer=st.builds(" in candidate.source
    assert "For any Basket built from its annotated constructor" in candidate.source


def test_a_method_property_finds_a_real_bug(package: Path) -> None:
    (candidate,) = property_tests(
        "shop/pricing.py",
        PRICING,
        symbol_named("Basket.first_sku"),
        module="shop.pricing",
        project=project(),
    )
    done = run_test(package, candidate.path, candidate.source)
    assert done.returncode == 1
    assert "IndexError" in done.stdout


@pytest.mark.parametrize("name", ["Basket.size"])
def test_properties_get_no_property_test(name: str) -> None:
    assert (
        property_tests(
            "shop/pricing.py", PRICING, symbol_named(name), module="shop.pricing", project=project()
        )
        == []
    )


def test_without_the_project_imported_classes_are_unknown() -> None:
    assert (
        property_tests("shop/pricing.py", PRICING, symbol_named("price"), module="shop.pricing")
        == []
    )
