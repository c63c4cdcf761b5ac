"""The bug-pattern rule machinery: what a rule sees, what it returns, the registry, the runner.

A rule is a small function that looks at one parsed file and yields :class:`Hit` objects. The
runner turns hits into :class:`~argus.core.predict.findings.BugFinding` objects and keeps only those
on lines the change touched, so rules never need to filter by the diff themselves.
"""

from __future__ import annotations

import logging
import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, cached_property

from tree_sitter import Node, Query, QueryCursor, Tree

from argus.core.classify import GitAttributes, classify, is_test_path
from argus.core.lang.languages import get_language, parse
from argus.core.predict.findings import BugFinding, Edit, Factor, Fix
from argus.core.predict.rules.equivalents import DELEGATED_TO_RUFF
from argus.core.predict.rules.measured import measured_precision
from argus.core.predict.rules.suppress import (
    eslint_rules_off,
    file_is_suppressed,
    is_suppressed,
    pylint_disabled_blocks,
)

logger = logging.getLogger(__name__)

HELP_URI_BASE = "https://github.com/argus-dev/argus/blob/main/docs/rules.md"
"""Every rule's ``help_uri`` is this address plus ``#`` and the rule id in lower case."""

JAVASCRIPT_FAMILY: frozenset[str] = frozenset({"javascript", "typescript", "tsx"})
"""The languages a JavaScript rule applies to: plain JavaScript, TypeScript and TSX."""

_SNIPPET_LIMIT = 200


@dataclass(frozen=True)
class Hit:
    """Where a rule matched: 1-based new-side lines, 1-based columns, an optional message."""

    line: int
    end_line: int
    column: int = 1
    end_column: int | None = None
    message: str | None = None
    old_line: int | None = None
    fix: Fix | None = None

    @classmethod
    def at(cls, node: Node, message: str | None = None, fix: Fix | None = None) -> Hit:
        """A hit spanning one syntax node of the new source."""
        return cls(
            line=node.start_point.row + 1,
            end_line=node.end_point.row + 1,
            column=node.start_point.column + 1,
            end_column=node.end_point.column + 1,
            message=message,
            fix=fix,
        )


def replacing(source: bytes, description: str, changes: Sequence[tuple[Node, str]]) -> Fix:
    """A fix that replaces each node's text by the given text (nodes of ``source``'s tree)."""
    ordered = sorted(changes, key=lambda change: change[0].start_byte)
    first = ordered[0][0].start_point.row
    last = max(node.end_point.row for node, _ in ordered)
    line_start = source.rfind(b"\n", 0, ordered[0][0].start_byte) + 1
    line_end = source.find(b"\n", max(node.end_byte for node, _ in ordered))
    line_end = len(source) if line_end < 0 else line_end
    pieces: list[bytes] = []
    position = line_start
    for node, new_text in ordered:
        pieces.append(source[position : node.start_byte])
        pieces.append(new_text.encode())
        position = node.end_byte
    pieces.append(source[position:line_end])
    edits = tuple(
        Edit(
            line=node.start_point.row + 1,
            column=node.start_point.column + 1,
            end_line=node.end_point.row + 1,
            end_column=node.end_point.column + 1,
            text=new_text,
        )
        for node, new_text in ordered
    )
    return Fix(
        description=description,
        edits=edits,
        first_line=first + 1,
        last_line=last + 1,
        replacement=b"".join(pieces).decode("utf-8", "replace"),
        original=source[line_start:line_end].decode("utf-8", "replace"),
    )


