from __future__ import annotations

from argus.core.predict.findings import (
    BugFinding,
    Factor,
    GeneratedTest,
    Review,
    RiskLevel,
    SymbolRisk,
    TestValidation,
)
from argus.core.report import MARKER
from argus.github_app.render import (
    check_annotations,
    check_summary,
    comment_body,
    file_link,
    review_summary,
)
from argus.github_app.review_service import NO_HISTORY_NOTE
from tests.core.report.snapshots import assert_matches_snapshot

HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"


def _review(head: str = HEAD, extra_bug: bool = True) -> Review:
    bugs = [
        BugFinding(
            "PY001",
            "app/billing.py",
            12,
            "Default to `None`.",
            0.75,
            "python",
            title="Mutable default argument",
        ),
    ]
    if extra_bug:
        bugs.append(
            BugFinding(
                "PY002",
                "app/billing.py",
                30,
                "Catch what you expect.",
                0.9,
                "python",
                end_line=31,
                title="Bare except",
            )
        )
    return Review(
        probability=0.72,
        level=RiskLevel.HIGH,
        factors=(
            Factor("la", "Adds 120 lines", 0.2, 120.0),
            Factor("nf", "Touches 3 files", 0.1, 3.0),
        ),
        symbols=(
            SymbolRisk(
                "app/billing.py",
                "charge",
                "function",
                "python",
                10,
                40,
                0.81,
                RiskLevel.HIGH,
                (Factor("cc", "Complexity 4 → 9", 0.3),),
            ),
            SymbolRisk("app/util.py", "slug", "function", "python", 3, 8, 0.12, RiskLevel.LOW),
        ),
        bugs=tuple(bugs),
        files_changed=3,
        lines_added=120,
        lines_deleted=7,
        model_version="test-model",
        base="f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
        head=head,
        tests=(
            GeneratedTest(
                "app/billing.py",
                "charge",
                "python",
                "pytest",
                "tests/test_charge.py",
                "def test_charge():\n    assert charge(1) == 1\n",
                "pr_test",
                TestValidation(
                    runs=3,
                    passed_runs=3,
                    changed_lines_covered=8,
                    changed_lines_total=10,
                    tier="local",
                ),
            ),
        ),
    )


LINK = file_link("https://github.com/Codertocat/Hello-World/pull/2", HEAD)


def test_comment_snapshot():
    body = comment_body(_review(), link_for=LINK, history_note=NO_HISTORY_NOTE)
    assert body.startswith(MARKER)
    assert f"https://github.com/Codertocat/Hello-World/blob/{HEAD}/app/billing.py#L12" in body
    assert_matches_snapshot("github-app-comment.md", body)


def test_comment_after_a_push_snapshot():
    previous = review_summary(_review(head="a" * 40, extra_bug=False))
    body = comment_body(
        _review(), link_for=LINK, previous=previous, history_note=NO_HISTORY_NOTE, notes=["A note"]
    )
    assert "Predicted bugs: 1 new, 0 gone, 1 still there" in body
    assert_matches_snapshot("github-app-comment-after-push.md", body)


def test_check_summary_snapshot():
    summary = check_summary(_review(), notes=[".argus.yml could not be used (x); defaults apply"])
    assert_matches_snapshot("github-app-check-summary.md", summary + "\n")


def test_annotations_cover_bugs_and_risky_functions_only():
    found = check_annotations(_review())
    assert [(a["path"], a["start_line"], a["end_line"], a["annotation_level"]) for a in found] == [
        ("app/billing.py", 12, 12, "warning"),
        ("app/billing.py", 30, 31, "failure"),
        ("app/billing.py", 10, 40, "warning"),
    ]
    assert found[2]["title"] == "High risk: charge"
    assert "Complexity 4 → 9" in found[2]["message"]


def test_file_links_quote_paths():
    assert LINK("dir/a b.py", 0).endswith(f"/blob/{HEAD}/dir/a%20b.py#L1")


def test_findings_on_added_lines_become_review_comments_with_suggestions():
    from dataclasses import replace as replaced

    from argus.core.predict.findings import Edit, Fix
    from argus.github_app.render import review_comments

    review = _review()
    first = replaced(
        review.bugs[0],
        rule_id="PY004",
        title="Comparison to None with == or !=",
        message="`a == None` tests for None with `==`. Use `is None`.",
        fix=Fix("Compare with `is`", (Edit(3, 8, 3, 10, "is"),), 3, 3, "    if a is None:", ""),
    )
    first = replaced(first, line=3, end_line=3)
    elsewhere = replaced(first, line=40, end_line=40, fix=None)
    comments = review_comments(
        replaced(review, bugs=(first, elsewhere)), {first.path: frozenset({3, 4})}
    )
    (comment,) = comments  # the finding on an unchanged line gets no review comment
    assert (comment["path"], comment["line"], comment["side"]) == (first.path, 3, "RIGHT")
    assert "<code>a == None</code> tests for None" in comment["body"]
    assert comment["body"].endswith("```suggestion\n    if a is None:\n```")


def test_a_suggestion_too_long_for_a_review_comment_is_left_out():
    from dataclasses import replace as replaced

    from argus.core.predict.findings import Edit, Fix
    from argus.github_app.render import review_comments
    from tests.servers.github_contract import COMMENT_BODY_LIMIT

    minified = "var a=1;" * 10_000 + "if(a==null){}"  # one 80,013-character line
    bug = replaced(
        _review().bugs[0],
        line=3,
        end_line=3,
        fix=Fix("Compare with `is`", (Edit(3, 1, 3, 2, "x"),), 3, 3, minified, ""),
    )
    (comment,) = review_comments(replaced(_review(), bugs=(bug,)), {bug.path: frozenset({3})})
    assert "suggestion" not in comment["body"]
    assert len(comment["body"]) <= COMMENT_BODY_LIMIT


def test_the_comment_renders_as_github_renders_it():
    # cmark-gfm is the renderer GitHub uses for comments: code shows as code, never as
    # escaped backticks, and the lower-risk rows and the model notes are folded.
    import cmarkgfm
    from cmarkgfm.cmark import Options

    body = comment_body(_review())
    html = cmarkgfm.github_flavored_markdown_to_html(body, options=Options.CMARK_OPT_UNSAFE)
    assert "\\`" not in html and "`" not in html.replace("<code>", "").replace("</code>", "")
    assert "<h4>Predicted bugs" in html and "<details>" in html
    assert html.index("<h4>Predicted bugs") < html.index("<details>")
