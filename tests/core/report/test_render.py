import json

import pytest

from argus.core.errors import ConfigError
from argus.core.report import FORMATS, ReportOptions, render
from tests.core.report.sample import empty_review, sample_review


def test_every_format_is_registered():
    assert sorted(FORMATS) == ["html", "json", "markdown", "sarif", "text"]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_empty_review_says_there_is_nothing_to_review_in_every_format(fmt):
    assert "No changes to review" in render(empty_review(), fmt, tool_version="0.1.0")


def test_render_dispatches_to_the_named_format():
    review = sample_review()
    assert render(review, "json", tool_version="0.1.0").startswith('{\n  "schema"')
    assert json.loads(render(review, "SARIF", tool_version="0.1.0"))["version"] == "2.1.0"
    assert render(review, "markdown").startswith("<!-- argus:review -->")
    assert render(review, "text").startswith("Risk: HIGH 0.74")


def test_colour_flag_and_overrides_reach_the_renderer():
    review = sample_review()
    assert "\x1b[" in render(review, "text", color=True)
    assert "\x1b[" not in render(review, "text")
    narrow = render(review, "text", options=ReportOptions(width=100), width=50)
    assert max(len(line) for line in narrow.splitlines()) <= 50


def test_unknown_format_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown report format 'pdf'.*html, json, markdown"):
        render(sample_review(), "pdf")


def test_unknown_option_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown report option"):
        render(sample_review(), "text", colour=True)


@pytest.mark.parametrize(
    "field, value",
    [("width", 5), ("max_symbols", -1), ("max_chars", 10), ("max_results", 30_000)],
)
def test_invalid_option_values_are_config_errors(field, value):
    with pytest.raises(ConfigError):
        ReportOptions(**{field: value})
