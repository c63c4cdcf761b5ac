"""Lines that hold no code: comments in every language, and Python's docstrings."""

from __future__ import annotations

from argus.core.lang import analyse_source


def _prose(path: str, text: str) -> set[int]:
    return set(analyse_source(path, text.encode()).prose_lines)


def test_python_comments_and_docstrings_are_prose_and_code_beside_them_is_not():
    text = (
        '"""Module docstring\n'  # 1
        "spanning lines.\n"  # 2
        '"""\n'  # 3
        "import os  # a trailing comment does not make code prose\n"  # 4
        "\n"  # 5
        "def f(x):\n"  # 6
        "    'one-line docstring'\n"  # 7
        "    # a comment\n"  # 8
        "    y = '''a string assigned\n"  # 9
        "    is code'''\n"  # 10
        "    return x  # done\n"  # 11
        '    "a" "b"  # implicit concatenation, a statement of its own\n'  # 12
    )
    assert _prose("m.py", text) == {1, 2, 3, 7, 8, 12}


def test_script_go_and_java_comments_are_prose_and_a_use_strict_directive_is_not():
    js = "'use strict';\n// a comment\n/* block\n   still */ const x = 1;\nconst y = 2; // t\n"
    assert _prose("a.js", js) == {2, 3}
    assert _prose("a.go", "package a\n// Doc of F.\nfunc F() {}\n") == {2}
    java = "class A {\n  /** Javadoc\n   * more */\n  int f() { return 1; } // x\n}\n"
    assert _prose("A.java", java) == {2, 3}
    assert _prose("notes.txt", "# not a language Argus parses\n") == set()
