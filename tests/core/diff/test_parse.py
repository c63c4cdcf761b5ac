"""parse_diff on real git diffs (tests/fixtures/diffs, made by make_fixtures.sh) and edge cases."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

import pytest
from unidiff.patch import PatchSet

from argus.core.diff import chunks
from argus.core.diff.changeset import ChangeSet, FileStatus
from argus.core.diff.parse import parse_diff, unquote_path
from argus.core.errors import ArgusError, DiffParseError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "diffs"
M, A, D, R, C = (
    FileStatus.MODIFIED,
    FileStatus.ADDED,
    FileStatus.DELETED,
    FileStatus.RENAMED,
    FileStatus.COPIED,
)


@dataclass(frozen=True)
class Expected:
    old: str | None
    new: str | None
    status: FileStatus
    added: tuple[int, ...] = ()
    removed: tuple[int, ...] = ()
    binary: bool = False
    modes: tuple[str | None, str | None] | None = None
    similarity: int | None = None


CASES: dict[str, list[Expected]] = {
    "modify.diff": [
        Expected("app.py", "app.py", M, (3, 15, 16), (3, 15), modes=("100644", "100644"))
    ],
    "modify_u0.diff": [Expected("app.py", "app.py", M, (3, 15, 16), (3, 15))],
    "rename.diff": [Expected("moved.py", "renamed.py", R, (20,), (20,), similarity=96)],
    "rename_pure.diff": [Expected("renamed.py", "pure_rename.py", R, similarity=100)],
    "copy.diff": [Expected("source.py", "copied.py", C, (1,), (1,), similarity=96)],
    "add_delete.diff": [
        Expected(None, "added.py", A, (1, 2), modes=(None, "100644")),
        Expected("doomed.py", None, D, (), (1, 2, 3), modes=("100644", None)),
    ],
    "binary.diff": [Expected("image.png", "image.png", M, binary=True)],
    "binary_patch.diff": [Expected("image.png", "image.png", M, binary=True)],
    "mode.diff": [Expected("run.sh", "run.sh", M, modes=("100644", "100755"))],
    "crlf_content.diff": [Expected("windows.txt", "windows.txt", M, (2,), (2,))],
    "latin1.diff": [Expected("latin1.txt", "latin1.txt", M, (2,), (2,))],
    "no_newline.diff": [Expected("tail.txt", "tail.txt", M, (2, 3), (2,))],
    "quoted_paths.diff": [
        Expected(None, "café menu.py", A, (1,)),
        Expected(None, "tab\tname.py", A, (1,)),
    ],
    "format_patch.diff": [
        Expected("tail.txt", "tail.txt", M, (2, 3), (2,)),
        Expected(None, "café menu.py", A, (1,)),
        Expected(None, "tab\tname.py", A, (1,)),
    ],
    "plain.diff": [Expected("old/plain.txt", "new/plain.txt", M, (2, 4), (2,))],
    "plain_recursive.diff": [
        Expected(None, "new/added.txt", A, (1, 2)),
        Expected("old/gone.txt", None, D, (), (1,)),
        Expected("old/plain.txt", "new/plain.txt", M, (2, 4), (2,)),
    ],
    "empty.diff": [],
}


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def summary(changes: ChangeSet) -> list[Expected]:
    return [
        Expected(
            f.old_path,
            f.new_path,
            f.status,
            tuple(sorted(f.added_lines)),
            tuple(sorted(f.removed_lines)),
            f.is_binary,
            (f.old_mode, f.new_mode),
            f.similarity,
        )
        for f in changes.files
    ]


def matches(actual: Expected, expected: Expected) -> bool:
    if expected.modes is None:
        actual = Expected(**{**actual.__dict__, "modes": None})
    return actual == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture(name: str) -> None:
    actual = summary(parse_diff(load(name)))
    assert len(actual) == len(CASES[name]), actual
    for got, want in zip(actual, CASES[name], strict=True):
        assert matches(got, want), (got, want)


def test_every_fixture_is_covered() -> None:
    on_disk = {p.name for p in FIXTURES.glob("*.diff") if not p.name.startswith("malformed")}
    assert on_disk == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_crlf_diff_gives_the_same_line_numbers(name: str) -> None:
    data = load(name)
    assert parse_diff(data.replace(b"\n", b"\r\n")) == parse_diff(data)


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_input_form_agrees(name: str, tmp_path: Path) -> None:
    data = load(name)
    expected = parse_diff(data)
    path = tmp_path / name
    path.write_bytes(data)
    with path.open("rb") as binary_file:
        assert parse_diff(binary_file) == expected
    text = data.decode("utf-8", "surrogateescape")
    assert parse_diff(text) == expected
    assert parse_diff(io.BytesIO(data)) == expected
    assert parse_diff(io.StringIO(text, newline="\n")) == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_tiny_pieces_give_the_same_result(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = parse_diff(load(name))
    monkeypatch.setattr(chunks, "PIECE_LINES", 2)
    assert parse_diff(load(name)) == expected


def test_mode_only_and_binary_flags() -> None:
    (mode,) = parse_diff(load("mode.diff")).files
    assert mode.mode_only and not mode.hunks
    (binary,) = parse_diff(load("binary_patch.diff")).files
    assert binary.is_binary and not binary.hunks and not binary.mode_only


def test_hunk_fields_and_refs() -> None:
    changes = parse_diff(load("modify.diff"), base="abc", head="def")
    assert (changes.base, changes.head) == ("abc", "def")
    first, second = changes.files[0].hunks
    assert (first.source_start, first.source_length, first.target_start, first.target_length) == (
        1,
        6,
        1,
        6,
    )
    assert second.section_header == "line 11"
    assert changes.lines_added == 3 and changes.lines_deleted == 2


def test_empty_and_blank_input() -> None:
    assert parse_diff("").is_empty()
    assert parse_diff(b"\n\n").is_empty()
    assert parse_diff(io.BytesIO(b"")).is_empty()


@pytest.mark.parametrize(
    ("text", "line_number", "words"),
    [
        (load("malformed_counts.diff"), 9, "ends early"),
        (load("malformed_garbage.diff"), 8, "unexpected text inside the hunk"),
        (load("malformed_longer.diff"), 7, "more lines follow the hunk"),
        (load("malformed_header.diff"), 3, "malformed hunk header"),
        (b"--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n x\n", 3, "ends inside this hunk"),
        (b"@@ -1 +1 @@\n-a\n+b\n", 1, "without a file header"),
        (
            b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n\nnoise\n@@ -5 +5 @@\n-c\n+d\n",
            7,
            "before a hunk header",
        ),
        (b"--- a/x\n+++ b/x\n@@ -1,2 +1 @@\n-a\n-b\n-c\n", 6, "more old lines"),
        (b"diff --cc x.py\nindex 1,2..3\n", 1, "combined diffs"),
        (b"hello, this is not a diff\n", 1, "no file changes found"),
    ],
)
def test_malformed_diff_names_the_line(text: bytes, line_number: int, words: str) -> None:
    with pytest.raises(DiffParseError) as caught:
        parse_diff(text)
    assert caught.value.line_number == line_number
    assert f"line {line_number}" in str(caught.value)
    assert words in str(caught.value)
    assert isinstance(caught.value, ArgusError)


def test_crlf_malformed_diff_names_the_same_line() -> None:
    with pytest.raises(DiffParseError) as caught:
        parse_diff(load("malformed_counts.diff").replace(b"\n", b"\r\n"))
    assert caught.value.line_number == 9


def test_removed_lines_that_look_like_headers_stay_in_their_hunk() -> None:
    text = "--- a/q.sql\n+++ b/q.sql\n@@ -1,3 +1,1 @@\n--- a comment\n-+++ odd\n keep\n"
    (change,) = parse_diff(text).files
    assert change.removed_lines == {1, 2} and change.added_lines == frozenset()


def test_plain_diff_with_epoch_dates_is_an_addition() -> None:
    text = (
        "--- old/new.txt\t1970-01-01 00:00:00.000000000 +0000\n"
        "+++ new/new.txt\t2024-05-01 10:00:00.000000000 +0000\n"
        "@@ -0,0 +1,2 @@\n+a\n+b\n"
        "Only in new: other\n"
    )
    (change,) = parse_diff(text).files
    assert (change.old_path, change.new_path, change.status) == (None, "new/new.txt", A)


def test_plain_binary_line_outside_git() -> None:
    (change,) = parse_diff("Binary files old/a.bin and new/a.bin differ\n").files
    assert change.is_binary and change.path == "new/a.bin"


def test_non_utf8_paths_and_section_headers_never_crash() -> None:
    text = b'--- "a/\\377x"\n+++ "b/\\377x"\n@@ -1 +1 @@ def \xff():\n-\xfe\n+\xfd\n'
    (change,) = parse_diff(text).files
    assert change.path == "\udcffx"
    assert change.hunks[0].section_header == "def \ufffd():"


@pytest.mark.parametrize(
    ("quoted", "plain"),
    [
        ('"caf\\303\\251.py"', "café.py"),
        ('"tab\\tname"', "tab\tname"),
        ('"say \\"hi\\""', 'say "hi"'),
        ('"back\\\\slash"', "back\\slash"),
        ("not quoted.py", "not quoted.py"),
        ('"\\377"', "\udcff"),
    ],
)
def test_unquote_path(quoted: str, plain: str) -> None:
    assert unquote_path(quoted) == plain


def test_big_hunk_cut_into_pieces_matches_unidiff_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunks, "PIECE_LINES", 500)
    rng = random.Random(7)
    kinds = rng.choices(" -+", k=3_000)
    body = "".join(f"{kind}line {i} \\ {'x' * rng.randint(0, 5)}\n" for i, kind in enumerate(kinds))
    old_count = sum(k != "+" for k in kinds)
    new_count = sum(k != "-" for k in kinds)
    text = f"--- a/big.txt\n+++ b/big.txt\n@@ -10,{old_count} +12,{new_count} @@ ctx\n{body}"
    (change,) = parse_diff(text).files
    (whole,) = PatchSet(text)
    assert len(change.hunks) == 1
    hunk = change.hunks[0]
    assert (hunk.source_start, hunk.source_length) == (10, old_count)
    assert (hunk.target_start, hunk.target_length, hunk.section_header) == (12, new_count, "ctx")
    assert hunk.added == tuple(line.target_line_no for line in whole[0] if line.is_added)
    assert hunk.removed == tuple(line.source_line_no for line in whole[0] if line.is_removed)


def test_overlong_line_is_cut_but_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunks, "MAX_LINE_LENGTH", 64)
    long_line = "+" + "y" * 1000 + "\n"
    text = f"--- a/min.js\n+++ b/min.js\n@@ -1 +1,2 @@\n-x\n{long_line}+z\n"
    for source in (text, text.encode(), io.BytesIO(text.encode())):
        (change,) = parse_diff(source).files
        assert change.added_lines == {1, 2}


@pytest.mark.parametrize("seed", range(200))
def test_mutated_diffs_parse_or_raise_diff_parse_error(seed: int) -> None:
    rng = random.Random(seed)
    names = sorted(CASES)
    lines = load(rng.choice(names)).splitlines(keepends=True) + load(rng.choice(names)).splitlines(
        keepends=True
    )
    for _ in range(rng.randint(1, 4)):
        if not lines:
            break
        index = rng.randrange(len(lines))
        action = rng.choice(["drop", "duplicate", "garble", "bytes"])
        if action == "drop":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "garble":
            lines[index] = rng.choice([b"@@ -1 +1 @@\n", b"garbage\n", b"\\ x\n", b"--- \n"])
        else:
            lines[index] = bytes(rng.randrange(256) for _ in range(rng.randint(0, 30)))
    try:
        result = parse_diff(b"".join(lines))
    except DiffParseError as error:
        assert error.line_number is not None and error.line_number >= 1
    else:
        assert isinstance(result, ChangeSet)
