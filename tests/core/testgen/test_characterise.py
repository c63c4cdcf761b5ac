"""Characterisation tests end to end on a tiny package: inputs found, head recorded, asserted."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from argus.core.lang import analyse_source
from argus.core.lang.symbols import Symbol
from argus.core.testgen.characterise import (
    Callee,
    Runner,
    characterisation_tests,
    find_inputs,
    parse_records,
    recording_script,
    sandbox_runner,
)
from argus.core.testgen.repo_view import RepoView
from argus.core.testgen.validation import validate
from tests.core.testgen.sandbox_repos import git

PRICING = '''"""Prices."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass
class Quote:
    sku: str
    amount: Decimal


def price(quantity, unit=2.5, *, discount=0.0):
    if quantity < 0:
        raise ValueError("negative quantity")
    return round(quantity * unit * (1 - discount), 2)


def quote(sku, quantity):
    return Quote(sku, Decimal(quantity) * Decimal("1.10"))


def label(words):
    return ", ".join(words)


def opaque(value):
    return object()
'''

FILES = {
    "shop/__init__.py": "",
    "shop/pricing.py": PRICING,
    "shop/cart.py": (
        "from shop import pricing\nfrom shop.pricing import label, price\n\n\n"
        "def total(lines):\n"
        "    return sum(price(line) for line in lines) + price(3, 1.5, discount=0.1)\n\n\n"
        "def banner():\n    return label(['a', 'b'])\n\n\n"
        "def first():\n    return pricing.quote('A1', 3), pricing.opaque(1)\n"
    ),
    "tests/test_pricing.py": (
        "import pytest\n\nfrom shop.pricing import price\n\n\n"
        "def test_price():\n    assert price(2) == 5.0\n\n\n"
        "def test_negative():\n    with pytest.raises(ValueError):\n        price(-1)\n"
    ),
}


def make_repo(root: Path) -> Path:
    for name, text in FILES.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


def symbol(name: str) -> Symbol:
    analysis = analyse_source("shop/pricing.py", PRICING.encode())
    return next(item for item in analysis.symbols if item.name == name)


def subprocess_runner(repo: Path, scratch: Path) -> Runner:
    """A real subprocess in a scratch copy of the repository (no sandbox)."""

    def run(script: str) -> str | None:
        copy = scratch / "copy"
        if copy.exists():
            shutil.rmtree(copy)
        shutil.copytree(repo, copy, ignore=shutil.ignore_patterns(".git"))
        (copy / "_record.py").write_text(script, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "_record.py"],
            cwd=copy,
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(copy)},
        )
        return done.stdout

    return run


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


def test_inputs_come_from_tests_and_call_sites(repo: Path) -> None:
    inputs = find_inputs(RepoView(repo), "shop/pricing.py", "price", "shop.pricing")
    assert [item.arguments for item in inputs] == ["2", "-1", "3, 1.5, discount=0.1"]
    assert inputs[0].found_in == "tests/test_pricing.py:7"
    # `price(line)` has a variable argument: not an input.
    via_module = find_inputs(RepoView(repo), "shop/pricing.py", "quote", "shop.pricing")
    assert [item.arguments for item in via_module] == ["'A1', 3"]


def test_recording_script_output_is_parsed(repo: Path, tmp_path: Path) -> None:
    inputs = find_inputs(RepoView(repo), "shop/pricing.py", "price", "shop.pricing")
    output = subprocess_runner(repo, tmp_path)(
        recording_script("shop.pricing", "price", inputs, "")
    )
    assert output is not None
    records = parse_records("noise\n" + output)
    assert [(r.index, r.result, r.exception) for r in records] == [
        (0, "5.0", None),
        (1, None, "ValueError"),
        (2, "4.05", None),
    ]
    assert records[0].float_result


def test_characterisation_test_passes_on_head_and_catches_a_change(
    repo: Path, tmp_path: Path
) -> None:
    (candidate,) = characterisation_tests(
        repo,
        "shop/pricing.py",
        symbol("price"),
        module="shop.pricing",
        runner=subprocess_runner(repo, tmp_path),
    )
    assert "assert price(2) == pytest.approx(5.0)" in candidate.source
    assert "with pytest.raises(ValueError):" in candidate.source
    assert "price(3, 1.5, discount=0.1) == pytest.approx(4.05)" in candidate.source
    head = git(repo, "rev-parse", "HEAD")
    result = validate(candidate, repo, head)
    assert result.accepted, (result.rejection, result.detail)
    # A change in behaviour makes the pinned values fail.
    changed = PRICING.replace("round(quantity * unit", "round(1 + quantity * unit")
    (repo / "shop" / "pricing.py").write_text(changed, encoding="utf-8")
    git(repo, "commit", "-q", "-am", "change")
    after = validate(candidate, repo, git(repo, "rev-parse", "HEAD"), runs=1)
    assert not after.accepted


def test_dataclass_results_compare_with_equality(repo: Path, tmp_path: Path) -> None:
    (candidate,) = characterisation_tests(
        repo,
        "shop/pricing.py",
        symbol("quote"),
        module="shop.pricing",
        runner=subprocess_runner(repo, tmp_path),
    )
    assert "assert quote('A1', 3) == Quote(sku='A1', amount=Decimal('3.30'))" in candidate.source
    assert "from shop.pricing import Quote" in candidate.source
    result = validate(candidate, repo, git(repo, "rev-parse", "HEAD"), runs=1)
    assert result.accepted, (result.rejection, result.detail)


def test_results_without_a_literal_repr_give_no_test(repo: Path, tmp_path: Path) -> None:
    assert (
        characterisation_tests(
            repo,
            "shop/pricing.py",
            symbol("opaque"),
            module="shop.pricing",
            runner=subprocess_runner(repo, tmp_path),
        )
        == []
    )


def test_recording_inside_the_sandbox(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    (candidate,) = characterisation_tests(
        repo,
        "shop/pricing.py",
        symbol("label"),
        module="shop.pricing",
        runner=sandbox_runner(repo, head),
    )
    assert "assert label(['a', 'b']) == 'a, b'" in candidate.source


# --- Objects as inputs: project classes, variables, methods, forwarded values ---------------

MODELS = '''"""Items and receipts."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Item:
    sku: str
    quantity: int
    price: Decimal


class Receipt:
    """No __eq__ and no literal repr: compared field by field."""

    def __init__(self, total, count):
        self.total = total
        self.count = count
'''

ORDERS = '''"""Orders."""

from decimal import Decimal

from shop.models import Item, Receipt

STOCK = {"MUG": 5}


class OutOfStock(Exception):
    pass


def total(items):
    return sum((item.price * item.quantity for item in items), Decimal(0))


def receipt(items):
    return Receipt(total(items), len(items))


def checkout(items):
    for item in items:
        if STOCK.get(item.sku, 0) < item.quantity:
            raise OutOfStock(item.sku)
    return total(items)


def skus(items):
    return [items[index].sku for index in range(len(items) + 1)]


def report(items, title="Report"):
    return title + ": " + ", ".join(skus(items))


class Cart:
    def __init__(self, owner, items=None):
        self.owner = owner
        self.items = list(items or [])

    def add(self, item):
        self.items.append(item)

    def count(self):
        return sum(item.quantity for item in self.items)
'''

ORDER_TESTS = """from decimal import Decimal

