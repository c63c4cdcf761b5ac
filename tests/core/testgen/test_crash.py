"""Crash reproduction: path mapping, import paths, frame choice, and real before/after runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.formats import parse_error
from argus.core.testgen.candidate import CandidateKind
from argus.core.testgen.crash import NotReproducible, reproduce_crash
from argus.core.testgen.repo_view import ImportPath, RepoView
from tests.core.testgen.sandbox_repos import git

SCENARIOS = Path(__file__).resolve().parents[3] / "benchmarks" / "scenarios"


def make_repo(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


def commit(root: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


def run_pytest(repo: Path, commit_sha: str, test_path: str, source: str, tmp: Path) -> str:
    """Run one test file with real pytest in a fresh worktree at ``commit_sha``; its output."""
    tree = tmp / f"tree-{commit_sha[:8]}"
    git(repo, "worktree", "add", "-q", "--detach", str(tree), commit_sha)
    try:
        (tree / test_path).parent.mkdir(parents=True, exist_ok=True)
        (tree / test_path).write_text(source, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_path],
            cwd=tree,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONPATH": str(tree)},
        )
        return f"rc={done.returncode}\n{done.stdout}{done.stderr}"
    finally:
        git(repo, "worktree", "remove", "--force", str(tree))


# --- path mapping -----------------------------------------------------------------------------


@pytest.fixture()
def layout(tmp_path: Path) -> RepoView:
    repo = make_repo(
        tmp_path / "layout",
        {
            "orders/__init__.py": "",
            "orders/pricing.py": "def f():\n    pass\n",
            "legacy/pricing.py": "def f():\n    pass\n",
            "src/inventory/__init__.py": "",
            "src/inventory/stock.py": "def g():\n    pass\n",
            "scripts/tool.py": "from helpers import x\n",
            "scripts/helpers.py": "x = 1\n",
            "app/namespace_mod.py": "import json\n",
            "loose/single.py": "import os\n",
        },
    )
    return RepoView(repo)


@pytest.mark.parametrize(
    ("frame_path", "module", "expected"),
    [
        ("/srv/app/orders/pricing.py", None, "orders/pricing.py"),
        ("/usr/lib/python3.11/site-packages/orders/pricing.py", None, "orders/pricing.py"),
        ("orders/pricing.py", None, "orders/pricing.py"),
        ("C:\\deploy\\orders\\pricing.py", None, "orders/pricing.py"),
        (
            "/opt/venv/lib/python3.11/site-packages/inventory/stock.py",
            None,
            "src/inventory/stock.py",
        ),
        ("/srv/app/legacy/pricing.py", None, "legacy/pricing.py"),
        ("/elsewhere/pricing.py", None, None),  # two files named pricing.py fit equally
        ("/elsewhere/pricing.py", "orders.pricing", "orders/pricing.py"),
        ("/srv/app/missing.py", None, None),
        ("", None, None),
    ],
)
def test_frame_paths_map_to_repository_files(
    layout: RepoView, frame_path: str, module: str | None, expected: str | None
) -> None:
    assert layout.map_path(frame_path, module) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("orders/pricing.py", ImportPath("orders.pricing", "")),
        ("orders/__init__.py", ImportPath("orders", "")),
        ("src/inventory/stock.py", ImportPath("inventory.stock", "src")),
        ("scripts/tool.py", ImportPath("tool", "scripts")),
        ("app/namespace_mod.py", ImportPath("app.namespace_mod", "")),
        ("loose/single.py", ImportPath("loose.single", "")),
    ],
)
def test_import_paths(layout: RepoView, path: str, expected: ImportPath) -> None:
    assert layout.import_path(path) == expected


# --- frame choice and argument rebuilding ------------------------------------------------------

SHOP = {
    "shop/__init__.py": "",
    "shop/calc.py": (
        "from dataclasses import dataclass\n"
        "\n"
        "\n"
        "def ratio(part, whole, /, digits=1, *, scale=100):\n"
        "    return round(scale * part / whole, digits)\n"
        "\n"
        "\n"
        "def render(template, *args, **fields):\n"
        "    return template.format(*args, **fields)\n"
        "\n"
        "\n"
        "@dataclass\n"
        "class Basket:\n"
        "    items: list\n"
        "\n"
        "    def mean(self):\n"
        "        return sum(self.items) / len(self.items)\n"
        "\n"
        "\n"
        "class Counter:\n"
        "    def __init__(self, start, step):\n"
        "        self.start = start\n"
        "\n"
        "    def per_step(self, total):\n"
        "        return total / self.start\n"
        "\n"
        "\n"
        "def counter_report(start, step, total):\n"
        "    counter = Counter(start, step)\n"
        "    return counter.per_step(total)\n"
    ),
}


def event_for(frames: list[Frame], exception: str = "ZeroDivisionError") -> ErrorEvent:
    return ErrorEvent(exception, "division by zero", tuple(frames), platform="python")


def test_positional_only_and_keyword_only_arguments(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "shop", SHOP)
    frame = Frame(
        "ratio",
        abs_path="/srv/app/shop/calc.py",
        lineno=5,
        vars={"part": "3", "whole": "0", "digits": "2", "scale": "100"},
    )
    candidate = reproduce_crash(event_for([frame]), repo)[0]
    assert "ratio(3, 0, digits=2, scale=100)" in candidate.source
    assert candidate.kind is CandidateKind.REGRESSION_TEST
    assert candidate.expected_exception == "ZeroDivisionError"
    assert candidate.path.startswith("tests/test_regression_ratio_")
    assert "from shop.calc import ratio" in candidate.source


def test_defaults_fill_in_for_missing_variables(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "shop", SHOP)
    frame = Frame(
        "ratio", abs_path="/srv/app/shop/calc.py", lineno=5, vars={"part": "3", "whole": "0"}
    )
    candidate = reproduce_crash(event_for([frame]), repo)[0]
    assert "ratio(3, 0)" in candidate.source


def test_star_args_and_keyword_arguments(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "shop", SHOP)
    frame = Frame(
        "render",
        abs_path="/srv/app/shop/calc.py",
        lineno=9,
        vars={"template": "'{name}'", "args": ["'x'"], "fields": {"number": "42"}},
    )
    candidate = reproduce_crash(event_for([frame], "KeyError"), repo)[0]
    assert "render('{name}', *['x'], **{'number': 42})" in candidate.source


def test_dataclass_self_is_rebuilt_from_its_repr(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "shop", SHOP)
    frame = Frame(
        "mean", abs_path="/srv/app/shop/calc.py", lineno=17, vars={"self": "Basket(items=[])"}
    )
    candidate = reproduce_crash(event_for([frame]), repo)[0]
    assert "Basket(items=[]).mean()" in candidate.source


def test_unrebuildable_self_moves_to_the_caller(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "shop", SHOP)
    frames = [
        Frame(
            "counter_report",
            abs_path="/srv/app/shop/calc.py",
            lineno=29,
            vars={
                "start": "0",
                "step": "1",
                "total": "10",
                "counter": "<shop.calc.Counter object>",
            },
        ),
        Frame(
            "per_step",
            abs_path="/srv/app/shop/calc.py",
            lineno=25,
            vars={"self": "<shop.calc.Counter object at 0x1>", "total": "10"},
        ),
    ]
    candidate = reproduce_crash(event_for(frames), repo)[0]
    assert "counter_report(start=0, step=1, total=10)" in candidate.source


def test_nothing_rebuildable_is_refused_with_reasons(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "shop", SHOP)
    frame = Frame(
        "ratio",
        abs_path="/srv/app/shop/calc.py",
        lineno=5,
        vars={"part": "<object at 0x1>", "whole": "0"},
    )
    with pytest.raises(NotReproducible, match="part=<object at 0x1> is not a literal"):
        reproduce_crash(event_for([frame]), repo)
    outside = Frame("main", abs_path="/srv/other/unknown.py", lineno=1)
    with pytest.raises(NotReproducible, match="not in the repository"):
        reproduce_crash(event_for([outside]), repo)


def test_malicious_variable_is_never_written_into_the_test(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "shop", SHOP)
    frame = Frame(
        "ratio",
        abs_path="/srv/app/shop/calc.py",
        lineno=5,
        vars={"part": "__import__('os').system('touch pwned')", "whole": "0"},
    )
    with pytest.raises(NotReproducible):
        reproduce_crash(event_for([frame]), repo)


def test_unittest_projects_get_a_test_case(tmp_path: Path) -> None:
    files = {
        **SHOP,
        "tests/test_calc.py": (
            "import unittest\n\nfrom shop.calc import ratio\n\n\n"
            "class RatioTest(unittest.TestCase):\n"
            "    def test_ratio(self):\n        self.assertEqual(ratio(1, 2), 50.0)\n"
        ),
    }
    repo = make_repo(tmp_path / "shop", files)
    frame = Frame(
        "ratio", abs_path="/srv/app/shop/calc.py", lineno=5, vars={"part": "1", "whole": "0"}
    )
    candidate = reproduce_crash(event_for([frame]), repo)[0]
    assert candidate.framework == "unittest"
    assert "(unittest.TestCase):" in candidate.source
    compile(candidate.source, candidate.path, "exec")


# --- real runs ---------------------------------------------------------------------------------

BUGGY_STATS = "def average(values):\n    return sum(values) / len(values)\n"
FIXED_STATS = (
    "def average(values):\n    if not values:\n        return 0.0\n"
    "    return sum(values) / len(values)\n"
)


def test_generated_test_fails_before_and_passes_after_with_real_pytest(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "stats",
        {
            "src/metrics/__init__.py": "",
            "src/metrics/stats.py": BUGGY_STATS,
            "src/metrics/report.py": (
                "from metrics.stats import average\n\n\n"
                "def summary(name, values):\n    return f'{name}: {average(values):.2f}'\n"
            ),
        },
    )
    buggy = git(repo, "rev-parse", "HEAD")
    fixed = commit(repo, {"src/metrics/stats.py": FIXED_STATS}, "fix")
    frames = [
        Frame("<module>", abs_path="/srv/app/run.py", lineno=1, vars={}),
        Frame(
            "summary",
            abs_path="/opt/venv/lib/python3.11/site-packages/metrics/report.py",
            lineno=5,
            in_app=False,
            vars={"name": "'latency'", "values": "[]"},
        ),
        Frame(
            "average",
            abs_path="/opt/venv/lib/python3.11/site-packages/metrics/stats.py",
            lineno=2,
            in_app=False,
            vars={"values": "[]"},
        ),
    ]
    candidates = reproduce_crash(event_for(frames), repo, ref=buggy)
    first = candidates[0]
    assert "average(values=[])" in first.source
    assert "sys.path.insert" in first.source  # src layout
    before = run_pytest(repo, buggy, first.path, first.source, tmp_path)
    assert before.startswith("rc=1")
    assert "ZeroDivisionError" in before
    after = run_pytest(repo, fixed, first.path, first.source, tmp_path)
    assert after.startswith("rc=0"), after


def test_a_real_sentry_event_reproduces_through_a_caller(tmp_path: Path) -> None:
    """The invoice scenario's event was captured from the real sentry-sdk."""
    folder = SCENARIOS / "16-invoice-caller"
    files = {
        str(path.relative_to(folder / "buggy")): path.read_text(encoding="utf-8")
        for path in (folder / "buggy").rglob("*.py")
    }
    repo = make_repo(tmp_path / "invoice", files)
    buggy = git(repo, "rev-parse", "HEAD")
    fixed_text = (folder / "fixed" / "invoices" / "invoice.py").read_text(encoding="utf-8")
    fixed = commit(repo, {"invoices/invoice.py": fixed_text}, "fix")
    event = parse_error((folder / "event.json").read_text(encoding="utf-8"))
    candidates = reproduce_crash(event, repo, ref=buggy)
    candidate = candidates[0]
    # The method's object is the one its caller built, replayed from the caller's statements.
    assert "invoice = Invoice(lines, tax_rate)\n    invoice.tax_per_line()" in candidate.source
    assert "lines = []\n    tax_rate = 0.2" in candidate.source
    assert any("invoice_summary(lines=[], tax_rate=0.2)" in c.source for c in candidates[1:])
    assert "Error pattern" in candidate.source and "ZeroDivisionError" in candidate.source
    before = run_pytest(repo, buggy, candidate.path, candidate.source, tmp_path)
    assert before.startswith("rc=1") and "ZeroDivisionError" in before
    after = run_pytest(repo, fixed, candidate.path, candidate.source, tmp_path)
    assert after.startswith("rc=0"), after


