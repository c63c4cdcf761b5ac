"""Set up a method's receiver the way the project's own tests do: the Node free tier's harness.

``@sentry/node`` records no ``this``: a method of an object whose state matters (an express
application with its settings, a router with its routes) cannot be called on a fresh
``new Owner()``. The project's tests already build such objects. :func:`find_harnesses` looks
through the repository's test files for a call ``receiver.method(...)`` inside a test
(``it``/``test``/``specify``), and keeps what that test ran before the call: the test file's
top-level statements (its ``require``s and helper functions), the declarations and
``before``/``beforeEach`` bodies of the ``describe`` blocks around it, and the test's own
statements before the call, less its assertions. The generated test replays that setup and
then calls the method on the same receiver with the production values.

Only CommonJS test files are used (their setup is copied into the test's body, where an
``import`` cannot go). Relative ``require`` paths and ``__dirname`` are rewritten for the
generated test's folder. A test's ``done`` callback becomes a no-op.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from tree_sitter import Node

from argus.core.lang.languages import parse
from argus.core.testgen.repo_view import RepoView

MAX_HARNESSES = 2
MAX_TEST_FILES = 40
MAX_SETUP_STATEMENTS = 40
_TEST_FILE = re.compile(r"(^|/)(test|tests|__tests__|spec|specs)/|\.(test|spec)\.c?js$")
_SUITE_CALLS = frozenset({"describe", "context", "suite"})
_HOOK_CALLS = frozenset({"before", "beforeEach", "beforeAll", "setup"})
_TEST_CALLS = frozenset({"it", "test", "specify"})
_RUNNER_CALLS = _SUITE_CALLS | _HOOK_CALLS | _TEST_CALLS | {"after", "afterEach", "afterAll"}
_ASSERTION = re.compile(r"^(assert|expect|should|t\.|chai\.)|\.should\b|\bthis\.")
_FUNCTIONS = frozenset({"function_expression", "function", "arrow_function"})
_RELATIVE_REQUIRE = re.compile(r"""\brequire\((['"])(\.\.?(?:/[^'"]*)?)\1\)""")


@dataclass(frozen=True)
class Harness:
    """The setup one of the project's tests runs before it calls ``receiver.method(...)``."""

    test_file: str  # repository path of the test it was taken from
    title: str  # that test's title
    statements: tuple[str, ...]  # JavaScript statements, in order, for the test's body
    receiver: str  # the identifier the method is called on
    call: str | None = None  # the test's own call, replayed as it is (with its arguments)


def find_harnesses(
    view: RepoView, method: str, source_path: str, test_path: str, limit: int = MAX_HARNESSES
) -> list[Harness]:
    """Up to ``limit`` setups from the project's tests that end in a call of ``method`` on an
    object they built, best first (tests named after the method or its module first, then
    the shortest setup)."""
    files = [
        name
        for name in view.files_mentioning(method, ".js")
        if _TEST_FILE.search(name) and "node_modules/" not in name and "fixtures/" not in name
    ][:MAX_TEST_FILES]
    found: list[tuple[int, int, Harness]] = []
    hints = {method.lower(), _module_name(source_path)}
    for name in files:
        text = view.read(name)
        if re.search(r"^\s*import\s|^\s*export\s", text, re.M):
            continue
        root = parse(text.encode("utf-8"), "javascript").root_node
        score = 0 if any(hint in posixpath.basename(name).lower() for hint in hints) else 1
        seen: set[str] = set()
        for harness in _harnesses_in(root, name, method, test_path):
            key = "\n".join(harness.statements)
            if key in seen:
                continue
            seen.add(key)
            found.append((score, len(harness.statements), harness))
    found.sort(key=lambda item: (item[0], item[1]))
    return [harness for _, _, harness in found[:limit]]


def replay_test_line(
    view: RepoView, test_file: str, line: str, function: str, test_path: str
) -> Harness | None:
    """The call of ``function`` on a test's recorded line (``expect($(undefined).prop('prop'))
    .to.be(undefined)``), replayed in the setup its test file gives at this commit: the file's
    top-level statements and the declarations and set-up hooks of its outermost suites. The
    test itself may be new (it came with the fix); its line is what the event recorded. Only a
    call whose arguments are literals and whose receiver chain starts at a name that setup
    declares is replayed."""
    if not view.exists(test_file) or not test_file.endswith((".js", ".cjs")):
        return None
    text = view.read(test_file)
    if re.search(r"^\s*import\s|^\s*export\s", text, re.M):
        return None
    fragment = parse(line.strip().encode("utf-8"), "javascript").root_node
    call = _call_of(fragment, function)
    if call is None:
        return None
    root = parse(text.encode("utf-8"), "javascript").root_node
    preamble = [
        child
        for child in root.named_children
        if child.type != "comment" and _runner_call(child) is None
    ]
    scoped: list[Node] = []
    for child in root.named_children:
        if _runner_call(child) not in _SUITE_CALLS:
            continue
        suite = child.named_children[0] if child.type == "expression_statement" else child
        body = _hook_body(suite)
        if body is None:
            continue
        for statement in body.named_children:
            kind = _runner_call(statement)
            if kind is None and statement.type in (
                "lexical_declaration",
                "variable_declaration",
                "function_declaration",
            ):
                scoped.append(statement)
            elif kind in _HOOK_CALLS:
                hook = _hook_body(statement)
                if hook is not None:
                    scoped.extend(c for c in hook.named_children if c.type != "comment")
    setup = [node for node in scoped if not _is_assertion(node)]
    if len(setup) > MAX_SETUP_STATEMENTS:
        return None
    start = _chain_start(call)
    if start is None or start not in _declared(preamble) | _declared(scoped):
        return None
    statements = _setup_statements(preamble + setup, test_file, test_path)
    if statements is None:
        return None
    return Harness(test_file, line.strip()[:100], statements, start, call=_text(call))


def _setup_statements(nodes: list[Node], test_file: str, test_path: str) -> tuple[str, ...] | None:
    """The statements of a test file's setup, rewritten to run from ``test_path``: paths
    relative to the test file's folder go through ``__argusDir``; None when one of them imports
    dynamically (``import(...)``) or awaits, which the harness does not replay."""
    texts = [_text(node) for node in nodes]
    if any(re.search(r"\bimport\s*\(|\bawait\b", text) for text in texts):
        return None
    rewritten = [_rewrite(text, test_file, test_path) for text in texts]
    statements = ["var done = function () {};"]
    if any("__argusDir" in text for text in rewritten):
        relative = posixpath.relpath(
            posixpath.dirname(test_file) or ".", posixpath.dirname(test_path) or "."
        )
        statements.append(
            f"const __argusDir = require('path').join(__dirname, {_quote(relative)});"
        )
    statements.extend(rewritten)
    return tuple(statements)


def _call_of(root: Node, function: str) -> Node | None:
    """The call of ``function`` (as a method or a plain call) with literal arguments only."""
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        if node.type != "call_expression" or node.has_error:
            continue
        callee = node.child_by_field_name("function")
        listed = node.child_by_field_name("arguments")
        if callee is None or listed is None:
            continue
        name = callee
        if callee.type == "member_expression":
            name = callee.child_by_field_name("property") or callee
        if _text(name) != function:
            continue
        values = [child for child in listed.named_children if child.type != "comment"]
        if all(is_literal(value) for value in values):
            return node
    return None


def _chain_start(call: Node) -> str | None:
    """The name a call chain starts at: ``$`` for ``$(undefined).prop('x')``."""
    node: Node | None = call
    while node is not None:
        if node.type == "identifier":
            return _text(node)
        if node.type == "call_expression":
            node = node.child_by_field_name("function")
        elif node.type == "member_expression":
            node = node.child_by_field_name("object")
        else:
            return None
    return None


def is_literal(node: Node) -> bool:
    """A JavaScript literal (of literals): the caller's argument can be copied as it is."""
    if node.type in ("string", "number", "true", "false", "null", "undefined", "regex"):
        return True
    if node.type == "identifier":
        return _text(node) in ("undefined", "NaN", "Infinity")
    if node.type == "template_string":
        return not any(child.type == "template_substitution" for child in node.named_children)
    if node.type == "unary_expression":
        argument = node.child_by_field_name("argument")
        return argument is not None and argument.type == "number"
    if node.type == "array":
        return all(is_literal(child) for child in node.named_children if child.type != "comment")
    if node.type == "object":
        for pair in node.named_children:
            if pair.type == "comment":
                continue
            value = pair.child_by_field_name("value") if pair.type == "pair" else None
            if value is None or not is_literal(value):
                return False
        return True
    return False


def _module_name(path: str) -> str:
    """The lower-cased name a file or module goes by: ``lib/router/index.js`` -> ``router``."""
    name = posixpath.basename(path)
    stem = name.split(".", 1)[0]
    if stem == "index":
        stem = posixpath.basename(posixpath.dirname(path)) or stem
    return stem.lower()


def _harnesses_in(root: Node, test_file: str, method: str, test_path: str) -> list[Harness]:
    preamble = [
        child
        for child in root.named_children
        if child.type != "comment" and _runner_call(child) is None
    ]
    top_names = _declared(preamble)
    made: list[Harness] = []
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(reversed(node.named_children))
        if node.type != "call_expression":
            continue
        callee = node.child_by_field_name("function")
        if callee is None or callee.type != "member_expression":
            continue
        prop = callee.child_by_field_name("property")
        receiver = callee.child_by_field_name("object")
        if prop is None or _text(prop) != method or receiver is None:
            continue
        if receiver.type != "identifier":
            continue
        harness = _harness_for(node, _text(receiver), test_file, preamble, top_names, test_path)
        if harness is not None:
            made.append(harness)
    return made


def _harness_for(
    call: Node,
    receiver: str,
    test_file: str,
    preamble: list[Node],
    top_names: set[str],
    test_path: str,
) -> Harness | None:
    # The statement holding the call, directly in a test's body.
    statement = call
    while statement.parent is not None and statement.parent.type != "statement_block":
        statement = statement.parent
    block = statement.parent
    if block is None or block.parent is None or block.parent.type not in _FUNCTIONS:
        return None
    test_call = _callback_of(block.parent)
    if test_call is None or _runner_call(test_call) not in _TEST_CALLS:
        return None
    before = [
        child
        for child in block.named_children
        if child.end_byte <= statement.start_byte and child.type != "comment"
    ]
    # The suites around the test: their declarations and set-up hooks, outermost first.
    suites: list[Node] = []
    current = test_call.parent
    while current is not None:
        if current.type in _FUNCTIONS:
            owner = _callback_of(current)
            if owner is not None and _runner_call(owner) in _SUITE_CALLS:
                body = current.child_by_field_name("body")
                if body is not None and body.type == "statement_block":
                    suites.insert(0, body)
        current = current.parent
    scoped: list[Node] = []
    for body in suites:
        for child in body.named_children:
            if child.type == "comment":
                continue
            kind = _runner_call(child)
            if kind is None and child.type in (
                "lexical_declaration",
                "variable_declaration",
                "function_declaration",
            ):
                scoped.append(child)
            elif kind in _HOOK_CALLS:
                hook = _hook_body(child)
                if hook is not None:
                    scoped.extend(c for c in hook.named_children if c.type != "comment")
    setup = [node for node in scoped + before if not _is_assertion(node)]
    if len(setup) > MAX_SETUP_STATEMENTS:
        return None
    if receiver not in top_names | _declared(scoped + before):
        return None
    statements = _setup_statements(preamble + setup, test_file, test_path)
    if statements is None:
        return None
    title = _test_title(test_call)
    return Harness(test_file, title, statements, receiver)


def _rewrite(text: str, test_file: str, test_path: str) -> str:
    """``text`` with relative requires and ``__dirname`` made right for ``test_path``."""
    origin = posixpath.dirname(test_file)
    here = posixpath.dirname(test_path) or "."

    def moved(match: re.Match[str]) -> str:
        target = posixpath.normpath(posixpath.join(origin, match.group(2)))
        relative = posixpath.relpath(target, here)
        if not relative.startswith("."):
            relative = "./" + relative
        return f"require({_quote(relative)})"

    text = _RELATIVE_REQUIRE.sub(moved, text)
    return re.sub(r"\b__dirname\b", "__argusDir", text)


def _runner_call(node: Node) -> str | None:
    """``describe``, ``it``, ``beforeEach``... when ``node`` is (a statement of) such a call."""
    if node.type == "expression_statement" and node.named_children:
        node = node.named_children[0]
    if node.type != "call_expression":
        return None
    callee = node.child_by_field_name("function")
    if callee is None:
        return None
    name = _text(callee)
    if callee.type == "member_expression":  # ``describe.skip``, ``it.only``
        name = _text(callee.child_by_field_name("object"))
    return name if name in _RUNNER_CALLS else None


def _callback_of(function: Node) -> Node | None:
    """The call ``function`` is passed to as an argument, or None."""
    arguments = function.parent
    if arguments is None or arguments.type != "arguments":
        return None
    call = arguments.parent
    return call if call is not None and call.type == "call_expression" else None


def _hook_body(statement: Node) -> Node | None:
    call = statement.named_children[0] if statement.type == "expression_statement" else statement
    arguments = call.child_by_field_name("arguments")
    if arguments is None:
        return None
    for argument in arguments.named_children:
        if argument.type in _FUNCTIONS:
            body = argument.child_by_field_name("body")
            if body is not None and body.type == "statement_block":
                return body
    return None


def _declared(nodes: list[Node]) -> set[str]:
    names: set[str] = set()
    for node in nodes:
        if node.type == "function_declaration":
            names.add(_text(node.child_by_field_name("name")))
        elif node.type in ("lexical_declaration", "variable_declaration"):
            for declarator in node.named_children:
                if declarator.type == "variable_declarator":
                    names.add(_text(declarator.child_by_field_name("name")))
        elif node.type == "expression_statement" and node.named_children:
            # ``router = new Router()`` in a ``beforeEach`` for a ``var router`` of the suite.
            inner = node.named_children[0]
            if inner.type == "assignment_expression":
                names.add(_text(inner.child_by_field_name("left")))
    return names


def _is_assertion(node: Node) -> bool:
    return node.type == "expression_statement" and bool(_ASSERTION.search(_text(node)))


def _test_title(call: Node) -> str:
    arguments = call.child_by_field_name("arguments")
    if arguments is None or not arguments.named_children:
        return ""
    return _text(arguments.named_children[0]).strip("'\"`")[:100]


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")
