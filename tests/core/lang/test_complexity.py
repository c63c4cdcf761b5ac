"""Hand-counted McCabe values: one row per decision kind, per language."""

import pytest

from argus.core.lang import extract_symbols

from .helpers import only_complexity, source

PYTHON = [
    ("straight line", "def f(a):\n    x = a\n    return x\n", 1),
    ("if", "def f(a):\n    if a:\n        pass\n", 2),
    (
        "if elif else",
        "def f(a):\n    if a:\n        pass\n    elif b:\n        pass\n    else:\n        pass\n",
        3,
    ),
    ("for with else", "def f(a):\n    for x in a:\n        pass\n    else:\n        pass\n", 2),
    ("while", "def f(a):\n    while a:\n        a -= 1\n", 2),
    ("async for", "async def f(a):\n    async for x in a:\n        pass\n", 2),
    (
        "two excepts, else, finally",
        (
            "def f():\n    try:\n        pass\n    except A:\n        pass\n"
            "    except B:\n        pass\n    else:\n        pass\n    finally:\n        pass\n"
        ),
        3,
    ),
    ("except star", "def f():\n    try:\n        pass\n    except* A:\n        pass\n", 2),
    ("conditional expression", "def f(a):\n    return 1 if a else 2\n", 2),
    ("and / or chain", "def f(a, b, c):\n    return a and b or c\n", 3),
    ("not is no decision", "def f(a):\n    return not a\n", 1),
    ("comprehension for and if", "def f(a):\n    return [x for x in a if x]\n", 3),
    (
        "two fors in a dict comprehension",
        "def f(a, b):\n    return {k: v for k in a for v in b}\n",
        3,
    ),
    ("generator expression", "def f(a):\n    return sum(x for x in a)\n", 2),
    (
        "match: two cases and a wildcard",
        (
            "def f(a):\n    match a:\n        case 1:\n            pass\n"
            "        case [x, _]:\n            pass\n        case _:\n            pass\n"
        ),
        3,
    ),
    ("match guard", "def f(a):\n    match a:\n        case int() if a > 0:\n            pass\n", 3),
    ("with is no decision", "def f(a):\n    with a:\n        pass\n", 1),
    (
        "lambda counts for its function",
        "def f(a):\n    g = lambda x: x if a else 0\n    return g\n",
        2,
    ),
    ("default argument counts for the function", "def f(a=1 if X else 2):\n    pass\n", 2),
]

JAVASCRIPT = [
    ("straight line", "function f(a) { return a; }", 1),
    ("if else-if else", "function f(a) { if (a) {} else if (b) {} else {} }", 3),
    ("for", "function f(a) { for (let i = 0; i < a; i++) {} }", 2),
    ("for in", "function f(a) { for (const k in a) {} }", 2),
    ("for of", "function f(a) { for (const k of a) {} }", 2),
    ("while", "function f(a) { while (a) { a--; } }", 2),
    ("do while", "function f(a) { do { a--; } while (a); }", 2),
    (
        "switch: two cases and default",
        "function f(a) { switch (a) { case 1: break; case 2: break; default: } }",
        3,
    ),
    ("catch and finally", "function f() { try { g(); } catch (e) {} finally {} }", 2),
    ("ternary", "function f(a) { return a ? 1 : 2; }", 2),
    ("&& and ||", "function f(a, b, c) { return a && b || c; }", 3),
    ("nullish", "function f(a) { return a ?? 0; }", 2),
    ("logical assignments", "function f(a, b, c) { a ||= 1; b &&= 2; c ??= 3; }", 4),
    ("optional chaining is no decision", "function f(a) { return a?.b?.c; }", 1),
    ("arithmetic is no decision", "function f(a) { return a + 1 > 2; }", 1),
    (
        "anonymous callback counts for its function",
        "function f(xs) { return xs.map((x) => x ? 1 : 0); }",
        2,
    ),
]