def test_tolerant_variant_accepts_a_fix_that_refuses_the_input(tmp_path: Path) -> None:
    buggy_text = "def rate(table, code):\n    return table[code]\n"
    fixed_text = (
        "def rate(table, code):\n    if code not in table:\n"
        "        raise ValueError(f'unknown currency {code}')\n    return table[code]\n"
    )
    repo = make_repo(tmp_path / "fx", {"fx/__init__.py": "", "fx/rates.py": buggy_text})
    buggy = git(repo, "rev-parse", "HEAD")
    fixed = commit(repo, {"fx/rates.py": fixed_text}, "refuse unknown codes")
    frame = Frame(
        "rate",
        abs_path="/srv/app/fx/rates.py",
        lineno=2,
        vars={"table": {"EUR": "1.0"}, "code": "'XXX'"},
    )
    strict, tolerant = reproduce_crash(event_for([frame], "KeyError"), repo, ref=buggy)
    assert "except KeyError:" in tolerant.source and "except KeyError" not in strict.source
    strict_after = run_pytest(repo, fixed, strict.path, strict.source, tmp_path)
    assert strict_after.startswith("rc=1") and "ValueError" in strict_after
    before = run_pytest(repo, buggy, tolerant.path, tolerant.source, tmp_path)
    assert before.startswith("rc=1") and "KeyError" in before
    after = run_pytest(repo, fixed, tolerant.path, tolerant.source, tmp_path)
    assert after.startswith("rc=0"), after


