"""analysis.py: the line diff, the slicing that spares re-parsing, and buffer reviews."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from argus.core.diff.changeset import ChangeSet, FileChange, FileStatus
from argus.core.lang.languages import parse
from argus.core.predict.review import Sources, count_lines
from argus.core.predict.service import ServiceOptions
from argus.lsp_server.analysis import Analyser, BufferRequest, blank_unchanged_blocks, slice_source
from argus.lsp_server.line_diff import line_diff, split_lines
from argus.lsp_server.settings import Settings
from argus.lsp_server.workspace import Repositories, top_level_spans
from tests.lsp_server.support import make_repo

MODULE = "".join(
    f'''

def function_{index}(value):
    """Function {index}."""
    if value > {index}:
        return value - {index}
    return value + {index}
'''
    for index in range(12)
).lstrip("\n")


def _surviving(lines: list[bytes], removed_or_added: set[int]) -> list[bytes]:
    return [line for number, line in enumerate(lines, 1) if number not in removed_or_added]


@pytest.mark.parametrize("seed", range(40))
def test_line_diff_hunks_turn_old_into_new(seed):
    rng = random.Random(seed)
    old = [
        rng.choice([b"a", b"b", b"}", b"x%d" % rng.randint(0, 20)])
        for _ in range(rng.randint(0, 60))
    ]
    new = list(old)
    for _ in range(rng.randint(0, 6)):
        roll = rng.random()
        if roll < 0.3 and new:
            del new[rng.randrange(len(new))]
        elif roll < 0.6:
            new.insert(rng.randint(0, len(new)), b"n%d" % rng.randint(0, 3))
        elif new:
            new[rng.randrange(len(new))] = b"changed"
    diff = line_diff(old, new)
    removed = {n for hunk in diff.hunks for n in hunk.removed}
    added = {n for hunk in diff.hunks for n in hunk.added}
    assert _surviving(old, removed) == _surviving(new, added)
    if old == new:
        assert diff.hunks == ()
    for hunk in diff.hunks:
        assert hunk.source_length == len(hunk.removed)
        assert hunk.target_length == len(hunk.added)


def test_line_diff_is_minimal_for_one_changed_line():
    old = split_lines(MODULE.encode())
    new = list(old)
    new[10] = b"    changed = 1"
    [hunk] = line_diff(old, new).hunks
    assert hunk.removed == (11,) and hunk.added == (11,)
    assert hunk.source_start == 11 and hunk.target_start == 11


def test_split_lines_ignores_the_final_newline():
    assert split_lines(b"a\nb\n") == [b"a", b"b"]
    assert split_lines(b"a\nb") == [b"a", b"b"]
    assert split_lines(b"") == []
    assert split_lines(b"a\r\nb\r\n") == [b"a", b"b"]


def test_crlf_checkout_of_an_lf_blob_is_unchanged(tmp_path: Path):
    repo = make_repo(tmp_path / "repo", {"m.py": MODULE})
    analyser = Analyser(Repositories())
    crlf = MODULE.replace("\n", "\r\n")
    same = analyser.analyse(BufferRequest("file:///m", crlf, 1, repo / "m.py"), Settings())
    assert same.review is None
    edited = crlf.replace("return value - 3", "return value - 33")
    result = analyser.analyse(BufferRequest("file:///m", edited, 2, repo / "m.py"), Settings())
    assert result.review is not None
    assert [s.name for s in result.review.symbols] == ["function_3"]


@pytest.mark.parametrize("touched", [set(), {1}, {9, 10}, {40}, {5, 80}])
def test_slice_keeps_touched_blocks_and_every_line_number(touched):
    source = MODULE.encode()
    sliced = slice_source(source, top_level_spans(parse(source, "python")), touched)
    original, kept = source.split(b"\n"), sliced.split(b"\n")
    assert len(kept) == len(original)
    assert count_lines(sliced) == count_lines(source)
    for number, (before, after) in enumerate(zip(original, kept, strict=True), 1):
        assert after in (before, b"")
        if number in touched:
            assert after == before


def test_blanking_unchanged_blocks_keeps_the_changed_one_where_it_now_is():
    old_source = MODULE.encode()
    old = split_lines(old_source)
    new = old[:8] + [b"    extra = 1"] + old[8:]  # inside function_1 (lines 8..12 of old)
    new_source = b"\n".join(new) + b"\n"
    diff = line_diff(old, new)
    spans = top_level_spans(parse(old_source, "python"))
    blanked = blank_unchanged_blocks(new, new_source, spans, diff)
    kept = blanked.split(b"\n")
    assert len(kept) == len(new_source.split(b"\n"))
    non_blank = [number for number, line in enumerate(kept, 1) if line]
    assert non_blank == list(range(8, 14))  # function_1 with the new line, nothing else


EDITS = [
    (
        "insert a branch",
        lambda lines: lines[:10] + ["    if value == 0:", "        return 0"] + lines[10:],
    ),
    ("delete a line", lambda lines: lines[:11] + lines[12:]),
    (
        "new function at the end",
        lambda lines: lines + ["", "", "def fresh(a, b):", "    return a / b"],
    ),
    (
        "two distant edits",
        lambda lines: [
            line.replace("value - 2", "value * 2").replace("value + 9", "9") for line in lines
        ],
    ),
    (
        "rename a function",
        lambda lines: [line.replace("def function_3(", "def renamed(") for line in lines],
    ),
]


@pytest.mark.parametrize(("name", "edit"), EDITS, ids=[name for name, _ in EDITS])
def test_buffer_review_matches_a_full_review(tmp_path: Path, name, edit):
    """Slicing is an optimisation only: the same symbols, scores and bugs as a full review."""
    repo = make_repo(tmp_path / "repo", {"m.py": MODULE})
    lines = MODULE.split("\n")
    text = "\n".join(edit(lines))
    analyser = Analyser(Repositories())
    settings = Settings()
    result = analyser.analyse(BufferRequest("file:///m", text, 2, repo / "m.py"), settings)
    assert result.review is not None and result.problem is None

    old, new = MODULE.encode(), text.encode()
    diff = line_diff(split_lines(old), split_lines(new))
    changeset = ChangeSet(
        files=(FileChange("m.py", "m.py", FileStatus.MODIFIED, diff.hunks),), base=None
    )
    repository = analyser.repositories.locate(repo / "m.py")
    assert repository is not None
    repository.base_commit("HEAD")
    full = repository.service.review(
        changeset,
        Sources(old={"m.py": old}, new={"m.py": new}),
        ServiceOptions(
            max_file_bytes=settings.max_file_bytes,
            author=repository.service.current_user(),
            repository_head=repository.head,
        ),
    )
    assert repository.service.history(repository.head) is not None

    def shape(review):
        return [
            (
                s.name,
                s.kind,
                s.start_line,
                s.end_line,
                round(s.probability, 6),
                s.lines_added,
                s.lines_deleted,
                s.complexity_before,
                s.complexity_after,
            )
            for s in review.symbols
        ], [(b.rule_id, b.line, b.column) for b in review.bugs]

    assert shape(result.review) == shape(full)


def test_outside_git_and_unchanged_buffers(tmp_path: Path):
    loose = tmp_path / "loose"
    loose.mkdir()
    analyser = Analyser(Repositories())
    outside = analyser.analyse(BufferRequest("file:///x", "x = 1\n", 1, loose / "x.py"), Settings())
    assert outside.outside_git and outside.review is None

    repo = make_repo(tmp_path / "repo", {"m.py": MODULE})
    same = analyser.analyse(BufferRequest("file:///m", MODULE, 1, repo / "m.py"), Settings())
    assert same.review is None and not same.outside_git and same.problem is None


def test_unknown_base_ref_is_a_problem_not_a_crash(tmp_path: Path):
    repo = make_repo(tmp_path / "repo", {"m.py": MODULE})
    analyser = Analyser(Repositories())
    result = analyser.analyse(
        BufferRequest("file:///m", MODULE + "x = 1\n", 2, repo / "m.py"), Settings(base_ref="nope")
    )
    assert result.review is None
    assert result.problem is not None and "nope" in result.problem


def test_basic_features_without_history_for_a_new_file(tmp_path: Path):
    repo = make_repo(tmp_path / "repo", {})
    analyser = Analyser(Repositories())
    result = analyser.analyse(BufferRequest("file:///m", MODULE, 1, repo / "m.py"), Settings())
    assert result.review is not None
    names = {s.name for s in result.review.symbols}
    assert {f"function_{index}" for index in range(12)} <= names
