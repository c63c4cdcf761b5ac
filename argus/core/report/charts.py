"""Charts as inline SVG with a table beside them, for the dashboard and the HTML report.

Drawn by pygal with no JavaScript (``js=[]``, and the configuration script it still emits is
removed), so a page that embeds one requests nothing from anywhere: it works air-gapped.
Every chart carries an accessible title and the table of the values it draws.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pygal

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@dataclass(frozen=True)
class Chart:
    """A drawn chart: its title, the SVG markup, and the same values as a table."""

    title: str
    svg: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _style() -> pygal.style.Style:
    return pygal.style.Style(
        background="transparent",
        plot_background="transparent",
        font_family="system-ui, sans-serif",
        colors=("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2"),
    )


def _finish(chart: pygal.graph.graph.Graph, title: str) -> str:
    """The chart's SVG, without scripts or comments, labelled for screen readers."""
    svg = str(chart.render(is_unicode=True, disable_xml_declaration=True))
    svg = _COMMENT.sub("", _SCRIPT.sub("", svg))
    label = html.escape(title, quote=True)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


def _config(title: str, **extra: object) -> dict[str, object]:
    return {
        "js": [],
        "title": title,
        "style": _style(),
        "width": 720,
        "height": 300,
        "disable_xml_declaration": True,
        "x_label_rotation": 30,
        "truncate_label": 24,
        **extra,
    }


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    value_format: str = "{:.2f}",
    value_range: tuple[float, float] | None = None,
    dots: bool = True,
) -> Chart:
    """A line per series over ``labels`` (one point each; None leaves a gap), on
    ``value_range`` when given (else fitted to the values). Without ``dots`` only the lines
    are drawn (a dot per value costs about 0.3 ms to draw)."""
    extra: dict[str, object] = {"range": value_range} if value_range else {}
    extra["show_dots"] = dots
    if value_format == "{:.0f}":
        extra["order_min"] = 0  # whole numbers: no fractional steps on the axis
    chart = pygal.Line(
        **_config(
            title,
            show_legend=len(series) > 1,
            show_minor_x_labels=False,
            value_formatter=_formatter(value_format),
            **extra,
        )
    )
    chart.x_labels = list(labels)
    chart.x_labels_major_every = max(1, len(labels) // 12)
    for name, values in series:
        chart.add(name, list(values))
    rows = tuple(
        (label, *(_cell(values[i], value_format) for _, values in series))
        for i, label in enumerate(labels)
    )
    headers = ("", *(name for name, _ in series))
    return Chart(title, _finish(chart, title), headers, rows)


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    stacked: bool = False,
    horizontal: bool = False,
    value_format: str = "{:g}",
) -> Chart:
    """Bars per label, one bar (or stacked segment) per series."""
    kind = (
        pygal.HorizontalStackedBar
        if stacked and horizontal
        else pygal.StackedBar
        if stacked
        else pygal.HorizontalBar
        if horizontal
        else pygal.Bar
    )
    chart = kind(
        **_config(title, show_legend=len(series) > 1, value_formatter=_formatter(value_format))
    )
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    rows = tuple(
        (label, *(_cell(values[i], value_format) for _, values in series))
        for i, label in enumerate(labels)
    )
    return Chart(title, _finish(chart, title), ("", *(name for name, _ in series)), rows)


def pie_chart(
    title: str, slices: Sequence[tuple[str, float]], *, value_format: str = "{:g}"
) -> Chart:
    """A slice per (name, value)."""
    chart = pygal.Pie(**_config(title, inner_radius=0.4, value_formatter=_formatter(value_format)))
    for name, value in slices:
        chart.add(name, value)
    rows = tuple((name, _cell(value, value_format)) for name, value in slices)
    return Chart(title, _finish(chart, title), ("", "value"), rows)


def _formatter(value_format: str) -> Callable[[float | None], str]:
    """How the chart writes a value: as the table beside it does."""

    def formatted(value: float | None) -> str:
        return _cell(value, value_format)

    return formatted


def _cell(value: float | None, value_format: str) -> str:
    return "–" if value is None else value_format.format(value)
