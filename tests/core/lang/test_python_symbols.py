from argus.core.lang import extract_symbols

from .helpers import rows, source

NESTED = """
import os


@decorator
@other(1)
async def fetch(url):
    def parse(body):
        class Result:
            def value(self):
                return body
        return Result()
    return parse(url)


class Outer:
    size = 1

    class Inner:
        @property
        def name(self):
            return "x"

    def method(self):
        handler = lambda event: event
        return handler
"""


def test_python_names_kinds_spans_and_parents() -> None:
    assert rows(extract_symbols(source(NESTED), "python")) == [
        ("function", "fetch", 4, 12, 1, None),
        ("function", "fetch.parse", 7, 11, 1, "fetch"),
        ("class", "fetch.parse.Result", 8, 10, 1, "fetch.parse"),
        ("method", "fetch.parse.Result.value", 9, 10, 1, "fetch.parse.Result"),
        ("class", "Outer", 15, 25, 1, None),
        ("class", "Outer.Inner", 18, 21, 1, "Outer"),
        ("method", "Outer.Inner.name", 19, 21, 1, "Outer.Inner"),
        ("method", "Outer.method", 23, 25, 1, "Outer"),
    ]


def test_lambdas_are_not_symbols() -> None:
    symbols = extract_symbols(source("square = lambda x: x * x\n"), "python")
    assert symbols == []


def test_functions_inside_conditional_class_body_are_methods() -> None:
    text = """
    class Config:
        if True:
            def load(self):
                pass
    """
    assert rows(extract_symbols(source(text), "python")) == [
        ("class", "Config", 1, 4, 1, None),
        ("method", "Config.load", 3, 4, 1, "Config"),
    ]


def test_one_line_definitions() -> None:
    text = "def a(): pass\ndef b(): return 1 if x else 2\n"
    assert rows(extract_symbols(text.encode(), "python")) == [
        ("function", "a", 1, 1, 1, None),
        ("function", "b", 2, 2, 2, None),
    ]
