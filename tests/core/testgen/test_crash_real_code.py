"""Crash reproduction on code shaped like real projects: objects built through their
constructors, test frames in the stack, intended errors, a repository at another release."""

from __future__ import annotations

from pathlib import Path

import pytest

from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.testgen.crash import (
    NotReproducible,
    describe_attempts,
    intended_error,
    is_test_file,
    reproduce_crash,
)
from argus.core.testgen.repo_view import RepoView
from argus.core.testgen.validation import validate
from tests.core.testgen.sandbox_repos import git
from tests.core.testgen.test_crash import commit, make_repo

REPORTER = '''"""Where messages go."""


class Reporter:
    def __init__(self, warningStream, errorStream):
        self._stdout = warningStream
        self._stderr = errorStream

    def syntax_error(self, filename, msg, lineno, offset):
        line = int(lineno)
        self._stderr.write(f"{filename}:{line}:{offset}: {msg}\\n")
'''
REPORTER_FIXED = REPORTER.replace(
    "        line = int(lineno)\n", "        line = int(lineno) if lineno is not None else 1\n"
)

COUPONS = '''"""Coupons."""

CODES = {"TEN": 10}


class UnknownCoupon(Exception):
    """A code no campaign issued."""


def percent(code):
    if code not in CODES:
        raise UnknownCoupon(code)
    return CODES[code]


def first(items):
    return items[len(items)]
'''


def event_of(exception: str, frames: list[Frame], release: str = "") -> ErrorEvent:
    return ErrorEvent(
        exception_type=exception,
        message="boom",
        frames=tuple(frames),
        platform="python",
        release=release or None,
    )


def test_a_method_whose_object_needs_only_streams_is_reproduced(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "flakes", {"flakes/__init__.py": "", "flakes/reporter.py": REPORTER}
    )
    buggy = _head(repo)
    fixed = commit(repo, {"flakes/reporter.py": REPORTER_FIXED}, "no line number")
    frame = Frame(
        function="syntax_error",
        abs_path="/srv/app/flakes/reporter.py",
        lineno=10,
        context_line="        line = int(lineno)",
        vars={
            "self": "<flakes.reporter.Reporter object at 0x7f5ed742ebd0>",
            "filename": "'a.py'",
            "msg": "'source code string cannot contain null bytes'",
            "lineno": "None",
            "offset": "None",
        },
    )
    candidates = reproduce_crash(event_of("TypeError", [frame]), repo, ref=buggy)
    source = candidates[0].source
    assert "Reporter(io.StringIO(), io.StringIO()).syntax_error(" in source, source
    assert "import io" in source
    result = validate(candidates[0], repo, head=fixed, before=buggy, runs=1)
    assert result.accepted, (result.rejection, result.detail)


def test_an_object_needing_more_than_streams_is_not_guessed(tmp_path: Path) -> None:
    code = (
        "class Checker:\n    def __init__(self, tree):\n        self.tree = tree\n\n"
        "    def run(self):\n        return self.tree.body[0]\n"
    )
    repo = make_repo(tmp_path / "checker", {"lint/__init__.py": "", "lint/checker.py": code})
    frame = Frame(
        function="run",
        abs_path="/srv/app/lint/checker.py",
        lineno=6,
        vars={"self": "<lint.checker.Checker object at 0x7f00>"},
    )
    with pytest.raises(NotReproducible, match="cannot be rebuilt"):
        reproduce_crash(event_of("IndexError", [frame]), repo, ref=_head(repo))


def test_frames_of_the_projects_tests_are_never_called(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "shop",
        {
            "shop/__init__.py": "",
            "shop/coupons.py": COUPONS,
            "tests/test_coupons.py": "from shop.coupons import first\n\n\n"
            "def test_first():\n    first(['a'])\n",
        },
    )
    frames = [
        Frame(function="test_first", abs_path="/srv/app/tests/test_coupons.py", lineno=5),
        Frame(
            function="first",
            abs_path="/srv/app/shop/coupons.py",
            lineno=17,
            vars={"items": ["'a'"]},
        ),
    ]
    candidates = reproduce_crash(event_of("IndexError", frames), repo, ref=_head(repo))
    assert candidates and all("test_first(" not in c.source for c in candidates)
    assert {c.targets[0] for c in candidates} == {"shop/coupons.py::first"}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/test_a.py", True),
        ("pyflakes/test/harness.py", True),
        ("pkg/conftest.py", True),
        ("pkg/a_test.py", True),
        ("pkg/testing.py", False),
        ("pkg/contest.py", False),
        ("pkg/latest/mod.py", False),
    ],
)
def test_test_files_are_recognised(path: str, expected: bool) -> None:
    assert is_test_file(path) is expected


def test_the_applications_own_error_raised_on_purpose_gets_no_test(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "coupons", {"shop/__init__.py": "", "shop/coupons.py": COUPONS})
    frame = Frame(
        function="percent",
        abs_path="/srv/app/shop/coupons.py",
        lineno=12,
        context_line="        raise UnknownCoupon(code)",
        vars={"code": "'BOGUS'"},
    )
    event = event_of("shop.coupons.UnknownCoupon", [frame])
    reason = intended_error(event, RepoView(repo, _head(repo)))
    assert reason is not None and "raised on purpose at shop/coupons.py:12" in reason
    with pytest.raises(NotReproducible, match="intended error"):
        reproduce_crash(event, repo, ref=_head(repo))


