"""PY022 (caller left behind by a changed signature) and PY023 (default argument changed):
rules that compare a function's parameters on both sides of the diff."""

from __future__ import annotations

import difflib
from textwrap import dedent

import pytest

from argus.core.predict.rules import RuleContext, registered_rules, run_rules


def findings(rule_id: str, old: str, new: str, path: str = "module.py") -> list[tuple[int, str]]:
    """Run one rule on a change from ``old`` to ``new`` (line numbers as a diff gives them)."""
    old, new = dedent(old), dedent(new)
    added: set[int] = set()
    removed: set[int] = set()
    matcher = difflib.SequenceMatcher(a=old.splitlines(), b=new.splitlines())
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag != "equal":
            removed.update(range(old_start + 1, old_end + 1))
            added.update(range(new_start + 1, new_end + 1))
    context = RuleContext(
        path=path,
        language="python",
        source=new.encode(),
        changed_lines=added,
        old_source=old.encode(),
        removed_lines=removed,
    )
    rule = next(rule for rule in registered_rules() if rule.id == rule_id)
    return [(finding.line, finding.message) for finding in run_rules(context, [rule])]


CALLER_BEFORE = """\
    def fetch(url, timeout=10):
        return url, timeout


    def main():
        return fetch("a", 5)
    """


def test_a_positional_argument_too_many_is_reported_on_the_changed_signature() -> None:
    new = CALLER_BEFORE.replace("def fetch(url, timeout=10):", "def fetch(url):")
    found = findings("PY022", CALLER_BEFORE, new)
    assert [line for line, _ in found] == [1]
    assert "line 6" in found[0][1] and "2 positional arguments" in found[0][1]


def test_a_new_required_parameter_the_caller_does_not_pass() -> None:
    new = CALLER_BEFORE.replace("def fetch(url, timeout=10):", "def fetch(url, timeout, retries):")
    found = findings("PY022", CALLER_BEFORE, new)
    assert len(found) == 1 and "`retries`" in found[0][1]


def test_a_removed_keyword_that_a_caller_still_passes() -> None:
    old = CALLER_BEFORE.replace('fetch("a", 5)', 'fetch("a", timeout=5)')
    new = old.replace("def fetch(url, timeout=10):", "def fetch(url, deadline=10):")
    found = findings("PY022", old, new)
    assert len(found) == 1 and "`timeout=`" in found[0][1]


@pytest.mark.parametrize(
    "new_signature",
    [
        "def fetch(url, timeout=10, retries=3):",  # a new optional parameter: callers still fit
        "def fetch(url, *args, **kwargs):",  # takes anything
        "def fetch(url, timeout=30):",  # only a default changed (PY023's business)
    ],
)
def test_calls_that_still_fit_are_not_reported(new_signature: str) -> None:
    new = CALLER_BEFORE.replace("def fetch(url, timeout=10):", new_signature)
    assert findings("PY022", CALLER_BEFORE, new) == []


def test_a_caller_the_change_rewrote_too_is_not_reported() -> None:
    new = CALLER_BEFORE.replace("def fetch(url, timeout=10):", "def fetch(url):").replace(
        'fetch("a", 5)', 'fetch("a")'
    )
    assert findings("PY022", CALLER_BEFORE, new) == []


def test_a_call_that_never_fitted_is_not_blamed_on_the_change() -> None:
    old = CALLER_BEFORE.replace('fetch("a", 5)', 'fetch("a", 5, 6)')
    new = old.replace("def fetch(url, timeout=10):", "def fetch(url):")
    assert findings("PY022", old, new) == []


def test_methods_are_matched_through_self_and_constructors_through_the_class() -> None:
    old = """\
        class Client:
            def __init__(self, host, port=80):
                self.host = host

            def send(self, data, flush=False):
                return data

            def run(self):
                self.send(b"x", True)
                return Client("h", 8080)
        """
    new = old.replace("def __init__(self, host, port=80):", "def __init__(self, host):").replace(
        "def send(self, data, flush=False):", "def send(self, data, *, flush=False):"
    )
    assert [line for line, _ in findings("PY022", old, new)] == [2, 5]


