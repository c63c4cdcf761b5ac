"""A committed build that only its content gives away (a bundle in ``browser/``, whose path
looks like code) gets no row in the risk table, as a path-marked build does not."""

from __future__ import annotations

from argus.core.diff import parse_diff
from argus.core.predict.review import ReviewOptions, Sources, review_change
from argus.core.predict.service import shipped_model
from argus.core.report.summary import non_code_files, ranked_symbols

BODY = (
    "function sum(items) {\n"
    "  var total = 0;\n"
    "  for (var i = 0; i < items.length; i++) {\n"
    "    if (items[i] > 0) { total += items[i]; }\n"
    "  }\n"
    "  return total;\n"
    "}\n"
)
BUNDLE = "(function webpackUniversalModuleDefinition(root, factory) {\n})(this, function() {\n});\n"


def _added(path: str, text: str) -> str:
    lines = text.splitlines()
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n"
        + "".join(f"+{line}\n" for line in lines)
    )


def test_a_bundle_known_by_its_content_gets_no_row_and_counts_as_generated():
    built, written = "browser/lib.js", "src/lib.js"
    files = {built: BUNDLE + BODY, written: BODY}
    review = review_change(
        parse_diff("".join(_added(path, text) for path, text in files.items())),
        Sources(new={path: text.encode() for path, text in files.items()}),
        shipped_model(),
        {},
        options=ReviewOptions(),
    )
    assert {s.path for s in review.symbols} >= {built, written}
    assert {s.path for s in ranked_symbols(review)} == {written}
    assert non_code_files(review) == {"generated": [built]}
    assert dict(review.file_kinds) == {built: "generated"}
