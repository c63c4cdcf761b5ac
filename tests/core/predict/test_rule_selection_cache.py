"""Only the rules a review selects run, and the findings cache knows which ran: a rule turned
on in ``.argus.yml`` after a review finds its hits on the same, cached change."""

from __future__ import annotations

import difflib

from argus.core.diff import parse_diff
from argus.core.predict.analysis_cache import LayeredAnalysisCache
from argus.core.predict.review import ReviewOptions, Sources, review_change
from argus.core.predict.rules import RuleSelection
from argus.core.predict.service import shipped_model

OLD = (
    "def fetch(url, timeout=10):\n    return url, timeout\n\n\ndef main():\n    return fetch('a')\n"
)
NEW = OLD.replace("timeout=10", "timeout=30")  # PY023 (opt-in): a default changed


def _review(cache: LayeredAnalysisCache, selection: RuleSelection) -> set[str]:
    diff = "".join(
        difflib.unified_diff(
            OLD.splitlines(keepends=True), NEW.splitlines(keepends=True), "a/m.py", "b/m.py"
        )
    )
    review = review_change(
        parse_diff("diff --git a/m.py b/m.py\nindex 1111111..2222222 100644\n" + diff),
        Sources(old={"m.py": OLD.encode()}, new={"m.py": NEW.encode()}),
        shipped_model(),
        {},
        options=ReviewOptions(rules=selection),
        cache=cache,
    )
    return {bug.rule_id for bug in review.bugs}


def test_an_opt_in_rule_turned_on_later_reports_on_the_cached_change():
    cache = LayeredAnalysisCache()
    assert "PY023" not in _review(cache, RuleSelection())
    assert "PY023" in _review(cache, RuleSelection(enable=frozenset({"PY023"})))
    assert "PY023" not in _review(cache, RuleSelection())