def test_a_function_defined_twice_is_left_alone() -> None:
    variants = """\
import sys
if sys.platform == "win32":
    def path(a, b=None):
        return a
else:
    def path(a, b=None):
        return a
path(1, 2)
"""
    changed = variants.replace("def path(a, b=None):", "def path(a):", 1)
    assert changed != variants
    assert findings("PY022", variants, changed) == []
    # The same change to a function defined once is reported.
    single = "def path(a, b=None):\n    return a\npath(1, 2)\n"
    assert len(findings("PY022", single, single.replace(", b=None", ""))) == 1


DEFAULT_BEFORE = """\
    def connect(host, verify=True, retries=3):
        return host, verify, retries
    """


def test_a_changed_default_is_reported_on_the_parameter() -> None:
    new = DEFAULT_BEFORE.replace("verify=True", "verify=False")
    found = findings("PY023", DEFAULT_BEFORE, new)
    assert [line for line, _ in found] == [1]
    assert "`verify` from `True` to `False`" in found[0][1]


def test_a_dropped_default_makes_the_argument_required() -> None:
    old = "def connect(host, retries=3):\n    return host, retries\n"
    new = "def connect(host, retries):\n    return host, retries\n"
    found = findings("PY023", old, new)
    assert len(found) == 1 and "now required" in found[0][1]


@pytest.mark.parametrize(
    ("old_default", "new_default", "body"),
    [
        ("True", "None", "    if verify is None:\n        verify = True\n"),  # resolved inside
        ("True", "UNSET", "    verify = True if verify is UNSET else verify\n"),
        ("'x'", '"x"', ""),  # quote style
        ("u''", "''", ""),  # the u prefix means nothing on Python 3
        ("ERROR", "Levels.ERROR", ""),  # the same constant, imported otherwise
    ],
)
def test_defaults_that_keep_their_meaning_are_not_reported(
    old_default: str, new_default: str, body: str
) -> None:
    old = f"def connect(host, verify={old_default}):\n{body}    return host\n"
    new = f"def connect(host, verify={new_default}):\n{body}    return host\n"
    assert findings("PY023", old, new) == []


def test_a_sentinel_default_the_body_never_resolves_is_reported() -> None:
    old = "def connect(host, verify=True):\n    return host, verify\n"
    new = "def connect(host, verify=None):\n    return host, verify\n"
    assert len(findings("PY023", old, new)) == 1


def test_private_functions_and_untouched_signatures_are_left_alone() -> None:
    old = "def _connect(host, verify=True):\n    return host\n"
    assert findings("PY023", old, old.replace("True", "False")) == []
    body_only = DEFAULT_BEFORE.replace("return host", "return host.strip()")
    assert findings("PY023", DEFAULT_BEFORE, body_only) == []


PAIR = """\
    def bounds(values):
        return min(values), max(values)


    def spread(values):
        low, high = bounds(values)
        return high - low
    """


def test_a_return_widened_under_an_unchanged_unpacking_is_reported_on_the_return() -> None:
    new = PAIR.replace("return min(values), max(values)", "return min(values), max(values), 0")
    found = findings("PY024", PAIR, new)
    assert [line for line, _ in found] == [2]
    assert "now returns 3 values" in found[0][1] and "line 6" in found[0][1]


def test_a_new_unpacking_of_the_wrong_width_is_reported_where_it_is() -> None:
    new = PAIR.replace("low, high = bounds(values)", "low, high, mid = bounds(values)")
    found = findings("PY024", PAIR, new)
    assert [line for line, _ in found] == [6]
    assert "unpacks 3 values" in found[0][1]


def test_methods_are_matched_through_self() -> None:
    old = """\
        class Stats:
            def bounds(self):
                return 1, 2

            def spread(self):
                low, high = self.bounds()
                return high - low
        """
    new = old.replace("return 1, 2", "return 1, 2, 3")
    assert [line for line, _ in findings("PY024", old, new)] == [3]