def test_values_of_a_class_defined_in_another_module_are_rebuilt(tmp_path: Path) -> None:
    files = {
        "store/__init__.py": "",
        "store/models.py": (
            "from dataclasses import dataclass\n\n\n"
            "@dataclass(frozen=True)\nclass Line:\n    sku: str\n    quantity: int\n"
        ),
        "store/bulk.py": (
            "def bulk(lines):\n"
            "    return [i for i in range(len(lines) + 1) if lines[i].quantity > 5]\n"
        ),
    }
    repo = make_repo(tmp_path / "store", files)
    frame = Frame(
        "bulk",
        abs_path="/srv/app/store/bulk.py",
        lineno=2,
        vars={"lines": str(["Line(sku='A1', quantity=60)"])},
    )
    candidate = reproduce_crash(event_for([frame], "IndexError"), repo)[0]
    assert "from store.models import Line" in candidate.source
    assert "bulk(lines=[Line(sku='A1', quantity=60)])" in candidate.source
    # A class name no file defines leaves the value unrebuilt (never a list of strings).
    unknown = Frame(
        "bulk",
        abs_path="/srv/app/store/bulk.py",
        lineno=2,
        vars={"lines": str(["Missing(sku='A1')"])},
    )
    with pytest.raises(NotReproducible, match="is not a literal"):
        reproduce_crash(event_for([unknown], "IndexError"), repo)


