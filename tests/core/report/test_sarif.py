import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from argus.core.predict.findings import BugFinding, Edit, Fix
from argus.core.report.options import ReportOptions, RuleInfo
from argus.core.report.sarif import (
    RISK_RULE_ID,
    artifact_uri,
    describe_rules,
    pascal_case,
    render_sarif,
    sarif_log,
)
from tests.core.report import sarif_multitool
from tests.core.report.sample import empty_review, sample_review
from tests.core.report.snapshots import assert_matches_snapshot

OPTIONS = ReportOptions(tool_version="0.1.0")
# The official SARIF 2.1.0 schema, as shipped in npm @microsoft/sarif-multitool-linux 5.7.0.
SARIF_SCHEMA = Path(__file__).resolve().parents[2] / "fixtures" / "sarif" / "sarif-2.1.0.json"


def review_with_a_fix():
    review = sample_review()
    fixed = replace(
        review.bugs[0],
        rule_id="PY004",
        fix=Fix(
            "Compare with `is`",
            (Edit(42, 8, 42, 10, "is"),),
            42,
            42,
            "if a is None:",
            "if a == None:",
        ),
    )
    return replace(review, bugs=(fixed, *review.bugs[1:]))


def test_a_mechanical_fix_becomes_sarif_fixes():
    (result,) = [
        r
        for r in run_of(sarif_log(review_with_a_fix(), OPTIONS))["results"]
        if r["ruleId"] == "PY004"
    ]
    (fix,) = result["fixes"]
    assert fix["description"]["text"] == "Compare with is."
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "billing/invoice.py"
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 42, "startColumn": 8, "endLine": 42, "endColumn": 10},
            "insertedContent": {"text": "is"},
        }
    ]


def run_of(log: dict) -> dict:
    (run,) = log["runs"]
    return run


def test_sarif_matches_snapshot():
    assert_matches_snapshot("review.sarif", render_sarif(sample_review(), OPTIONS))


@pytest.mark.parametrize(
    "review, options",
    [
        (sample_review(), OPTIONS),
        (sample_review(), replace(OPTIONS, include_low_risk=True, source_root="/src/my repo")),
        (empty_review(), OPTIONS),
        (review_with_a_fix(), OPTIONS),
    ],
    ids=["sample", "low-risk-and-root", "empty", "fix"],
)
def test_output_validates_against_the_sarif_schema(review, options):
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    validator.validate(json.loads(render_sarif(review, options)))


@pytest.mark.parametrize(
    "review", [sample_review(), empty_review(), review_with_a_fix()], ids=["sample", "empty", "fix"]
)
def test_microsoft_sarif_validator_reports_no_errors_or_warnings(review, tmp_path):
    from argus.core.predict.rules import registered_rules

    sarif_file = tmp_path / "review.sarif"
    options = replace(OPTIONS, include_low_risk=True, rules=describe_rules(registered_rules()))
    sarif_file.write_text(render_sarif(review, options), encoding="utf-8")
    problems = sarif_multitool.validate(sarif_file, tmp_path / "validation.sarif")
    assert [
        (problem["ruleId"], problem["message"].get("text", problem["message"]))
        for problem in problems
    ] == []


def test_the_validator_does_catch_a_broken_log(tmp_path):
    # Guards the test above against a validator that would accept anything.
    log = sarif_log(sample_review(), OPTIONS)
    del run_of(log)["tool"]["driver"]["rules"][0]["help"]
    sarif_file = tmp_path / "broken.sarif"
    sarif_file.write_text(json.dumps(log), encoding="utf-8")
    problems = sarif_multitool.validate(sarif_file, tmp_path / "validation.sarif")
    assert any(problem["ruleId"] == "GH2012" for problem in problems)


