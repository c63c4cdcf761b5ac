"""A repository's git history, ingested once into the store and indexed in memory.

:meth:`HistoryIndex.sync` reads every non-merge commit with a single ``git log -p -U0`` (one git
process, parsed as a stream of records), stores commits, per-file line counts, the functions
each commit touched (from git's funcname hunk headers) and, for fix commits, the old-side lines
they deleted or changed (the input of SZZ). A second sync reads only the commits added since;
when history was rewritten it starts again from scratch.

Ordering: ``seq`` is the position of a commit in ``git log --reverse`` order (parents before
children). "Before a commit" always means "a smaller seq", never "an earlier timestamp", so that
clock skew cannot leak the future into the past.
"""

from __future__ import annotations

import bisect
import functools
import os
import re
import sqlite3
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, NamedTuple

from argus.core.diff.git import run_git
from argus.core.errors import GitError, StoreError
from argus.core.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    import numpy

SECONDS_PER_DAY = 86_400
# A first read of a very long history takes this many newest commits (a bounded first review).
MAX_HISTORY_COMMITS = 30_000
# A shallow clone (a CI checkout) with fewer commits than this gives no history factors.
MIN_SHALLOW_COMMITS = 50
# When this share of the files a history touched lacks its content (a blobless clone), the
# history factors are left out rather than computed from what remains.
MAX_MISSING_SHARE = 0.5
SECONDS_PER_YEAR = 365.25 * SECONDS_PER_DAY

# ---------------------------------------------------------------------------------------------
# Fix-commit classifier
# ---------------------------------------------------------------------------------------------

# The rule: a message is a fix when it contains (as a whole word, any case) one of the strong
# words below, e.g. "fix", "fixes", "bugfix", "hotfix", "bug", "defect", "patch", "crash",
# "fault", "regression" ("fix:" and "fix(scope):" conventional commits included); or when it
# closes/resolves an issue ("closes #12", "resolves gh-3") AND names a symptom (error,
# exception, fail, broken, wrong, incorrect, problem). "error"/"exception" alone are not enough:
# "add error page" is a feature. Words containing a keyword ("prefix", "debug", "monkeypatch")
# do not count.
_STRONG_FIX = re.compile(
    r"\b(?:fix(?:e[sd]|ing)?|bug(?:s|fix(?:es)?)?|hotfix(?:es)?|defects?|patch(?:e[sd])?"
    r"|crash(?:e[sd]|ing)?|faults?|faulty|regressions?)\b",
    re.IGNORECASE,
)
_CLOSES_ISSUE = re.compile(
    r"\b(?:close[sd]?|resolve[sd]?)\s*:?\s*(?:#|gh-|[A-Z][A-Z0-9]+-)\d+", re.IGNORECASE
)
_SYMPTOM = re.compile(
    r"\b(?:errors?|exceptions?|fail(?:s|ed|ure|ing)?|broken|wrong|incorrect|problems?)\b",
    re.IGNORECASE,
)


def is_fix_message(message: str) -> bool:
    """True when a commit message says the commit fixes a defect (see the rule above)."""
    if _STRONG_FIX.search(message):
        return True
    return bool(_CLOSES_ISSUE.search(message) and _SYMPTOM.search(message))


# ---------------------------------------------------------------------------------------------
# Path helpers shared with the feature code
# ---------------------------------------------------------------------------------------------


def subsystem_of(path: str) -> str:
    """The top-level directory of a path ("" for a file at the root), Kamei's subsystem."""
    head, separator, _ = path.partition("/")
    return head if separator else ""


def directory_of(path: str) -> str:
    """The directory holding a path ("" for the root)."""
    return str(PurePosixPath(path).parent).removeprefix(".")


def bare_function_name(name: str) -> str:
    """The last component of a qualified name (``Class.method`` -> ``method``)."""
    return name.replace("::", ".").rsplit(".", 1)[-1]


# ---------------------------------------------------------------------------------------------
# Comment and blank detection (SZZ ignores such lines)
# ---------------------------------------------------------------------------------------------

_HASH_COMMENT_EXTENSIONS = frozenset(
    {".py", ".pyi", ".sh", ".bash", ".rb", ".pl", ".r", ".yaml", ".yml", ".toml", ".cfg", ".ini"}
)
_SLASH_COMMENT_EXTENSIONS = frozenset(
    {
        ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".go", ".java", ".kt", ".kts", ".scala",
        ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".cs", ".rs", ".swift", ".php", ".dart",
    }
)  # fmt: skip


def is_blank_or_comment(path: str, line: str) -> bool:
    """True for a blank line, or a line holding only a comment in the file's language."""
    text = line.strip()
    if not text:
        return True
    extension = PurePosixPath(path).suffix.lower()
    if extension in _HASH_COMMENT_EXTENSIONS or extension == ".php":
        if text.startswith("#"):
            return True
    if extension in _SLASH_COMMENT_EXTENSIONS:
        if text.startswith(("//", "/*", "*")):
            return True
    if extension in (".py", ".pyi") and text in ('"""', "'''"):
        return True
    return False


# ---------------------------------------------------------------------------------------------
# Function names from hunk headers and definition lines
# ---------------------------------------------------------------------------------------------

