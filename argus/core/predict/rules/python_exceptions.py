"""Python rules about exception handling: catching too much, swallowing, losing errors."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from argus.core.predict.rules.base import Hit, RuleContext, register
from argus.core.predict.rules.python_syntax import PYTHON, block_of, only_does_nothing
from argus.core.predict.rules.syntax import descendants, field, has_comment, text

_BROAD = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})


def _caught_types(clause: Node) -> list[str] | None:
    """The exception type names an ``except`` clause names; None for a bare ``except:``."""
    value = field(clause, "value")
    if value is None:
        return None
    if value.type == "as_pattern" and value.named_child_count:
        value = value.named_children[0]
    if value.type in ("tuple", "parenthesized_expression"):
        return [text(child) for child in value.named_children]
    return [text(value)]


def _reraises(block: Node) -> bool:
    return any(True for _ in descendants(block, frozenset({"raise_statement"})))


@register(
    id="PY002",
    title="Bare except",
    languages=PYTHON,
    message=(
        "Catch the specific exceptions you expect (or `except Exception:`), "
        "or re-raise at the end of the handler."
    ),
    why=(
        "A bare `except:` also catches KeyboardInterrupt and SystemExit, so the program cannot be "
        "stopped cleanly and real bugs are hidden."
    ),
    confidence=0.6,
)
def bare_except(context: RuleContext) -> Iterator[Hit]:
    """Bare ``except:`` handlers that do not re-raise (swallowing ones are PY003's)."""
    for clause in context.changed_nodes("except_clause"):
        if _caught_types(clause) is not None:
            continue
        block = block_of(clause)
        if block is None or _reraises(block) or only_does_nothing(block):
            continue
        yield Hit(
            line=clause.start_point.row + 1,
            end_line=clause.start_point.row + 1,
            column=clause.start_point.column + 1,
        )


_CLEANUP_CALLS = frozenset(
    {
        "close",
        "aclose",
        "rollback",
        "arollback",
        "release",
        "shutdown",
        "terminate",
        "kill",
        "unlink",
        "remove",
        "rmtree",
        "cancel",
        "disconnect",
        "flush",
        "stop",
        "join",
    }
)


def _is_cleanup(clause: Node) -> bool:
    """Whether the swallow is best-effort cleanup: the try only closes, rolls back or releases
    something, or runs while another error is being handled (inside an except/finally).

    Every such case in the labelled corpus was deliberate: a failed close must not hide the
    error being handled, and there is nothing to do about it."""
    try_statement = clause.parent
    if try_statement is None:
        return False
    parent = try_statement.parent
    while parent is not None and parent.type not in ("function_definition", "module"):
        if parent.type in ("except_clause", "finally_clause"):
            return True
        parent = parent.parent
    body = field(try_statement, "body")
    if body is None or body.named_child_count != 1:
        return False
    calls = list(descendants(body, frozenset({"call"})))
    if not calls:
        return False
    function = field(calls[0], "function")
    name = text(function).rsplit(".", 1)[-1] if function is not None else ""
    return name in _CLEANUP_CALLS


@register(
    id="PY003",
    title="Swallowed exception",
    languages=PYTHON,
    message=(
        "Handle the error, log it, or narrow the `except` to the exception you expect; "
        "use `contextlib.suppress(...)` if ignoring a specific error is intended."
    ),
    why=(
        "A broad handler whose body is only `pass`/`continue` hides every failure in the try "
        "block, so bugs surface later, far from their cause, or never."
    ),
    confidence=0.55,
)
def swallowed_exception(context: RuleContext) -> Iterator[Hit]:
    """``except:``/``except Exception:`` whose body only passes or continues."""
    for clause in context.changed_nodes("except_clause"):
        caught = _caught_types(clause)
        if caught is not None and not any(name in _BROAD for name in caught):
            continue
        block = block_of(clause)
        if block is None or not only_does_nothing(block):
            continue
        if has_comment(clause) or has_comment(block) or _is_cleanup(clause):
            # A comment in the handler says why ignoring is right (labelled corpus: every
            # commented swallow was deliberate).
            continue
        yield Hit(
            line=clause.start_point.row + 1,
            end_line=block.end_point.row + 1,
            column=clause.start_point.column + 1,
        )


_JUMPS = frozenset({"return_statement", "break_statement", "continue_statement"})
_LOOPS = frozenset({"for_statement", "while_statement"})
_BOUNDARIES = frozenset({"function_definition", "lambda", "class_definition"})


@register(
    id="PY015",
    in_tests=True,
    title="Jump out of finally",
    languages=PYTHON,
    message="Move the `return`/`break`/`continue` out of the `finally` block.",
    why=(
        "Leaving a `finally` block with return, break or continue silently discards any "
        "exception that is propagating, including the one that explains the failure."
    ),
    confidence=0.7,
)
def jump_in_finally(context: RuleContext) -> Iterator[Hit]:
    """``return``, ``break`` or ``continue`` that leaves a ``finally`` block."""
    for statement in context.changed_nodes(*_JUMPS):
        current = statement.parent
        while current is not None:
            if current.type in _BOUNDARIES:
                break
            if statement.type != "return_statement" and current.type in _LOOPS:
                break
            if current.type == "finally_clause":
                yield Hit.at(statement)
                break
            current = current.parent
