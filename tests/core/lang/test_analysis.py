import pytest

from argus.core.errors import ArgusError
from argus.core.lang import analyse_source, extract_symbols

from .helpers import rows


def test_unknown_extension_gives_no_language_and_no_symbols() -> None:
    for path in ("README.md", "Makefile", "archive.tar.gz", "dir.py/file", "image.png"):
        analysis = analyse_source(path, b"\x89PNG\r\n\x1a\n\x00\x00def f(): pass")
        assert analysis.language is None
        assert analysis.symbols == []
        assert analysis.has_errors is False


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("a.py", "python"),
        ("a.js", "javascript"),
        ("a.jsx", "javascript"),
        ("a.ts", "typescript"),
        ("a.tsx", "tsx"),
        ("a.go", "go"),
        ("A.java", "java"),
    ],
)
def test_empty_file(path: str, language: str) -> None:
    analysis = analyse_source(path, b"")
    assert (analysis.language, analysis.symbols, analysis.has_errors) == (language, [], False)


def test_syntax_errors_keep_what_parses() -> None:
    text = (
        b"def good():\n    return 1\n\ndef broken(:\n    pass\n\n"
        b"class After:\n    def m(self):\n        return 2\n"
    )
    analysis = analyse_source("x.py", text)
    assert analysis.has_errors
    names = [s.qualified_name for s in analysis.symbols]
    assert names[0] == "good"
    assert "After.m" in names


def test_syntax_errors_in_javascript() -> None:
    text = b"function ok(a) { return a && 1; }\nfunction bad( { if (\n"
    analysis = analyse_source("x.js", text)
    assert analysis.has_errors
    assert rows(analysis.symbols)[0] == ("function", "ok", 1, 1, 2, None)


def test_clean_file_has_no_errors() -> None:
    assert analyse_source("x.go", b"package p\n\nfunc F() {}\n").has_errors is False


def test_non_utf8_bytes_never_fail() -> None:
    text = b"def caf\xe9():\n    return '\xff\xfe'\n\ndef ok():\n    pass\n"
    analysis = analyse_source("latin1.py", text)
    assert [s.start_line for s in analysis.symbols][-1] == 4
    assert analysis.symbols[-1].name == "ok"
    for symbol in analysis.symbols:
        symbol.qualified_name.encode("utf-8")


def test_binary_content_is_skipped() -> None:
    garbage = bytes(range(256)) * 64
    for path in ("x.py", "x.js", "x.ts", "x.tsx", "x.go", "x.java"):
        analysis = analyse_source(path, garbage)
        assert (analysis.symbols, analysis.skipped) == ([], "binary")
        assert analysis.language is not None


def test_garbage_without_nul_bytes_parses_with_errors() -> None:
    garbage = bytes(range(1, 256)) * 64
    for path in ("x.py", "x.js", "x.ts", "x.tsx", "x.go", "x.java"):
        analysis = analyse_source(path, garbage)
        assert analysis.has_errors
        assert analysis.skipped is None


def test_files_over_the_size_limit_are_skipped() -> None:
    text = b"def f():\n    pass\n" * 100
    assert analyse_source("x.py", text, max_bytes=len(text)).skipped is None
    skipped = analyse_source("x.py", text, max_bytes=len(text) - 1)
    assert (skipped.language, skipped.symbols, skipped.skipped) == ("python", [], "too large")


def test_unknown_language_name_is_a_clear_error() -> None:
    with pytest.raises(ArgusError, match="no grammar for language 'cobol'"):
        extract_symbols(b"", "cobol")


def test_large_generated_file() -> None:
    blocks = []
    for index in range(500):
        blocks.append(
            f"class C{index}:\n"
            f"    def m(self, a):\n"
            f"        if a and a > {index}:\n"
            f"            return [x for x in a if x]\n"
            f"        return None\n"
        )
    text = "\n".join(blocks).encode()
    analysis = analyse_source("big.py", text)
    assert not analysis.has_errors
    assert len(analysis.symbols) == 1000
    last_class, last_method = analysis.symbols[-2:]
    assert last_class.qualified_name == "C499"
    assert last_method.qualified_name == "C499.m"
    assert last_method.start_line == 499 * 6 + 2
    assert {s.complexity for s in analysis.symbols if s.kind == "method"} == {5}


def test_deeply_nested_code_does_not_overflow() -> None:
    depth = 400
    lines = [f"{'    ' * i}def f{i}():" for i in range(depth)]
    lines.append(f"{'    ' * depth}return 1")
    analysis = analyse_source("deep.py", "\n".join(lines).encode())
    assert len(analysis.symbols) == depth
    assert analysis.symbols[-1].qualified_name.count(".") == depth - 1

    expression = b"x = " + b"(" * 5000 + b"1" + b")" * 5000 + b"\n"
    assert analyse_source("parens.py", expression).symbols == []


def test_jsx_components_parse_with_the_javascript_grammar() -> None:
    text = (
        b'export const Card = ({ title }) => <div className="card">{title || "none"}</div>;\n'
        b"function List({ items }) {\n"
        b"  return <ul>{items.map((i) => <li key={i}>{i}</li>)}</ul>;\n"
        b"}\n"
    )
    analysis = analyse_source("components/Card.jsx", text)
    assert (analysis.language, analysis.has_errors) == ("javascript", False)
    assert rows(analysis.symbols) == [
        ("function", "Card", 1, 1, 2, None),
        ("function", "List", 2, 4, 1, None),
    ]
