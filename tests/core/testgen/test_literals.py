"""Rebuilding values from recorded frame variables: every repr kind, and what is refused."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest

from argus.core.testgen.literals import SENTRY_CONTAINER_BREADTH, looks_truncated, rebuild

REBUILT = [
    ("'abc'", "'abc'", "abc", ()),
    ('"it\'s"', '"it\'s"', "it's", ()),
    ("42", "42", 42, ()),
    ("-7", "-7", -7, ()),
    ("3.25", "3.25", 3.25, ()),
    ("-0.5", "-0.5", -0.5, ()),
    ("(1+2j)", "1 + 2j", 1 + 2j, ()),
    ("True", "True", True, ()),
    ("None", "None", None, ()),
    ("b'xy'", "b'xy'", b"xy", ()),
    ("[1, 2]", "[1, 2]", [1, 2], ()),
    ("(1, 'a')", "(1, 'a')", (1, "a"), ()),
    ("{'a': 1}", "{'a': 1}", {"a": 1}, ()),
    ("{1, 2}", "{1, 2}", {1, 2}, ()),
    ("('a', 'b')", "('a', 'b')", ("a", "b"), ()),
    ("{'a', 'b'}", "{'a', 'b'}", {"a", "b"}, ()),
    ("Decimal('1.5')", "Decimal('1.5')", Decimal("1.5"), ("from decimal import Decimal",)),
    (
        "datetime.date(2024, 5, 1)",
        "datetime.date(2024, 5, 1)",
        datetime.date(2024, 5, 1),
        ("import datetime",),
    ),
    (
        "datetime.datetime(2024, 1, 2, 3, 4, tzinfo=datetime.timezone.utc)",
        "datetime.datetime(2024, 1, 2, 3, 4, tzinfo=datetime.timezone.utc)",
        datetime.datetime(2024, 1, 2, 3, 4, tzinfo=datetime.UTC),
        ("import datetime",),
    ),
    (
        "datetime.timedelta(days=2)",
        "datetime.timedelta(days=2)",
        datetime.timedelta(days=2),
        ("import datetime",),
    ),
    (
        "UUID('12345678-1234-5678-1234-567812345678')",
        "UUID('12345678-1234-5678-1234-567812345678')",
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        ("from uuid import UUID",),
    ),
    ("frozenset({3})", "frozenset({3})", frozenset({3}), ()),
    # How tests write them after ``from datetime import date, timedelta``.
    (
        "date(2024, 5, 1)",
        "date(2024, 5, 1)",
        datetime.date(2024, 5, 1),
        ("from datetime import date",),
    ),
    (
        "timedelta(hours=3)",
        "timedelta(hours=3)",
        datetime.timedelta(hours=3),
        ("from datetime import timedelta",),
    ),
]


@pytest.mark.parametrize(("text", "source", "value", "imports"), REBUILT)
def test_repr_kinds_are_rebuilt(text: str, source: str, value: object, imports: tuple[str]) -> None:
    rebuilt = rebuild(text)
    assert rebuilt is not None
    assert rebuilt.source == source
    assert rebuilt.value == value
    assert type(rebuilt.value) is type(value)
    assert rebuilt.imports == imports


def test_sentry_containers_hold_repr_strings_as_leaves() -> None:
    # sentry-sdk sends a list [1, 'a'] in frame vars as ["1", "'a'"].
    rebuilt = rebuild(["1", "'a'", "None"])
    assert rebuilt is not None and rebuilt.value == [1, "a", None]
    mapping = rebuild({"sku": "'A1'", "qty": "2"})
    assert mapping is not None and mapping.value == {"sku": "A1", "qty": 2}
    # ... and Argus's parser keeps them as the str() of that container.
    text = str(["1", "'a'"])
    again = rebuild(text)
    assert again is not None and again.value == [1, "a"]


def test_plain_source_keeps_strings_that_look_like_literals() -> None:
    rebuilt = rebuild("['1', '2']", nested=False)
    assert rebuilt is not None and rebuilt.value == ["1", "2"]


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('x')",
        "os.system('rm -rf /')",
        "open('/etc/passwd').read()",
        "(lambda: 1)()",
        "[x for x in range(3)]",
        "eval('1')",
        "getattr(object, '__subclasses__')",
        "Decimal('1').__class__",
        "1 + 1",
        "'a' * 10**9",
        "[*range(3)]",
        "dict(**{'a': 1})",
        "Decimal(*['1'])",
        "<shop.Cart object at 0x7f3a>",
        "<Color.RED: 1>",
        "Item(sku='a')",
        # A Sentry list or dict holds reprs: a leaf that is none is an object, not a string.
        "['a', 'b']",
        str(["OrderLine(sku='A1', quantity=60)"]),
        str({"line": "<Line object at 0x1>"}),
        "...",
        "'abc",
        "'abc...'",
        "'abc…",
        "not valid python (",
        "",
    ],
)
def test_anything_outside_the_whitelist_is_refused(text: str) -> None:
    assert rebuild(text) is None


def test_project_classes_are_rebuilt_only_when_named() -> None:
    classes = {"Item": "from shop.model import Item"}
    rebuilt = rebuild("Item(sku='a', qty=2)", classes=classes)
    assert rebuilt is not None
    assert rebuilt.source == "Item(sku='a', qty=2)"
    assert rebuilt.imports == ("from shop.model import Item",)
    assert rebuilt.has_value is False and rebuilt.classes == ("Item",)
    assert rebuild("Item(sku=open('x'))", classes=classes) is None
    assert rebuild("Other(sku='a')", classes=classes) is None


def test_possibly_cut_containers_are_refused() -> None:
    full = [str(number) for number in range(SENTRY_CONTAINER_BREADTH)]
    assert rebuild(full) is None
    assert rebuild(str(full)) is None
    assert rebuild(full[:-1]) is not None


def test_truncation_marks() -> None:
    assert looks_truncated("'abc...")
    assert looks_truncated("'abc...'")
    assert looks_truncated("'abc…")
    assert not looks_truncated("'abc'")


def test_non_text_values_are_rebuilt_or_refused() -> None:
    number = rebuild(5)
    assert number is not None and number.value == 5
    assert rebuild(object()) is None


@pytest.mark.parametrize(
    ("recorded", "source", "imports"),
    [
        ("slice(None, -12, None)", "slice(None, -12, None)", ()),
        ("range(0, 3)", "range(0, 3)", ()),
        ("bytearray(b'ab')", "bytearray(b'ab')", ()),
        ("PosixPath('/tmp/a.txt')", "PosixPath('/tmp/a.txt')", ("from pathlib import PosixPath",)),
    ],
)
def test_standard_values_with_a_call_repr_are_rebuilt(
    recorded: str, source: str, imports: tuple[str, ...]
) -> None:
    rebuilt = rebuild(recorded)
    assert rebuilt is not None and rebuilt.source == source and rebuilt.imports == imports


def test_a_builtin_type_is_rebuilt_from_its_class_repr() -> None:
    rebuilt = rebuild("<class 'float'>")
    assert rebuilt is not None and rebuilt.source == "float" and rebuilt.value is float
    assert rebuild("<class 'pkg.Thing'>") is None
    assert rebuild("float") is None  # a bare name is not a recorded class


def test_an_exception_class_is_rebuilt_inside_a_container() -> None:
    rebuilt = rebuild({"UTC": "<class 'ValueError'>"})
    assert rebuilt is not None and rebuilt.source == "{'UTC': ValueError}"