# Attributes and a js/ts funcname driver so that git names the enclosing function of each hunk.
_ATTRIBUTES = (
    "*.py diff=python\n*.pyi diff=python\n*.go diff=golang\n*.java diff=argusjava\n"
    "*.js diff=argusjs\n*.jsx diff=argusjs\n*.mjs diff=argusjs\n*.cjs diff=argusjs\n"
    "*.ts diff=argusjs\n*.tsx diff=argusjs\n"
)
_JS_FUNCNAME = (
    "^[ \t]*((export[ \t]+)?(default[ \t]+)?(async[ \t]+)?function[ \t*].*)$\n"
    "^[ \t]*((export[ \t]+)?(default[ \t]+)?(abstract[ \t]+)?class[ \t].*)$\n"
    "^[ \t]*((export[ \t]+)?(const|let|var)[ \t]+[A-Za-z_$][A-Za-z0-9_$]*[ \t]*=[ \t]*"
    "(async[ \t]+)?(function|\\(|[A-Za-z_$][A-Za-z0-9_$]*[ \t]*=>).*)$\n"
    "^[ \t]*(((public|private|protected|static|async|get|set|readonly)[ \t]+)*"
    "[A-Za-z_$][A-Za-z0-9_$]*[ \t]*\\([^;]*\\)[ \t]*(:[^;{]*)?\\{[ \t]*)$"
)

_JAVA_FUNCNAME = (
    "^[ \t]*(((public|protected|private|static|final|abstract|synchronized|native|default)[ \t]+)+"
    "[^=;(]*\\(.*)$\n"
    "^[ \t]*(((public|protected|private|static|final|abstract|sealed)[ \t]+)*"
    "(class|interface|enum|record)[ \t].*)$"
)

_PYTHON_DEFINITION = re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)")
_GO_DEFINITION = re.compile(r"^func\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)")
_JAVA_CLASS = re.compile(r"\b(?:class|interface|enum|record)\s+([A-Za-z_$][\w$]*)")
_JAVA_METHOD = re.compile(
    r"^\s*(?:(?:public|private|protected|static|final|abstract|synchronized|native|default)\s+)+"
    r"[\w<>\[\],.? ]*?\b([A-Za-z_$][\w$]*)\s*\("
)
_JAVA_HEADER_METHOD = re.compile(r"\b([A-Za-z_$][\w$]*)\s*\(")
_JS_DEFINITION = re.compile(
    r"^\s*(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:function\s*\*?\s*([A-Za-z_$][\w$]*)"
    r"|(?:abstract\s+)?class\s+([A-Za-z_$][\w$]*)"
    r"|(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s+)?(?:function\b|\(|[A-Za-z_$][\w$]*\s*=>))"
)
_JS_METHOD = re.compile(
    r"^\s*(?:(?:public|private|protected|static|async|get|set|readonly)\s+)*"
    r"([A-Za-z_$][\w$]*)\s*\([^;]*\)\s*(?::[^;{]*)?\{\s*$"
)
_KEYWORDS = frozenset(
    {"if", "for", "while", "switch", "catch", "return", "function", "else", "do", "try", "new",
     "with", "synchronized", "throw", "typeof", "await", "yield", "super", "this"}
)  # fmt: skip

_KEYWORD_BYTES = frozenset(word.encode() for word in _KEYWORDS)
_PYTHON_EXTENSIONS = (".py", ".pyi")
_JS_EXTENSIONS = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx")


def function_in_header(path: str, header: str) -> str | None:
    """The function named by a hunk header's funcname text, for a file's language."""
    return _function_name(path, header)


def function_defined_on(path: str, line: str) -> str | None:
    """The function or class a source line defines, or None (stricter than headers)."""
    pattern = _definition_pattern(path)
    if pattern is None:
        return None
    match = pattern.search(b"+" + line.encode("utf-8", "replace"))
    return _definition_name(match) if match else None


# Definition lines inside a hunk body ("+" or "-" lines), one search per hunk (speed).
_BODY_DEFINITIONS: tuple[tuple[tuple[str, ...], re.Pattern[bytes]], ...] = (
    (
        _PYTHON_EXTENSIONS,
        re.compile(rb"^[+-][ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+([A-Za-z_]\w*)", re.M),
    ),
    ((".go",), re.compile(rb"^[+-]func[ \t]+(?:\([^)\n]*\)[ \t]*)?([A-Za-z_]\w*)", re.M)),
    (
        (".java",),
        re.compile(
            rb"^[+-][ \t]*(?:(?:public|private|protected|static|final|abstract|synchronized"
            rb"|native|default|sealed)[ \t]+)+(?:(?:class|interface|enum|record)[ \t]+"
            rb"([A-Za-z_$][\w$]*)|[\w<>\[\],.? \t]*?\b([A-Za-z_$][\w$]*)[ \t]*\()"
            rb"|^[+-][ \t]*(?:class|interface|enum|record)[ \t]+([A-Za-z_$][\w$]*)",
            re.M,
        ),
    ),
    (
        _JS_EXTENSIONS,
        re.compile(
            rb"^[+-][ \t]*(?:export[ \t]+)?(?:default[ \t]+)?(?:async[ \t]+)?"
            rb"(?:function[ \t]*\*?[ \t]*([A-Za-z_$][\w$]*)"
            rb"|(?:abstract[ \t]+)?class[ \t]+([A-Za-z_$][\w$]*)"
            rb"|(?:const|let|var)[ \t]+([A-Za-z_$][\w$]*)[ \t]*=[ \t]*(?:async[ \t]+)?"
            rb"(?:function\b|\(|[A-Za-z_$][\w$]*[ \t]*=>))"
            rb"|^[+-][ \t]*(?:(?:public|private|protected|static|async|get|set|readonly)[ \t]+)*"
            rb"([A-Za-z_$][\w$]*)[ \t]*\([^;\n]*\)[ \t]*(?::[^;{\n]*)?\{[ \t]*$",
            re.M,
        ),
    ),
)


def _definition_pattern(path: str) -> re.Pattern[bytes] | None:
    for extensions, pattern in _BODY_DEFINITIONS:
        if path.endswith(extensions):
            return pattern
    return None