def test_a_slip_is_not_mistaken_for_an_intended_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "coupons", {"shop/__init__.py": "", "shop/coupons.py": COUPONS})
    frame = Frame(
        function="first",
        abs_path="/srv/app/shop/coupons.py",
        lineno=17,
        vars={"items": ["'a'"]},
    )
    event = event_of("IndexError", [frame])
    assert intended_error(event, RepoView(repo, _head(repo))) is None
    assert reproduce_crash(event, repo, ref=_head(repo))


def test_a_repository_at_another_release_is_refused_with_the_reason(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "coupons", {"shop/__init__.py": "", "shop/coupons.py": COUPONS})
    frame = Frame(
        function="first",
        abs_path="/srv/app/shop/coupons.py",
        lineno=17,
        context_line="    return items[len(items) - 1] if items else None",
        vars={"items": ["'a'"]},
    )
    with pytest.raises(NotReproducible, match="not at the release that raised the error"):
        reproduce_crash(event_of("IndexError", [frame]), repo, ref=_head(repo))


def test_frames_without_variables_and_outside_the_repository_say_why(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "coupons", {"shop/__init__.py": "", "shop/coupons.py": COUPONS})
    frames = [
        Frame(function="handler", abs_path="/srv/other/app.py", lineno=3),
        Frame(function="first", abs_path="/srv/app/shop/coupons.py", lineno=17),
    ]
    with pytest.raises(NotReproducible) as refusal:
        reproduce_crash(event_of("IndexError", frames), repo, ref=_head(repo))
    text = str(refusal.value)
    assert "recorded no frame variables" in text and "not in the repository" in text


def test_what_the_free_tier_tried_is_described_for_the_next_tier(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "coupons", {"shop/__init__.py": "", "shop/coupons.py": COUPONS})
    frame = Frame(
        function="first", abs_path="/srv/app/shop/coupons.py", lineno=17, vars={"items": ["'a'"]}
    )
    (candidate, *_) = reproduce_crash(event_of("IndexError", [frame]), repo, ref=_head(repo))
    text = describe_attempts(None, [(candidate, "does_not_fail_before: it passes")])
    assert "Called shop/coupons.py::first:" in text
    assert "first(items=['a'])" in text and "rejected: does_not_fail_before" in text
    assert describe_attempts("no frame fits", []) == "No candidate: no frame fits"


def _head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD")


def test_a_crash_in_a_constructor_builds_the_object(tmp_path: Path) -> None:
    code = (
        "class Saver:\n"
        "    def __init__(self, dest_path, overwrite=True):\n"
        "        self.dest_path = dest_path.lower()\n"
    )
    repo = make_repo(tmp_path / "saver", {"files/__init__.py": "", "files/saver.py": code})
    frame = Frame(
        function="__init__",
        abs_path="/srv/app/files/saver.py",
        lineno=3,
        vars={
            "self": "<files.saver.Saver object at 0x7f90>",
            "dest_path": "PosixPath('/tmp/out.txt')",
            "overwrite": "True",
        },
    )
    (candidate, *_) = reproduce_crash(event_of("AttributeError", [frame]), repo, ref=_head(repo))
    assert "Saver(dest_path=PosixPath('/tmp/out.txt'), overwrite=True)" in candidate.source
    assert "from pathlib import PosixPath" in candidate.source


def test_a_value_the_tracker_cut_is_named_as_cut(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "coupons", {"shop/__init__.py": "", "shop/coupons.py": COUPONS})
    frame = Frame(
        function="first",
        abs_path="/srv/app/shop/coupons.py",
        lineno=17,
        vars={"items": "'" + "a" * 509 + "..."},
    )
    with pytest.raises(NotReproducible, match="was cut by the error tracker"):
        reproduce_crash(event_of("IndexError", [frame]), repo, ref=_head(repo))


def test_a_class_of_the_project_passed_as_a_value_is_imported(tmp_path: Path) -> None:
    code = (
        "class EofError(Exception):\n    pass\n\n\n"
        "def expect(text, exception):\n    if not text:\n        raise exception()\n"
        "    return text[1]\n"
    )
    repo = make_repo(tmp_path / "toml", {"toml/__init__.py": "", "toml/parser.py": code})
    frame = Frame(
        function="expect",
        abs_path="/srv/app/toml/parser.py",
        lineno=8,
        vars={"text": "'a'", "exception": "<class 'toml.parser.EofError'>"},
    )
    (candidate, *_) = reproduce_crash(event_of("IndexError", [frame]), repo, ref=_head(repo))
    assert "expect(text='a', exception=EofError)" in candidate.source
    assert "from toml.parser import EofError, expect" in candidate.source or (
        "from toml.parser import EofError" in candidate.source
    )
