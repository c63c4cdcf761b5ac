"""Which syntax nodes define symbols, what they are called and which lines they span.

One small rule set per language. A tree-sitter query finds the candidate nodes; `describe`
names each one, or returns None for anonymous code (callbacks, lambdas, func literals), whose
lines and decisions then belong to the enclosing symbol.

Choices worth knowing:

- Python: decorated definitions span from their first decorator; `async def` is a function;
  lambdas are not symbols.
- JavaScript/TypeScript/TSX: function declarations, generator functions, classes, class
  methods, and function/arrow/class expressions named by what they are assigned to (a variable,
  a class field, an object-literal key, `a.b = ...`, `export default`). A named function
  expression passed as an argument keeps its own name. TypeScript interfaces are kind "class"
  (changes to them should map to them rather than to the file); type aliases, enums,
  namespaces, overload signatures and abstract/interface method signatures are not symbols.
  Spans include `export`, a single-declarator `const`/`let`/`var`, and decorators.
- Go: functions; methods are named `Receiver.Method` (pointer and type arguments stripped)
  with parent None, because they are not nested inside their type; struct and interface type
  declarations are kind "class". Func literals are not symbols.
- Java: classes, interfaces, enums, records and annotation types are kind "class"; methods
  (with or without a body) and constructors (named after the class) are "method". Methods of
  anonymous classes nest under the enclosing method. Lambdas are not symbols.

A qualified name may contain a container that is not itself a symbol: the Go receiver type,
the variable holding a JavaScript object literal (`api.get`), or `X` in `X.prototype.m = ...`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from tree_sitter import Node


class Definition(NamedTuple):
    """A named definition found in the tree, before it is placed among its neighbours."""

    name: str
    kind: str
    container: str | None
    span: Node
    start_line: int
    end_line: int


_PYTHON_TYPES = ("function_definition", "class_definition")
_SCRIPT_TYPES = (
    "function_declaration",
    "generator_function_declaration",
    "class_declaration",
    "method_definition",
    "function_expression",
    "generator_function",
    "arrow_function",
    "class",
)
_TYPESCRIPT_TYPES = (*_SCRIPT_TYPES, "abstract_class_declaration", "interface_declaration")
_GO_TYPES = ("function_declaration", "method_declaration", "type_spec")
_JAVA_TYPES = (
    "class_declaration",
    "interface_declaration",
    "enum_declaration",
    "record_declaration",
    "annotation_type_declaration",
    "method_declaration",
    "constructor_declaration",
    "compact_constructor_declaration",
)

_DEFINITION_TYPES: dict[str, tuple[str, ...]] = {
    "python": _PYTHON_TYPES,
    "javascript": _SCRIPT_TYPES,
    "typescript": _TYPESCRIPT_TYPES,
    "tsx": _TYPESCRIPT_TYPES,
    "go": _GO_TYPES,
    "java": _JAVA_TYPES,
}


def definition_patterns(language: str) -> str:
    """Query source capturing every candidate definition node of a language as @definition."""
    alternatives = " ".join(f"({node_type})" for node_type in _DEFINITION_TYPES[language])
    return f"[{alternatives}] @definition"


def describe(node: Node, language: str) -> Definition | None:
    """Name and span a candidate node, or None when the code there is anonymous."""
    return _DESCRIBERS[language](node)


def _text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def _lines(node: Node, first: Node | None = None) -> tuple[int, int]:
    start = (first or node).start_point.row + 1
    end_row, end_column = node.end_point
    # A node that ends at column 0 stops before that line starts (error recovery does this).
    end = end_row if end_column == 0 and end_row + 1 > start else end_row + 1
    return start, max(start, end)


def _definition(
    name: str, kind: str, span: Node, container: str | None = None, first: Node | None = None
) -> Definition:
    start, end = _lines(span, first)
    return Definition(name, kind, container, span, start, end)


# Python ---------------------------------------------------------------------------------------


def _describe_python(node: Node) -> Definition | None:
    name = _text(node.child_by_field_name("name"))
    if not name:
        return None
    kind = "class" if node.type == "class_definition" else "function"
    parent = node.parent
    span = parent if parent is not None and parent.type == "decorated_definition" else node
    return _definition(name, kind, span)


# JavaScript, TypeScript, TSX -------------------------------------------------------------------

_SCRIPT_CLASSES = frozenset(
    {"class_declaration", "abstract_class_declaration", "interface_declaration", "class"}
)
_SCRIPT_DECLARATIONS = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "class_declaration",
        "abstract_class_declaration",
        "interface_declaration",
    }
)
_SCRIPT_FIELDS = frozenset({"field_definition", "public_field_definition"})


def _property_name(node: Node | None) -> str:
    if node is None:
        return ""
    if node.type == "string":
        return _text(node)[1:-1]
    return _text(node)


def _object_container(obj: Node) -> str | None:
    holder = obj.parent
    if holder is not None and holder.type == "variable_declarator":
        target = holder.child_by_field_name("name")
        if target is not None and target.type == "identifier":
            return _text(target)
    return None


def _widen_script_span(node: Node) -> Node:
    """Grow a span over a lone `const` declaration, `export` and an expression statement."""
    span = node
    while (parent := span.parent) is not None:
        if parent.type in ("lexical_declaration", "variable_declaration"):
            declarators = [c for c in parent.named_children if c.type == "variable_declarator"]
            if len(declarators) != 1:
                break
        elif parent.type not in ("export_statement", "expression_statement"):
            break
        span = parent
    return span


def _first_decorator(span: Node) -> Node | None:
    # TypeScript keeps method decorators as siblings that precede the method in the class body.
    first = None
    sibling = span.prev_named_sibling
    while sibling is not None and sibling.type == "decorator":
        first = sibling
        sibling = sibling.prev_named_sibling
    return first


def _script_definition(
    name: str, kind: str, span: Node, container: str | None = None
) -> Definition:
    span = _widen_script_span(span)
    return _definition(name, kind, span, container, _first_decorator(span))


def _describe_script(node: Node) -> Definition | None:
    node_type = node.type
    kind = "class" if node_type in _SCRIPT_CLASSES else "function"
    parent = node.parent
    if node_type == "method_definition":
        container = (
            _object_container(parent) if parent is not None and parent.type == "object" else None
        )
        name = _property_name(node.child_by_field_name("name"))
        return _script_definition(name, "method", node, container) if name else None
    own_name = _text(node.child_by_field_name("name"))
    if node_type in _SCRIPT_DECLARATIONS:
        if own_name:
            return _script_definition(own_name, kind, node)
        if parent is not None and parent.type == "export_statement":
            return _script_definition("default", kind, node)
        return None
    # An expression: named after whatever it is assigned to.
    if parent is None:
        return None
    parent_type = parent.type
    if parent_type == "variable_declarator":
        target = parent.child_by_field_name("name")
        if target is not None and target.type == "identifier":
            return _script_definition(_text(target), kind, parent)
    elif parent_type in _SCRIPT_FIELDS:
        field = parent.child_by_field_name("property") or parent.child_by_field_name("name")
        name = _property_name(field)
        if name:
            return _script_definition(name, "class" if kind == "class" else "method", parent)
    elif parent_type == "pair":
        obj = parent.parent
        name = _property_name(parent.child_by_field_name("key"))
        if name and obj is not None:
            method_kind = "class" if kind == "class" else "method"
            return _script_definition(name, method_kind, parent, _object_container(obj))
    elif parent_type == "assignment_expression":
        return _describe_assignment(parent, kind) or (
            _script_definition(own_name, kind, node) if own_name else None
        )
    elif parent_type == "export_statement":
        return _script_definition(own_name or "default", kind, node)
    return _script_definition(own_name, kind, node) if own_name else None


def _describe_assignment(assignment: Node, kind: str) -> Definition | None:
    left = assignment.child_by_field_name("left")
    if left is None:
        return None
    if left.type == "identifier":
        return _script_definition(_text(left), kind, assignment)
    if left.type != "member_expression":
        return None
    name = _property_name(left.child_by_field_name("property"))
    owner = left.child_by_field_name("object")
    if not name:
        return None
    if owner is not None and owner.type == "member_expression":
        if _text(owner.child_by_field_name("property")) == "prototype":
            container = _text(owner.child_by_field_name("object"))
            method_kind = "class" if kind == "class" else "method"
            return _script_definition(name, method_kind, assignment, container)
    return _script_definition(name, kind, assignment)


# Go --------------------------------------------------------------------------------------------


def _receiver_type(method: Node) -> str | None:
    receiver = method.child_by_field_name("receiver")
    if receiver is None:
        return None
    for parameter in receiver.named_children:
        if parameter.type != "parameter_declaration":
            continue
        type_node = parameter.child_by_field_name("type")
        while type_node is not None and type_node.type in (
            "pointer_type",
            "generic_type",
            "parenthesized_type",
        ):
            if type_node.type == "generic_type":
                type_node = type_node.child_by_field_name("type")
            else:
                type_node = type_node.named_children[0] if type_node.named_children else None
        return _text(type_node) or None
    return None


def _describe_go(node: Node) -> Definition | None:
    name = _text(node.child_by_field_name("name"))
    if not name:
        return None
    if node.type == "function_declaration":
        return _definition(name, "function", node)
    if node.type == "method_declaration":
        return _definition(name, "method", node, _receiver_type(node))
    type_node = node.child_by_field_name("type")
    if type_node is None or type_node.type not in ("struct_type", "interface_type"):
        return None
    declaration = node.parent
    # `type T struct {...}` spans from the keyword; grouped `type (...)` specs span themselves.
    single = declaration is not None and declaration.named_child_count == 1
    return _definition(name, "class", declaration if single and declaration else node)


# Java ------------------------------------------------------------------------------------------

_JAVA_METHODS = frozenset(
    {"method_declaration", "constructor_declaration", "compact_constructor_declaration"}
)


def _describe_java(node: Node) -> Definition | None:
    name = _text(node.child_by_field_name("name"))
    if not name:
        return None
    return _definition(name, "method" if node.type in _JAVA_METHODS else "class", node)


_DESCRIBERS: dict[str, Callable[[Node], Definition | None]] = {
    "python": _describe_python,
    "javascript": _describe_script,
    "typescript": _describe_script,
    "tsx": _describe_script,
    "go": _describe_go,
    "java": _describe_java,
}