def _definition_name(match: re.Match[bytes]) -> str | None:
    name = match.group(match.lastindex or 1)
    if not name or name in _KEYWORD_BYTES:
        return None
    return str(name.decode("ascii", "replace"))


def _function_name(path: str, text: str) -> str | None:
    if path.endswith(_PYTHON_EXTENSIONS):
        match = _PYTHON_DEFINITION.match(text)
        return match.group(1) if match else None
    if path.endswith(".go"):
        match = _GO_DEFINITION.match(text)
        return match.group(1) if match else None
    if path.endswith(".java"):
        method = _JAVA_METHOD.match(text) or _JAVA_HEADER_METHOD.search(text)
        if method is not None and method.group(1) not in _KEYWORDS:
            return method.group(1)
        klass = _JAVA_CLASS.search(text)
        return klass.group(1) if klass else None
    if path.endswith(_JS_EXTENSIONS):
        match = _JS_DEFINITION.match(text)
        if match:
            return next(group for group in match.groups() if group)
        method = _JS_METHOD.match(text)
        if method and method.group(1) not in _KEYWORDS:
            return method.group(1)
    return None


# ---------------------------------------------------------------------------------------------
# The git log stream
# ---------------------------------------------------------------------------------------------

_START = b"\x00\x1eARGUS-COMMIT\x00"
_END = b"\x00\x1eARGUS-END\x00"
_FORMAT = "--format=%x00%x1eARGUS-COMMIT%x00%H%x00%an%x00%ae%x00%at%x00%B%x00%x1eARGUS-END%x00"
_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$")
_HUNKS = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$", re.MULTILINE)
_ESCAPES = {b"n": 10, b"t": 9, b'"': 34, b"\\": 92, b"a": 7, b"b": 8, b"f": 12, b"r": 13, b"v": 11}


@dataclass
class FileTouch:
    """One file of one ingested commit."""

    path: str
    old_path: str | None = None
    lines_added: int = 0
    lines_deleted: int = 0
    is_binary: bool = False
    deleted: bool = False
    functions: set[str] = field(default_factory=set)
    fix_lines: list[int] = field(default_factory=list)


@dataclass
class ParsedCommit:
    """One non-merge commit read from ``git log``."""

    sha: str
    author_name: str
    author_email: str
    author_time: int
    message: str
    is_fix: bool
    files: list[FileTouch]


def _unquote(raw: bytes) -> str:
    """A path as git prints it (C-quoted when unusual), decoded as UTF-8."""
    if len(raw) >= 2 and raw.startswith(b'"') and raw.endswith(b'"'):
        body = raw[1:-1]
        out = bytearray()
        index = 0
        while index < len(body):
            byte = body[index : index + 1]
            if byte != b"\\":
                out += byte
                index += 1
                continue
            following = body[index + 1 : index + 2]
            if following.isdigit():
                out.append(int(body[index + 1 : index + 4], 8))
                index += 4
            else:
                out.append(_ESCAPES.get(following, following[0] if following else 92))
                index += 2
        raw = bytes(out)
    return raw.decode("utf-8", "replace")


def _drop_tab(name: bytes) -> bytes:
    """Git ends ``---``/``+++`` names holding a space with a tab (a real tab would be quoted)."""
    return name[:-1] if name.endswith(b"\t") else name


def _strip_prefix(path: str) -> str:
    return path[2:] if path[:2] in ("a/", "b/") else path


def _diff_git_path(rest: bytes) -> str:
    """The path of a ``diff --git a/P b/P`` line when no other header names it."""
    if rest.startswith(b'"'):
        closing = rest.find(b'"', 1)
        while closing > 0 and rest[closing - 1 : closing] == b"\\":
            closing = rest.find(b'"', closing + 1)
        return _strip_prefix(_unquote(rest[: closing + 1]))
    half = (len(rest) - 1) // 2
    return _strip_prefix(rest[:half].decode("utf-8", "replace"))


def parse_log(output: bytes) -> Iterator[ParsedCommit]:
    """Parse the output of ``git log`` run with :data:`_FORMAT` and ``-p -U0``."""
    for record in output.split(_START)[1:]:
        header, _, patch = record.partition(_END)
        fields = header.split(b"\x00", 4)
        if len(fields) < 5:
            continue
        sha, name, email, stamp, body = fields
        message = body.decode("utf-8", "replace")
        fix = is_fix_message(message)
        yield ParsedCommit(
            sha=sha.decode("ascii", "replace"),
            author_name=name.decode("utf-8", "replace"),
            author_email=email.decode("utf-8", "replace").strip().lower(),
            author_time=int(stamp or b"0"),
            message=message,
            is_fix=fix,
            files=_parse_patch(patch, fix),
        )


def _parse_patch(patch: bytes, keep_fix_lines: bool) -> list[FileTouch]:
    # Every line of a hunk body starts with "+", "-" or "\\", so "diff --git " at a line start
    # and "@@ " at a line start can only be headers: split and scan with C-speed searches.
    files: list[FileTouch] = []
    start = patch.find(b"diff --git ")
    if start < 0:
        return files
    for section in patch[start + 11 :].split(b"\ndiff --git "):
        header_end = section.find(b"\n@@ ")
        header = section if header_end < 0 else section[:header_end]
        touch = _parse_file_header(header)
        files.append(touch)
        if header_end < 0:
            continue
        body = section[header_end:]
        path = touch.path
        hunks = _HUNKS.findall(body)
        touch.lines_deleted = sum(1 if old == b"" else int(old) for _, old, _, _, _ in hunks)
        touch.lines_added = sum(1 if new == b"" else int(new) for _, _, _, new, _ in hunks)
        definitions = _definition_pattern(path)
        if definitions is not None:
            kind = path.rsplit(".", 1)[-1]
            for *_, section_text in hunks:
                if section_text:
                    named = _header_function(kind, section_text)
                    if named:
                        touch.functions.add(named)
            for found in definitions.finditer(body):
                name = found.group(found.lastindex or 1)
                if name and name not in _KEYWORD_BYTES:
                    touch.functions.add(name.decode("ascii", "replace"))
        if keep_fix_lines:
            touch.fix_lines = _removed_code_lines(path, body)
    return files


