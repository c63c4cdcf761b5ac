import json
import math
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from argus.core.errors import ModelError
from argus.core.report.json_report import SCHEMA_ID, render_json, review_schema
from argus.core.report.options import ReportOptions
from tests.core.report.sample import empty_review, sample_review

OPTIONS = ReportOptions(tool_version="0.1.0")


def validate(document: dict) -> None:
    validator = jsonschema.Draft202012Validator(
        review_schema(), format_checker=jsonschema.FormatChecker()
    )
    validator.validate(document)


def test_schema_file_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(review_schema())


@pytest.mark.parametrize("review", [sample_review(), empty_review()], ids=["sample", "empty"])
def test_output_validates_against_the_schema(review):
    validate(json.loads(render_json(review, OPTIONS)))


def test_schema_rejects_a_document_that_breaks_the_contract():
    document = json.loads(render_json(sample_review(), OPTIONS))
    document["symbols"][0]["level"] = "severe"
    with pytest.raises(jsonschema.ValidationError):
        validate(document)
    del document["symbols"][0]["level"]
    document["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        validate(document)


def test_every_schema_property_is_described_in_the_docs():
    docs = (Path(__file__).resolve().parents[3] / "docs" / "json-schema.md").read_text("utf-8")
    schema = review_schema()
    names = set(schema["properties"])
    for definition in schema["$defs"].values():
        names.update(definition.get("properties", {}))
    names.update(schema["properties"]["summary"]["properties"])
    missing = sorted(name for name in names if f"`{name}`" not in docs)
    assert missing == []


def test_keys_come_in_a_fixed_order():
    document = json.loads(render_json(sample_review(), OPTIONS))
    assert list(document) == [
        "schema",
        "tool",
        "model_version",
        "base",
        "head",
        "summary",
        "factors",
        "symbols",
        "bugs",
        "warnings",
    ]
    assert document["schema"] == SCHEMA_ID == "argus.review/v1"
    assert list(document["symbols"][0]) == review_schema()["$defs"]["symbol"]["required"]
    assert list(document["bugs"][0]) == review_schema()["$defs"]["bug"]["required"]


def test_output_is_deterministic_and_ranked():
    review = sample_review()
    shuffled = replace(review, symbols=review.symbols[::-1], bugs=review.bugs[::-1])
    assert render_json(review, OPTIONS) == render_json(shuffled, OPTIONS)
    document = json.loads(render_json(review, OPTIONS))
    assert [symbol["rank"] for symbol in document["symbols"]] == [1, 2, 3, 4]
    assert [symbol["name"] for symbol in document["symbols"]][:2] == [
        "Invoice.total",
        "(*GatewayClient).SubmitPaymentWithRetriesAndIdempotencyKey",
    ]
    assert [bug["confidence"] for bug in document["bugs"]] == [0.91, 0.77, 0.64]


def test_probabilities_are_rounded_to_four_decimals():
    document = json.loads(render_json(sample_review(), OPTIONS))
    assert document["summary"]["probability"] == 0.7412
    assert document["symbols"][0]["probability"] == 0.8123  # from 0.81234


def test_text_is_written_as_utf8_not_escapes():
    assert "\N{EM DASH}" in render_json(sample_review(), OPTIONS)


def test_empty_review_says_there_is_nothing_to_review():
    document = json.loads(render_json(empty_review(), OPTIONS))
    assert document["summary"]["empty"] is True
    assert document["summary"]["headline"] == "No changes to review"
    assert document["symbols"] == [] and document["bugs"] == []


def test_non_finite_numbers_are_refused_with_a_clear_error():
    review = replace(sample_review(), probability=math.nan)
    with pytest.raises(ModelError, match="non-finite"):
        render_json(review, OPTIONS)
