"""Renderers of a Review (text, JSON, Markdown, SARIF and HTML), behind one ``render``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from argus.core.errors import ConfigError
from argus.core.predict.findings import Review
from argus.core.report.html import render_html
from argus.core.report.json_report import SCHEMA_ID, render_json, review_document, review_schema
from argus.core.report.markdown import MARKER, render_markdown
from argus.core.report.options import LinkFor, ReportOptions, RuleInfo
from argus.core.report.sarif import describe_rules, render_sarif, sarif_log
from argus.core.report.text import render_text

Renderer = Callable[[Review, ReportOptions], str]
"""Turns a review into the text of one format."""

FORMATS: Mapping[str, Renderer] = MappingProxyType(
    {
        "text": render_text,
        "json": render_json,
        "markdown": render_markdown,
        "sarif": render_sarif,
        "html": render_html,
    }
)
"""Every format ``render`` knows, by name."""


def render(
    review: Review,
    fmt: str,
    *,
    color: bool = False,
    options: ReportOptions | None = None,
    **overrides: Any,
) -> str:
    """Render ``review`` in format ``fmt``.

    ``options`` carries the settings; keyword ``overrides`` (``width=80``, ``link_for=...``)
    replace single fields of it. An unknown format or option raises ConfigError.
    """
    renderer = FORMATS.get(fmt.lower())
    if renderer is None:
        known = ", ".join(sorted(FORMATS))
        raise ConfigError(f"unknown report format {fmt!r}; choose one of: {known}")
    base = options or ReportOptions()
    try:
        settings = replace(base, color=color, **overrides)
    except TypeError as error:
        raise ConfigError(f"unknown report option: {error}") from error
    return renderer(review, settings)


__all__ = [
    "FORMATS",
    "MARKER",
    "SCHEMA_ID",
    "LinkFor",
    "Renderer",
    "ReportOptions",
    "RuleInfo",
    "describe_rules",
    "render",
    "render_json",
    "render_markdown",
    "render_sarif",
    "render_text",
    "review_document",
    "review_schema",
    "sarif_log",
]