@functools.lru_cache(maxsize=4096)
def _header_function(kind: str, section: bytes) -> str | None:
    return function_in_header("x." + kind, section.decode("utf-8", "replace"))


def _parse_file_header(header: bytes) -> FileTouch:
    lines = header.split(b"\n")
    touch = FileTouch(path=_diff_git_path(lines[0]))
    for line in lines[1:]:
        if line.startswith(b"rename from "):
            touch.old_path = _unquote(line[12:])
        elif line.startswith(b"rename to "):
            touch.path = _unquote(line[10:])
        elif line.startswith(b"deleted file mode"):
            touch.deleted = True
        elif line.startswith(b"Binary files ") or line == b"GIT binary patch":
            touch.is_binary = True
        elif line.startswith(b"--- ") and touch.deleted:
            touch.path = _strip_prefix(_unquote(_drop_tab(line[4:])))
        elif line.startswith(b"+++ ") and not line.startswith(b"+++ /dev/null"):
            touch.path = _strip_prefix(_unquote(_drop_tab(line[4:])))
    return touch


def _removed_code_lines(path: str, body: bytes) -> list[int]:
    """Old-side numbers of the removed lines that hold code (not blank, not only a comment)."""
    found: list[int] = []
    old_line = 0
    for line in body.split(b"\n"):
        marker = line[:1]
        if marker == b"@":
            match = _HUNK.match(line)
            old_line = int(match.group(1)) if match else old_line
        elif marker == b"-":
            if not is_blank_or_comment(path, line[1:].decode("utf-8", "replace")):
                found.append(old_line)
            old_line += 1
    return found


_MISSING_OBJECT = re.compile(
    r"(?:unable to read|could not read|bad object|could not fetch) ([0-9a-f]{40})"
)
# Never fetch a partial clone's missing blobs one by one while reading history (thousands of
# round trips); they are reported as missing instead.
_NO_LAZY_FETCH = {"GIT_NO_LAZY_FETCH": "1"}


class HistoryGap(GitError):
    """The clone lacks so much of its history's content that the history factors are left out."""


def _missing_objects(repo_root: Path, revision_range: str) -> set[str]:
    """The objects of the range this clone does not have (a partial clone's, a damaged one's)."""
    output = run_git(
        repo_root, "rev-list", "--objects", "--missing=print", revision_range,
        check=False, extra_env=_NO_LAZY_FETCH,
    )  # fmt: skip
    return {
        line[1:].strip().decode("ascii", "replace")
        for line in output.split(b"\n")
        if line.startswith(b"?")
    }


def _paths_holding(
    repo_root: Path, revision_range: str, object_ids: set[str]
) -> tuple[set[str], int]:
    """The paths whose content was one of ``object_ids`` somewhere in the range (no blob is
    read), and how many paths the range touched in all."""
    output = run_git(
        repo_root, "log", "--no-merges", "--raw", "--no-abbrev", "-M", "--format=",
        revision_range, "--", extra_env=_NO_LAZY_FETCH,
    )  # fmt: skip
    found: set[str] = set()
    every: set[bytes] = set()
    markers = [object_id.encode("ascii") for object_id in object_ids]
    for line in output.split(b"\n"):
        if not line.startswith(b":") or b"\t" not in line:
            continue
        meta, *paths = line.split(b"\t")
        every.update(paths)
        fields = meta.split(b" ")
        if len(fields) >= 4 and (fields[2] in markers or fields[3] in markers):
            found.update(_unquote(part) for part in paths)
    return found, len(every)


def _git_log(
    repo_root: Path,
    revision_range: str,
    warnings: list[str] | None = None,
    *,
    commits: Sequence[str] | None = None,
    max_count: int | None = None,
) -> bytes:
    """The ``git log -p -U0`` stream; files whose content git cannot read are left out.

    ``commits`` reads just those commits, in the order given, instead of walking the range
    (which then only bounds the search for missing objects).

    A partial clone or a mirror without some blobs makes ``git log -p`` stop at the first
    missing object: every missing object of the range is listed once (``rev-list
    --missing=print``), the paths that held one are excluded and the log read again, and a
    warning naming them is appended to ``warnings``. When most of the files lack content (a
    blobless clone) :class:`HistoryGap` says so: the history factors are left out.
    """
    excluded: set[str] = set()
    for _ in range(5):
        try:
            output = _git_log_once(repo_root, revision_range, excluded, commits, max_count)
        except GitError as error:
            first = _MISSING_OBJECT.search(str(error))
            if first is None:
                raise
            missing = _missing_objects(repo_root, revision_range) | {first.group(1)}
            paths, touched = _paths_holding(repo_root, revision_range, missing)
            paths -= excluded
            if not paths:
                raise
            excluded |= paths
            if len(excluded) > MAX_MISSING_SHARE * max(touched, 1):
                raise HistoryGap(
                    f"this clone lacks the content of {len(excluded)} of the {touched} files in "
                    "its history (a partial or blobless clone?): history factors left out "
                    "(clone without --filter, or fetch the blobs, to use them)"
                ) from None
            continue
        if excluded and warnings is not None:
            shown = ", ".join(sorted(excluded)[:5]) + (", ..." if len(excluded) > 5 else "")
            warnings.append(
                f"history leaves out {len(excluded)} file(s) whose content this clone lacks "
                f"(partial clone or mirror without large blobs): {shown}"
            )
        return output
    raise GitError(f"git log -p in {repo_root}: too many objects missing from this clone")