RuleCheck = Callable[["RuleContext"], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """One bug pattern: its identity, the languages it applies to, and the function that finds it.

    ``message`` says what to do about a hit; ``why`` says in plain words why the pattern matters
    (it becomes the finding's factor); ``confidence`` is how often a hit is a real defect: the
    precision measured on ``measured_on`` labelled real findings (see
    ``benchmarks/findings_precision.py``), or the prior given at registration when
    ``measured_on`` is 0. ``default_on`` is False for rules below the bar, which run only when
    ``.argus.yml`` turns them on.
    """

    id: str
    title: str
    languages: frozenset[str]
    message: str
    why: str
    confidence: float
    check: RuleCheck
    default_on: bool = True
    measured_on: int = 0
    in_tests: bool = False

    @property
    def anchor(self) -> str:
        """The heading anchor of the rule's section in docs/rules.md."""
        return self.id.lower()

    @property
    def help_uri(self) -> str:
        """The public address of the rule's documentation."""
        return f"{HELP_URI_BASE}#{self.anchor}"


_REGISTRY: dict[str, Rule] = {}


def register(
    *,
    id: str,  # the rule's public field name, shadowing the builtin on purpose
    title: str,
    languages: Iterable[str],
    message: str,
    why: str,
    confidence: float,
    in_tests: bool = False,
) -> Callable[[RuleCheck], RuleCheck]:
    """Decorate a check function to add it to the registry as a rule; returns the function.

    ``in_tests`` says whether the rule also speaks about test code: only rules whose pattern
    makes a test pass without testing anything (an assert on a tuple, a coroutine never awaited)
    do; timeouts, broad excepts and shared defaults are harmless there.
    """
    if not 0.0 < confidence <= 1.0:
        raise ValueError(f"rule {id}: confidence must be in (0, 1], got {confidence}")

    def decorate(check: RuleCheck) -> RuleCheck:
        if id in _REGISTRY:
            raise ValueError(f"rule id {id} is registered twice")
        precision, sample, default_on = measured_precision(id, confidence)
        # A rule handed over to ruff runs as ruff's rule (argus/core/predict/linters/ruff.py); the
        # Argus copy stays available as opt-in.
        default_on = default_on and id not in DELEGATED_TO_RUFF
        _REGISTRY[id] = Rule(
            id=id,
            title=title,
            languages=frozenset(languages),
            message=message,
            why=why,
            confidence=precision,
            check=check,
            default_on=default_on,
            measured_on=sample,
            in_tests=in_tests,
        )
        return check

    return decorate


def registered_rules() -> tuple[Rule, ...]:
    """Every registered rule, ordered by id."""
    return tuple(_REGISTRY[key] for key in sorted(_REGISTRY))


def rules_for_language(language: str) -> tuple[Rule, ...]:
    """The registered rules that apply to a language, ordered by id."""
    return tuple(rule for rule in registered_rules() if language in rule.languages)


@cache
def compiled_query(language: str, source: str) -> Query:
    """A tree-sitter query compiled once per process for a language."""
    return Query(get_language(language), source)


def _line_index(root: Node, lines: Sequence[int]) -> dict[str, list[Node]]:
    """Named nodes whose line span touches one of the sorted ``lines``, grouped by type.

    Subtrees that touch none of the lines are never entered, so the cost follows the size of
    the change rather than the size of the file. (``Node.first_named_child_for_byte`` would skip
    further, but the tree-sitter 0.26 binding crashes when it finds no child.)
    """
    index: dict[str, list[Node]] = defaultdict(list)
    if not lines:
        return index
    stack = [root]
    while stack:
        node = stack.pop()
        position = bisect_left(lines, node.start_point.row + 1)
        if position == len(lines) or lines[position] > node.end_point.row + 1:
            continue
        index[node.type].append(node)
        stack.extend(reversed(_children_near(node, lines, position)))
    return index


def _children_near(node: Node, lines: Sequence[int], position: int) -> list[Node]:
    """Named children that touch one of ``lines[position:]``, in order.

    Modules, classes and long functions have hundreds of children; a binary search per changed
    line avoids building a Python object for each child that lies between the changes.
    """
    count = node.named_child_count
    if count <= 8:
        return node.named_children
    end_line = node.end_point.row + 1
    chosen: dict[int, Node] = {}
    low = 0
    for line in lines[position:]:
        if line > end_line:
            break
        high = count
        while low < high:
            middle = (low + high) // 2
            child = node.named_child(middle)
            if child is not None and child.end_point.row + 1 < line:
                low = middle + 1
            else:
                high = middle
        for index in range(low, count):
            child = node.named_child(index)
            if child is None or child.start_point.row + 1 > line:
                break
            chosen.setdefault(index, child)
    return [chosen[index] for index in sorted(chosen)]


class RuleContext:
    """One file as the rules see it: new source and tree, the changed lines, the old side."""

    def __init__(
        self,
        *,
        path: str,
        language: str,
        source: bytes,
        changed_lines: Iterable[int],
        tree: Tree | None = None,
        old_source: bytes | None = None,
        old_tree: Tree | None = None,
        removed_lines: Iterable[int] = (),
        attributes: GitAttributes | None = None,
    ) -> None:
        self.path = path
        self.attributes = attributes
        self.language = language
        self.source = source
        self.tree = tree if tree is not None else parse(source, language)
        self.changed_lines = frozenset(changed_lines)
        self.old_source = old_source
        self._old_tree = old_tree
        self.removed_lines = frozenset(removed_lines)

    @property
    def old_tree(self) -> Tree | None:
        """The old side's syntax tree, parsed on first use; None when there is no old side."""
        if self._old_tree is None and self.old_source is not None:
            self._old_tree = parse(self.old_source, self.language)
        return self._old_tree

    @cached_property
    def _changed_index(self) -> dict[str, list[Node]]:
        return _line_index(self.tree.root_node, sorted(self.changed_lines))

    @cached_property
    def _removed_index(self) -> dict[str, list[Node]]:
        old_tree = self.old_tree
        if old_tree is None:
            return {}
        return _line_index(old_tree.root_node, sorted(self.removed_lines))

    def changed_nodes(self, *types: str) -> Iterator[Node]:
        """New-side named nodes of the given types whose span touches a changed line."""
        for node_type in types:
            yield from self._changed_index.get(node_type, ())

    def removed_nodes(self, *types: str) -> Iterator[Node]:
        """Old-side named nodes of the given types whose span touches a removed line."""
        for node_type in types:
            yield from self._removed_index.get(node_type, ())

    def captures(self, query_source: str, node: Node | None = None) -> dict[str, list[Node]]:
        """Run a (cached, compiled) query over a node of the new tree, the root by default."""
        query = compiled_query(self.language, query_source)
        return QueryCursor(query).captures(node if node is not None else self.tree.root_node)

    def touches_changed(self, line: int, end_line: int) -> bool:
        """Whether any line from ``line`` to ``end_line`` (inclusive) was changed."""
        if end_line - line > len(self.changed_lines):
            return any(line <= changed <= end_line for changed in self.changed_lines)
        return any(number in self.changed_lines for number in range(line, end_line + 1))

    @cached_property
    def _unchanged_new_lines(self) -> list[int]:
        total = len(self._source_lines)
        return [number for number in range(1, total + 1) if number not in self.changed_lines]

    def new_line_for_old(self, old_line: int) -> int:
        """The new-side line nearest to where an old-side line was (for removed-code hits).

        Unchanged lines pair up in order on both sides of a diff; a removed line lands just
        after the new-side partner of the last unchanged line before it.
        """
        unchanged_before = sum(
            1 for number in range(1, old_line) if number not in self.removed_lines
        )
        unchanged_new = self._unchanged_new_lines
        total = len(self._source_lines)
        if unchanged_before == 0:
            return 1
        if unchanged_before > len(unchanged_new):
            return total
        return min(unchanged_new[unchanged_before - 1] + 1, total)

    @cached_property
    def _source_lines(self) -> list[bytes]:
        return self.source.split(b"\n")

    def line_text(self, line: int) -> str:
        """The text of one 1-based new-side line, without its line ending."""
        lines = self._source_lines
        if not 1 <= line <= len(lines):
            return ""
        return lines[line - 1].decode("utf-8", errors="replace").rstrip("\r")


def _evidence(probability: float) -> float:
    """How much a finding raises the change's risk, as the review combines findings (noisy-OR):
    ``-log(1 - confidence)``, never negative, so a rare-but-unreliable rule adds little."""
    clamped = min(max(probability, 0.0), 0.99)
    return -math.log(1.0 - clamped)


def _finding(rule: Rule, context: RuleContext, hit: Hit) -> BugFinding:
    message = rule.message if hit.message is None else f"{hit.message} {rule.message}"
    return BugFinding(
        rule_id=rule.id,
        path=context.path,
        line=hit.line,
        message=message,
        confidence=rule.confidence,
        language=context.language,
        end_line=hit.end_line,
        column=hit.column,
        end_column=hit.end_column,
        title=rule.title,
        snippet=context.line_text(hit.line).strip()[:_SNIPPET_LIMIT],
        fix=hit.fix,
        factors=(
            Factor(
                name=f"pattern:{rule.id}",
                text=rule.why,
                contribution=_evidence(rule.confidence),
                value=rule.confidence,
            ),
        ),
    )


def _is_on_change(context: RuleContext, hit: Hit) -> bool:
    if hit.old_line is not None:
        return hit.old_line in context.removed_lines
    return context.touches_changed(hit.line, max(hit.line, hit.end_line))


def _java_annotations(context: RuleContext, line: int) -> str:
    """The annotations of the Java declarations that enclose ``line`` (for @SuppressWarnings)."""
    if context.language != "java":
        return ""
    node: Node | None = context.tree.root_node.descendant_for_point_range(
        (line - 1, 0), (line - 1, 0)
    )
    found: list[str] = []
    while node is not None:
        if node.type.endswith("_declaration"):
            for child in node.children:
                if child.type == "modifiers" and child.text is not None:
                    found.append(child.text.decode("utf-8", "replace"))
        node = node.parent
    return "\n".join(found)


@dataclass(frozen=True)
class RuleSelection:
    """Which rules run: the default-on ones, plus ``enable``, minus ``disable`` (rule ids)."""

    enable: frozenset[str] = frozenset()
    disable: frozenset[str] = frozenset()

    def includes(self, rule: Rule) -> bool:
        """Whether the rule runs under this selection."""
        if rule.id in self.disable:
            return False
        return rule.default_on or rule.id in self.enable

    def allows_linter(self, rule_id: str) -> bool:
        """Whether a linter (``ruff``) or one of its rules (``ruff:B006``) may speak: linters
        are on unless turned off; a rule turned on speaks even when its linter is off."""
        linter, separator, _ = rule_id.partition(":")
        if not separator:
            return rule_id not in self.disable or any(
                enabled.startswith(f"{rule_id}:") for enabled in self.enable
            )
        if rule_id in self.disable:
            return False
        return rule_id in self.enable or linter not in self.disable


def run_rules(
    context: RuleContext,
    rules: Iterable[Rule] | None = None,
    *,
    warnings: list[str] | None = None,
    selection: RuleSelection | None = None,
) -> list[BugFinding]:
    """Run the rules for the file's language and return the hits that touch the change.

    ``rules`` defaults to the registered rules ``selection`` turns on (the default-on ones when
    None). Files that are not maintained code (test data, fixtures, examples, generated or
    vendored; see :func:`argus.core.classify.classify`) get no findings, and hits that a suppression
    comment covers are dropped (see :mod:`argus.core.predict.rules.suppress`). A rule that raises is
    skipped: the failure is logged and, when ``warnings`` is given, described there; the other
    rules still run.
    """
    candidates = registered_rules() if rules is None else tuple(rules)
    findings: list[BugFinding] = []
    seen: set[tuple[str, int, int]] = set()
    if not context.changed_lines and not context.removed_lines:
        return findings
    if not classify(context.path, context.attributes, context.source).gets_findings:
        # Test data, fixtures, examples, generated and vendored code are not what the change's
        # author maintains (test data is often wrong on purpose), so every hit there is noise.
        return findings
    if file_is_suppressed(context.source):
        return findings
    chosen = selection or RuleSelection()
    rules_off = eslint_rules_off(context.source) if context.language in JAVASCRIPT_FAMILY else []
    blocks = pylint_disabled_blocks(context.source) if context.language == "python" else []
    test_code = is_test_path(context.path)
    for rule in candidates:
        if context.language not in rule.languages:
            continue
        if test_code and not rule.in_tests:
            continue
        if rules is None and not chosen.includes(rule):
            continue
        try:
            hits = list(rule.check(context))
        # A rule is a heuristic over arbitrary, possibly broken source: whatever goes wrong inside
        # one rule must cost only that rule's findings, never the whole review.
        except Exception as error:  # noqa: BLE001
            text = f"rule {rule.id} failed on {context.path}: {type(error).__name__}: {error}"
            logger.warning(text, exc_info=True)
            if warnings is not None:
                warnings.append(text)
            continue
        for hit in hits:
            key = (rule.id, hit.line, hit.column)
            if key in seen or not _is_on_change(context, hit):
                continue
            if is_suppressed(
                rule.id,
                hit.line,
                context.line_text,
                lambda line: _java_annotations(context, line),
                rules_off,
                blocks,
            ):
                continue
            seen.add(key)
            findings.append(_finding(rule, context, hit))
    findings.sort(key=lambda finding: (finding.line, finding.column, finding.rule_id))
    return findings