import pytest

from shop.models import Item
from shop.orders import Cart, OutOfStock, checkout, receipt, report, total


def test_total():
    items = [Item("MUG", 2, Decimal("7.50"))]
    assert total(items) == Decimal("15.00")


def test_total_of_a_fixture(items):
    assert total(items) >= 0


def test_checkout_refuses_what_is_not_in_stock():
    with pytest.raises(OutOfStock):
        checkout([Item("TEE", 1, Decimal("9.00"))])


def test_receipt_counts_items():
    assert receipt([Item("MUG", 1, Decimal("7.50"))]).count == 1


def test_report_is_broken():
    with pytest.raises(IndexError):
        report([Item("MUG", 1, Decimal("1"))], title="Today")


@pytest.mark.parametrize(
    ("sku", "quantity"),
    [("MUG", 3), pytest.param("CUP", 4, id="cup"), pytest.param("X", 0, marks=pytest.mark.xfail)],
)
def test_totals_of_many(sku, quantity):
    assert total([Item(sku, quantity, Decimal("2"))]) >= 0


def test_cart():
    cart = Cart("ada", [Item("MUG", 2, Decimal("7.50"))])
    cart.add(Item("TEE", 1, Decimal("9.00")))
    assert cart.count() == 3
"""

OBJECT_FILES = {
    "shop/__init__.py": "",
    "shop/models.py": MODELS,
    "shop/orders.py": ORDERS,
    "tests/test_orders.py": ORDER_TESTS,
}


@pytest.fixture()
def object_repo(tmp_path: Path) -> Path:
    root = tmp_path / "objects"
    for name, text in OBJECT_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "orders")
    return root


def orders_symbol(qualified: str) -> Symbol:
    analysis = analyse_source("shop/orders.py", ORDERS.encode())
    return next(item for item in analysis.symbols if item.qualified_name == qualified)


ITEM_MUG = "Item('MUG', 2, Decimal('7.50'))"
CART = f"Cart('ada', [{ITEM_MUG}])"

# (target, callee, [(receiver, arguments)], where the first input was found)
INPUTS = [
    # A variable assigned a list of project objects; `total(items)` of a fixture is no input;
    # receipt and checkout pass their literal `items` on to total.
    (
        "total",
        Callee("total"),
        [
            (None, f"[{ITEM_MUG}]"),
            # one input per parametrize row, the xfail row left out
            (None, "[Item('MUG', 3, Decimal('2'))]"),
            (None, "[Item('CUP', 4, Decimal('2'))]"),
            (None, "[Item('MUG', 1, Decimal('7.50'))]"),
            (None, "[Item('TEE', 1, Decimal('9.00'))]"),
        ],
        "tests/test_orders.py:11",
    ),
    (
        "checkout",
        Callee("checkout"),
        [(None, "[Item('TEE', 1, Decimal('9.00'))]")],
        "tests/test_orders.py:20",
    ),
    # The receiver built with literals, the argument a project object.
    (
        "add",
        Callee("add", "Cart", "instance"),
        [(CART, "Item('TEE', 1, Decimal('9.00'))")],
        "tests/test_orders.py:42",
    ),
    ("count", Callee("count", "Cart", "instance"), [(CART, "")], "tests/test_orders.py:43"),
    # Nobody calls skus with literals, but report passes its `items` on to it.
    (
        "skus",
        Callee("skus"),
        [(None, "[Item('MUG', 1, Decimal('1'))]")],
        "tests/test_orders.py:29 via report (shop/orders.py:34)",
    ),
]


@pytest.mark.parametrize(("name", "callee", "expected", "where"), INPUTS)
def test_inputs_with_objects(
    object_repo: Path, name: str, callee: Callee, expected: list[tuple[str | None, str]], where: str
) -> None:
    inputs = find_inputs(
        RepoView(object_repo), "shop/orders.py", name, "shop.orders", callee=callee
    )
    assert [(item.receiver, item.arguments) for item in inputs] == expected
    assert inputs[0].found_in == where
    assert "from shop.models import Item" in inputs[0].imports
    assert "from decimal import Decimal" in inputs[0].imports


def test_without_forwarding_a_function_nobody_calls_has_no_input(object_repo: Path) -> None:
    view = RepoView(object_repo)
    assert find_inputs(view, "shop/orders.py", "skus", "shop.orders", forward=False) == []


# (target, lines the test must contain)
OBJECT_TESTS = [
    ("total", ["assert total([Item('MUG', 2, Decimal('7.50'))]) == Decimal('15.00')"]),
    (
        "checkout",
        ["with pytest.raises(OutOfStock):", "from shop.orders import OutOfStock, checkout"],
    ),
    (
        "receipt",
        [
            "result = receipt([Item('MUG', 1, Decimal('7.50'))])",
            "assert result.count == 1",
            "assert result.total == Decimal('7.50')",
        ],
    ),
    (
        "Cart.add",
        [
            f"cart = {CART}",
            "assert cart.add(Item('TEE', 1, Decimal('9.00'))) is None",
            "assert cart.items == [",
            "        Item(sku='TEE', quantity=1, price=Decimal('9.00')),",
            "assert cart.owner == 'ada'",
        ],
    ),
    ("Cart.count", [f"cart = {CART}", "assert cart.count() == 2"]),
]


@pytest.mark.parametrize(("name", "lines"), OBJECT_TESTS)
def test_characterisation_of_code_taking_objects(
    object_repo: Path, tmp_path: Path, name: str, lines: list[str]
) -> None:
    (candidate,) = characterisation_tests(
        object_repo,
        "shop/orders.py",
        orders_symbol(name),
        module="shop.orders",
        runner=subprocess_runner(object_repo, tmp_path),
    )
    for line in lines:
        assert line in candidate.source, candidate.source
    assert "from shop.models import Item" in candidate.source
    assert all(len(line) <= 99 for line in candidate.source.splitlines())
    result = validate(candidate, object_repo, git(object_repo, "rev-parse", "HEAD"), runs=1)
    assert result.accepted, (result.rejection, result.detail, candidate.source)


def test_an_accidental_crash_is_not_pinned(object_repo: Path, tmp_path: Path) -> None:
    # skus has an off-by-one IndexError it does not raise on purpose: a characterisation test
    # with pytest.raises(IndexError) would lock the crash in, so none is written.
    candidates = characterisation_tests(
        object_repo,
        "shop/orders.py",
        orders_symbol("skus"),
        module="shop.orders",
        runner=subprocess_runner(object_repo, tmp_path),
    )
    assert all("IndexError" not in candidate.source for candidate in candidates)
    assert candidates == []


def test_a_method_characterisation_catches_a_change(object_repo: Path, tmp_path: Path) -> None:
    (candidate,) = characterisation_tests(
        object_repo,
        "shop/orders.py",
        orders_symbol("Cart.count"),
        module="shop.orders",
        runner=subprocess_runner(object_repo, tmp_path),
    )
    changed = ORDERS.replace("sum(item.quantity for", "len([item.quantity for").replace(
        "in self.items)", "in self.items])"
    )
    assert changed != ORDERS
    (object_repo / "shop" / "orders.py").write_text(changed, encoding="utf-8")
    git(object_repo, "commit", "-q", "-am", "count lines instead of units")
    after = validate(candidate, object_repo, git(object_repo, "rev-parse", "HEAD"), runs=1)
    assert not after.accepted
