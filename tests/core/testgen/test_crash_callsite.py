"""Arguments replayed from the caller's call site, objects of subclasses, repository files:
each generated test is run with real pytest before and after the fix."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.testgen import callsite
from argus.core.testgen.crash import NotReproducible, reproduce_crash
from argus.core.testgen.repo_view import RepoView
from tests.core.testgen.sandbox_repos import git
from tests.core.testgen.test_crash import commit, make_repo, run_pytest

CHECKER = '''"""Walks a syntax tree."""


class Checker:
    def __init__(self, tree, filename="(none)"):
        self.filename = filename
        self.seen = []
        for node in tree.body:
            self.handle(node)

    def handle(self, node):
        handler = getattr(self, type(node).__name__.upper())
        handler(node)

    def EXPR(self, node):
        self.seen.append(node)
'''
CHECKER_FIXED = CHECKER.replace(
    "        handler = getattr(self, type(node).__name__.upper())\n",
    "        handler = getattr(self, type(node).__name__.upper(), self.EXPR)\n",
)
API = '''"""Entry point."""

import ast
import textwrap

from lint.checker import Checker


def check(source, options):
    tree = ast.parse(textwrap.dedent(source))
    if options.get("segment"):
        tree = tree.body[0]
    return Checker(tree, filename="<string>")
'''


def event_of(exception: str, frames: list[Frame]) -> ErrorEvent:
    return ErrorEvent(exception, "boom", tuple(frames), platform="python")


def lint_frames(source: str, vars_of_init: dict[str, object]) -> list[Frame]:
    return [
        Frame(
            "check",
            abs_path="/srv/app/lint/api.py",
            lineno=13,
            context_line='    return Checker(tree, filename="<string>")',
            vars={
                "source": repr(source),
                "options": {},
                "tree": "<ast.Module object at 0x7f01>",
            },
        ),
        Frame(
            "__init__",
            abs_path="/srv/app/lint/checker.py",
            lineno=9,
            context_line="            self.handle(node)",
            vars=vars_of_init,
        ),
        Frame(
            "handle",
            abs_path="/srv/app/lint/checker.py",
            lineno=12,
            context_line="        handler = getattr(self, type(node).__name__.upper())",
            vars={"self": "<lint.checker.Checker object at 0x7f02>", "node": "<ast.Assign>"},
        ),
    ]


def test_an_object_argument_is_replayed_from_the_callers_statements(tmp_path: Path) -> None:
    files = {"lint/__init__.py": "", "lint/checker.py": CHECKER, "lint/api.py": API}
    repo = make_repo(tmp_path / "lint", files)
    buggy = git(repo, "rev-parse", "HEAD")
    fixed = commit(repo, {"lint/checker.py": CHECKER_FIXED}, "fix")
    frames = lint_frames(
        "x = 1",
        {
            "self": "<lint.checker.Checker object at 0x7f02>",
            "tree": "<ast.Module object at 0x7f01>",
            "filename": "'<string>'",
            "node": "<ast.Assign object at 0x7f03>",
        },
    )
    candidates = reproduce_crash(event_of("AttributeError", frames), repo, ref=buggy)
    first = candidates[0]
    assert first.targets == ("lint/checker.py::Checker.__init__",)
    body = first.source.split("def test_", 1)[1]
    # The caller's own statements, in order, with its recorded values bound first.
    assert body.index("source = 'x = 1'") < body.index("tree = ast.parse(textwrap.dedent(source))")
    assert "options = {}" in body and "if options.get('segment'):" in body
    assert "Checker(tree=tree, filename='<string>')" in body
    assert "import ast" in first.source and "import textwrap" in first.source
    before = run_pytest(repo, buggy, first.path, first.source, tmp_path)
    assert before.startswith("rc=1") and "AttributeError" in before, before
    after = run_pytest(repo, fixed, first.path, first.source, tmp_path)
    assert after.startswith("rc=0"), after


def test_a_caller_that_is_not_straight_line_code_is_not_replayed(tmp_path: Path) -> None:
    looped = API.replace(
        "    tree = ast.parse(textwrap.dedent(source))\n",
        "    for _ in range(1):\n        tree = ast.parse(textwrap.dedent(source))\n",
    )
    files = {"lint/__init__.py": "", "lint/checker.py": CHECKER, "lint/api.py": looped}
    repo = make_repo(tmp_path / "lint", files)
    frames = lint_frames("x = 1", {"self": "<lint.checker.Checker object at 0x7f02>"})
    frames[0] = Frame(
        "check",
        abs_path="/srv/app/lint/api.py",
        lineno=14,
        context_line='    return Checker(tree, filename="<string>")',
        vars={"source": "'x = 1'", "options": "{}", "tree": "<ast.Module object at 0x7f01>"},
    )
    frames[1] = Frame(
        "__init__",
        abs_path="/srv/app/lint/checker.py",
        lineno=9,
        vars={"self": "<x>", "tree": "<ast.Module object at 0x7f01>"},
    )
    try:
        candidates = reproduce_crash(event_of("AttributeError", frames), repo)
    except NotReproducible as refusal:
        assert "tree=<ast.Module" in str(refusal)
    else:  # only the caller itself, called with its own recorded values
        assert all("ast.parse" not in c.source for c in candidates)
        assert candidates[0].targets == ("lint/api.py::check",)


TABLE = '''"""Tables."""


def table(rows, headers=(), a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8, width=None):
    if width is not None:
        columns = len(rows[0])
        return [width] * columns
    return rows
'''
TABLE_FIXED = TABLE.replace(
    "        columns = len(rows[0])\n", "        columns = len(rows[0]) if rows else 0\n"
)


def test_a_parameter_the_tracker_cut_comes_from_the_recorded_call_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "tables", {"tables/__init__.py": "", "tables/core.py": TABLE})
    buggy = git(repo, "rev-parse", "HEAD")
    fixed = commit(repo, {"tables/core.py": TABLE_FIXED}, "fix")
    recorded = {name: str(index) for index, name in enumerate("abcdefgh", start=1)}
    frames = [
        # The caller's file is not in this repository (a service calling the library): only
        # its recorded call line is known.
        Frame(
            "report",
            abs_path="/srv/service/report.py",
            lineno=40,
            in_app=False,
            context_line="    out = table([], width=5)",
            vars={},
        ),
        Frame(
            "table",
            abs_path="/srv/app/tables/core.py",
            lineno=6,
            context_line="        columns = len(rows[0])",
            vars={"rows": [], "headers": "()", **recorded},  # 10 variables: width was cut
        ),
    ]
    first = reproduce_crash(event_of("IndexError", frames), repo, ref=buggy)[0]
    assert "width=5" in first.source
    before = run_pytest(repo, buggy, first.path, first.source, tmp_path)
    assert before.startswith("rc=1") and "IndexError" in before, before
    after = run_pytest(repo, fixed, first.path, first.source, tmp_path)
    assert after.startswith("rc=0"), after


def test_without_the_call_line_a_cut_parameter_stays_doubtful(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "tables", {"tables/__init__.py": "", "tables/core.py": TABLE})
    recorded = {name: str(index) for index, name in enumerate("abcdefgh", start=1)}
    frame = Frame(
        "table",
        abs_path="/srv/app/tables/core.py",
        lineno=6,
        context_line="        columns = len(rows[0])",
        vars={"rows": [], "headers": "()", **recorded},
    )
    first = reproduce_crash(event_of("IndexError", [frame]), repo)[0]
    assert "width" not in first.source.split("def test_", 1)[1]


RENDERERS = '''"""Renderers."""


class Base:
    def __init__(self):
        self.out = []

    def render(self, kind):
        method = getattr(self, kind)
        return method()


class Markdown(Base):
    def heading(self):
        return "#"
'''
RENDERERS_FIXED = (
    RENDERERS
    + """
    def item(self):
        return "-"
