import re
from dataclasses import replace

from argus.core.predict.findings import BugFinding, Edit, Factor, Fix, RiskLevel, SymbolRisk
from argus.core.report.markdown import MARKER, escape, render_markdown
from argus.core.report.options import GITHUB_COMMENT_LIMIT, ReportOptions
from tests.core.report.sample import empty_review, sample_review
from tests.core.report.snapshots import assert_matches_snapshot

EVIL_PATH = "src/a|b`c`<script>alert(1)</script>.py"


def unescaped_pipes(row: str) -> int:
    return len(re.findall(r"(?<!\\)\|", row))


def table_rows(text: str, header: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_markdown_matches_snapshot():
    assert_matches_snapshot("review.md", render_markdown(sample_review()))


def test_marker_comes_first_and_verdict_has_a_badge():
    lines = render_markdown(sample_review()).splitlines()
    assert lines[0] == MARKER == "<!-- argus:review -->"
    verdict = next(line for line in lines if line.startswith("### "))
    assert verdict.startswith("### 🔴 High risk (74%)")
    assert "3 files, +98 \N{MINUS SIGN}25, 3 predicted bugs" in verdict


SYMBOL_HEADER = "| Risk | Symbol | Location | Why | Complexity |"


def bug_items(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("- ") and "</code> **" in line]


def test_changes_that_matter_come_first_and_low_risks_are_folded():
    text = render_markdown(sample_review())
    matter = table_rows(text[text.index("#### Changes that matter") :], SYMBOL_HEADER)
    assert len(matter) == 3  # two high, one medium
    assert "complexity rose from 18 to 27" in matter[0]
    assert "18 \N{RIGHTWARDS ARROW} 27" in matter[0]
    folded = text[text.index("<summary>1 lower-risk change</summary>") :]
    low = table_rows(folded, SYMBOL_HEADER)
    assert len(low) == 1 and "renderCart" in low[0]
    items = bug_items(text)
    assert len(items) == 3
    assert "<code>billing/invoice.py:42</code>" in items[0] and "91%" in items[0]


def test_each_finding_says_what_why_and_carries_its_fix():
    review = sample_review()
    fixed = replace(
        review.bugs[0],
        rule_id="PY004",
        title="Comparison to None with == or !=",
        message="`a == None` tests for None with `==`. Use `is None` / `is not None`.",
        factors=(Factor("pattern:PY004", "`==` calls `__eq__`, which may be overridden.", 0.1),),
        fix=Fix(
            "Compare with `is`", (Edit(3, 6, 3, 8, "is"),), 3, 3, "if a is None:", "if a == None:"
        ),
    )
    text = render_markdown(replace(review, bugs=(fixed,)))
    assert "<code>a == None</code> tests for None with <code>==</code>" in text
    assert "*Why:* <code>==</code> calls <code>\\_\\_eq\\_\\_</code>" in text
    assert "  ```diff\n  -if a == None:\n  +if a is None:\n  ```" in text
    assert "\\`" not in text  # code renders as code, never as escaped backticks


def test_non_code_files_get_no_row_but_are_named():
    review = sample_review()
    changelog = replace(
        review.symbols[0],
        path="CHANGES.md",
        name="(file)",
        kind="file",
        probability=0.8,
        level=RiskLevel.HIGH,
    )
    lock = replace(changelog, path="poetry.lock")
    text = render_markdown(replace(review, symbols=(changelog, lock, *review.symbols)))
    assert "CHANGES.md" not in text.split("Not scored")[0]
    assert (
        "Not scored (not code): changelog: <code>CHANGES.md</code>; lock: <code>poetry.lock</code>"
        in text
    )


def test_details_explain_the_model_and_the_levels():
    text = render_markdown(sample_review())
    start = text.index("<details>\n<summary>How this score is computed")
    details = text[start : text.index("</details>", start)]
    assert "<summary>How this score is computed</summary>" in details
    assert "argus-risk-2026.11-jit" in details
    assert "high from 60%, medium from 35%" in details


def test_user_strings_cannot_break_the_table_or_inject_html():
    review = sample_review()
    symbol = replace(review.symbols[0], path=EVIL_PATH, name="f|`g`<img src=x>")
    bug = replace(review.bugs[0], path=EVIL_PATH, message="a | b <b>bold</b> `code` @octocat")
    text = render_markdown(replace(review, symbols=(symbol,), bugs=(bug,), warnings=("<hr>|",)))
    assert (
        "<script>" not in text and "<img" not in text and "<b>" not in text and "<hr>" not in text
    )
    assert "&lt;script&gt;" in text
    symbol_row = table_rows(text, SYMBOL_HEADER)[0]
    bug_item = bug_items(text)[0]
    message = text.splitlines()[text.splitlines().index(bug_item) + 1]
    assert unescaped_pipes(symbol_row) == 6
    assert unescaped_pipes(message) == 0
    assert "a \\| b &lt;b&gt;bold&lt;/b&gt; <code>code</code>" in message
    assert "@octocat" not in text  # a word joiner keeps GitHub from notifying anyone


def test_escape_neutralises_markdown_and_html():
    assert escape("a|b") == "a\\|b"
    assert escape("`x`") == "\\`x\\`"
    assert escape("<b>&") == "&lt;b&gt;&amp;"
    assert escape("*_[x]_*") == "\\*\\_\\[x\\]\\_\\*"
    assert escape("two\nlines") == "two lines"
    assert escape("x" * 20, limit=10) == "x" * 9 + "\N{HORIZONTAL ELLIPSIS}"


def test_link_for_turns_locations_into_links():
    def link_for(path: str, line: int) -> str | None:
        if path.endswith(".ts"):
            return None
        return f"https://example.test/blob/abc/{path}#L{line}"

    text = render_markdown(sample_review(), ReportOptions(link_for=link_for))
    assert (
        "[<code>billing/invoice.py:42</code>](<https://example.test/blob/abc/billing/invoice.py#L42>)"
        in text
    )
    assert "| <code>web/static/app.ts:10</code> |" in text


def test_riskiest_table_is_capped_with_a_count_of_the_rest():
    symbols = tuple(
        SymbolRisk(
            path="pkg/mod.py",
            name=f"function_{index}",
            kind="function",
            language="python",
            start_line=index + 1,
            end_line=index + 2,
            probability=0.5,
            level=RiskLevel.MEDIUM,
        )
        for index in range(13)
    )
    text = render_markdown(replace(sample_review(), symbols=symbols), ReportOptions(max_symbols=5))
    assert len(table_rows(text, SYMBOL_HEADER)) == 5
    assert "\N{HORIZONTAL ELLIPSIS}and 8 more" in text


def many_bugs(count: int) -> tuple[BugFinding, ...]:
    return tuple(
        BugFinding(
            rule_id="PY006",
            path=f"app/queries/module_{index}.py",
            line=index + 1,
            message="SQL built with string formatting: " + "user-controlled value " * 20,
            confidence=0.8,
            language="python",
        )
        for index in range(count)
    )


def test_comment_stays_within_githubs_limit_and_says_it_was_shortened():
    review = replace(sample_review(), bugs=many_bugs(3000))
    text = render_markdown(review, ReportOptions(max_bugs=3000))
    assert len(text) <= GITHUB_COMMENT_LIMIT
    assert "Shortened to fit the comment limit of 65,536 characters" in text
    shown = len(bug_items(text))
    assert 50 < shown < 3000
    assert f"{3000 - shown} findings not shown" in text
    assert text.rstrip().endswith("</details>")


def test_a_smaller_limit_is_respected_even_when_rows_are_not_enough():
    review = replace(sample_review(), warnings=tuple(f"warning {i} " * 30 for i in range(20)))
    text = render_markdown(review, ReportOptions(max_chars=2_000))
    assert len(text) <= 2_000
    assert text.startswith(MARKER)
    assert "comment limit" in text


def test_a_comment_under_the_limit_is_not_shortened():
    text = render_markdown(sample_review())
    assert "Shortened" not in text and "comment limit" not in text


def test_empty_review_says_there_is_nothing_to_review():
    text = render_markdown(empty_review())
    assert text.startswith(MARKER)
    assert "### ⚪ No changes to review" in text
    assert "#### Riskiest changes" not in text and "#### Predicted bugs" not in text


def test_file_level_changes_are_named_as_such():
    review = sample_review()
    top_level = replace(review.symbols[0], name="(file)", kind="file")
    text = render_markdown(replace(review, symbols=(top_level,)))
    assert "<em>top level of the file</em>" in text


def test_extra_sections_go_before_the_details_and_count_in_the_limit():
    section = "#### What changed since the last report\n\n" + "- a line of the section\n" * 40
    plain = render_markdown(sample_review())
    text = render_markdown(sample_review(), ReportOptions(sections=(section,)))
    assert text.index(section) < text.index("<summary>How this score is computed</summary>")
    assert text.index(section) > text.index("#### Changes that matter")
    assert text.replace(section + "\n\n", "") == plain
    limited = render_markdown(sample_review(), ReportOptions(sections=(section,), max_chars=2_000))
    assert len(limited) <= 2_000 and section in limited


def test_a_risky_change_whose_risk_is_spread_names_where_a_fix_would_land():
    review = sample_review()
    low = tuple(
        replace(symbol, level=RiskLevel.LOW, probability=0.02 - index / 1000)
        for index, symbol in enumerate(review.symbols)
    )
    spread = replace(review, symbols=low)
    assert spread.level is not RiskLevel.LOW
    text = render_markdown(spread)
    assert "No high- or medium-risk changes." not in text
    heading = text.index("#### Where a fix would most likely land")
    assert f"the 74% risk is spread over {len(low)} changes" in text
    rows = table_rows(text[heading:], SYMBOL_HEADER)
    assert len(rows) == min(3, len(low)) and "2%" in rows[0]
    calm = replace(spread, level=RiskLevel.LOW, probability=0.1)
    assert "No high- or medium-risk changes." in render_markdown(calm)


def test_a_comment_cut_to_no_rows_claims_nothing_about_their_levels():
    text = render_markdown(sample_review(), ReportOptions(max_symbols=0))
    assert "No high- or medium-risk changes." not in text
    assert "<summary>4 changes not shown</summary>" in text