def test_values_of_a_lower_case_class_are_rebuilt(tmp_path: Path) -> None:
    # dateutil's classes are lower case (tzlocal(), tzutc()): a value that calls a name one
    # repository file defines as a class is rebuilt through it, whatever its case; a builtin
    # or standard call (set(), datetime.datetime()) is not taken for a project class.
    files = {
        "clock/__init__.py": "",
        "clock/zones.py": "class utczone:\n    def offset(self):\n        return 0\n",
        "clock/convert.py": (
            "def shift(when, zone, seen):\n    return when.hour + zone.offset() + len(seen)\n"
        ),
    }
    repo = make_repo(tmp_path / "clock", files)
    frame = Frame(
        "shift",
        abs_path="/srv/app/clock/convert.py",
        lineno=2,
        vars={
            "when": "datetime.datetime(2015, 11, 1, 6, 30, tzinfo=utczone())",
            "zone": "utczone()",
            "seen": "set()",
        },
    )
    candidate = reproduce_crash(event_for([frame], "TypeError"), repo)[0]
    assert "from clock.zones import utczone" in candidate.source
    assert (
        "shift(when=datetime.datetime(2015, 11, 1, 6, 30, tzinfo=utczone()), zone=utczone(), "
        "seen=set())" in candidate.source
    ), candidate.source


