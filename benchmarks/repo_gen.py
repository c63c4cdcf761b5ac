"""Synthetic-but-realistic git repositories for the benchmarks.

``generate_repo`` writes a few hundred parseable source files in Python, JavaScript, TypeScript,
Go and Java and a history of small commits by a team of authors over two years, all through one
``git fast-import`` process. ``make_change`` then edits many files at once (a pull request of a
chosen size), and ``make_large_python_file`` returns one long module for editor benchmarks.

    python benchmarks/repo_gen.py --out /tmp/bench-repo --commits 2000
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LANGUAGES = ("python", "javascript", "typescript", "go", "java")
START_EPOCH = 1_719_792_000  # 2024-07-01 00:00 UTC
TWO_YEARS = 730 * 86_400

_VERBS = (
    "compute", "resolve", "apply", "merge", "validate", "normalize", "score", "collect",
    "build", "update", "estimate", "reconcile", "select", "adjust", "rank", "split",
)  # fmt: skip
_NOUNS = (
    "total", "balance", "quota", "offset", "weight", "window", "budget", "limit", "margin",
    "count", "delay", "priority", "ratio", "buffer", "retries", "threshold", "capacity",
)  # fmt: skip
_DOMAINS = (
    "billing", "accounts", "search", "inventory", "shipping", "auth", "reports", "catalog",
    "notifications", "payments", "analytics", "scheduler", "pricing", "checkout",
)  # fmt: skip
_MODULES = (
    "service", "handlers", "rules", "client", "store", "policy", "cache", "parser",
    "validator", "metrics", "worker", "planner", "ledger", "router", "limits",
)  # fmt: skip
_AUTHORS = (
    ("Maya Lindqvist", "+0100"), ("Tomasz Nowak", "+0100"), ("Priya Raman", "+0530"),
    ("Lucas Ferreira", "-0300"), ("Hannah Schulz", "+0100"), ("Kenji Watanabe", "+0900"),
    ("Amara Okafor", "+0100"), ("Diego Alvarez", "-0500"), ("Sofia Rossi", "+0100"),
    ("Noah Bennett", "-0800"), ("Elif Yilmaz", "+0300"), ("Oliver Grant", "+0000"),
    ("Zara Ahmed", "+0000"), ("Mateo Costa", "-0300"), ("Ines Moreau", "+0100"),
)  # fmt: skip
_INDENT = {"python": "    ", "javascript": "  ", "typescript": "  ", "go": "\t", "java": "    "}
_INIT_LINE = {
    "python": "result = a",
    "javascript": "let result = a;",
    "typescript": "let result: number = a;",
    "go": "result := a",
    "java": "int result = a;",
}
_SET_LINE = re.compile(r"(result = result [-+] [ab] \* )(\d+)")

# A statement is a tuple: ("set", op, operand, constant), ("if", bound, body, else_body),
# ("loop", count, body), ("guard", value) or ("log", word).
Statement = tuple[Any, ...]


@dataclass
class Function:
    """One generated function or method: name words, body statements, and whether a method."""

    words: tuple[str, ...]
    body: list[Statement]
    method: bool = False


@dataclass
class SourceFile:
    """The model of one generated file; rendered to text on every commit that touches it."""

    path: str
    language: str
    domain: str
    module: str
    functions: list[Function] = field(default_factory=list)


@dataclass
class RepoInfo:
    """What ``generate_repo`` made."""

    path: Path
    commits: int
    fix_commits: int
    authors: int
    files: int
    files_by_language: dict[str, int]
    head: str
    seconds: float


@dataclass
class ChangeInfo:
    """What ``make_change`` did: files touched, lines planned, and lines git counts as changed."""

    files: list[str]
    planned_lines: int
    changed_lines: int
    mode: str
    branch: str | None
    head: str | None


# ---------------------------------------------------------------- rendering


def function_name(words: tuple[str, ...], language: str) -> str:
    """The identifier for ``words`` in the naming convention of ``language``."""
    if language == "python":
        return "_".join(words)
    if language == "go":
        return "".join(word.capitalize() for word in words)
    return words[0] + "".join(word.capitalize() for word in words[1:])


def _class_name(file: SourceFile) -> str:
    if file.language == "java":
        return file.domain.capitalize() + file.module.capitalize()
    return file.module.capitalize()


def _semicolon(language: str) -> str:
    return "" if language in ("python", "go") else ";"


def _block(head: str, language: str) -> str:
    if language == "python":
        return f"{head}:"
    if language == "go":
        return f"{head} {{"
    keyword, _, condition = head.partition(" ")
    return f"{keyword} ({condition}) {{"


def render_statements(
    statements: list[Statement], language: str, indent: str, depth: int = 0
) -> list[str]:
    """Render statements at ``indent``; blocks nest one indent unit deeper."""
    unit = _INDENT[language]
    end = _semicolon(language)
    braces = language != "python"
    lines: list[str] = []
    for statement in statements:
        kind = statement[0]
        if kind == "set":
            _, operator, operand, constant = statement
            lines.append(f"{indent}result = result {operator} {operand} * {constant}{end}")
        elif kind == "log":
            word = statement[1]
            lines.append(indent + _log_line(word, language))
        elif kind == "guard":
            lines.append(indent + _block("if a < 0", language))
            lines.append(f"{indent}{unit}return {statement[1]}{end}")
            if braces:
                lines.append(indent + "}")
        elif kind == "if":
            _, bound, body, else_body = statement
            lines.append(indent + _block(f"if result > {bound}", language))
            lines.extend(render_statements(body, language, indent + unit, depth + 1))
            if else_body:
                lines.append(indent + ("else:" if not braces else "} else {"))
                lines.extend(render_statements(else_body, language, indent + unit, depth + 1))
            if braces:
                lines.append(indent + "}")
        elif kind == "loop":
            _, count, body = statement
            variable = "ijk"[depth % 3]
            lines.append(indent + _loop_head(variable, count, language))
            lines.append(f"{indent}{unit}result += {variable}{end}")
            lines.extend(render_statements(body, language, indent + unit, depth + 1))
            if braces:
                lines.append(indent + "}")
        else:
            raise ValueError(f"unknown statement kind {kind!r}")
    return lines


def _log_line(word: str, language: str) -> str:
    if language == "python":
        return f'logger.debug("{word} %s", result)'
    if language == "go":
        return f'log.Printf("{word} %d", result)'
    if language == "java":
        return f'LOGGER.fine("{word} " + result);'
    return f'console.debug("{word}", result);'


def _loop_head(variable: str, count: int, language: str) -> str:
    if language == "python":
        return f"for {variable} in range({count}):"
    if language == "go":
        return f"for {variable} := 0; {variable} < {count}; {variable}++ {{"
    declaration = "int" if language == "java" else "let"
    return f"for ({declaration} {variable} = 0; {variable} < {count}; {variable}++) {{"


def render_function(function: Function, file: SourceFile) -> list[str]:
    """The lines of one function or method, at the indentation its file puts it."""
    language = file.language
    name = function_name(function.words, language)
    nested = function.method and language in ("python", "javascript", "typescript")
    outer = _INDENT[language] if nested or language == "java" else ""
    inner = outer + _INDENT[language]
    if language == "python":
        self_parameter = "self, " if function.method else ""
        head = [f"{outer}def {name}({self_parameter}a, b):"]
        if len(function.body) > 3:
            head.append(f'{inner}"""{function.words[0].capitalize()} the {function.words[1]}."""')
    elif language == "javascript":
        head = [f"{outer}{name}(a, b) {{" if nested else f"export function {name}(a, b) {{"]
    elif language == "typescript":
        signature = f"{name}(a: number, b: number): number {{"
        head = [f"{outer}{signature}" if nested else f"export function {signature}"]
    elif language == "go":
        receiver = f"(r *{_class_name(file)}) " if function.method else ""
        head = [f"func {receiver}{name}(a int, b int) int {{"]
    else:
        static = "" if function.method else "static "
        head = [f"{outer}public {static}int {name}(int a, int b) {{"]
    end = _semicolon(language)
    lines = [*head, inner + _INIT_LINE[language]]
    lines.extend(render_statements(function.body, language, inner))
    lines.append(f"{inner}return result{end}")
    if language != "python":
        lines.append(outer + "}")
    return lines


def render_file(file: SourceFile) -> str:
    """The full text of a generated file."""
    language = file.language
    free = [function for function in file.functions if not function.method]
    methods = [function for function in file.functions if function.method]
    title = f"{file.domain.capitalize()} {file.module}"
    class_name = _class_name(file)
    lines: list[str] = []

    def add_functions(functions: list[Function], separator: int, first_separator: int = -1) -> None:
        for index, function in enumerate(functions):
            gap = first_separator if index == 0 and first_separator >= 0 else separator
            lines.extend([""] * gap)
            lines.extend(render_function(function, file))

    if language == "python":
        lines += [f'"""{title}: rules and helpers."""', "", "import logging", ""]
        lines += ["logger = logging.getLogger(__name__)"]
        add_functions(free, 2)
        if methods:
            lines += ["", "", f"class {class_name}:", f'    """{title} state."""']
            add_functions(methods, 1)
    elif language in ("javascript", "typescript"):
        lines += [f"// {title}: rules and helpers."]
        add_functions(free, 1)
        if methods:
            lines += ["", f"export class {class_name} {{"]
            add_functions(methods, 1, first_separator=0)
            lines.append("}")
    elif language == "go":
        lines += [
            f"// Package {file.domain} holds the {file.domain} rules.",
            f"package {file.domain}",
        ]
        lines += ["", 'import "log"', "", f"// {class_name} keeps {title} state."]
        lines += [f"type {class_name} struct {{", "\tlimit int", "}", "", "var _ = log.Printf"]
        add_functions(free + methods, 1)
    else:
        lines += [f"package com.acme.{file.domain};", "", "import java.util.logging.Logger;", ""]
        lines += [f"public class {class_name} {{"]
        lines += [
            "    private static final Logger LOGGER = "
            f"Logger.getLogger({class_name}.class.getName());"
        ]
        add_functions(free + methods, 1)
        lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the model of a codebase


class _Codebase:
    """The evolving set of files; every mutation is one realistic kind of edit."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.files: dict[str, SourceFile] = {}

    def random_body(self, size: int, depth: int = 0) -> list[Statement]:
        rng = self.rng
        body: list[Statement] = []
        if depth == 0 and rng.random() < 0.3:
            body.append(("guard", rng.randint(0, 9)))
        while len(body) < size:
            roll = rng.random()
            if roll < 0.2 and depth < 3 and size - len(body) > 1:
                inner = self.random_body(rng.randint(1, max(1, size // 3)), depth + 1)
                other = self.random_body(rng.randint(1, 2), depth + 1) if roll < 0.07 else []
                body.append(("if", rng.randint(1, 500), inner, other))
            elif roll < 0.3 and depth < 2 and size - len(body) > 1:
                inner = self.random_body(rng.randint(1, max(1, size // 4)), depth + 1)
                body.append(("loop", rng.randint(2, 16), inner))
            elif roll < 0.38:
                body.append(("log", rng.choice(_NOUNS)))
            else:
                body.append(self.random_set())
        return body

    def random_set(self) -> Statement:
        rng = self.rng
        return ("set", rng.choice("+-"), rng.choice("ab"), rng.randint(1, 97))

    def new_function(self, file: SourceFile) -> Function:
        rng = self.rng
        taken = {function.words for function in file.functions}
        words: tuple[str, ...] = (rng.choice(_VERBS), rng.choice(_NOUNS))
        suffix = 2
        while words in taken:
            words = (words[0], words[1], f"v{suffix}")
            suffix += 1
        size = rng.choice((2, 3, 3, 4, 5, 6, 8, 12, 20))
        method = rng.random() < 0.35
        return Function(words, self.random_body(size), method)

    def new_file(self, language: str) -> SourceFile:
        rng = self.rng
        while True:
            domain, module = rng.choice(_DOMAINS), rng.choice(_MODULES)
            path = _file_path(language, domain, module)
            if path not in self.files:
                break
            module = f"{module}{rng.randint(2, 99)}"
            path = _file_path(language, domain, module)
            if path not in self.files:
                break
        file = SourceFile(path, language, domain, module)
        for _ in range(rng.randint(2, 9)):
            file.functions.append(self.new_function(file))
        self.files[path] = file
        return file

    def pick_file(self, language: str | None = None) -> SourceFile:
        paths = (
            sorted(self.files)
            if language is None
            else sorted(path for path, file in self.files.items() if file.language == language)
        )
        # Most edits land on a small set of busy files, as in real projects.
        busy = [path for path in paths if zlib.crc32(path.encode()) % 8 == 0]
        if busy and self.rng.random() < 0.6:
            return self.files[self.rng.choice(busy)]
        return self.files[self.rng.choice(paths)]

    def edit_function(self, file: SourceFile, fix: bool) -> Function:
        rng = self.rng
        function = rng.choice(file.functions)
        body = _pick_body(function.body, rng)
        if fix:
            choice = rng.random()
            conditions = [i for i, statement in enumerate(body) if statement[0] == "if"]
            if conditions and choice < 0.5:
                index = rng.choice(conditions)
                _, bound, inner, other = body[index]
                body[index] = ("if", bound + rng.choice((-1, 1)), inner, other)
            elif choice < 0.8 and not any(statement[0] == "guard" for statement in function.body):
                function.body.insert(0, ("guard", rng.randint(0, 9)))
            else:
                body.insert(rng.randint(0, len(body)), self.random_set())
        else:
            setters = [i for i, statement in enumerate(body) if statement[0] == "set"]
            choice = rng.random()
            if setters and choice < 0.45:
                index = rng.choice(setters)
                _, operator, operand, constant = body[index]
                body[index] = ("set", operator, operand, constant % 97 + 1)
            elif len(body) > 2 and choice < 0.55:
                del body[rng.randrange(len(body))]
            else:
                additions = self.random_body(rng.randint(1, 4), depth=1)
                position = rng.randint(0, len(body))
                body[position:position] = additions
        return function


def _pick_body(body: list[Statement], rng: random.Random) -> list[Statement]:
    # Sometimes reach into a nested block, so edits are not all at the top level.
    blocks = [statement[2] for statement in body if statement[0] in ("if", "loop")]
    if blocks and rng.random() < 0.4:
        return rng.choice(blocks)
    return body


def _file_path(language: str, domain: str, module: str) -> str:
    if language == "python":
        return f"src/{domain}/{module}.py"
    if language == "javascript":
        return f"web/lib/{domain}/{module}.js"
    if language == "typescript":
        return f"web/src/{domain}/{module}.ts"
    if language == "go":
        return f"go/internal/{domain}/{module}.go"
    class_name = domain.capitalize() + module.capitalize()
    return f"java/src/main/java/com/acme/{domain}/{class_name}.java"


# ---------------------------------------------------------------- history


_COMMIT_KINDS = (
    ("edit", 39), ("fix", 18), ("add_function", 16), ("new_file", 7), ("remove_function", 6),
    ("multi_edit", 8), ("rename", 3), ("delete_file", 3),
)  # fmt: skip
_EDIT_MESSAGES = (
    "Tweak {function} thresholds",
    "Refactor {function} in {module}",
    "Simplify {domain} {module}",
    "Update {noun} calculation in {function}",
    "Adjust {function} for the new {noun} rules",
    "Improve logging in {function}",
    "Tune {noun} handling in {domain}",
)
_FIX_MESSAGES = (
    "Fix off-by-one in {function}",
    "Fix {noun} overflow in {function}",
    "Fix bug in {function} when {noun} is negative",
    "bug: {function} returned a stale {noun}",
    "Fix crash in {domain} {module} on empty {noun}",
    "Hotfix: wrong {noun} in {function} (#{issue})",
    "Fix regression in {function} (#{issue})",
    "Fix {noun} rounding bug in {domain}",
)


@dataclass
class _Commit:
    message: str
    changed: list[str]
    deleted: list[str]
    fix: bool = False


def _describe(template: str, file: SourceFile, function: Function | None, issue: int) -> str:
    words = function.words if function is not None else (_VERBS[0], _NOUNS[0])
    return template.format(
        function=function_name(words, file.language),
        noun=words[1],
        module=file.module,
        domain=file.domain,
        issue=issue,
    )


def _plan_commit(codebase: _Codebase, kind: str, languages: tuple[str, ...], issue: int) -> _Commit:
    rng = codebase.rng
    if kind == "new_file":
        file = codebase.new_file(rng.choice(languages))
        return _Commit(f"Add {file.domain} {file.module} module", [file.path], [])
    if kind == "rename" and len(codebase.files) > 10:
        file = codebase.pick_file()
        module = f"{rng.choice(_MODULES)}{rng.randint(2, 9)}"
        new_path = _file_path(file.language, file.domain, module)
        if new_path not in codebase.files:
            old_path, old_module = file.path, file.module
            del codebase.files[old_path]
            file.path, file.module = new_path, module
            codebase.files[new_path] = file
            message = f"Rename {file.domain} {old_module} to {module}"
            return _Commit(message, [new_path], [old_path])
    if kind == "delete_file" and len(codebase.files) > 30:
        file = codebase.files[rng.choice(sorted(codebase.files))]
        del codebase.files[file.path]
        return _Commit(f"Remove obsolete {file.domain} {file.module}", [], [file.path])
    if kind == "remove_function":
        file = codebase.pick_file()
        if len(file.functions) > 3:
            function = file.functions.pop(rng.randrange(len(file.functions)))
            message = _describe("Remove unused {function} from {module}", file, function, issue)
            return _Commit(message, [file.path], [])
    if kind == "add_function":
        file = codebase.pick_file()
        function = codebase.new_function(file)
        file.functions.insert(rng.randint(0, len(file.functions)), function)
        message = _describe("Add {function} to {domain} {module}", file, function, issue)
        return _Commit(message, [file.path], [])
    if kind == "multi_edit":
        language = rng.choice(languages)
        files = {codebase.pick_file(language).path for _ in range(rng.randint(2, 4))}
        for path in sorted(files):
            codebase.edit_function(codebase.files[path], fix=False)
        noun = rng.choice(_NOUNS)
        return _Commit(f"Refactor {noun} handling across {language} modules", sorted(files), [])
    fix = kind == "fix"
    file = codebase.pick_file()
    function = codebase.edit_function(file, fix=fix)
    if fix and rng.random() < 0.3:
        codebase.edit_function(file, fix=True)
    template = rng.choice(_FIX_MESSAGES if fix else _EDIT_MESSAGES)
    return _Commit(_describe(template, file, function, issue), [file.path], [], fix=fix)


def _git_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C"})
    return env


def _git(
    path: Path, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> str:
    command = ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"]
    command += ["-c", "core.hooksPath=" + os.devnull, "-C", str(path), *args]
    completed = subprocess.run(
        command, input=stdin, capture_output=True, env=env or _git_env(), check=False
    )
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"git {' '.join(args[:2])} failed in {path}: {message}")
    return completed.stdout.decode("utf-8", "replace").strip()


def _prepare(path: Path, force: bool) -> None:
    if path.exists() and any(path.iterdir()):
        if not force:
            raise FileExistsError(f"{path} exists and is not empty; pass force=True (--force)")
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)


def _data(payload: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(payload), payload)


def generate_repo(
    path: Path | str,
    commits: int = 2000,
    languages: tuple[str, ...] = LANGUAGES,
    seed: int = 0,
    files: int = 200,
    force: bool = False,
) -> RepoInfo:
    """Create a git repository at ``path`` with ``commits`` commits on ``main``.

    The first commit imports ``files`` source files spread over ``languages``; the rest are
    small edits, new and removed functions and files, renames and fix commits by 15 authors over
    two years. Same arguments, same commit ids.
    """
    unknown = set(languages) - set(LANGUAGES)
    if unknown or not languages:
        raise ValueError(f"languages must be a non-empty subset of {LANGUAGES}, got {languages}")
    if commits < 1 or files < 1:
        raise ValueError("commits and files must be at least 1")
    started = time.perf_counter()
    path = Path(path)
    _prepare(path, force)
    _git(path, "init", "-q")
    rng = random.Random(seed)
    codebase = _Codebase(rng)
    for index in range(files):
        codebase.new_file(languages[index % len(languages)])
    author_weights = [1 / (rank + 1) ** 0.9 for rank in range(len(_AUTHORS))]
    kinds = [kind for kind, _ in _COMMIT_KINDS]
    kind_weights = [weight for _, weight in _COMMIT_KINDS]
    gap = TWO_YEARS / commits
    moment = START_EPOCH
    authors_seen: set[int] = set()
    fix_commits = 0
    process = subprocess.Popen(
        ["git", "-C", str(path), "fast-import", "--quiet", "--done", "--date-format=raw"],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_git_env(),
    )
    assert process.stdin is not None
    try:
        for number in range(commits):
            if number == 0:
                commit = _Commit("Initial import", sorted(codebase.files), [])
                author = 0
            else:
                kind = rng.choices(kinds, kind_weights)[0]
                commit = _plan_commit(codebase, kind, languages, issue=100 + number // 3)
                author = rng.choices(range(len(_AUTHORS)), author_weights)[0]
                moment += int(gap * rng.uniform(0.2, 1.8))
            authors_seen.add(author)
            fix_commits += commit.fix
            name, zone = _AUTHORS[author]
            email = name.lower().replace(" ", ".") + "@acme.example"
            identity = f"{name} <{email}> {moment} {zone}".encode()
            block = [b"commit refs/heads/main\n", b"author " + identity + b"\n"]
            block += [b"committer " + identity + b"\n", _data(commit.message.encode())]
            for deleted in commit.deleted:
                block.append(b"D " + deleted.encode() + b"\n")
            for changed in commit.changed:
                text = render_file(codebase.files[changed]).encode()
                block += [b"M 100644 inline " + changed.encode() + b"\n", _data(text)]
            block.append(b"\n")
            process.stdin.write(b"".join(block))
        process.stdin.write(b"done\n")
        process.stdin.close()
    except BrokenPipeError:
        pass
    error = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
    if process.wait() != 0:
        raise RuntimeError(f"git fast-import failed: {error.strip()}")
    _git(path, "reset", "-q", "--hard")
    by_language: dict[str, int] = {}
    for file in codebase.files.values():
        by_language[file.language] = by_language.get(file.language, 0) + 1
    return RepoInfo(
        path=path,
        commits=commits,
        fix_commits=fix_commits,
        authors=len(authors_seen),
        files=len(codebase.files),
        files_by_language=dict(sorted(by_language.items())),
        head=_git(path, "rev-parse", "HEAD"),
        seconds=time.perf_counter() - started,
    )


# ---------------------------------------------------------------- a pull request


_EXTENSIONS = {".py": "python", ".js": "javascript", ".ts": "typescript", ".go": "go"}
_EXTENSIONS[".java"] = "java"


def _language_of(path: str) -> str | None:
    return _EXTENSIONS.get(Path(path).suffix)


def _edit_text(text: str, language: str, budget: int, codebase: _Codebase) -> tuple[str, int]:
    """Change about ``budget`` lines of a generated file; returns the text and lines changed."""
    rng = codebase.rng
    lines = text.split("\n")
    anchors = [i for i, line in enumerate(lines) if line.strip() == _INIT_LINE[language]]
    setters = [i for i, line in enumerate(lines) if _SET_LINE.search(line)]
    rng.shuffle(setters)
    inserted: dict[int, list[str]] = {}
    new_functions: list[list[str]] = []
    host = SourceFile("change", language, "change", "change")
    planned = 0
    while planned < budget:
        remaining = budget - planned
        roll = rng.random()
        if roll < 0.3 and setters and remaining >= 2:
            index = setters.pop()
            lines[index] = _SET_LINE.sub(
                lambda match: match.group(1) + str(int(match.group(2)) % 97 + 1), lines[index], 1
            )
            planned += 2
            continue
        if roll < 0.7 and anchors:
            anchor = rng.choice(anchors)
            indent = lines[anchor][: len(lines[anchor]) - len(lines[anchor].lstrip())]
            rendered = render_statements(
                codebase.random_body(rng.randint(1, 4), 1), language, indent
            )
            if len(rendered) > remaining:
                body = [codebase.random_set() for _ in range(remaining)]
                rendered = render_statements(body, language, indent)
            inserted.setdefault(anchor, []).extend(rendered)
            planned += len(rendered)
            continue
        function = codebase.new_function(host)
        function.method = False
        function.words = (*function.words[:2], f"change{len(new_functions) + 1}")
        rendered = render_function(function, host)
        gap = 2 if language == "python" else 1
        if len(rendered) + gap > remaining and anchors:
            continue
        new_functions.append([""] * gap + rendered)
        planned += len(rendered) + gap
    result: list[str] = []
    for index, line in enumerate(lines):
        result.append(line)
        result.extend(inserted.get(index, []))
    extra = [line for function in new_functions for line in function]
    # Java methods live inside the class: before its closing brace. Elsewhere: at the end.
    closing = len(result) - 1
    while closing > 0 and result[closing] == "":
        closing -= 1
    if language == "java" and result[closing] == "}":
        result[closing:closing] = extra
    else:
        result[closing + 1 : closing + 1] = extra
    return "\n".join(result), planned


def make_change(
    path: Path | str,
    files: int = 100,
    changed_lines: int = 5000,
    seed: int = 0,
    mode: str = "worktree",
    branch: str = "bench/change",
) -> ChangeInfo:
    """Edit ``files`` files across the languages of the repository at ``path``, ~``changed_lines``.

    ``mode="worktree"`` leaves the edits uncommitted (new files marked intent-to-add, so that
    ``git diff HEAD`` shows them); ``mode="commit"`` commits them on a new ``branch``.
    """
    if mode not in ("worktree", "commit"):
        raise ValueError(f"mode must be 'worktree' or 'commit', got {mode!r}")
    if files < 1 or changed_lines < files:
        raise ValueError("need at least one file and at least one changed line per file")
    path = Path(path)
    rng = random.Random(seed)
    codebase = _Codebase(rng)
    tracked = sorted(p for p in _git(path, "ls-files").splitlines() if _language_of(p))
    by_language: dict[str, list[str]] = {language: [] for language in LANGUAGES}
    for tracked_path in tracked:
        by_language[_language_of(tracked_path) or ""].append(tracked_path)
    for paths in by_language.values():
        rng.shuffle(paths)
    chosen: list[str] = []
    while len(chosen) < files and any(by_language.values()):
        for language in LANGUAGES:
            if by_language[language] and len(chosen) < files:
                chosen.append(by_language[language].pop())
    created: list[str] = []
    while len(chosen) + len(created) < files:
        language = LANGUAGES[(len(chosen) + len(created)) % len(LANGUAGES)]
        file = codebase.new_file(language)
        if not (path / file.path).exists():
            (path / file.path).parent.mkdir(parents=True, exist_ok=True)
            (path / file.path).write_text(render_file(file), encoding="utf-8")
            created.append(file.path)
    if mode == "commit":
        _git(path, "checkout", "-q", "-b", branch)
    share, extra = divmod(changed_lines, files)
    planned = 0
    for position, changed_path in enumerate(chosen + created):
        target = path / changed_path
        budget = share + (1 if position < extra else 0)
        language = _language_of(changed_path) or "python"
        if changed_path in created:
            planned += target.read_text(encoding="utf-8").count("\n")
            continue
        text, lines = _edit_text(target.read_text(encoding="utf-8"), language, budget, codebase)
        target.write_text(text, encoding="utf-8")
        planned += lines
    head = None
    if mode == "commit":
        _git(path, "add", "-A")
        env = _git_env()
        identity = {
            "NAME": "Bench Author",
            "EMAIL": "bench@acme.example",
            "DATE": "1782864000 +0000",
        }
        for role in ("AUTHOR", "COMMITTER"):
            env.update({f"GIT_{role}_{key}": value for key, value in identity.items()})
        _git(path, "commit", "-q", "-m", f"Benchmark change: {files} files", env=env)
        head = _git(path, "rev-parse", "HEAD")
        numstat = _git(path, "diff", "--numstat", "HEAD~1", "HEAD")
    else:
        if created:
            _git(path, "add", "-N", "--", *created)
        numstat = _git(path, "diff", "--numstat", "HEAD")
    measured = sum(
        int(added) + int(deleted)
        for added, deleted, _ in (row.split("\t", 2) for row in numstat.splitlines())
        if added != "-"
    )
    return ChangeInfo(
        files=chosen + created,
        planned_lines=planned,
        changed_lines=measured,
        mode=mode,
        branch=branch if mode == "commit" else None,
        head=head,
    )


def make_large_python_file(lines: int = 3000, seed: int = 0) -> str:
    """A Python module of exactly ``lines`` lines made of many functions (and a few methods)."""
    if lines < 10:
        raise ValueError("a large file needs at least 10 lines")
    codebase = _Codebase(random.Random(seed))
    file = SourceFile("editor/large_module.py", "python", "editor", "module")
    # Header (5 lines) plus each free function with its two blank lines before it.
    count = 5
    while True:
        function = codebase.new_function(file)
        function.method = False
        size = len(render_function(function, file)) + 2
        if count + size > lines:
            break
        file.functions.append(function)
        count += size
    text = render_file(file)
    missing = lines - text.count("\n")
    padding = "".join(f"LIMIT_{index} = {index * 10}\n" for index in range(missing))
    return text + padding


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a benchmark git repository.")
    parser.add_argument("--out", required=True, type=Path, help="folder for the repository")
    parser.add_argument("--commits", type=int, default=2000)
    parser.add_argument("--files", type=int, default=200, help="files in the first commit")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--force", action="store_true", help="replace a non-empty --out")
    parser.add_argument("--change-files", type=int, default=0, help="then change this many files")
    parser.add_argument("--changed-lines", type=int, default=5000)
    parser.add_argument("--change-mode", choices=("worktree", "commit"), default="worktree")
    arguments = parser.parse_args(argv)
    try:
        info = generate_repo(
            arguments.out,
            commits=arguments.commits,
            seed=arguments.seed,
            files=arguments.files,
            force=arguments.force,
        )
    except (FileExistsError, ValueError, RuntimeError) as error:
        print(f"repo_gen: {error}", file=sys.stderr)
        return 2
    print(f"repository: {info.path}")
    print(f"  commits: {info.commits} ({info.fix_commits} fix commits) by {info.authors} authors")
    languages = ", ".join(f"{name} {count}" for name, count in info.files_by_language.items())
    print(f"  files: {info.files} ({languages})")
    print(f"  head: {info.head}")
    print(f"  generated in {info.seconds:.2f} s")
    if arguments.change_files:
        started = time.perf_counter()
        change = make_change(
            arguments.out,
            files=arguments.change_files,
            changed_lines=arguments.changed_lines,
            seed=arguments.seed,
            mode=arguments.change_mode,
        )
        elapsed = time.perf_counter() - started
        print(
            f"change ({change.mode}): {len(change.files)} files, "
            f"{change.changed_lines} changed lines (planned {change.planned_lines}) "
            f"in {elapsed:.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
