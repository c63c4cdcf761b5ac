from __future__ import annotations

import logging
import time
from collections import Counter
from pathlib import Path

import pytest

from argus.core.lang.languages import SUPPORTED_LANGUAGES
from argus.core.predict.findings import BugFinding
from argus.core.predict.rules import (
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
from argus.core.predict.rules.measured import (
    MEASURED,
    MIN_COMBINED,
    default_on_rules,
    measured_precision,
)

MUTABLE_DEFAULT = "def add(item, items=[]):\n    items.append(item)\n    return items\n"


def python_context(source: str, changed: set[int]) -> RuleContext:
    return RuleContext(
        path="pkg/module.py", language="python", source=source.encode(), changed_lines=changed
    )


EVERY_RULE = RuleSelection(enable=frozenset(rule.id for rule in registered_rules()))


def test_opt_in_rules_run_only_when_selected() -> None:
    # PY001 is below the bar on the labelled corpus, so it is opt-in.
    assert run_rules(python_context(MUTABLE_DEFAULT, {1})) == []
    chosen = RuleSelection(enable=frozenset({"PY001"}))
    assert [
        f.rule_id for f in run_rules(python_context(MUTABLE_DEFAULT, {1}), selection=chosen)
    ] == ["PY001"]
    off = RuleSelection(enable=frozenset({"PY001"}), disable=frozenset({"PY001"}))
    assert run_rules(python_context(MUTABLE_DEFAULT, {1}), selection=off) == []


def test_default_on_rules_are_the_measured_ones_and_show_their_precision() -> None:
    for rule in registered_rules():
        if rule.default_on:
            assert rule.measured_on >= 15 and rule.confidence >= 0.7, rule.id
    by_id = {rule.id: rule for rule in registered_rules()}
    assert by_id["PY016"].default_on and by_id["PY016"].confidence >= 0.8
    assert not by_id["PY010"].default_on and by_id["PY010"].confidence < 0.2


def test_default_on_rules_are_right_together_at_least_four_times_in_five() -> None:
    on = [rule for rule in registered_rules() if rule.default_on]
    right = sum(MEASURED[rule.id][0] for rule in on)
    sample = sum(MEASURED[rule.id][1] for rule in on)
    assert sample == 0 or right / sample >= MIN_COMBINED


def test_a_rule_that_passes_alone_is_left_out_when_it_drags_the_set_under_the_bar() -> None:
    # Both pass on their own (>= 0.7 on >= 15); together 0.78, so the weaker one goes.
    table = {"AA1": (19, 20), "AA2": (28, 40), "AA3": (1, 40)}
    assert default_on_rules(table) == frozenset({"AA1"})
    assert default_on_rules({"AA1": (19, 20), "AA2": (14, 20)}) == frozenset({"AA1", "AA2"})
    assert default_on_rules({"AA1": (10, 14)}) == frozenset()
    assert measured_precision("AA2", 0.5, table) == (0.7, 40, False)
    assert measured_precision("AA1", 0.5, table) == (0.95, 20, True)
    assert measured_precision("AA3", 0.5, {"AA3": (1, 3)}) == (0.4, 3, False)


def test_finding_carries_location_title_snippet_and_factor() -> None:
    findings = run_rules(python_context(MUTABLE_DEFAULT, {1}), selection=EVERY_RULE)
    assert [finding.rule_id for finding in findings] == ["PY001"]
    finding = findings[0]
    assert isinstance(finding, BugFinding)
    assert (finding.path, finding.line, finding.column) == ("pkg/module.py", 1, 21)
    assert finding.title == "Mutable default argument"
    assert finding.snippet == "def add(item, items=[]):"
    assert "`items`" in finding.message and "None" in finding.message
    assert finding.language == "python"
    assert 0 < finding.confidence <= 1
    (factor,) = finding.factors
    assert factor.name == "pattern:PY001" and factor.text
    assert factor.contribution > 0


def test_hit_on_unchanged_line_is_not_reported() -> None:
    assert run_rules(python_context(MUTABLE_DEFAULT, {2, 3})) == []
    assert run_rules(python_context(MUTABLE_DEFAULT, set())) == []


def test_only_rules_for_the_file_language_run() -> None:
    # Python source labelled as Go: the Python rule must not run.
    context = RuleContext(
        path="a.go", language="go", source=MUTABLE_DEFAULT.encode(), changed_lines={1}
    )
    assert run_rules(context) == []


def broken_check(context: RuleContext) -> list[Hit]:
    raise RuntimeError("rule bug")


def test_runner_survives_a_rule_that_raises(caplog: pytest.LogCaptureFixture) -> None:
    broken = Rule(
        id="PY999",
        title="Broken",
        languages=frozenset({"python"}),
        message="m",
        why="w",
        confidence=0.5,
        check=broken_check,
    )
    rules = [broken, *rules_for_language("python")]
    warnings: list[str] = []
    with caplog.at_level(logging.WARNING, logger="argus.core.predict.rules.base"):
        findings = run_rules(python_context(MUTABLE_DEFAULT, {1}), rules, warnings=warnings)
    assert [finding.rule_id for finding in findings] == ["PY001"]
    assert len(warnings) == 1 and "PY999" in warnings[0] and "rule bug" in warnings[0]
    assert any("PY999" in record.getMessage() for record in caplog.records)


def test_rule_ids_are_unique_and_rules_are_well_formed() -> None:
    rules = registered_rules()
    ids = [rule.id for rule in rules]
    assert len(ids) == len(set(ids))
    for rule in rules:
        assert rule.id[:2] in ("PY", "JS", "GO", "JA"), rule.id
        assert rule.message.strip() and rule.title.strip() and rule.why.strip()
        assert 0 < rule.confidence <= 1
        assert rule.languages and rule.languages <= set(SUPPORTED_LANGUAGES)
        assert rule.help_uri == f"{HELP_URI_BASE}#{rule.id.lower()}"
        if rule.id.startswith("JS"):
            assert rule.languages == {"javascript", "typescript", "tsx"}


def test_rule_counts_meet_the_minimums() -> None:
    counts = Counter(lang for rule in registered_rules() for lang in rule.languages)
    assert counts["python"] >= 15
    assert counts["javascript"] >= 6
    assert counts["typescript"] >= 6
    assert counts["tsx"] >= 6
    assert counts["go"] >= 3
    assert counts["java"] >= 3


def test_every_rule_is_documented() -> None:
    docs = (Path(__file__).parents[4] / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in registered_rules():
        assert f'<a id="{rule.anchor}"></a>' in docs, rule.id
        assert f"## {rule.id}: {rule.title}" in docs, rule.id


def test_register_rejects_duplicate_ids_and_bad_confidence() -> None:
    existing = registered_rules()[0].id
    with pytest.raises(ValueError, match="twice"):
        register(
            id=existing, title="t", languages=["python"], message="m", why="w", confidence=0.5
        )(broken_check)
    with pytest.raises(ValueError, match="confidence"):
        register(id="PY998", title="t", languages=["python"], message="m", why="w", confidence=0)
    assert "PY998" not in {rule.id for rule in registered_rules()}


def test_broken_source_does_not_crash() -> None:
    source = b"def f(x=[]:\n  try:\n  except\n\x00\xff garbage ((( \n"
    for language in SUPPORTED_LANGUAGES:
        warnings: list[str] = []
        context = RuleContext(
            path="broken", language=language, source=source, changed_lines={1, 2, 3, 4}
        )
        run_rules(context, warnings=warnings)
        assert warnings == []


def test_new_line_for_old_maps_removed_lines_next_to_their_place() -> None:
    # old: a, b(removed), c ; new: a, c
    context = RuleContext(
        path="a.py", language="python", source=b"a\nc\n", changed_lines=(), removed_lines={2}
    )
    assert context.new_line_for_old(2) == 2
    # old: a(removed), b ; new: x(added), b
    context = RuleContext(
        path="a.py", language="python", source=b"x\nb\n", changed_lines={1}, removed_lines={1}
    )
    assert context.new_line_for_old(1) == 1


def large_python_file(functions: int = 300) -> str:
    parts = []
    for number in range(functions):
        parts.append(
            f"def handler_{number}(request, items=None):\n"
            f"    total = 0\n"
            f"    for item in items or []:\n"
            f"        if item.value is not None:\n"
            f"            total += item.value * {number}\n"
            f"    try:\n"
            f"        save(request, total)\n"
            f"    except ValueError as error:\n"
            f"        log(error)\n"
            f"    return total\n"
        )
    return "".join(parts)


def test_large_file_with_few_changed_lines_is_fast() -> None:
    source = large_python_file()
    assert source.count("\n") == 3000
    changed = set(range(1500, 1550))
    context = python_context(source, changed)
    run_rules(context)  # warm caches: parser, compiled queries
    best = float("inf")
    for _ in range(5):
        context = python_context(source, changed)
        started = time.perf_counter()
        run_rules(context)
        best = min(best, time.perf_counter() - started)
    # A few milliseconds in practice; the bound is loose because the test machine is shared.
    assert best < 0.05


def test_minified_bundles_are_skipped() -> None:
    source = b"if(a=b){x()}\n"
    for path in ("static/app.min.js", "dist/vendor.bundle.js"):
        context = RuleContext(path=path, language="javascript", source=source, changed_lines={1})
        assert run_rules(context, selection=EVERY_RULE) == []
    context = RuleContext(path="app.js", language="javascript", source=source, changed_lines={1})
    assert [finding.rule_id for finding in run_rules(context, selection=EVERY_RULE)] == ["JS006"]


def touching_nodes_by_full_walk(root, lines: set[int]) -> list[tuple[str, int]]:
    found = []
    stack = [root]
    while stack:
        node = stack.pop()
        span = range(node.start_point.row + 1, node.end_point.row + 2)
        if any(line in lines for line in span):
            found.append((node.type, node.start_byte, node.end_byte))
        stack.extend(node.named_children)
    return sorted(found)


@pytest.mark.parametrize("changed", [{1}, {5, 6, 7}, {2, 40, 41, 90, 2999}, set(range(1, 3001, 7))])
def test_changed_nodes_are_exactly_the_nodes_touching_changed_lines(changed: set[int]) -> None:
    context = python_context(large_python_file(), changed)
    expected = touching_nodes_by_full_walk(context.tree.root_node, changed)
    node_types = {node_type for node_type, _, _ in expected}
    found = sorted(
        (node.type, node.start_byte, node.end_byte) for node in context.changed_nodes(*node_types)
    )
    assert found == expected