def test_a_self_whose_repr_shows_state_is_not_made_afresh(tmp_path: Path) -> None:
    # <Stack of 2> shows an object holding items; Stack() would hold none and raise the same
    # IndexError whatever the fix, a test that could never pass. A default repr shows no
    # state, and a fresh object is the best there is.
    files = {
        "piles/__init__.py": "",
        "piles/stack.py": (
            "class Stack:\n"
            "    def __init__(self, items=None):\n"
            "        self.items = list(items or [])\n\n"
            "    def __repr__(self):\n"
            "        return f'<Stack of {len(self.items)}>'\n\n"
            "    def second(self):\n"
            "        return self.items[-2]\n"
        ),
    }
    repo = make_repo(tmp_path / "piles", files)

    def event(shown: str) -> ErrorEvent:
        frame = Frame("second", abs_path="/srv/app/piles/stack.py", lineno=9, vars={"self": shown})
        return event_for([frame], "IndexError")

    with pytest.raises(NotReproducible, match="a fresh Stack\\(\\) would lack the state"):
        reproduce_crash(event("<Stack of 1>"), repo)
    (candidate, *_) = reproduce_crash(event("<piles.stack.Stack object at 0x7f00>"), repo)
    assert "Stack().second()" in candidate.source


ROWS = {
    "rows/__init__.py": "",
    "rows/table.py": (
        "import dataclasses\n\n\n"
        "def widths(rows):\n"
        "    if rows and dataclasses.is_dataclass(rows[0]):\n"
        "        names = [field.name for field in dataclasses.fields(rows[0])]\n"
        "        return [[len(str(getattr(row, name))) for name in names] for row in rows]\n"
        "    return [[len(str(cell)) for cell in row] for row in rows]\n"
    ),
}
ROWS_FIXED = ROWS["rows/table.py"].replace("getattr(row, name)", "getattr(row, name, row)")


def _rows_event(shown_class: str) -> ErrorEvent:
    """widths() crashed on a separator string among rows of a class the caller made."""
    caller = Frame(
        "report",
        abs_path="/srv/app/report.py",
        lineno=3,
        vars={"Person": shown_class},
    )
    frame = Frame(
        "widths",
        abs_path="/srv/app/rows/table.py",
        lineno=7,
        vars={"rows": str(["Person(name='Al', age=23)", "'-'", "Person(name='Bo', age=7)"])},
    )
    return ErrorEvent(
        "AttributeError", "'str' object has no attribute 'name'", (caller, frame), "python"
    )


def test_a_class_made_at_run_time_gets_a_stand_in_dataclass(tmp_path: Path) -> None:
    # make_dataclass and test modules make classes no repository file defines; the event
    # shows where (<class 'types.Person'>), and their repr shows the fields, so the test
    # declares a dataclass of that name and those fields. It fails before the fix with the
    # production error and passes after.
    repo = make_repo(tmp_path / "rows", ROWS)
    buggy = git(repo, "rev-parse", "HEAD")
    fixed = commit(repo, {"rows/table.py": ROWS_FIXED}, "fix")
    (candidate, *_) = reproduce_crash(_rows_event("<class 'types.Person'>"), repo, ref=buggy)
    assert "from dataclasses import make_dataclass" in candidate.source
    assert "Person = make_dataclass('Person', ['name', 'age'])" in candidate.source
    before = run_pytest(repo, buggy, candidate.path, candidate.source, tmp_path)
    assert "rc=1" in before and "AttributeError" in before, before
    after = run_pytest(repo, fixed, candidate.path, candidate.source, tmp_path)
    assert "rc=0" in after, after


