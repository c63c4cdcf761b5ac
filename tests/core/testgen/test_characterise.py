"""Characterisation tests end to end on a tiny package: inputs found, head recorded, asserted."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.lang import analyse_source
from core.lang.symbols import Symbol
from core.testgen.characterise import (
    Runner,
    characterisation_tests,
    find_inputs,
    parse_records,
    recording_script,
    sandbox_runner,
)
from core.testgen.repo_view import RepoView
from core.testgen.validation import validate
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
