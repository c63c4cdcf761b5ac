"""Python rules about calls into the standard library and common packages used unsafely."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from argus.core.predict.rules.base import Hit, RuleContext, register, replacing
from argus.core.predict.rules.python_syntax import (
    PYTHON,
    call_name,
    has_keyword_splat,
    is_formatted_string,
    keyword_argument,
    looks_like_sql,
    positional_arguments,
    scope_of,
)
from argus.core.predict.rules.syntax import descendants, field, text

_SQL_METHODS = frozenset({"execute", "executemany", "executescript", "raw", "mogrify"})
_SQL_FUNCTIONS = frozenset({"text", "sqlalchemy.text", "sa.text"})


def _formatted_value(node: Node, call: Node) -> Node | None:
    """The formatted-string expression behind an argument, following one local assignment."""
    if is_formatted_string(node):
        return node
    if node.type != "identifier":
        return None
    name = text(node)
    assignments = frozenset({"assignment", "augmented_assignment"})
    for assignment in descendants(scope_of(call), assignments):
        if assignment.start_byte >= call.start_byte:
            break
        if text(field(assignment, "left")) != name:
            continue
        right = field(assignment, "right")
        if right is not None and is_formatted_string(right):
            return right
    return None


_SAFE_CALLS = frozenset(
    {
        "shlex.quote",
        "pipes.quote",
        "quote",
        "tempfile.mkstemp",
        "tempfile.mktemp",
        "tempfile.mkdtemp",
        "mkstemp",
        "mktemp",
        "mkdtemp",
        "len",
        "int",
        "float",
        "str.join",
    }
)
_LITERAL_TYPES = frozenset({"string", "integer", "float", "true", "false", "none"})


def _interpolated(formatted: Node) -> list[Node]:
    """The expressions a formatted string puts into the text."""
    if formatted.type == "parenthesized_expression" and formatted.named_child_count == 1:
        return _interpolated(formatted.named_children[0])
    if formatted.type == "string":
        return [
            expression
            for interpolation in descendants(formatted, frozenset({"interpolation"}))
            for expression in interpolation.named_children[:1]
        ]
    if formatted.type == "binary_operator":
        left, right = field(formatted, "left"), field(formatted, "right")
        if text(field(formatted, "operator")) == "%" and right is not None:
            return list(right.named_children) if right.type == "tuple" else [right]
        return [
            part
            for part in (left, right)
            if part is not None and part.type != "string"
            for part in ([part] if not is_formatted_string(part) else _interpolated(part))
        ]
    if formatted.type == "call":
        return [
            argument
            for argument in descendants(
                field(formatted, "arguments") or formatted,
                frozenset({"identifier", "call", "attribute", "subscript"}),
            )
            if argument.parent == field(formatted, "arguments")
        ]
    return []


def _constant(value: Node, call: Node, depth: int = 0) -> bool:
    """Whether a formatted value cannot carry outside data: a literal, a quoted or temporary
    value, or a local name bound only to such values (a loop over a literal tuple included)."""
    if value.type in _LITERAL_TYPES and not (value.type == "string" and is_formatted_string(value)):
        return True
    if value.type == "call":
        return call_name(value) in _SAFE_CALLS
    if value.type == "subscript":
        target = field(value, "value")
        return target is not None and _constant(target, call, depth)
    if value.type != "identifier" or depth > 2:
        return False
    name = text(value)
    bound = False
    scope = scope_of(call)
    for binding in descendants(scope, frozenset({"assignment", "for_statement", "parameters"})):
        if binding.type == "parameters":
            if any(
                text(child).split(":")[0].split("=")[0].strip() == name
                for child in binding.named_children
            ):
                return False
            continue
        left = field(binding, "left")
        if left is None or name not in {text(left), *(text(item) for item in left.named_children)}:
            continue
        source = field(binding, "right")
        if source is None:
            return False
        if binding.type == "for_statement":
            if source.type not in ("tuple", "list", "expression_list") or not all(
                item.type in _LITERAL_TYPES for item in source.named_children
            ):
                return False
        elif not _constant(source, call, depth + 1) and not (
            source.type in ("tuple", "list")
            and all(item.type in _LITERAL_TYPES for item in source.named_children)
        ):
            return False
        bound = True
    return bound


def _only_constants(formatted: Node, call: Node) -> bool:
    values = _interpolated(formatted)
    return bool(values) and all(_constant(value, call) for value in values)


@register(
    id="PY006",
    title="SQL built by string formatting",
    languages=PYTHON,
    message=(
        "Pass values as query parameters (`cursor.execute(sql, params)`), "
        "never formatted into the SQL text."
    ),
    why=(
        "Formatting values into SQL lets a crafted value change the query (SQL injection) and "
        "breaks on ordinary data such as a name with an apostrophe."
    ),
    confidence=0.7,
)
def formatted_sql(context: RuleContext) -> Iterator[Hit]:
    """``cursor.execute(f"... {value}")`` and the ``%``, ``+`` and ``.format`` variants."""
    for call in context.changed_nodes("call"):
        function = field(call, "function")
        if function is None:
            continue
        if function.type == "attribute":
            if text(field(function, "attribute")) not in _SQL_METHODS:
                continue
        elif text(function) not in _SQL_FUNCTIONS:
            continue
        arguments = positional_arguments(call)
        if not arguments:
            continue
        if len(arguments) >= 2 or has_keyword_splat(call):
            # The values go as parameters; what is formatted is the statement's shape (table
            # and column names), which parameters cannot carry.
            continue
        formatted = _formatted_value(arguments[0], call)
        if formatted is None or not looks_like_sql(formatted) or _only_constants(formatted, call):
            continue
        yield Hit.at(arguments[0])


_OPEN_CALLS = frozenset({"open", "io.open", "codecs.open"})


def _statement_around(node: Node) -> Node:
    current = node
    while current.parent is not None and current.parent.type not in ("block", "module"):
        current = current.parent
    return current


def _hands_over(identifier: Node) -> bool:
    """Whether passing the file as an argument gives it away (returned, stored, closed)."""
    call = identifier.parent
    while call is not None and call.type != "call":
        call = call.parent
    if call is not None and call_name(call).endswith("closing"):
        return True
    statement = _statement_around(identifier)
    if statement.type in ("return_statement", "with_statement"):
        return True
    if statement.type == "expression_statement" and statement.named_child_count == 1:
        expression = statement.named_children[0]
        if expression.type == "assignment":
            target = field(expression, "left")
            return target is not None and target.type != "identifier"
        return expression.type == "yield"
    return False


def _releases_or_escapes(name: str, scope: Node, assignment: Node) -> bool:
    """Whether a file object named ``name`` is closed in, or handed out of, its scope."""
    for identifier in descendants(scope, frozenset({"identifier"})):
        if text(identifier) != name or identifier.start_byte < assignment.end_byte:
            continue
        parent = identifier.parent
        if parent is None:
            return True
        if parent.type == "attribute" and field(parent, "object") == identifier:
            if text(field(parent, "attribute")) in ("close", "__exit__", "detach"):
                return True
            continue
        if parent.type == "for_statement" and field(parent, "right") == identifier:
            continue
        if parent.type in ("argument_list", "keyword_argument"):
            if _hands_over(identifier):
                return True
            continue
        return True
    return False


@register(
    id="PY008",
    title="File opened without being closed",
    languages=PYTHON,
    message="Open the file in a `with open(...) as f:` block so it is closed on every path.",
    why=(
        "A file that is never closed leaks a descriptor and may lose buffered writes; long-running "
        "processes eventually fail with 'too many open files'."
    ),
    confidence=0.55,
)
def unclosed_file(context: RuleContext) -> Iterator[Hit]:
    """``f = open(...)`` where ``f`` is never closed, returned, or passed on."""
    for assignment in context.changed_nodes("assignment"):
        target, value = field(assignment, "left"), field(assignment, "right")
        if target is None or value is None or target.type != "identifier":
            continue
        if value.type != "call" or call_name(value) not in _OPEN_CALLS:
            continue
        if not _releases_or_escapes(text(target), scope_of(assignment), assignment):
            yield Hit.at(assignment)


_SUBPROCESS_FUNCTIONS = frozenset({"run", "call", "check_call", "check_output", "Popen"})
_SHELL_FUNCTIONS = frozenset({"os.system", "os.popen"})


def _is_subprocess_call(name: str, context: RuleContext) -> bool:
    if name.startswith("subprocess."):
        return name.removeprefix("subprocess.") in _SUBPROCESS_FUNCTIONS
    return name in _SUBPROCESS_FUNCTIONS and b"from subprocess import" in context.source


@register(
    id="PY011",
    title="Shell command built from values",
    languages=PYTHON,
    message=(
        "Pass the command as a list of arguments without `shell=True` "
        "(or quote each value with `shlex.quote`)."
    ),
    why=(
        "A value formatted into a shell command line is parsed by the shell: spaces, quotes or "
        "`;` in it run other commands (command injection) or break the call."
    ),
    confidence=0.7,
)
def formatted_shell_command(context: RuleContext) -> Iterator[Hit]:
    """``subprocess.run(f"... {x}", shell=True)`` and ``os.system(f"... {x}")``."""
    for call in context.changed_nodes("call"):
        name = call_name(call)
        if name in _SHELL_FUNCTIONS:
            pass
        elif _is_subprocess_call(name, context):
            shell = keyword_argument(call, "shell")
            if shell is None or text(shell) != "True":
                continue
        else:
            continue
        arguments = positional_arguments(call)
        formatted = _formatted_value(arguments[0], call) if arguments else None
        if formatted is not None and not _only_constants(formatted, call):
            yield Hit.at(call)


@register(
    id="PY012",
    title="yaml.load without a Loader",
    languages=PYTHON,
    message="Use `yaml.safe_load(...)` or pass `Loader=yaml.SafeLoader`.",
    why=(
        "Without a safe loader, YAML tags can construct arbitrary Python objects, so loading "
        "untrusted YAML can run code; PyYAML 6 also makes the call fail outright."
    ),
    confidence=0.8,
)
def yaml_load_without_loader(context: RuleContext) -> Iterator[Hit]:
    """``yaml.load(stream)`` and ``yaml.load_all(stream)`` with no Loader."""
    for call in context.changed_nodes("call"):
        if call_name(call) not in ("yaml.load", "yaml.load_all"):
            continue
        if len(positional_arguments(call)) >= 2 or has_keyword_splat(call):
            continue
        if keyword_argument(call, "Loader") is None:
            function = field(call, "function")
            name = field(function, "attribute") if function is not None else None
            fix = None
            if name is not None:
                safe = "safe_load_all" if text(name) == "load_all" else "safe_load"
                fix = replacing(context.source, f"Call `yaml.{safe}`", [(name, safe)])
            yield Hit.at(call, f"`{text(function)}` runs without a Loader.", fix)


_REQUESTS_CALLS = frozenset(
    f"requests.{verb}"
    for verb in ("get", "post", "put", "patch", "delete", "head", "options", "request")
)


@register(
    id="PY013",
    title="HTTP request without a timeout",
    languages=PYTHON,
    message="Pass `timeout=` (seconds) to the requests call.",
    why=(
        "requests waits forever by default; one slow or silent server then hangs the worker, "
        "the request handler or the whole job."
    ),
    confidence=0.5,
)
def request_without_timeout(context: RuleContext) -> Iterator[Hit]:
    """``requests.get(url)`` and the other verbs without ``timeout=``."""
    for call in context.changed_nodes("call"):
        if call_name(call) not in _REQUESTS_CALLS or has_keyword_splat(call):
            continue
        if keyword_argument(call, "timeout") is None:
            yield Hit.at(call)


@register(
    id="PY020",
    title="Naive UTC datetime",
    languages=PYTHON,
    message="Use `datetime.now(timezone.utc)` / `datetime.fromtimestamp(ts, timezone.utc)`.",
    why=(
        "`utcnow()` and `utcfromtimestamp()` return naive datetimes that the rest of Python "
        "treats as local time, so `.timestamp()` and comparisons are off by the UTC offset "
        "(both are deprecated since Python 3.12)."
    ),
    confidence=0.6,
)
def naive_utc_datetime(context: RuleContext) -> Iterator[Hit]:
    """``datetime.utcnow()`` and ``datetime.utcfromtimestamp(...)``."""
    for call in context.changed_nodes("call"):
        name = call_name(call)
        if name.endswith(("datetime.utcnow", "datetime.utcfromtimestamp")):
            yield Hit.at(call)