GO = [
    ("straight line", "package p\nfunc f(a int) int { return a }\n", 1),
    ("if else-if else", "package p\nfunc f(a, b bool) { if a {} else if b {} else {} }\n", 3),
    ("three-clause for", "package p\nfunc f() { for i := 0; i < 3; i++ {} }\n", 2),
    ("range for", "package p\nfunc f(xs []int) { for range xs {} }\n", 2),
    ("bare for", "package p\nfunc f() { for { break } }\n", 2),
    (
        "switch: two cases and default",
        "package p\nfunc f(a int) { switch a { case 1, 2: case 3: default: } }\n",
        3,
    ),
    (
        "type switch",
        "package p\nfunc f(a any) { switch a.(type) { case int: case string: default: } }\n",
        3,
    ),
    (
        "select cases",
        "package p\nfunc f(a, b chan int) { select { case <-a: case <-b: default: } }\n",
        3,
    ),
    ("&& and ||", "package p\nfunc f(a, b, c bool) bool { return a && b || c }\n", 3),
    (
        "func literal counts for its function",
        "package p\nfunc f(a bool) { g := func() { if a {} }; g() }\n",
        2,
    ),
]

JAVA = [
    ("straight line", "class C { int f(int a) { return a; } }", 1),
    (
        "if else-if else",
        "class C { void f(boolean a, boolean b) { if (a) {} else if (b) {} else {} } }",
        3,
    ),
    ("for", "class C { void f() { for (int i = 0; i < 3; i++) {} } }", 2),
    ("enhanced for", "class C { void f(int[] xs) { for (int x : xs) {} } }", 2),
    ("while", "class C { void f(int a) { while (a > 0) { a--; } } }", 2),
    ("do while", "class C { void f(int a) { do { a--; } while (a > 0); } }", 2),
    (
        "switch labels and default",
        "class C { void f(int a) { switch (a) { case 1: case 2: break; default: } } }",
        3,
    ),
    (
        "one label with two constants",
        "class C { void f(int a) { switch (a) { case 1, 2: break; } } }",
        2,
    ),
    (
        "arrow switch expression",
        (
            "class C { int f(int a) { "
            "return switch (a) { case 1 -> 1; case 2 -> 2; default -> 0; }; } }"
        ),
        3,
    ),
    (
        "two catches and finally",
        "class C { void f() { try { g(); } catch (A e) {} catch (B e) {} finally {} } }",
        3,
    ),
    ("ternary", "class C { int f(boolean a) { return a ? 1 : 2; } }", 2),
    (
        "&& and ||",
        "class C { boolean f(boolean a, boolean b, boolean c) { return a && b || c; } }",
        3,
    ),
    (
        "lambda counts for its method",
        "class C { void f() { Runnable r = () -> { if (x) {} }; } }",
        2,
    ),
]

CASES = (
    [("python", *row) for row in PYTHON]
    + [(language, *row) for language in ("javascript", "typescript", "tsx") for row in JAVASCRIPT]
    + [("go", *row) for row in GO]
    + [("java", *row) for row in JAVA]
)


@pytest.mark.parametrize(
    ("language", "label", "text", "expected"),
    CASES,
    ids=[f"{language}: {label}" for language, label, _, _ in CASES],
)
def test_decision_points(language: str, label: str, text: str, expected: int) -> None:
    assert only_complexity(text, language) == expected


def test_nested_function_keeps_its_own_decisions() -> None:
    text = """
    def outer(a):
        if a:
            pass
        def inner(b):
            if b and a:
                return 1
            return 2
        return inner
    """
    found = {s.qualified_name: s.complexity for s in extract_symbols(source(text), "python")}
    assert found == {"outer": 2, "outer.inner": 3}


def test_classes_are_always_one() -> None:
    text = "class C:\n    x = 1 if a else 2\n    def m(self):\n        return a or b\n"
    found = {s.qualified_name: s.complexity for s in extract_symbols(text.encode(), "python")}
    assert found == {"C": 1, "C.m": 2}


def test_javascript_nested_named_function() -> None:
    text = "function outer(a) {\n  const inner = (b) => b && a;\n  return a ? inner : null;\n}\n"
    found = {s.qualified_name: s.complexity for s in extract_symbols(text.encode(), "javascript")}
    assert found == {"outer": 2, "outer.inner": 2}