"""
)


def test_self_of_a_subclass_is_built_as_that_subclass(tmp_path: Path) -> None:
    files = {"render/__init__.py": "", "render/base.py": RENDERERS}
    repo = make_repo(tmp_path / "render", files)
    buggy = git(repo, "rev-parse", "HEAD")
    fixed = commit(repo, {"render/base.py": RENDERERS_FIXED}, "fix")
    frame = Frame(
        "render",
        abs_path="/srv/app/render/base.py",
        lineno=9,
        context_line="        method = getattr(self, kind)",
        vars={"self": "<render.base.Markdown object at 0x7f10>", "kind": "'item'"},
    )
    first = reproduce_crash(event_of("AttributeError", [frame]), repo, ref=buggy)[0]
    assert "Markdown().render(kind='item')" in first.source
    assert "Base()" not in first.source  # the object that crashed was a Markdown
    before = run_pytest(repo, buggy, first.path, first.source, tmp_path)
    assert before.startswith("rc=1") and "AttributeError" in before, before
    after = run_pytest(repo, fixed, first.path, first.source, tmp_path)
    assert after.startswith("rc=0"), after


READER = '''"""Reads records."""


def last_line(file_obj):
    data = file_obj.read()
    text = ""
    return text + data.splitlines()[-1]
'''
READER_FIXED = READER.replace('    text = ""\n', '    text = b""\n')


@pytest.mark.parametrize(
    ("recorded", "accepted"),
    [
        ("<_io.BufferedReader name='/srv/app/data/rows.txt'>", True),
        ("<_io.BufferedWriter name='/srv/app/data/rows.txt'>", False),
        ("<_io.BufferedReader name='/tmp/upload-1234.txt'>", False),
    ],
)
def test_a_file_of_the_repository_is_opened_again(
    tmp_path: Path, recorded: str, accepted: bool
) -> None:
    files = {"io_tools/__init__.py": "", "io_tools/read.py": READER, "data/rows.txt": "a\nb\n"}
    repo = make_repo(tmp_path / "reader", files)
    buggy = git(repo, "rev-parse", "HEAD")
    fixed = commit(repo, {"io_tools/read.py": READER_FIXED}, "fix")
    frame = Frame(
        "last_line",
        abs_path="/srv/app/io_tools/read.py",
        lineno=7,
        context_line="    return text + data.splitlines()[-1]",
        vars={"file_obj": recorded, "data": "b'a\\nb\\n'", "text": "''"},
    )
    event = event_of("TypeError", [frame])
    if not accepted:
        with pytest.raises(NotReproducible, match="file_obj"):
            reproduce_crash(event, repo, ref=buggy)
        return
    first = reproduce_crash(event, repo, ref=buggy)[0]
    assert "_REPOSITORY = Path(__file__).resolve().parents[1]" in first.source
    assert "last_line(file_obj=open(_REPOSITORY / 'data/rows.txt', 'rb'))" in first.source
    before = run_pytest(repo, buggy, first.path, first.source, tmp_path)
    assert before.startswith("rc=1") and "TypeError" in before, before
    after = run_pytest(repo, fixed, first.path, first.source, tmp_path)
    assert after.startswith("rc=0"), after


UNBOUND = '''"""Prices."""


class Pricing:
    def total(self, items, rate=1):
        return sum(items) / rate


def run(pricing, items):
    return Pricing.total(pricing, items, 0)


def run_bound(pricing, items):
    return pricing.total(items, 0)
'''


@pytest.mark.parametrize(("caller", "line"), [("run", 10), ("run_bound", 14)])
def test_call_site_binds_arguments_as_python_does(tmp_path: Path, caller: str, line: int) -> None:
    repo = make_repo(tmp_path / "prices", {"prices/__init__.py": "", "prices/core.py": UNBOUND})
    view = RepoView(repo)
    tree = ast.parse(UNBOUND)
    method = tree.body[1].body[0]  # type: ignore[attr-defined]
    frames = (
        Frame(caller, abs_path="/srv/app/prices/core.py", lineno=line, vars={}),
        Frame("total", abs_path="/srv/app/prices/core.py", lineno=6, vars={}),
    )
    site = callsite.find_call_site(frames, 1, method, "Pricing", "method", view)
    assert site is not None
    assert {name: ast.unparse(value) for name, value in site.arguments.items()} == {
        "items": "items",
        "rate": "0",
    }
    assert site.receiver is not None and ast.unparse(site.receiver) == "pricing"
    assert site.closed


def test_an_event_without_variables_is_still_refused(tmp_path: Path) -> None:
    files = {"lint/__init__.py": "", "lint/checker.py": CHECKER, "lint/api.py": API}
    repo = make_repo(tmp_path / "lint", files)
    frames = [
        Frame(frame.function, abs_path=frame.abs_path, lineno=frame.lineno, vars={})
        for frame in lint_frames("x = 1", {})
    ]
    with pytest.raises(NotReproducible, match="recorded no frame variables"):
        reproduce_crash(event_of("AttributeError", frames), repo)


FIXTURE_PROJECT = {
    "docs_kit/__init__.py": "",
    "docs_kit/parse.py": (
        "def parse(text):\n"
        "    sections = text.split('[')\n"
        "    return [section.split(']')[1] for section in sections[1:]]\n"
    ),
    "tests/__init__.py": "",
    "tests/conftest.py": (
        "from pathlib import Path\n\n"
        "import pytest\n\n\n"
        "@pytest.fixture\n"
        "def example():\n"
        "    def _example(name):\n"
        "        return (Path(__file__).parent / 'examples' / (name + '.txt')).read_text()\n\n"
        "    return _example\n"
    ),
    "tests/examples/doc.txt": "[a]x " * 200 + "[b",
    "tests/test_parse.py": (
        "from docs_kit.parse import parse\n\n\n"
        "def test_doc(example):\n"
        "    content = example('doc')\n"
        "    assert parse(content)\n"
    ),
}


def test_a_value_the_callers_fixture_made_is_replayed_with_that_fixture(tmp_path: Path) -> None:
    # The document came from the project's conftest fixture ``example`` and Sentry cut it at
    # 512 characters: the test takes the same fixture and calls it as the caller did.
    repo = make_repo(tmp_path / "kit", FIXTURE_PROJECT)
    buggy = git(repo, "rev-parse", "HEAD")
    fixed = commit(
        repo,
        {
            "docs_kit/parse.py": FIXTURE_PROJECT["docs_kit/parse.py"].replace(
                "section.split(']')[1]", "section.partition(']')[2]"
            )
        },
        "fix",
    )
    cut = repr(FIXTURE_PROJECT["tests/examples/doc.txt"])[:500] + "..."
    frames = (
        Frame(
            "test_doc",
            abs_path="/srv/app/tests/test_parse.py",
            lineno=6,
            context_line="    assert parse(content)",
            vars={"example": "<function example.<locals>._example at 0x7f00>", "content": cut},
        ),
        Frame(
            "parse",
            abs_path="/srv/app/docs_kit/parse.py",
            lineno=3,
            context_line="    return [section.split(']')[1] for section in sections[1:]]",
            vars={"text": cut, "sections": "['', 'a]x ']"},
        ),
    )
    event = ErrorEvent("IndexError", "list index out of range", frames, "python")
    (candidate, *_) = reproduce_crash(event, repo, ref=buggy)
    assert "(example) -> None:" in candidate.source, candidate.source
    assert "content = example('doc')" in candidate.source
    assert candidate.path.startswith("tests/"), candidate.path
    before = run_pytest(repo, buggy, candidate.path, candidate.source, tmp_path)
    assert "rc=1" in before and "IndexError" in before, before
    after = run_pytest(repo, fixed, candidate.path, candidate.source, tmp_path)
    assert "rc=0" in after, after
