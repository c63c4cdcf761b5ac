"""Cyclomatic complexity (McCabe): 1 + the decision points inside a function or method.

What counts as one decision point, per language (each listed node counts once):

- Python: `if`, `elif` (not `else`), `for` and `while` statements (`async for` included),
  each `except`/`except*` clause, a conditional expression `a if c else b`, each `and`/`or`
  operator, each `for` and each `if` of a comprehension or generator expression, each `case`
  of a `match` except the bare wildcard `case _:`, and a case guard (`case p if c:`).
- JavaScript, TypeScript, TSX: `if` (an `else if` is another `if`), `for`, `for...in`,
  `for...of`, `while`, `do...while`, each `case` (not `default`), each `catch`, the ternary
  `?:`, each `&&`, `||`, `??` and the short-circuit assignments `&&=`, `||=`, `??=`.
- Go: `if` (and `else if`), every `for` form (including `range`), each `case` of an
  expression switch, a type switch and a `select` (not `default`), each `&&` and `||`.
- Java: `if` (and `else if`), `for`, enhanced `for`, `while`, `do`, each `case` label of a
  switch statement or expression, old or arrow form (one per label, not per constant; not
  `default`), each `catch`, the ternary `?:`, each `&&` and `||`.

Not counted anywhere: `else`, `finally`, `try`, `with`, `break`/`continue`/`goto`, `!`/`not`,
optional chaining `?.`, early `return`.

Attribution: a decision counts for the innermost enclosing *symbol* (see
`argus.core.lang.definitions`). A nested named function keeps its own decisions; anonymous code
(Python lambdas, JavaScript callbacks, Go func literals, Java lambdas) is part of the function
around it, so its decisions count there. A default parameter value counts for its function; a
Python decorator's arguments are evaluated outside the function and count for the enclosing
one. Classes always have complexity 1: decisions directly in a class body (a field
initialiser, a class-level `if`) count for nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache

from tree_sitter import Node, Query, QueryCursor

from argus.core.lang.languages import get_language

_PYTHON = """
[(if_statement) (elif_clause) (for_statement) (while_statement) (except_clause)
 (conditional_expression) (boolean_operator) (for_in_clause) (if_clause)] @decision
(case_clause) @case
"""

_SCRIPT = """
[(if_statement) (for_statement) (for_in_statement) (while_statement) (do_statement)
 (switch_case) (catch_clause) (ternary_expression)] @decision
(binary_expression operator: ["&&" "||" "??"]) @decision
(augmented_assignment_expression operator: ["&&=" "||=" "??="]) @decision
"""

_GO = """
[(if_statement) (for_statement) (expression_case) (type_case) (communication_case)] @decision
(binary_expression operator: ["&&" "||"]) @decision
"""

_JAVA = """
[(if_statement) (for_statement) (enhanced_for_statement) (while_statement) (do_statement)
 (catch_clause) (ternary_expression)] @decision
(binary_expression operator: ["&&" "||"]) @decision
(switch_label "case") @decision
"""

_QUERIES: dict[str, str] = {
    "python": _PYTHON,
    "javascript": _SCRIPT,
    "typescript": _SCRIPT,
    "tsx": _SCRIPT,
    "go": _GO,
    "java": _JAVA,
}


def _is_python_case(node: Node) -> bool:
    patterns = [child for child in node.named_children if child.type == "case_pattern"]
    return not (len(patterns) == 1 and patterns[0].text == b"_")


# Captures named "case" count only when their filter agrees (a wildcard is not a decision).
_CASE_FILTERS: dict[str, Callable[[Node], bool]] = {"python": _is_python_case}


def decision_patterns(language: str) -> str:
    """Query source capturing decision points as @decision and conditional ones as @case."""
    return _QUERIES[language]


def counted_cases(cases: Iterable[Node], language: str) -> list[Node]:
    """The @case captures that are real decisions (not a wildcard default)."""
    keep = _CASE_FILTERS.get(language)
    return [node for node in cases if keep is None or keep(node)]


@cache
def _decision_query(language: str) -> Query:
    return Query(get_language(language), _QUERIES[language])


def decision_nodes(root: Node, language: str) -> list[Node]:
    """Every decision point under `root`, in no particular order."""
    captures = QueryCursor(_decision_query(language)).captures(root)
    return [*captures.get("decision", ()), *counted_cases(captures.get("case", ()), language)]


def cyclomatic_complexity(root: Node, language: str) -> int:
    """1 + every decision point under `root`, nested functions included (a whole-snippet view)."""
    return 1 + len(decision_nodes(root, language))
