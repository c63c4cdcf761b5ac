"""The demo branch (examples/history steps 21-22) carries known defects; the rules find them."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from argus.core.lang.languages import language_for_path
from argus.core.predict.findings import BugFinding
from argus.core.predict.rules import RuleContext, RuleSelection, registered_rules, run_rules

# The demo plants defects for every rule it shows, default-on or opt-in.
EVERY_RULE = RuleSelection(enable=frozenset(rule.id for rule in registered_rules()))

HISTORY = Path(__file__).parents[4] / "examples" / "history"
BRANCH_STEPS = ("21-bulk-discounts", "22-cart-bulk-badge")

# (path, rule id, first line, last line): the defect table of examples/README.md.
EXPECTED = [
    ("orders/pricing.py", "PY009", 77, 77),
    ("orders/pricing.py", "PY004", 101, 101),
    ("orders/inventory.py", "PY010", 54, 57),
    ("orders/repository.py", "PY006", 71, 72),
    ("orders/repository.py", "PY003", 82, 83),
    ("orders/service.py", "PY001", 37, 37),
    ("orders/service.py", "PY019", 41, 41),
    ("orders/cli.py", "PY008", 35, 35),
    ("web/cart.js", "JS013", 28, 28),
    ("web/cart.js", "JS002", 46, 46),
    ("web/cart.js", "JS004", 61, 61),
]


def version_before(path: str, step: str) -> bytes | None:
    steps = sorted(folder.name for folder in HISTORY.iterdir() if folder.is_dir())
    for earlier in reversed(steps[: steps.index(step)]):
        candidate = HISTORY / earlier / "files" / path
        if candidate.is_file():
            return candidate.read_bytes()
    return None


def changed_and_removed(old: bytes, new: bytes) -> tuple[set[int], set[int]]:
    matcher = difflib.SequenceMatcher(
        a=old.decode().splitlines(), b=new.decode().splitlines(), autojunk=False
    )
    changed: set[int] = set()
    removed: set[int] = set()
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag != "equal":
            removed.update(range(old_start + 1, old_end + 1))
            changed.update(range(new_start + 1, new_end + 1))
    return changed, removed


@pytest.fixture(scope="module")
def branch_findings() -> list[BugFinding]:
    if not HISTORY.is_dir():
        pytest.fail("examples/history is missing")
    findings: list[BugFinding] = []
    for step in BRANCH_STEPS:
        for file in sorted((HISTORY / step / "files").rglob("*")):
            path = file.relative_to(HISTORY / step / "files").as_posix()
            language = language_for_path(path)
            if not file.is_file() or language is None:
                continue
            new = file.read_bytes()
            old = version_before(path, step)
            changed, removed = changed_and_removed(old or b"", new)
            context = RuleContext(
                path=path,
                language=language,
                source=new,
                changed_lines=changed,
                old_source=old,
                removed_lines=removed,
            )
            findings.extend(run_rules(context, selection=EVERY_RULE))
    return findings


@pytest.mark.parametrize(("path", "rule_id", "first", "last"), EXPECTED)
def test_known_defect_is_found(
    branch_findings: list[BugFinding], path: str, rule_id: str, first: int, last: int
) -> None:
    found = [
        finding
        for finding in branch_findings
        if finding.path == path and finding.rule_id == rule_id and first <= finding.line <= last
    ]
    assert found, [(f.path, f.rule_id, f.line) for f in branch_findings]


def test_no_findings_beyond_the_known_defects(branch_findings: list[BugFinding]) -> None:
    expected = {(path, rule_id) for path, rule_id, _, _ in EXPECTED}
    extra = [
        (f.path, f.rule_id, f.line) for f in branch_findings if (f.path, f.rule_id) not in expected
    ]
    assert extra == []
