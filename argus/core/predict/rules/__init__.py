"""Bug-pattern rules: concrete defects found in the changed lines of a diff.

Importing this package registers every rule; :func:`run_rules` runs them on one file.
"""

from argus.core.predict.rules import (  # noqa: F401 - imported to register their rules
    go,
    java,
    javascript,
    python_calls,
    python_exceptions,
    python_expressions,
    python_flow,
    python_signatures,
)
from argus.core.predict.rules.base import (
    HELP_URI_BASE,
    Hit,
    Rule,
    RuleContext,
    RuleSelection,
    register,
    registered_rules,
    rules_for_language,
    run_rules,
)

__all__ = [
    "HELP_URI_BASE",
    "Hit",
    "Rule",
    "RuleContext",
    "RuleSelection",
    "register",
    "registered_rules",
    "rules_for_language",
    "run_rules",
]