def test_header_driver_and_invocation():
    log = sarif_log(sample_review(), OPTIONS)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    run = run_of(log)
    driver = run["tool"]["driver"]
    assert driver["name"] == "Argus"
    assert driver["semanticVersion"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    assert run["invocations"][0]["executionSuccessful"] is True
    assert "%SRCROOT%" in run["originalUriBaseIds"]


def test_levels_follow_confidence_and_risk_and_never_error():
    results = run_of(sarif_log(sample_review(), OPTIONS))["results"]
    by_rule = {}
    for result in results:
        by_rule.setdefault(result["ruleId"], []).append(result)
    assert by_rule["PY001"][0]["level"] == "warning"  # confidence 0.91
    assert by_rule["GO001"][0]["level"] == "warning"  # 0.77
    assert by_rule["PY003"][0]["level"] == "note"  # 0.64
    risks = {result["properties"]["symbol"]: result for result in by_rule[RISK_RULE_ID]}
    assert risks["Invoice.total"]["level"] == "warning"
    assert risks["Invoice.total"]["properties"]["risk"] == 0.8123
    assert risks["apply_discount"]["level"] == "note"
    assert "renderCart" not in risks  # low risk is left out by default
    assert all(result["level"] != "error" for result in results)


def test_low_risk_symbols_can_be_included():
    options = replace(OPTIONS, include_low_risk=True)
    results = run_of(sarif_log(sample_review(), options))["results"]
    symbols = [r["properties"]["symbol"] for r in results if r["ruleId"] == RISK_RULE_ID]
    assert "renderCart" in symbols


def test_rules_are_those_that_produced_results_and_indices_match():
    run = run_of(sarif_log(sample_review(), OPTIONS))
    rules = run["tool"]["driver"]["rules"]
    assert sorted(rule["id"] for rule in rules) == sorted(["PY001", "GO001", "PY003", RISK_RULE_ID])
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    rule = next(rule for rule in rules if rule["id"] == "PY001")
    assert rule["name"] == "MutableDefaultArgument"
    assert rule["helpUri"].endswith("docs/rules.md#py001")
    # Findings of a rule the caller did not describe say what they can about it themselves.
    assert rule["fullDescription"]["text"].startswith("Mutable default argument.")
    assert rule["defaultConfiguration"]["level"] == "warning"
    assert rule["properties"]["precision"] == "very-high"
    assert "argus" in rule["properties"]["tags"]


def test_rule_descriptions_given_by_the_caller_are_used():
    info = RuleInfo(
        name="MutableDefault",
        short_description="Mutable default argument",
        full_description="A list or dict default is created once and shared by every call",
        precision="high",
        tags=("correctness", "python"),
    )
    options = replace(OPTIONS, rules={"PY001": info})
    rules = run_of(sarif_log(sample_review(), options))["tool"]["driver"]["rules"]
    rule = next(rule for rule in rules if rule["id"] == "PY001")
    assert rule["name"] == "MutableDefault"
    assert rule["fullDescription"]["text"].startswith("A list or dict default is created once")
    assert rule["properties"] == {"precision": "high", "tags": ["argus", "correctness", "python"]}


def test_locations_are_relative_to_the_source_root_with_regions():
    results = run_of(sarif_log(sample_review(), OPTIONS))["results"]
    first = results[0]
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "billing/invoice.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {
        "startLine": 42,
        "startColumn": 25,
        "endLine": 42,
        "endColumn": 37,
        "snippet": {"text": "    def total(self, items=[]):"},
    }


def test_paths_become_uri_references():
    assert artifact_uri("src/my file|x.py") == "src/my%20file%7Cx.py"
    assert artifact_uri("./a\\b.py") == "a/b.py"
    assert artifact_uri("100%.py") == "100%25.py"


def fingerprint(bug: BugFinding) -> str:
    review = replace(sample_review(), bugs=(bug,), symbols=())
    (result,) = run_of(sarif_log(review, OPTIONS))["results"]
    return result["partialFingerprints"]["primaryLocationLineHash"]


def test_fingerprints_follow_the_line_text_not_the_line_number():
    bug = sample_review().bugs[1]
    assert fingerprint(bug) == fingerprint(replace(bug, line=90, end_line=90))
    assert fingerprint(bug) == fingerprint(replace(bug, snippet="  def  total(self, items=[]): "))
    assert fingerprint(bug) != fingerprint(replace(bug, snippet="def other(items=[]):"))
    assert fingerprint(bug) != fingerprint(replace(bug, path="billing/other.py"))
    assert fingerprint(bug).endswith(":1")