def _git_log_once(
    repo_root: Path,
    revision_range: str,
    excluded: set[str],
    commits: Sequence[str] | None,
    max_count: int | None = None,
) -> bytes:
    walk = ["--reverse", "--topo-order"] if commits is None else ["--no-walk=unsorted", "--stdin"]
    if max_count is not None:
        walk.append(f"--max-count={max_count}")  # the newest ones: git reverses after limiting
    handle, attributes = tempfile.mkstemp(prefix="argus-attributes-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(_ATTRIBUTES)
        return run_git(
            repo_root,
            "-c",
            f"core.attributesFile={attributes}",
            "-c",
            f"diff.argusjs.xfuncname={_JS_FUNCNAME}",
            "-c",
            f"diff.argusjava.xfuncname={_JAVA_FUNCNAME}",
            "log",
            "--no-merges",
            *walk,
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "-M",
            "-p",
            "-U0",
            _FORMAT,
            *([revision_range] if commits is None else []),
            "--",
            *(f":(exclude,literal){path}" for path in sorted(excluded)),
            input_bytes=None if commits is None else "".join(f"{c}\n" for c in commits).encode(),
            extra_env=_NO_LAZY_FETCH,
        )
    finally:
        os.unlink(attributes)


# ---------------------------------------------------------------------------------------------
# The in-memory index
# ---------------------------------------------------------------------------------------------


class CommitInfo(NamedTuple):
    """One ingested commit."""

    seq: int
    sha: str
    author_name: str
    author_email: str
    time: int
    subject: str
    is_fix: bool
    is_boundary: bool = False


class FileRow(NamedTuple):
    """One file change of one commit; ``lines_before`` is the line count just before it."""

    seq: int
    path: str
    old_path: str | None
    lines_added: int
    lines_deleted: int
    lines_before: int
    is_binary: bool


@dataclass(frozen=True)
class FunctionHistory:
    """What history says about one function before a point in time."""

    touches: int
    fix_touches: int
    fix_touches_last_year: int
    first_seen: int | None
    last_changed: int | None
    authors: int


@dataclass(frozen=True)
class FileHistory:
    """What history says about one file before a point in time."""

    commits: int
    fix_commits: int
    fix_commits_last_year: int
    authors: int
    created_at: int | None
    last_changed_at: int | None
    author_commits: Mapping[str, int]


class _Concurrent(Exception):
    """Another process synced the same repository while this one was reading git."""


class _Memory:
    """The in-memory tables of one history, appended to in seq order."""

    def __init__(self) -> None:
        self.commits: list[CommitInfo] = []
        self.seq_by_sha: dict[str, int] = {}
        # path -> file rows touching it, following renames (a renamed file keeps its past)
        self.file_rows: dict[str, list[FileRow]] = {}
        # path -> the seqs of those rows (the same order): C-speed slicing and set building
        self.file_seqs: dict[str, list[int]] = {}
        self.rows_by_seq: dict[int, list[FileRow]] = {}
        self.author_seqs: dict[str, list[int]] = {}
        self.author_subsystem_seqs: dict[tuple[str, str], list[int]] = {}
        self.line_counts: dict[str, int] = {}
        self._author_times: dict[str, numpy.ndarray] = {}

    def author_times(self, author: str) -> numpy.ndarray:
        """The author times of ``author_seqs[author]`` as an int64 array (cached per length)."""
        seqs = self.author_seqs.get(author, [])
        cached = self._author_times.get(author)
        if cached is None or len(cached) != len(seqs):
            import numpy as np

            cached = np.fromiter((self.commits[seq].time for seq in seqs), np.int64, len(seqs))
            self._author_times[author] = cached
        return cached

    def add(self, commits: Iterable[CommitInfo], files: Iterable[FileRow]) -> None:
        rows_by_seq = self.rows_by_seq
        for row in files:
            rows_by_seq.setdefault(row.seq, []).append(row)
        file_rows = self.file_rows
        file_seqs = self.file_seqs
        line_counts = self.line_counts
        for commit in commits:
            self.commits.append(commit)
            self.seq_by_sha[commit.sha] = commit.seq
            email = commit.author_email
            self.author_seqs.setdefault(email, []).append(commit.seq)
            subsystems: set[str] = set()
            for row in rows_by_seq.get(commit.seq, ()):
                if row.old_path and row.old_path != row.path:
                    file_rows[row.path] = list(file_rows.get(row.old_path, ()))
                    file_seqs[row.path] = list(file_seqs.get(row.old_path, ()))
                    line_counts.pop(row.old_path, None)
                file_rows.setdefault(row.path, []).append(row)
                file_seqs.setdefault(row.path, []).append(row.seq)
                subsystems.add(subsystem_of(row.path))
                after = row.lines_before + row.lines_added - row.lines_deleted
                if after > 0:
                    line_counts[row.path] = after
                else:
                    line_counts.pop(row.path, None)
            for subsystem in subsystems:
                self.author_subsystem_seqs.setdefault((email, subsystem), []).append(commit.seq)


class HistoryIndex:
    """The ingested history of one repository, indexed for feature queries.

    Build it with :meth:`sync` (ingest what is new) or :meth:`load` (read only). The tables are
    read from the store on first use and then kept in memory; lists are ordered by seq, so
    "before commit s" is a bisection.
    """

    def __init__(self, store: SQLiteStore, repository_id: int, repo_root: Path):
        self.store = store
        self.repository_id = repository_id
        self.repo_root = repo_root
        # The commit whose history is read: HEAD, or a branch (a diff on stdin is judged on the
        # default branch's history, whatever is checked out).
        self.tip = "HEAD"
        self._memory: _Memory | None = None
        self._functions: dict[tuple[str, str], list[int]] | None = None
        # What the last sync could not read (shown once to the user by the front-end).
        self.warnings: list[str] = []
        # Why the history factors cannot be trusted at all (a shallow clone), else None.
        self.unusable: str | None = None
        # A first read takes this many newest commits at most (None: every commit).
        self.max_commits: int | None = MAX_HISTORY_COMMITS

    def _reset_memory(self) -> None:
        self._memory = _Memory()
        self._functions = None

    @property
    def memory(self) -> _Memory:
        """The in-memory tables, loaded from the store on first use."""
        if self._memory is None:
            self._memory = _Memory()
            self._load_rows(self._memory)
        return self._memory

    @property
    def commits(self) -> list[CommitInfo]:
        """Every ingested commit, indexed by seq."""
        return self.memory.commits

    @property
    def file_rows(self) -> dict[str, list[FileRow]]:
        """Path -> the file rows touching it (in seq order, following renames)."""
        return self.memory.file_rows

    @property
    def rows_by_seq(self) -> dict[int, list[FileRow]]:
        """Seq -> the file rows of that commit."""
        return self.memory.rows_by_seq

    @property
    def author_seqs(self) -> dict[str, list[int]]:
        """Author email -> seqs of their commits."""
        return self.memory.author_seqs

    @property
    def author_subsystem_seqs(self) -> dict[tuple[str, str], list[int]]:
        """(author email, subsystem) -> seqs of their commits touching that subsystem."""
        return self.memory.author_subsystem_seqs

    @property
    def line_counts(self) -> dict[str, int]:
        """Path -> line count at the newest ingested commit (text files that exist)."""
        return self.memory.line_counts

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def sync(
        cls,
        store: SQLiteStore,
        repo_root: Path | str,
        tip: str = "HEAD",
        *,
        max_commits: int | None = MAX_HISTORY_COMMITS,
    ) -> HistoryIndex:
        """Ingest the commits not yet in the store (all of them after a rewrite) and load;
        ``tip`` names the commit whose history is read.

        A first read takes the newest ``max_commits`` commits only (None: all of them), so a
        very long history costs a bounded first review; it says so in :attr:`warnings`.
        """
        root = Path(repo_root)
        index = cls.load(store, root)
        index.tip = tip
        index.max_commits = max_commits
        index.update()
        return index

    @classmethod
    def load(cls, store: SQLiteStore, repo_root: Path | str) -> HistoryIndex:
        """The history already in the store, without asking git anything."""
        root = Path(repo_root)
        return cls(store, repository_id(store, root), root)

    def update(self) -> int:
        """Ingest what is new since the last sync; return the number of commits read."""
        head = run_git(
            self.repo_root, "rev-parse", "--verify", "-q", f"{self.tip}^{{commit}}", check=False
        )
        head_sha = head.decode("ascii", "replace").strip()
        if not head_sha:
            run_git(self.repo_root, "rev-parse", "--git-dir")  # GitError unless a repository
            return 0
        last, stored_count = self._stored_state()
        boundaries = self._shallow_boundaries()
        try:
            return self._update(head_sha, last, stored_count, boundaries)
        finally:
            self._note_shallow(boundaries)

    def _note_shallow(self, boundaries: frozenset[str]) -> None:
        """Say what a shallow clone lacks: below :data:`MIN_SHALLOW_COMMITS` commits the history
        factors are left out (:attr:`unusable`), above it they see only the commits there are."""
        self.unusable = None
        if not boundaries:
            return
        count = len(self.commits)
        plural = "" if count == 1 else "s"
        if count < MIN_SHALLOW_COMMITS:
            self.unusable = (
                f"history is shallow ({count} commit{plural}): history factors left out "
                "(fetch the history with `git fetch --unshallow`, or check out with fetch-depth 0)"
            )
            return
        note = (
            f"history is shallow ({count} commits): history factors see only these "
            "(`git fetch --unshallow` fetches the rest)"
        )
        if note not in self.warnings:
            self.warnings.append(note)

    def _update(
        self, head_sha: str, last: str | None, stored_count: int, boundaries: frozenset[str]
    ) -> int:
        if self._memory is not None and len(self._memory.commits) != stored_count:
            self._memory = None  # another process synced meanwhile: reload lazily
            self._functions = None
        broken = last is not None and not self._consistent(last, stored_count)
        if broken:
            self.warnings.append(
                "the cached history in the store was inconsistent (a damaged or half-written "
                "store); it was read again from git"
            )
        elif head_sha == last:
            return 0
        revision_range = head_sha
        rewritten = broken
        if last is not None and not broken:
            base = run_git(self.repo_root, "merge-base", last, head_sha, check=False)
            if base.decode("ascii", "replace").strip() == last:
                revision_range = f"{last}..{head_sha}"
            else:
                rewritten = True
        limit = self.max_commits if revision_range == head_sha else None
        commits = list(
            parse_log(_git_log(self.repo_root, revision_range, self.warnings, max_count=limit))
        )
        if limit is not None and len(commits) >= limit:
            self.warnings.append(
                f"history is long: only its newest {limit:,} commits were read, and the "
                "history factors see those"
            )
        if not self._ingest(commits, head_sha, boundaries, last, rewritten):
            return 0
        return len(commits)

    def _consistent(self, last: str, stored_count: int) -> bool:
        """Whether the stored commits are the ``stored_count`` ones ending at ``last``."""
        try:
            count, top = self.store.connection.execute(
                "SELECT COUNT(*), MAX(seq) FROM history_commits WHERE repository_id = ?",
                (self.repository_id,),
            ).fetchone()
            newest = self.store.connection.execute(
                "SELECT sha FROM history_commits WHERE repository_id = ? AND seq = ?",
                (self.repository_id, top),
            ).fetchone()
        except sqlite3.Error:
            return False
        return (
            count == stored_count
            and top == stored_count - 1
            and newest is not None
            and newest[0] == last
        )

    def last_sha(self) -> str | None:
        """The newest commit ingested, or None before the first sync."""
        return self._stored_state()[0]

    def _stored_state(self) -> tuple[str | None, int]:
        row = self.store.connection.execute(
            "SELECT last_sha, commit_count FROM history_sync WHERE repository_id = ?",
            (self.repository_id,),
        ).fetchone()
        return (None, 0) if row is None else (row[0], int(row[1]))

    def _shallow_boundaries(self) -> frozenset[str]:
        out = run_git(
            self.repo_root, "rev-parse", "--is-shallow-repository", "--git-path", "shallow"
        )
        answer = out.decode("utf-8", "replace").splitlines()
        if len(answer) < 2 or answer[0].strip() != "true":
            return frozenset()
        shallow_file = Path(answer[1].strip())
        if not shallow_file.is_absolute():
            shallow_file = self.repo_root / shallow_file
        try:
            return frozenset(shallow_file.read_text(encoding="ascii").split())
        except OSError:
            return frozenset()

    def _clear(self, db: sqlite3.Connection) -> None:
        for table in (
            "history_commits",
            "history_files",
            "history_functions",
            "history_fix_lines",
            "szz_labels",
            "szz_done",
        ):
            db.execute(f"DELETE FROM {table} WHERE repository_id = ?", (self.repository_id,))

    def _ingest(
        self,
        parsed: list[ParsedCommit],
        head_sha: str,
        boundaries: frozenset[str],
        expected_last: str | None,
        rewritten: bool,
    ) -> bool:
        """Store the parsed commits in one transaction; False when another process won."""
        repo = self.repository_id
        if rewritten:
            self._reset_memory()
        commit_rows: list[tuple[object, ...]] = []
        file_rows: list[tuple[object, ...]] = []
        function_touches: list[tuple[int, str, str]] = []
        fix_rows: list[tuple[object, ...]] = []
        new_commits: list[CommitInfo] = []
        new_files: list[FileRow] = []
        seq = len(self.commits)
        counts = dict(self.line_counts)
        for commit in parsed:
            info = CommitInfo(
                seq=seq,
                sha=commit.sha,
                author_name=commit.author_name,
                author_email=commit.author_email,
                time=commit.author_time,
                subject=commit.message.split("\n", 1)[0][:300],
                is_fix=commit.is_fix,
                is_boundary=commit.sha in boundaries,
            )
            new_commits.append(info)
            commit_rows.append(
                (repo, seq, info.sha, info.author_name, info.author_email, info.time,
                 info.subject, int(info.is_fix), int(info.is_boundary))
            )  # fmt: skip
            seen: set[str] = set()
            for touch in commit.files:
                if touch.path in seen:
                    continue
                seen.add(touch.path)
                source = touch.old_path or touch.path
                before = counts.pop(source, 0) if touch.old_path else counts.get(source, 0)
                after = before + touch.lines_added - touch.lines_deleted
                if touch.deleted or after <= 0:
                    counts.pop(touch.path, None)
                else:
                    counts[touch.path] = after
                row = FileRow(
                    seq, touch.path, touch.old_path, touch.lines_added, touch.lines_deleted,
                    before, touch.is_binary,
                )  # fmt: skip
                new_files.append(row)
                file_rows.append(
                    (repo, seq, row.path, row.old_path, row.lines_added, row.lines_deleted,
                     row.lines_before, int(row.is_binary))
                )  # fmt: skip
                function_touches.extend((seq, touch.path, name) for name in touch.functions)
                fix_path = touch.old_path or touch.path
                fix_rows.extend((repo, seq, fix_path, line) for line in touch.fix_lines)
            seq += 1
        try:
            with self.store.transaction() as db:
                current = db.execute(
                    "SELECT last_sha FROM history_sync WHERE repository_id = ?", (repo,)
                ).fetchone()
                if (None if current is None else current[0]) != expected_last:
                    raise _Concurrent
                if rewritten:
                    self._clear(db)
                db.executemany(
                    "INSERT INTO history_commits (repository_id, seq, sha, author_name,"
                    " author_email, author_time, subject, is_fix, is_boundary)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    commit_rows,
                )
                db.executemany(
                    "INSERT INTO history_files (repository_id, seq, path, old_path, lines_added,"
                    " lines_deleted, lines_before, is_binary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    file_rows,
                )
                db.executemany(
                    "INSERT OR IGNORE INTO history_functions (repository_id, seq, path, name)"
                    " VALUES (?, ?, ?, ?)",
                    [(repo, *touch) for touch in function_touches],
                )
                db.executemany(
                    "INSERT OR IGNORE INTO history_fix_lines (repository_id, seq, path, line)"
                    " VALUES (?, ?, ?, ?)",
                    fix_rows,
                )
                db.execute(
                    "INSERT INTO history_sync (repository_id, last_sha, commit_count, synced_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (repository_id) DO UPDATE SET"
                    " last_sha = excluded.last_sha, commit_count = excluded.commit_count,"
                    " synced_at = excluded.synced_at",
                    (repo, head_sha, seq, int(time.time())),
                )
        except _Concurrent:
            self._memory = None  # another process stored this history first: reload lazily
            self._functions = None
            return False
        except sqlite3.Error as error:
            raise StoreError(f"cannot store the history of {self.repo_root}: {error}") from error
        self.memory.add(new_commits, new_files)
        if self._functions is not None:
            for row_seq, path, name in function_touches:
                self._functions.setdefault((path, name), []).append(row_seq)
        return True

    def _load_rows(self, memory: _Memory) -> None:
        db = self.store.connection
        commits = [
            CommitInfo(seq, sha, name, email, stamp, subject, fix == 1, boundary == 1)
            for seq, sha, name, email, stamp, subject, fix, boundary in db.execute(
                "SELECT seq, sha, author_name, author_email, author_time, subject, is_fix,"
                " is_boundary FROM history_commits WHERE repository_id = ? ORDER BY seq",
                (self.repository_id,),
            )
        ]
        files = [
            FileRow(seq, path, old_path, added, deleted, before, binary == 1)
            for seq, path, old_path, added, deleted, before, binary in db.execute(
                "SELECT seq, path, old_path, lines_added, lines_deleted, lines_before, is_binary"
                " FROM history_files WHERE repository_id = ? ORDER BY seq",
                (self.repository_id,),
            )
        ]
        memory.add(commits, files)

    # -- queries ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.commits)

    def commit(self, sha: str) -> CommitInfo:
        """The ingested commit with this full sha; GitError when it is not in the history."""
        seq = self.memory.seq_by_sha.get(sha)
        if seq is None:
            raise GitError(f"commit {sha} is not in the ingested history (run a sync first)")
        return self.commits[seq]

    def rows_before(self, path: str, before_seq: int | None) -> list[FileRow]:
        """The file rows of ``path`` (following renames) with seq < ``before_seq``."""
        rows = self.file_rows.get(path, [])
        if before_seq is None or not rows or rows[-1].seq < before_seq:
            return rows
        cut = bisect.bisect_left(rows, before_seq, key=lambda row: row.seq)
        return rows[:cut]

    def seqs_before(self, path: str, before_seq: int | None) -> list[int]:
        """The seqs of :meth:`rows_before` (the same rows), without building the rows."""
        seqs = self.memory.file_seqs.get(path, [])
        if before_seq is None or not seqs or seqs[-1] < before_seq:
            return seqs
        return seqs[: bisect.bisect_left(seqs, before_seq)]

    def function_seqs(self, path: str, name: str) -> list[int]:
        """The seqs of the commits that touched function ``name`` of ``path``."""
        if self._functions is None:
            functions: dict[tuple[str, str], list[int]] = {}
            for seq, row_path, row_name in self.store.connection.execute(
                "SELECT seq, path, name FROM history_functions WHERE repository_id = ?"
                " ORDER BY seq",
                (self.repository_id,),
            ):
                functions.setdefault((row_path, row_name), []).append(seq)
            self._functions = functions
        return self._functions.get((path, bare_function_name(name)), [])


def repository_id(store: SQLiteStore, repo_root: Path) -> int:
    """The id of a repository in the store, creating its row on first use."""
    root = str(repo_root.resolve())
    db = store.connection
    try:
        row = db.execute("SELECT id FROM repositories WHERE root = ?", (root,)).fetchone()
        if row is None:
            db.execute(
                "INSERT OR IGNORE INTO repositories (root, created_at) VALUES (?, ?)",
                (root, int(time.time())),
            )
            row = db.execute("SELECT id FROM repositories WHERE root = ?", (root,)).fetchone()
    except sqlite3.Error as error:
        raise StoreError(f"cannot register the repository {root}: {error}") from error
    return int(row[0])


def _window(seqs: list[int], before_seq: int | None) -> list[int]:
    if before_seq is None:
        return seqs
    return seqs[: bisect.bisect_left(seqs, before_seq)]


def _before(commits: list[CommitInfo], before: int | None) -> list[CommitInfo]:
    return commits if before is None else [c for c in commits if c.time < before]


def function_history(
    index: HistoryIndex,
    path: str,
    function_name: str,
    before: int | None,
    *,
    before_seq: int | None = None,
) -> FunctionHistory:
    """History of one function (by bare name within ``path``) from commits before ``before``.

    ``before`` is a Unix time (None: all history); ``before_seq`` also keeps only commits
    ingested before that seq (for scoring a historical commit). "Last year" is the year before
    ``before`` (or before now).
    """
    seqs = _window(index.function_seqs(path, function_name), before_seq)
    reference = int(time.time()) if before is None else before
    commits = _before([index.commits[seq] for seq in seqs], before)
    fixes = [commit for commit in commits if commit.is_fix]
    return FunctionHistory(
        touches=len(commits),
        fix_touches=len(fixes),
        fix_touches_last_year=sum(reference - c.time <= SECONDS_PER_YEAR for c in fixes),
        first_seen=min((c.time for c in commits), default=None),
        last_changed=max((c.time for c in commits), default=None),
        authors=len({c.author_email for c in commits}),
    )


def file_history(
    index: HistoryIndex, path: str, before: int | None, *, before_seq: int | None = None
) -> FileHistory:
    """History of one file (following renames) from commits before ``before`` (Unix time).

    ``before_seq`` also keeps only commits ingested before that seq.
    """
    rows = index.rows_before(path, before_seq)
    reference = int(time.time()) if before is None else before
    commits = _before([index.commits[row.seq] for row in rows], before)
    fixes = [commit for commit in commits if commit.is_fix]
    per_author: dict[str, int] = {}
    for commit in commits:
        per_author[commit.author_email] = per_author.get(commit.author_email, 0) + 1
    return FileHistory(
        commits=len(commits),
        fix_commits=len(fixes),
        fix_commits_last_year=sum(reference - c.time <= SECONDS_PER_YEAR for c in fixes),
        authors=len(per_author),
        created_at=min((c.time for c in commits), default=None),
        last_changed_at=max((c.time for c in commits), default=None),
        author_commits=per_author,
    )