@pytest.mark.parametrize(
    ("old_return", "new_return", "unpacking"),
    [
        ("return 1, 2", "return 1, 2, 3", "a, b, c = pair()"),  # the caller was updated too
        ("return 1, 2", "return 1, 2, 3", "a, *rest = pair()"),  # starred: any width
        ("return 1, 2", "return [1, 2, 3]", "a, b = pair()"),  # not a tuple literal
        ("return 1, 2", "return (1, *more)", "a, b = pair()"),  # starred element
    ],
)
def test_unpackings_that_fit_or_cannot_be_told_are_not_reported(
    old_return: str, new_return: str, unpacking: str
) -> None:
    old = f"def pair():\n    {old_return}\n\n\na, b = pair()\n"
    new = f"def pair():\n    {new_return}\n\n\n{unpacking}\n"
    assert findings("PY024", old, new) == []


def test_a_function_with_returns_of_different_widths_is_left_alone() -> None:
    old = "def pair(x):\n    if x:\n        return 1, 2\n    return 1, 2\n\n\na, b = pair(0)\n"
    new = old.replace("    return 1, 2\n\n", "    return 1, 2, 3\n\n")
    assert new != old
    assert findings("PY024", old, new) == []


@pytest.mark.parametrize(
    ("old_default", "new_default"),
    [
        ("2**18", "256 * 1024"),  # the same number
        ("2", "2.0"),
        ("None", "Default(None)"),  # one "not given" marker for another
        ("Undefined", "_Unset"),
        ("_MISSING", "None"),
    ],
)
def test_equal_numbers_and_swapped_sentinels_are_not_reported(
    old_default: str, new_default: str
) -> None:
    old = f"def read(size={old_default}):\n    return size\n"
    new = f"def read(size={new_default}):\n    return size\n"
    assert findings("PY023", old, new) == []


def test_a_number_that_changed_is_reported_and_huge_powers_are_not_evaluated() -> None:
    old = "def read(size=2**16):\n    return size\n"
    assert len(findings("PY023", old, old.replace("2**16", "2**18"))) == 1
    assert len(findings("PY023", old, old.replace("2**16", "9**9**9"))) == 1


def test_a_method_made_static_is_called_through_self_without_binding_it() -> None:
    old = (
        "class Formatter:\n"
        "    def style(self, scheme):\n"
        "        return scheme\n"
        "\n"
        "    def run(self):\n"
        '        return self.style("dark")\n'
    )
    made_static = old.replace(
        "    def style(self, scheme):", "    @staticmethod\n    def style(scheme):"
    )
    assert findings("PY022", old, made_static) == []
    # Made static and losing its parameter: the call through self now passes one too many.
    wrong = old.replace("    def style(self, scheme):", "    @staticmethod\n    def style():")
    assert len(findings("PY022", old, wrong)) == 1


def test_the_same_default_change_in_a_family_of_functions_is_said_once_per_file() -> None:
    old = "".join(
        f"def {verb}(path, status_code=200):\n    return path\n\n\n" for verb in ("get", "post")
    )
    new = old.replace("status_code=200", "status_code=201")
    found = findings("PY023", old, new)
    assert [line for line, _ in found] == [1]


def test_a_multi_line_sentinel_call_is_a_sentinel() -> None:
    old = "def route(path, response_class=None):\n    return path\n"
    new = (
        "def route(\n    path,\n    response_class=Default(\n        JSONResponse\n    ),\n):\n"
        "    return path\n"
    )
    assert findings("PY023", old, new) == []


def test_a_backslash_continuation_is_not_an_unpacking_target() -> None:
    old = "def pair():\n    return 1, 2\n\n\ndef use(d):\n    d['a'], \\\n        d['b'] = pair()\n"
    new = old.replace("d['a'], \\\n        d['b'] = pair()", "d['a'], \\\n        d['c'] = pair()")
    assert new != old
    assert findings("PY024", old, new) == []
    wrong = old.replace("d['b'] = pair()", "d['b'], d['c'] = pair()")
    assert len(findings("PY024", old, wrong)) == 1
