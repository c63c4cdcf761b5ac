"""The review as one self-contained HTML file: inline CSS, inline SVG charts, no script and
no reference to anything outside the file, so it opens anywhere (CI artefacts, e-mail).

Every string that came from the repository (paths, names, messages, code) is escaped.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from argus.core.predict.findings import Review

if TYPE_CHECKING:
    from argus.core.report.charts import Chart
from argus.core.report.options import ReportOptions
from argus.core.report.summary import (
    change_size,
    headline,
    is_empty,
    location,
    ordered_bugs,
    percent,
    ranked_symbols,
    top_factors,
    validation_summary,
)

STYLE = """
body{font-family:system-ui,sans-serif;max-width:72rem;margin:1rem auto;padding:0 1rem;color:#111827}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{border:1px solid #e5e7eb;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f4f6}figure{border:1px solid #e5e7eb;margin:1rem 0;padding:.5rem}
figure svg{width:100%;height:auto;max-height:22rem}figcaption{font-weight:600}
.high{color:#b91c1c;font-weight:600}.medium{color:#b45309}.low{color:#15803d}
pre{background:#111827;color:#f9fafb;padding:.5rem;overflow:auto;font-size:.8rem}
"""


def render_html(review: Review, options: ReportOptions) -> str:
    """The whole report as an HTML document (a string ending in a newline)."""
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">",
        f"<title>Argus review: {escape(headline(review))}</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Argus review</h1>",
        f'<p class="{review.level.value}" id="verdict">{escape(headline(review))}</p>',
    ]
    if is_empty(review):
        parts.append("</body></html>")
        return "\n".join(parts) + "\n"
    parts.append(_summary(review))
    symbols = ranked_symbols(review)[: options.max_symbols]
    if symbols:
        parts.append(_figure(_risk_chart(review, options)))
        parts.append(_symbols_table(review, options))
    bugs = ordered_bugs(review)[: options.max_bugs]
    if bugs:
        rows = "".join(
            f"<tr><td><code>{escape(location(bug.path, bug.line))}</code></td>"
            f"<td>{escape(bug.rule_id)}</td><td>{escape(bug.message)}</td>"
            f"<td>{percent(bug.confidence)}</td></tr>"
            for bug in bugs
        )
        parts.append(
            '<table id="bugs"><caption>Predicted bugs</caption><thead><tr>'
            '<th scope="col">Where</th><th scope="col">Rule</th><th scope="col">What</th>'
            f'<th scope="col">Confidence</th></tr></thead><tbody>{rows}</tbody></table>'
        )
    for test in review.tests:
        parts.append(
            f"<h2>Test for <code>{escape(test.target_symbol)}</code></h2>"
            f"<p><code>{escape(test.path)}</code> · {escape(validation_summary(test))}</p>"
            f"<pre>{escape(test.source)}</pre>"
        )
    if review.warnings:
        items = "".join(f"<li>{escape(warning)}</li>" for warning in review.warnings)
        parts.append(f"<h2>Warnings</h2><ul>{items}</ul>")
    parts.append(f"<p>Model {escape(review.model_version)}</p></body></html>")
    return "\n".join(parts) + "\n"


def _summary(review: Review) -> str:
    factors = "".join(
        f"<li>{escape(factor.text)} ({factor.contribution:+.2f})</li>"
        for factor in top_factors(review.factors, 5)
    )
    return (
        '<table id="summary"><caption>The change</caption><tbody>'
        f'<tr><th scope="row">Risk</th><td>{percent(review.probability)} '
        f"{escape(review.level.value)}</td></tr>"
        f'<tr><th scope="row">Size</th><td>{escape(change_size(review))}</td></tr>'
        f'<tr><th scope="row">Base</th><td>{escape(review.base or "–")}</td></tr>'
        f'<tr><th scope="row">Head</th><td>{escape(review.head or "working tree")}</td></tr>'
        f"</tbody></table><h2>Why</h2><ul>{factors}</ul>"
    )


def _risk_chart(review: Review, options: ReportOptions) -> Chart:
    # pygal takes ~30 ms to import: only the HTML format pays for it.
    from argus.core.report.charts import bar_chart

    symbols = ranked_symbols(review)[: options.max_symbols]
    return bar_chart(
        "Risk of the changed functions",
        [symbol.name for symbol in symbols],
        [("risk", [round(symbol.probability, 3) for symbol in symbols])],
        horizontal=True,
        value_format="{:.0%}",
    )


def _symbols_table(review: Review, options: ReportOptions) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(symbol.name)}</code></td>"
        f"<td><code>{escape(location(symbol.path, symbol.start_line))}</code></td>"
        f'<td class="{symbol.level.value}">{percent(symbol.probability)} '
        f"{escape(symbol.level.value)}</td>"
        f"<td>{escape('; '.join(f.text for f in top_factors(symbol.factors)))}</td></tr>"
        for symbol in ranked_symbols(review)[: options.max_symbols]
    )
    return (
        '<table id="symbols"><caption>The riskiest changed functions</caption><thead><tr>'
        '<th scope="col">Function</th><th scope="col">Where</th><th scope="col">Risk</th>'
        f'<th scope="col">Why</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def _figure(chart: Chart) -> str:
    header = "".join(f'<th scope="col">{escape(h)}</th>' for h in chart.headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in chart.rows
    )
    return (
        f'<figure class="chart"><figcaption>{escape(chart.title)}</figcaption>{chart.svg}'
        f"<details><summary>Table of the values</summary><table><caption>"
        f"{escape(chart.title)}</caption><thead><tr>{header}</tr></thead>"
        f"<tbody>{body}</tbody></table></details></figure>"
    )