def test_equal_lines_get_distinct_occurrence_numbers():
    bug = sample_review().bugs[1]
    review = replace(sample_review(), bugs=(bug, replace(bug, line=50, end_line=50)), symbols=())
    hashes = [
        result["partialFingerprints"]["primaryLocationLineHash"]
        for result in run_of(sarif_log(review, OPTIONS))["results"]
    ]
    assert sorted(hash.split(":")[1] for hash in hashes) == ["1", "2"]
    assert len({hash.split(":")[0] for hash in hashes}) == 1


def test_results_are_capped_keeping_the_most_severe():
    bugs = tuple(
        BugFinding(
            rule_id="PY006",
            path=f"q/m{index}.py",
            line=1,
            message="SQL built with string formatting",
            confidence=0.5 + index / 100,
            language="python",
        )
        for index in range(40)
    )
    review = replace(sample_review(), bugs=bugs, symbols=())
    run = run_of(sarif_log(review, replace(OPTIONS, max_results=10)))
    assert len(run["results"]) == 10
    assert min(result["properties"]["confidence"] for result in run["results"]) == 0.8
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("30 less severe results were left out" in note["message"]["text"] for note in notes)


def test_messages_are_one_line_and_bounded():
    bug = replace(sample_review().bugs[0], message="line one\nline two " + "x" * 5000)
    review = replace(sample_review(), bugs=(bug,), symbols=())
    (result,) = run_of(sarif_log(review, OPTIONS))["results"]
    text = result["message"]["text"]
    assert "\n" not in text and len(text) <= 1000


def test_warnings_become_tool_notifications():
    notes = run_of(sarif_log(sample_review(), OPTIONS))["invocations"][0]
    assert notes["toolExecutionNotifications"] == [
        {
            "level": "warning",
            "message": {"text": "web/static/vendor.min.js: skipped, file larger than 1 MB."},
        }
    ]


def test_empty_review_says_there_is_nothing_to_review():
    run = run_of(sarif_log(empty_review(), OPTIONS))
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["message"]["text"] == "No changes to review."


def test_source_root_is_an_absolute_directory_uri():
    run = run_of(sarif_log(sample_review(), replace(OPTIONS, source_root="/src/my repo")))
    assert run["originalUriBaseIds"]["%SRCROOT%"] == {"uri": "file:///src/my%20repo/"}


def test_pascal_case_names():
    assert pascal_case("mutable default argument") == "MutableDefaultArgument"
    assert pascal_case("PY-MUTABLE-DEFAULT") == "PyMutableDefault"
    assert pascal_case("3 things") == "Rule3Things"


def test_rules_from_the_registry_describe_every_registered_rule():
    from argus.core.predict.rules import registered_rules

    registry = registered_rules()
    infos = describe_rules(registry)
    assert set(infos) == {rule.id for rule in registry}
    rule = registry[0]
    info = infos[rule.id]
    assert info.full_description == rule.why and info.short_description == rule.title
    assert info.name[:1].isupper() and info.name.isalnum()
    assert info.precision in ("very-high", "high", "medium", "low")
    assert len(("argus", *info.tags)) <= 20  # GitHub rejects rules with more tags


def test_risk_messages_name_the_symbol_or_the_file():
    review = sample_review()
    top_level = replace(review.symbols[0], name="(file)", kind="file")
    review = replace(review, symbols=(review.symbols[1], top_level), bugs=())
    messages = [r["message"]["text"] for r in run_of(sarif_log(review, OPTIONS))["results"]]
    assert messages[0].startswith(
        "High risk (81%) that this change to method 'Invoice.total' introduces a bug: "
        "complexity rose from 18 to 27;"
    )
    assert messages[1].startswith(
        "Medium risk (44%) that this change to the top level of this file"
    )


def test_changelogs_lock_files_and_docs_get_no_sarif_result():
    review = sample_review()
    top = review.symbols[1]
    non_code = tuple(
        replace(top, path=path, name="(file)", kind="file")
        for path in ("CHANGES.md", "poetry.lock", "docs/index.rst", "src/_vendor/six.py")
    )
    log = sarif_log(replace(review, symbols=(*non_code, *review.symbols)), OPTIONS)
    paths = {
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for result in run_of(log)["results"]
    }
    assert paths and not paths & {
        "CHANGES.md",
        "poetry.lock",
        "docs/index.rst",
        "src/_vendor/six.py",
    }
