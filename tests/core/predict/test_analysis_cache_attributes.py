"""The analysis cache's key for a file's findings includes what .gitattributes sets for it:
the same content marked generated afterwards gets no findings, not the cached ones."""

from __future__ import annotations

from argus.core.classify import GitAttributes
from argus.core.diff import parse_diff
from argus.core.predict.analysis_cache import LayeredAnalysisCache, findings_key
from argus.core.predict.review import ReviewOptions, Sources, review_change
from argus.core.predict.service import shipped_model

PATH = "app/service.py"
TEXT = "def collect(item, bucket):\n    bucket == [item]\n    return bucket\n"
DIFF = (
    f"diff --git a/{PATH} b/{PATH}\nnew file mode 100644\nindex 0000000..1111111\n"
    f"--- /dev/null\n+++ b/{PATH}\n@@ -0,0 +1,3 @@\n"
    + "".join(f"+{line}\n" for line in TEXT.splitlines())
)


def _review(cache: LayeredAnalysisCache, attributes: GitAttributes | None):
    return review_change(
        parse_diff(DIFF),
        Sources(new={PATH: TEXT.encode()}),
        shipped_model(),
        {},
        options=ReviewOptions(attributes=attributes),
        cache=cache,
    )


def test_marking_a_file_generated_drops_its_cached_findings():
    cache = LayeredAnalysisCache()
    assert [b.rule_id for b in _review(cache, None).bugs] == ["PY016"]
    generated = GitAttributes.parse("app/** linguist-generated\n")
    assert _review(cache, generated).bugs == ()
    assert [b.rule_id for b in _review(cache, GitAttributes.parse("")).bugs] == ["PY016"]


def test_the_key_changes_with_the_attributes_only_when_they_say_something():
    args = (PATH, TEXT.encode(), None, [2], [])
    plain = findings_key(*args)
    assert findings_key(*args, GitAttributes.parse("").signature(PATH)) == plain
    unrelated = GitAttributes.parse("docs/** linguist-documentation\n").signature(PATH)
    assert findings_key(*args, unrelated) == plain
    vendored = GitAttributes.parse("app/** linguist-vendored\n").signature(PATH)
    assert findings_key(*args, vendored) != plain


def test_a_file_gitattributes_marks_generated_gets_no_risk_row():
    from argus.core.report.summary import non_code_files, ranked_symbols

    plain = _review(LayeredAnalysisCache(), None)
    assert {s.path for s in ranked_symbols(plain)} == {PATH}
    marked = _review(LayeredAnalysisCache(), GitAttributes.parse("app/** linguist-vendored\n"))
    assert ranked_symbols(marked) == [] and non_code_files(marked) == {"vendored": [PATH]}