def test_a_library_class_gets_no_stand_in(tmp_path: Path) -> None:
    # A class the event does not show as made at run time or in a test may be a library's,
    # whose behaviour a dataclass would not have: no stand-in, the value is not rebuilt.
    repo = make_repo(tmp_path / "rows", ROWS)
    with pytest.raises(NotReproducible, match="is not a literal"):
        reproduce_crash(_rows_event("<class 'people.models.Person'>"), repo)


BAGS = {
    "bags/__init__.py": "",
    "bags/bag.py": (
        "class Key:\n"
        "    def __init__(self, name):\n"
        "        self.name = name\n\n"
        "    def __hash__(self):\n"
        "        return hash(self.name)\n\n"
        "    def __eq__(self, other):\n"
        "        return self.name == other.name\n\n\n"
        "class Bag(dict):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self._keys = {}\n\n"
        "    def __setitem__(self, key, value):\n"
        "        self._keys[Key(key)] = value\n"
        "        super().__setitem__(key, value)\n\n"
        "    def has(self, key):\n"
        "        return key in self._keys\n"
    ),
}


def test_a_container_self_is_filled_through_its_own_setitem(tmp_path: Path) -> None:
    # Bag shows only its items ({'owner': 1}); what crashes is what its __setitem__ keeps
    # beside them (Key objects), so the test builds an empty Bag and stores each item
    # through the class, not Bag() alone (which has no keys and would not crash).
    repo = make_repo(tmp_path / "bags", BAGS)
    buggy = git(repo, "rev-parse", "HEAD")
    fixed = commit(
        repo,
        {
            "bags/bag.py": BAGS["bags/bag.py"].replace(
                "self.name == other.name", "self.name == getattr(other, 'name', other)"
            )
        },
        "fix",
    )
    frames = (
        Frame(
            "has",
            abs_path="/srv/app/bags/bag.py",
            lineno=22,
            vars={"self": "{'owner': 1, 'size': 'L'}", "key": "'owner'"},
        ),
        Frame(
            "__eq__",
            abs_path="/srv/app/bags/bag.py",
            lineno=9,
            vars={"self": "<bags.bag.Key object at 0x7f00>", "other": "'owner'"},
        ),
    )
    event = ErrorEvent("AttributeError", "'str' object has no attribute 'name'", frames, "python")
    candidates = reproduce_crash(event, repo, ref=buggy)
    (candidate,) = [c for c in candidates if c.targets == ("bags/bag.py::Bag.has",)][:1]
    assert "bag = Bag()\n" in candidate.source
    assert "bag['owner'] = 1\n" in candidate.source
    assert "bag['size'] = 'L'\n" in candidate.source
    before = run_pytest(repo, buggy, candidate.path, candidate.source, tmp_path)
    assert "rc=1" in before and "AttributeError" in before, before
    after = run_pytest(repo, fixed, candidate.path, candidate.source, tmp_path)
    assert "rc=0" in after, after


def test_bad_input_is_an_argus_error(tmp_path: Path) -> None:
    from argus.core.errors import ArgusError, GitError

    repo = make_repo(tmp_path / "shop", SHOP)
    frame = Frame("ratio", abs_path="/srv/app/shop/calc.py", lineno=5, vars={"part": "1"})
    with pytest.raises(GitError):
        reproduce_crash(event_for([frame]), repo, ref="no-such-release")
    (tmp_path / "plain").mkdir()
    with pytest.raises(ArgusError):
        reproduce_crash(event_for([frame]), tmp_path / "plain")
    node = ErrorEvent(
        "TypeError",
        "x is undefined",
        (Frame("parse", abs_path="/srv/app/web/cart.js", lineno=3),),
        platform="node",
    )
    with pytest.raises(NotReproducible, match="Python event"):
        reproduce_crash(node, repo)
    with pytest.raises(NotReproducible, match="no frames"):
        reproduce_crash(event_for([]), repo)
