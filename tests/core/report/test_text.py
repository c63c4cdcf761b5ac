import re
from dataclasses import replace

import pytest

from argus.core.predict.findings import RiskLevel, SymbolRisk
from argus.core.report.options import ReportOptions
from argus.core.report.text import display_width, render_text, truncate, truncate_start
from tests.core.report.sample import empty_review, sample_review
from tests.core.report.snapshots import assert_matches_snapshot

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_text_report_matches_snapshot():
    assert_matches_snapshot("review.txt", render_text(sample_review()))


def test_narrow_text_report_matches_snapshot():
    assert_matches_snapshot("review-60.txt", render_text(sample_review(), ReportOptions(width=60)))


def test_headline_states_level_probability_and_size():
    first_line = render_text(sample_review()).splitlines()[0]
    assert first_line == "Risk: HIGH 0.74 \N{EM DASH} 3 files, +98 \N{MINUS SIGN}25"


def test_symbols_are_ranked_riskiest_first_with_factors_and_complexity():
    lines = render_text(sample_review(), ReportOptions(width=200)).splitlines()
    rows = [line for line in lines if re.match(r"^\d+ ", line)]
    assert [row.split()[0] for row in rows] == ["1", "2", "3", "4"]
    assert "Invoice.total" in rows[0] and "81%" in rows[0] and "high" in rows[0]
    assert "complexity rose from 18 to 27" in rows[0]
    assert "18 \N{RIGHTWARDS ARROW} 27" in rows[0]
    assert "renderCart" in rows[3] and "low" in rows[3]


def test_predicted_bugs_show_place_rule_message_and_confidence():
    text = render_text(sample_review())
    section = text.split("Predicted bugs (3)")[1]
    header, first = section.splitlines()[1:3]
    assert header.split() == ["Location", "Rule", "Conf.", "Finding"]
    assert re.match(r"billing/invoice\.py:42 +PY001 +91% +Mutable default argument", first)
    # The finding wraps in its column; its words read in order.
    assert "Mutable default argument `items=[]` is shared between calls." in " ".join(
        section.split()
    )
    assert section.index("PY001") < section.index("PY003")


def test_findings_go_under_their_row_when_the_column_would_be_too_narrow():
    lines = render_text(sample_review(), ReportOptions(width=60)).splitlines()
    start = lines.index("Predicted bugs (3)")
    assert lines[start + 1].split() == ["Location", "Rule", "Conf."]
    assert re.match(r"\S*invoice\.py:42 +PY001 +91%$", lines[start + 2])
    assert lines[start + 3].startswith("    Mutable default argument: ")


def test_colour_follows_the_options_not_the_environment(monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "20")
    assert render_text(sample_review()) == render_text(sample_review(), ReportOptions())
    assert "\x1b" not in render_text(sample_review())
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[1;31m" in render_text(sample_review(), ReportOptions(color=True))


def test_warnings_are_listed():
    assert "! web/static/vendor.min.js: skipped, file larger than 1 MB" in render_text(
        sample_review()
    )


@pytest.mark.parametrize("width", [40, 60, 80, 100, 132, 200])
def test_every_line_fits_the_terminal_width(width):
    for line in render_text(sample_review(), ReportOptions(width=width)).splitlines():
        assert display_width(line) <= width, line


def test_long_names_are_cut_with_an_ellipsis():
    text = render_text(sample_review(), ReportOptions(width=80))
    row = next(line for line in text.splitlines() if line.startswith("2 "))
    assert "SubmitPaymentWithRetriesAndIdempotencyKey" not in row
    assert "(*Gateway" in row and "\N{HORIZONTAL ELLIPSIS}" in row


def test_no_colour_codes_without_colour():
    assert "\x1b" not in render_text(sample_review(), ReportOptions(color=False))


def test_colour_codes_only_decorate_the_same_text():
    plain = render_text(sample_review(), ReportOptions(color=False))
    coloured = render_text(sample_review(), ReportOptions(color=True))
    assert "\x1b[1;31m" in coloured  # high in bold red
    assert "\x1b[33m" in coloured  # medium in yellow
    assert ANSI.sub("", coloured) == plain


def test_escape_sequences_in_file_names_never_reach_the_terminal():
    review = sample_review()
    evil = replace(review.symbols[0], path="a\x1b[31mred\x1b[0m.py", name="x\ny")
    text = render_text(replace(review, symbols=(evil,)), ReportOptions(color=False))
    assert "\x1b" not in text
    assert "x y" in text


def test_wide_characters_are_measured_in_cells():
    review = sample_review()
    wide = replace(review.symbols[0], name="計算する関数" * 6)
    for line in render_text(replace(review, symbols=(wide,)), ReportOptions(width=70)).splitlines():
        assert display_width(line) <= 70, line


def test_symbol_table_is_capped_with_a_count_of_the_rest():
    review = sample_review()
    symbols = tuple(
        SymbolRisk(
            path=f"pkg/module_{index}.py",
            name=f"function_{index}",
            kind="function",
            language="python",
            start_line=index + 1,
            end_line=index + 5,
            probability=index / 100,
            level=RiskLevel.LOW,
        )
        for index in range(25)
    )
    text = render_text(replace(review, symbols=symbols), ReportOptions(max_symbols=10))
    assert "Riskiest changes (25)" in text
    assert "\N{HORIZONTAL ELLIPSIS}and 15 more" in text
    assert "function_24" in text and "function_14" not in text


def test_empty_review_says_there_is_nothing_to_review():
    text = render_text(empty_review())
    assert text.splitlines()[0] == "No changes to review"
    assert "Predicted bugs" not in text


def test_truncation_helpers():
    assert truncate("abcdef", 4) == "abc\N{HORIZONTAL ELLIPSIS}"
    assert truncate("abc", 4) == "abc"
    assert truncate_start("dir/file.py:12", 8) == "\N{HORIZONTAL ELLIPSIS}e.py:12"
    assert display_width("ab漢") == 4


def test_reasons_move_under_the_row_when_the_table_would_cut_them():
    lines = render_text(sample_review(), ReportOptions(width=100)).splitlines()
    header = next(line for line in lines if line.startswith("#  Risk"))
    assert "Why" not in header
    row = lines.index(next(line for line in lines if line.startswith("1 ")))
    assert lines[row + 1].startswith("   complexity rose from 18 to 27; 4 earlier bug fixes")
    wide = render_text(sample_review(), ReportOptions(width=200)).splitlines()
    assert "Why" in next(line for line in wide if line.startswith("#  Risk"))
