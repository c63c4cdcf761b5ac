from pathlib import Path

from argus.core.predict.findings import BugFinding, Edit, Factor, Fix
from argus.core.predict.sqlite_analysis_cache import SQLiteAnalysisCache
from argus.core.store.sqlite import SQLiteStore


def test_findings_with_their_fix_and_level_survive_the_store(tmp_path: Path):
    finding = BugFinding(
        rule_id="PY004",
        path="a.py",
        line=3,
        message="`a == None` tests for None with `==`.",
        confidence=0.9,
        language="python",
        level="error",
        factors=(Factor("pattern:PY004", "why", 0.5, 0.9),),
        fix=Fix(
            "Compare with `is`", (Edit(3, 6, 3, 8, "is"),), 3, 3, "if a is None:", "if a == None:"
        ),
    )
    store = SQLiteStore.open(tmp_path / "cache.db")
    try:
        cache = SQLiteAnalysisCache(store)
        cache.put_findings("bug:key", [finding])
        cache.flush()
        assert SQLiteAnalysisCache(store).get_findings("bug:key") == [finding]
    finally:
        store.close()
