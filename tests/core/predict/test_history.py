"""Ingestion of git history: commits, files, functions, renames, rewrites, odd repositories."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from argus.core.errors import GitError
from argus.core.predict.history import (
    HistoryIndex,
    file_history,
    function_defined_on,
    function_history,
    function_in_header,
    is_blank_or_comment,
    is_fix_message,
    parse_log,
)
from argus.core.store.sqlite import SQLiteStore

DAY = 86_400
T0 = 1_700_000_000


@dataclass
class Commit:
    """One commit to write: file contents (None deletes), author, time and message."""

    files: dict[str | bytes, str | bytes | None]
    message: str | bytes = "change"
    author: str = "Ann"
    email: str = "ann@example.com"
    time: int = T0
    renames: dict[str, str] = field(default_factory=dict)


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        check=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", **(env or {})},
    )
    return completed.stdout.decode("utf-8", "replace").strip()


def _raw(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


def write_history(root: Path, commits: list[Commit]) -> list[str]:
    """Append commits to branch main through one ``git fast-import``; return their shas."""
    if not (root / ".git").exists():
        root.mkdir(parents=True, exist_ok=True)
        git(root, "init", "-q", "-b", "main")
    has_head = bool(
        subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--verify", "-q", "HEAD"], capture_output=True
        ).stdout
    )
    stream = bytearray()
    for number, commit in enumerate(commits):
        message = _raw(commit.message)
        who = f"{commit.author} <{commit.email}> {commit.time} +0000".encode()
        stream += b"commit refs/heads/main\nmark :%d\n" % (number + 1)
        stream += b"author " + who + b"\ncommitter " + who + b"\n"
        stream += b"data %d\n" % len(message) + message + b"\n"
        if number == 0 and has_head:
            stream += b"from refs/heads/main^0\n"
        for old, new in commit.renames.items():
            stream += b'R "' + old.encode() + b'" "' + new.encode() + b'"\n'
        for path, content in commit.files.items():
            if content is None:
                stream += b"D " + _raw(path) + b"\n"
            else:
                data = _raw(content)
                stream += b"M 100644 inline " + _raw(path) + b"\n"
                stream += b"data %d\n" % len(data) + data + b"\n"
        stream += b"\n"
    marks = root / ".git" / "test-marks"
    subprocess.run(
        ["git", "-C", str(root), "fast-import", "--quiet", f"--export-marks={marks}"],
        input=bytes(stream),
        check=True,
    )
    git(root, "symbolic-ref", "HEAD", "refs/heads/main")
    git(root, "reset", "-q", "--hard")
    by_mark = dict(line.split() for line in marks.read_text().splitlines())
    return [by_mark[f":{number + 1}"] for number in range(len(commits))]


def lines(count: int, prefix: str = "line") -> str:
    return "".join(f"{prefix} {n}\n" for n in range(count))


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore.open(tmp_path / "store" / "argus.db")


def test_empty_repository_has_no_history(tmp_path: Path, store: SQLiteStore) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    git(repo, "init", "-q")
    index = HistoryIndex.sync(store, repo)
    assert len(index) == 0
    assert index.update() == 0
    assert file_history(index, "a.py", None).commits == 0


def test_commits_files_and_line_counts(tmp_path: Path, store: SQLiteStore) -> None:
    repo = tmp_path / "repo"
    shas = write_history(
        repo,
        [
            Commit({"src/a.py": lines(10), "README": lines(3)}, "initial", time=T0),
            Commit({"src/a.py": lines(8) + "new\n"}, "fix crash", "Bob", "Bob@X.com", T0 + DAY),
            Commit({"README": None}, "drop readme", time=T0 + 2 * DAY),
        ],
    )
    index = HistoryIndex.sync(store, repo)
    assert [c.sha for c in index.commits] == shas
    assert [c.is_fix for c in index.commits] == [False, True, False]
    assert index.commits[1].author_email == "bob@x.com"
    second = {row.path: row for row in index.rows_by_seq[1]}["src/a.py"]
    assert (second.lines_added, second.lines_deleted, second.lines_before) == (1, 2, 10)
    deleted = index.rows_by_seq[2][0]
    assert (deleted.path, deleted.lines_deleted, deleted.lines_before) == ("README", 3, 3)
    assert index.line_counts == {"src/a.py": 9}
    # the store holds the same history for the next process
    again = HistoryIndex.load(store, repo)
    assert [c.sha for c in again.commits] == shas
    assert again.line_counts == {"src/a.py": 9}


def test_second_sync_reads_only_new_commits(tmp_path: Path, store: SQLiteStore) -> None:
    repo = tmp_path / "repo"
    write_history(repo, [Commit({"a.py": lines(3)}, time=T0 + n) for n in range(1)])
    write_history(repo, [Commit({"a.py": lines(4 + n)}, time=T0 + 10 + n) for n in range(2)])
    index = HistoryIndex.sync(store, repo)
    assert len(index) == 3
    assert index.update() == 0
    new = write_history(repo, [Commit({"b.py": "x = 1\n"}, time=T0 + 100)])
    assert index.update() == 1
    assert index.commits[-1].sha == new[0]
    assert index.rows_by_seq[3][0].path == "b.py"
    # a fresh process sees the four commits, in order, without reading git again
    loaded = HistoryIndex.load(store, repo)
    assert [c.seq for c in loaded.commits] == [0, 1, 2, 3]
    assert loaded.line_counts["a.py"] == 5


def test_rewritten_history_is_ingested_again(tmp_path: Path, store: SQLiteStore) -> None:
    repo = tmp_path / "repo"
    write_history(repo, [Commit({"a.py": lines(n + 1)}, time=T0 + n) for n in range(3)])
    HistoryIndex.sync(store, repo)
    git(repo, "reset", "-q", "--hard", "HEAD~2")
    replaced = write_history(repo, [Commit({"c.py": lines(2)}, "other", time=T0 + 50)])
    index = HistoryIndex.sync(store, repo)
    assert len(index) == 2
    assert index.commits[-1].sha == replaced[0]
    assert set(index.file_rows) == {"a.py", "c.py"}
    assert HistoryIndex.load(store, repo).last_sha() == replaced[0]


def test_renames_keep_their_history(tmp_path: Path, store: SQLiteStore) -> None:
    repo = tmp_path / "repo"
    body = lines(20)
    write_history(
        repo,
        [
            Commit({"pkg/old/mod.py": body}, time=T0),
            Commit({"pkg/old/mod.py": body + "tail\n"}, "fix bug", "Bob", "bob@x", T0 + DAY),
            Commit(
                {"pkg/old/mod.py": None, "pkg/new/mod.py": body + "tail\nmore\n"},
                "move",
                time=T0 + 2 * DAY,
            ),  # fmt: skip
        ],
    )
    index = HistoryIndex.sync(store, repo)
    moved = index.rows_by_seq[2]
    assert len(moved) == 1
    assert (moved[0].old_path, moved[0].path) == ("pkg/old/mod.py", "pkg/new/mod.py")
    assert (moved[0].lines_added, moved[0].lines_deleted, moved[0].lines_before) == (1, 0, 21)
    history = file_history(index, "pkg/new/mod.py", None)
    assert history.commits == 3
    assert history.fix_commits == 1
    assert dict(history.author_commits) == {"ann@example.com": 2, "bob@x": 1}
    assert index.line_counts == {"pkg/new/mod.py": 22}


def test_binary_files_and_unusual_names(tmp_path: Path, store: SQLiteStore) -> None:
    repo = tmp_path / "repo"
    write_history(
        repo,
        [
            Commit(
                {
                    "img.png": b"\x89PNG\x00\x01\x02",
                    'dir with space/a "q".py': "x = 1\n",
                    b"caf\xe9.txt": b"caf\xe9\n",
                },
                b"r\xe9sum\xe9: add things\n",
            ),  # fmt: skip
            Commit(
                {"img.png": b"\x89PNG\x00\x03", 'dir with space/a "q".py': "x = 2\n"}, time=T0 + 5
            ),  # fmt: skip
        ],
    )
    index = HistoryIndex.sync(store, repo)
    first = {row.path: row for row in index.rows_by_seq[0]}
    assert first["img.png"].is_binary
    assert (first["img.png"].lines_added, first["img.png"].lines_deleted) == (0, 0)
    assert first['dir with space/a "q".py'].lines_added == 1
    assert "caf\ufffd.txt" in first
    assert index.commits[0].subject == "r\ufffdsum\ufffd: add things"
    second = {row.path: row for row in index.rows_by_seq[1]}
    assert second["img.png"].is_binary
    assert second['dir with space/a "q".py'].lines_before == 1


def test_functions_touched_by_each_commit(tmp_path: Path, store: SQLiteStore) -> None:
    repo = tmp_path / "repo"
    original = "def alpha(x):\n    return x\n\n\ndef beta(y):\n    y += 1\n    return y\n"
    changed = original.replace("y += 1", "y += 2")
    go_source = "package m\n\nfunc Gamma() int {\n\treturn 1\n}\n"
    write_history(
        repo,
        [
            Commit({"m.py": original, "m.go": go_source}, time=T0),
            Commit({"m.py": changed}, "fix off by one", "Bob", "bob@x", T0 + DAY),
            Commit(
                {
                    "m.py": changed.replace("return x", "return -x"),
                    "m.go": go_source.replace("1", "2"),
                },
                time=T0 + 2 * DAY,
            ),  # fmt: skip
        ],
    )
    index = HistoryIndex.sync(store, repo)
    beta = function_history(index, "m.py", "beta", None)
    assert (beta.touches, beta.fix_touches, beta.authors) == (2, 1, 2)
    assert beta.first_seen == T0 and beta.last_changed == T0 + DAY
    alpha = function_history(index, "m.py", "Module.alpha", None)
    assert (alpha.touches, alpha.fix_touches) == (2, 0)
    assert function_history(index, "m.go", "Gamma", None).touches == 2
    # "before" cuts history by time
    assert function_history(index, "m.py", "beta", T0 + DAY).touches == 1
    recent = function_history(index, "m.py", "beta", T0 + 400 * DAY)
    assert recent.fix_touches == 1 and recent.fix_touches_last_year == 0


def test_shallow_clone_marks_its_boundary(tmp_path: Path, store: SQLiteStore) -> None:
    origin = tmp_path / "origin"
    write_history(origin, [Commit({"a.py": lines(n + 2)}, time=T0 + n) for n in range(4)])
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{origin}", str(clone)], check=True
    )
    index = HistoryIndex.sync(store, clone)
    assert len(index) == 2
    assert [c.is_boundary for c in index.commits] == [True, False]
    assert index.line_counts == {"a.py": 5}


def test_parse_log_ignores_noise() -> None:
    assert list(parse_log(b"")) == []
    assert list(parse_log(b"garbage without records")) == []


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Fix crash when the list is empty", True),
        ("fix(parser): handle tabs", True),
        ("Bugfix for #12", True),
        ("hotfix: restore login", True),
        ("Resolve regression in 2.1", True),
        ("patch the null deref", True),
        ("Fixes #123", True),
        ("closes #55: wrong total on refunds", True),
        ("Closes #55", False),
        ("Add error page", False),
        ("Raise an exception on bad input", False),
        ("add prefix option", False),
        ("debug logging", False),
        ("monkeypatch less in tests", False),
        ("Refactor the scheduler", False),
    ],
)
def test_fix_classifier(message: str, expected: bool) -> None:
    assert is_fix_message(message) is expected


@pytest.mark.parametrize(
    ("path", "line", "expected"),
    [
        ("a.py", "   ", True),
        ("a.py", "# note", True),
        ("a.py", "x = 1  # note", False),
        ("a.go", "// note", True),
        ("a.js", " * continued", True),
        ("a.java", "/* block */", True),
        ("a.go", "x := 1 // note", False),
        ("a.txt", "# heading", False),
    ],
)
def test_blank_or_comment(path: str, line: str, expected: bool) -> None:
    assert is_blank_or_comment(path, line) is expected


def test_not_a_repository_is_a_git_error(tmp_path: Path, store: SQLiteStore) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitError):
        HistoryIndex.sync(store, plain)


def test_two_processes_sharing_a_store(tmp_path: Path, store: SQLiteStore) -> None:
    repo = tmp_path / "repo"
    write_history(repo, [Commit({"a.py": lines(2)})])
    first = HistoryIndex.sync(store, repo)
    assert len(first) == 1
    write_history(repo, [Commit({"a.py": lines(3)}, time=T0 + 1)])
    other = SQLiteStore.open(store.path or tmp_path / "x")
    assert HistoryIndex.sync(other, repo).update() == 0
    assert len(HistoryIndex.load(other, repo)) == 2
    # the first index notices the other process's work instead of ingesting twice
    assert first.update() == 0
    assert len(first) == 2
    assert first.line_counts == {"a.py": 3}


@pytest.mark.parametrize(
    ("path", "header", "expected"),
    [
        ("a.py", "    def method(self, x):", "method"),
        ("a.py", "class Parser:", "Parser"),
        ("a.py", "async def fetch(url):", "fetch"),
        ("a.go", "func (s *Server) Handle(w http.ResponseWriter) {", "Handle"),
        ("a.java", "  public static int parse(String text) {", "parse"),
        ("a.java", "public class Reader implements Closeable {", "Reader"),
        ("a.js", "export async function load(path) {", "load"),
        ("a.ts", "const render = (props: Props) => {", "render"),
        ("a.ts", "  private update(value: number): void {", "update"),
        ("a.js", "  if (ready) {", None),
        ("a.txt", "def not_code():", None),
    ],
)
def test_function_names_from_hunk_headers(path: str, header: str, expected: str | None) -> None:
    assert function_in_header(path, header) == expected


@pytest.mark.parametrize(
    ("path", "line", "expected"),
    [
        ("a.py", "def added(x):", "added"),
        ("a.py", "    return added(x)", None),
        ("a.go", "func New() *T {", "New"),
        ("a.java", "    private void close() {", "close"),
        ("a.java", "    close();", None),
        ("a.js", "function helper() {", "helper"),
        ("a.js", "  while (x) {", None),
    ],
)
def test_function_definitions_in_changed_lines(path: str, line: str, expected: str | None) -> None:
    assert function_defined_on(path, line) == expected


def test_files_whose_blobs_the_clone_lacks_are_left_out_with_one_warning(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_history(
        repo,
        [
            Commit({"app.py": "a = 1\n", "video.bin": "x" * 100}, "start", time=T0),
            Commit({"app.py": "a = 2\n"}, "change", time=T0 + DAY),
        ],
    )
    blob = git(repo, "rev-parse", "HEAD~1:video.bin")
    # Unpack into loose objects and drop the blob, as a mirror without large blobs would.
    for pack in list((repo / ".git" / "objects" / "pack").glob("*.pack")):
        moved = tmp_path / pack.name
        pack.replace(moved)
        pack.with_suffix(".idx").unlink()
        with moved.open("rb") as stream:
            subprocess.run(
                ["git", "-C", str(repo), "unpack-objects", "-q"], stdin=stream, check=True
            )
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    assert subprocess.run(["git", "-C", str(repo), "cat-file", "-e", blob]).returncode != 0
    store = SQLiteStore.open(tmp_path / "argus.db")
    index = HistoryIndex.sync(store, repo)
    assert [commit.subject for commit in index.commits] == ["start", "change"]
    assert "video.bin" not in index.file_rows
    assert len(index.warnings) == 1 and "video.bin" in index.warnings[0]


def test_damaged_cached_history_is_read_again_with_a_warning(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_history(repo, [Commit({"a.py": lines(n + 1)}, time=T0 + n) for n in range(3)])
    store = SQLiteStore.open(tmp_path / "argus.db")
    first = HistoryIndex.sync(store, repo)
    assert first.warnings == []
    # half the cached commits vanish, as after a damaged or half-written store
    with store.transaction() as db:
        db.execute("DELETE FROM history_commits WHERE seq >= 1")
    again = HistoryIndex.sync(store, repo)
    assert len(again) == 3
    assert [c.seq for c in again.commits] == [0, 1, 2]
    assert len(again.warnings) == 1 and "read again from git" in again.warnings[0]
    # and a third sync finds it whole again, with nothing to say
    third = HistoryIndex.sync(store, repo)
    assert len(third) == 3 and third.warnings == []


def test_a_very_long_history_is_read_from_its_newest_commits_with_one_warning(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    shas = write_history(repo, [Commit({"a.py": lines(n + 1)}, time=T0 + n) for n in range(12)])
    store = SQLiteStore.open(tmp_path / "argus.db")
    index = HistoryIndex.sync(store, repo, max_commits=5)
    assert [commit.sha for commit in index.commits] == shas[-5:]
    assert index.warnings == [
        "history is long: only its newest 5 commits were read, and the history factors see those"
    ]
    # the next commits are read on top, with nothing more to say
    more = write_history(repo, [Commit({"a.py": lines(20)}, time=T0 + 20)])
    again = HistoryIndex.sync(store, repo, max_commits=5)
    assert [commit.sha for commit in again.commits] == [*shas[-5:], *more]
    assert again.warnings == []
