from __future__ import annotations

from textwrap import dedent

import pytest

from argus.core.predict.rules import RuleContext, registered_rules, run_rules
from tests.core.predict.rules.cases import ALL_CASES, Case


def rule_by_id(rule_id: str):
    return next(rule for rule in registered_rules() if rule.id == rule_id)


def every_line(code: str) -> frozenset[int]:
    return frozenset(range(1, code.count("\n") + 2))


def hit_lines(rule_id: str, language: str, code: str, changed: frozenset[int] | None) -> list[int]:
    context = RuleContext(
        path=f"example.{language}",
        language=language,
        source=code.encode(),
        changed_lines=changed if changed is not None else every_line(code),
    )
    findings = run_rules(context, [rule_by_id(rule_id)])
    assert all(finding.rule_id == rule_id for finding in findings)
    return sorted({finding.line for finding in findings})


@pytest.mark.parametrize(
    ("rule_id", "language", "code", "changed", "expected"),
    ALL_CASES,
    ids=[f"{case[0]}-{number}" for number, case in enumerate(ALL_CASES)],
)
def test_rule_case(
    rule_id: str, language: str, code: str, changed: frozenset[int] | None, expected: list[int]
) -> None:
    assert hit_lines(rule_id, language, code, changed) == expected


def test_every_rule_has_a_positive_and_a_negative_case() -> None:
    positive = {case[0] for case in ALL_CASES if case[4]}
    negative = {case[0] for case in ALL_CASES if not case[4]}
    # These need the old side: their tests are in test_rules.py and test_signatures.py.
    removed_only = {"PY010", "PY022", "PY023", "PY024"}
    for rule in registered_rules():
        if rule.id in removed_only:
            continue
        assert rule.id in positive, f"{rule.id} has no positive case"
        assert rule.id in negative, f"{rule.id} has no negative case"


# PY010 looks at the old side: (old code, new code, changed new lines, removed old lines, lines).
REMOVED_GUARD_CASES: list[tuple[str, str, frozenset[int], frozenset[int], list[int]]] = [
    (
        dedent(
            """\
            def name_of(user):
                if user is None:
                    return ""
                return user.name
            """
        ),
        dedent(
            """\
            def name_of(user):
                return user.name
            """
        ),
        frozenset(),
        frozenset({2, 3}),
        [2],
    ),
    (
        dedent(
            """\
            class Service:
                def handle(self, request):
                    log(request)
                    if not request:
                        raise ValueError("empty")
                    return request.body
            """
        ),
        dedent(
            """\
            class Service:
                def handle(self, request):
                    log(request)
                    validate(request)
                    return request.body
            """
        ),
        frozenset({4}),
        frozenset({4, 5}),
        [5],  # reported where the value is now used unguarded
    ),
    # The guard moved (still present in the new function): no finding.
    (
        dedent(
            """\
            def name_of(user):
                if user is None:
                    return ""
                return user.name
            """
        ),
        dedent(
            """\
            def name_of(user):
                if user is not None:
                    return user.name
                return ""
            """
        ),
        frozenset({2, 3, 4}),
        frozenset({2, 3, 4}),
        [],
    ),
    # The value is no longer used in the body: no finding.
    (
        dedent(
            """\
            def name_of(user):
                if user is None:
                    return ""
                return user.name
            """
        ),
        dedent(
            """\
            def name_of(user):
                return "anonymous"
            """
        ),
        frozenset({2}),
        frozenset({2, 3, 4}),
        [],
    ),
]


@pytest.mark.parametrize(("old", "new", "changed", "removed", "expected"), REMOVED_GUARD_CASES)
def test_removed_none_check(
    old: str, new: str, changed: frozenset[int], removed: frozenset[int], expected: list[int]
) -> None:
    context = RuleContext(
        path="service.py",
        language="python",
        source=new.encode(),
        changed_lines=changed,
        old_source=old.encode(),
        removed_lines=removed,
    )
    findings = run_rules(context, [rule_by_id("PY010")])
    assert [finding.line for finding in findings] == expected
    for finding in findings:
        assert "was removed" in finding.message


def test_removed_none_check_needs_the_old_side() -> None:
    code = "def name_of(user):\n    return user.name\n"
    context = RuleContext(
        path="a.py", language="python", source=code.encode(), changed_lines={2}, removed_lines={2}
    )
    assert run_rules(context, [rule_by_id("PY010")]) == []


def sample(case: Case) -> tuple[str, str, str]:
    return case[0], case[1], case[2]


@pytest.mark.parametrize(
    ("rule_id", "language", "code"),
    [sample(case) for case in ALL_CASES if case[4]],
    ids=[f"{case[0]}-{number}" for number, case in enumerate(ALL_CASES) if case[4]],
)
def test_hits_on_unchanged_lines_are_not_reported(rule_id: str, language: str, code: str) -> None:
    hits = hit_lines(rule_id, language, code, None)
    assert hits
    unchanged_elsewhere = every_line(code) - set(hits)
    assert hit_lines(rule_id, language, code, frozenset()) == []
    # Changing only lines without a hit (where the hit's own span is untouched) reports nothing
    # on those hit lines unless the hit's span reaches a changed line.
    context = RuleContext(
        path="x",
        language=language,
        source=code.encode(),
        changed_lines=unchanged_elsewhere,
    )
    for finding in run_rules(context, [rule_by_id(rule_id)]):
        span = range(finding.line, (finding.end_line or finding.line) + 1)
        assert any(line in unchanged_elsewhere for line in span)


JAVASCRIPT_DIALECTS = ("javascript", "typescript", "tsx")


@pytest.mark.parametrize(
    ("rule_id", "code", "expected"),
    [(case[0], case[2], case[4]) for case in ALL_CASES if case[0].startswith("JS")],
)
@pytest.mark.parametrize("language", JAVASCRIPT_DIALECTS)
def test_javascript_rules_agree_across_dialects(
    rule_id: str, code: str, expected: list[int], language: str
) -> None:
    assert hit_lines(rule_id, language, code, None) == expected
