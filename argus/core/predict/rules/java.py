"""Java rules: identity comparison of strings, swallowed exceptions, bounds, contracts, leaks."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from argus.core.predict.rules.base import Hit, RuleContext, register
from argus.core.predict.rules.syntax import descendants, field, text

JAVA = ("java",)

_METHOD_BOUNDARIES = frozenset(
    {"method_declaration", "constructor_declaration", "lambda_expression", "class_body"}
)


@register(
    id="JAVA001",
    in_tests=True,
    title="String compared with ==",
    languages=JAVA,
    message='Use `"literal".equals(value)` (or `Objects.equals(a, b)`).',
    why=(
        "`==` compares references; two equal strings are often different objects, so the check "
        "fails for values read from input, files or the network."
    ),
    confidence=0.8,
)
def string_identity(context: RuleContext) -> Iterator[Hit]:
    """``name == "admin"`` and ``"x" != value``."""
    for expression in context.changed_nodes("binary_expression"):
        if text(field(expression, "operator")) not in ("==", "!="):
            continue
        left, right = field(expression, "left"), field(expression, "right")
        if left is None or right is None:
            continue
        if "string_literal" in (left.type, right.type) and "null_literal" not in (
            left.type,
            right.type,
        ):
            yield Hit.at(expression)


def _catch_name(clause: Node) -> str:
    for child in clause.named_children:
        if child.type == "catch_formal_parameter":
            return text(field(child, "name"))
    return ""


def _caught_types(clause: Node) -> list[str]:
    for child in clause.named_children:
        if child.type == "catch_formal_parameter":
            for part in child.named_children:
                if part.type == "catch_type":
                    return [text(name) for name in part.named_children]
    return []


@register(
    id="JAVA002",
    title="Empty catch block",
    languages=JAVA,
    message=(
        "Handle or log the exception; if ignoring it is intended, name the variable `ignored` "
        "and say why in a comment."
    ),
    why="An empty catch hides every failure in the try block; bugs surface far from their cause.",
    confidence=0.55,
)
def empty_catch(context: RuleContext) -> Iterator[Hit]:
    """``catch (IOException e) {}`` with no statements and no comment."""
    for clause in context.changed_nodes("catch_clause"):
        body = field(clause, "body")
        if body is None or body.named_child_count:
            continue
        name = _catch_name(clause)
        if name.startswith(("ignore", "expected")) or name == "_":
            continue
        yield Hit.at(clause)


def _indexed_by(body: Node, items: str, index: str, via_get: bool) -> bool:
    if via_get:
        return any(
            text(field(call, "object")) == items
            and text(field(call, "name")) == "get"
            and text(field(call, "arguments")) == f"({index})"
            for call in descendants(body, frozenset({"method_invocation"}))
        )
    return any(
        text(field(access, "array")) == items and text(field(access, "index")) == index
        for access in descendants(body, frozenset({"array_access"}))
    )


@register(
    id="JAVA003",
    in_tests=True,
    title="Loop runs one past the end",
    languages=JAVA,
    message="Use `i < items.length` / `i < list.size()` (or an enhanced for loop).",
    why=(
        "With `<=` the last iteration reads index `length`, which throws "
        "ArrayIndexOutOfBoundsException (or IndexOutOfBoundsException for lists)."
    ),
    confidence=0.8,
)
def loop_past_end(context: RuleContext) -> Iterator[Hit]:
    """``for (int i = 0; i <= items.length; i++) { items[i] }`` and the ``size()`` variant."""
    for loop in context.changed_nodes("for_statement"):
        condition, body = field(loop, "condition"), field(loop, "body")
        if condition is None or body is None or condition.type != "binary_expression":
            continue
        if text(field(condition, "operator")) != "<=":
            continue
        index, bound = text(field(condition, "left")), field(condition, "right")
        if bound is None:
            continue
        if bound.type == "field_access" and text(field(bound, "field")) == "length":
            items, via_get = text(field(bound, "object")), False
        elif (
            bound.type == "method_invocation"
            and text(field(bound, "name")) == "size"
            and text(field(bound, "arguments")) == "()"
        ):
            items, via_get = text(field(bound, "object")), True
        else:
            continue
        if items and _indexed_by(body, items, index, via_get):
            yield Hit.at(condition)


def _methods(class_body: Node) -> dict[str, list[Node]]:
    methods: dict[str, list[Node]] = {}
    for child in class_body.named_children:
        if child.type == "method_declaration":
            methods.setdefault(text(field(child, "name")), []).append(child)
    return methods


def _parameter_count(method: Node) -> int:
    parameters = field(method, "parameters")
    if parameters is None:
        return 0
    return sum(1 for child in parameters.named_children if child.type == "formal_parameter")


@register(
    id="JAVA004",
    in_tests=True,
    title="equals without hashCode",
    languages=JAVA,
    message="Override `hashCode()` consistently with `equals(Object)`.",
    why=(
        "Objects that are equal must have equal hash codes; otherwise HashMap and HashSet lose "
        "or duplicate them."
    ),
    confidence=0.75,
)
def equals_without_hash_code(context: RuleContext) -> Iterator[Hit]:
    """A class that overrides ``equals(Object)`` but not ``hashCode()``."""
    for declaration in context.changed_nodes("class_declaration"):
        body = field(declaration, "body")
        if body is None:
            continue
        methods = _methods(body)
        if "hashCode" in methods:
            continue
        for method in methods.get("equals", []):
            if _parameter_count(method) == 1:
                name = field(method, "name")
                if name is not None:
                    yield Hit.at(name)


_RESOURCE_TYPES = frozenset(
    {
        "FileInputStream",
        "FileOutputStream",
        "FileReader",
        "FileWriter",
        "RandomAccessFile",
        "ZipFile",
        "JarFile",
    }
)
_RESOURCE_FACTORIES = frozenset(
    {"newInputStream", "newOutputStream", "newBufferedReader", "newBufferedWriter", "lines"}
)


def _opens_resource(value: Node) -> bool:
    nodes = [
        value,
        *descendants(value, frozenset({"object_creation_expression", "method_invocation"})),
    ]
    for node in nodes:
        if node.type == "object_creation_expression":
            if text(field(node, "type")) in _RESOURCE_TYPES:
                return True
        elif node.type == "method_invocation":
            if text(field(node, "object")) == "Files" and (
                text(field(node, "name")) in _RESOURCE_FACTORIES
            ):
                return True
    return False


def _closed_or_escapes(name: str, method: Node, declaration: Node) -> bool:
    for identifier in descendants(method, frozenset({"identifier"})):
        if text(identifier) != name or identifier.start_byte < declaration.end_byte:
            continue
        parent = identifier.parent
        if parent is None:
            return True
        if parent.type == "method_invocation" and field(parent, "object") == identifier:
            if text(field(parent, "name")) == "close":
                return True
            continue
        return True
    return False


@register(
    id="JAVA005",
    title="Stream opened outside try-with-resources",
    languages=JAVA,
    message="Open it in `try (var in = new FileInputStream(...)) { ... }` so it is always closed.",
    why=(
        "A stream that is not closed on every path (including exceptions) leaks a file handle; "
        "busy services eventually fail with 'too many open files'."
    ),
    confidence=0.55,
)
def unclosed_resource(context: RuleContext) -> Iterator[Hit]:
    """``InputStream in = new FileInputStream(f);`` never closed, returned or passed on."""
    for declaration in context.changed_nodes("local_variable_declaration"):
        method = declaration.parent
        while method is not None and method.type not in _METHOD_BOUNDARIES:
            method = method.parent
        if method is None:
            continue
        for declarator in declaration.named_children:
            if declarator.type != "variable_declarator":
                continue
            value = field(declarator, "value")
            if value is None or not _opens_resource(value):
                continue
            if not _closed_or_escapes(text(field(declarator, "name")), method, declaration):
                yield Hit.at(declarator)


@register(
    id="JAVA006",
    title="InterruptedException swallowed",
    languages=JAVA,
    message="Call `Thread.currentThread().interrupt()` in the handler, or rethrow.",
    why=(
        "Catching InterruptedException clears the thread's interrupt flag; unless it is restored, "
        "the code that asked the thread to stop never finds out, and shutdown hangs."
    ),
    confidence=0.6,
)
def swallowed_interrupt(context: RuleContext) -> Iterator[Hit]:
    """A non-empty ``catch (InterruptedException e)`` that neither re-interrupts nor throws."""
    for clause in context.changed_nodes("catch_clause"):
        if "InterruptedException" not in _caught_types(clause):
            continue
        body = field(clause, "body")
        if body is None or body.named_child_count == 0:
            continue
        restores = any(
            text(field(call, "name")) == "interrupt"
            for call in descendants(body, frozenset({"method_invocation"}))
        )
        throws = any(True for _ in descendants(body, frozenset({"throw_statement"})))
        if not restores and not throws:
            yield Hit.at(clause)
