"""The HTML report: one self-contained file, escaped, with the same tables and a chart."""

from __future__ import annotations

import re
from dataclasses import replace

from argus.core.predict.findings import RiskLevel, SymbolRisk
from argus.core.report import render
from tests.core.report.sample import sample_review

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def test_the_report_is_self_contained() -> None:
    page = render(sample_review(), "html")
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page
    # Nothing to fetch: no src, no stylesheet link, no url() and no http(s) reference outside
    # the SVG namespace declaration.
    assert not re.search(r"\ssrc=|<link\b|url\(", page)
    references = set(re.findall(r"https?://[^\s\"'<>]+", page))
    assert references <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def test_the_report_has_the_tables_and_the_chart() -> None:
    review = sample_review()
    page = render(review, "html")
    assert 'id="summary"' in page and 'id="symbols"' in page and 'id="bugs"' in page
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert 'aria-label="Risk of the changed functions"' in svg
    assert "Invoice.total" in svg and "81%" in svg  # the riskiest function, drawn with its value
    for bug in review.bugs:
        assert bug.rule_id in page


def test_repository_text_is_escaped() -> None:
    review = sample_review()
    hostile = SymbolRisk(
        path=f"web/{HOSTILE}.py",
        name=HOSTILE,
        kind="function",
        language="python",
        start_line=1,
        end_line=2,
        probability=0.99,
        level=RiskLevel.HIGH,
    )
    page = render(replace(review, symbols=(*review.symbols, hostile)), "html")
    assert HOSTILE not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img" in page
