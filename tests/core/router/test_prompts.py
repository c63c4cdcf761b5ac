"""Prompt templates: parsing, rendering, and versions in the ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from argus.core.router.errors import PromptError
from argus.core.router.generation import Outcome, Tier
from argus.core.router.ledger import CostLedger, LedgerEntry
from argus.core.router.prompts import load_prompt, parse_prompt
from argus.core.store.sqlite import SQLiteStore

TEMPLATE = """---
name: demo
version: 1
description: a demo prompt
---
--- system ---
You write {{ language }} tests.
--- user ---
Test this:
{{ function_source }}
Keep {braces} and $dollars as they are.
"""


def write(directory: Path, name: str, version: int, text: str) -> Path:
    folder = directory / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"v{version}.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_render_fills_placeholders_and_leaves_other_braces() -> None:
    template = parse_prompt(TEMPLATE)
    assert template.variables == {"language", "function_source"}
    rendered = template.render(language="Python", function_source="def f(): return {1: 2}")
    assert rendered.system == "You write Python tests."
    assert "def f(): return {1: 2}" in rendered.user
    assert "{braces} and $dollars" in rendered.user
    assert rendered.version == template.version_label
    assert rendered.version.startswith("v1+") and len(rendered.version) == 11


def test_missing_variable_is_a_prompt_error() -> None:
    with pytest.raises(PromptError, match="needs function_source"):
        parse_prompt(TEMPLATE).render(language="Go")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no front matter", "no front matter"),
        ("---\nversion: 1\n---\n--- user ---\nx\n", "no name"),
        ("---\nname: a\nversion: one\n---\n--- user ---\nx\n", "version must be a number"),
        ("---\nname: a\nversion: 1\n---\n--- system ---\nx\n", "no '--- user ---'"),
        ("---\nname: a\nversion: 1\n---\n--- user ---\nx\n--- user ---\ny\n", "appears twice"),
        ("---\nname: a\nversion 1\n---\n--- user ---\nx\n", "not 'key: value'"),
    ],
)
def test_malformed_templates(text: str, message: str) -> None:
    with pytest.raises(PromptError, match=message):
        parse_prompt(text)


def test_load_picks_highest_version_and_checks_names(tmp_path: Path) -> None:
    write(tmp_path, "demo", 1, TEMPLATE)
    write(tmp_path, "demo", 2, TEMPLATE.replace("version: 1", "version: 2"))
    assert load_prompt("demo", directory=tmp_path).version == 2
    assert load_prompt("demo", 1, directory=tmp_path).version == 1
    write(tmp_path, "demo", 3, TEMPLATE)  # file says v3, front matter says 1
    with pytest.raises(PromptError, match="file name says v3"):
        load_prompt("demo", 3, directory=tmp_path)
    with pytest.raises(PromptError, match="no prompt named"):
        load_prompt("absent", directory=tmp_path)


def test_shipped_prompts_load_and_render() -> None:
    for name in ("generate_test", "regression_test"):
        template = load_prompt(name)
        rendered = template.render(**{variable: "x" for variable in template.variables})
        assert "{{" not in rendered.system + rendered.user


def test_an_edited_prompt_file_is_a_new_version_in_the_ledger(tmp_path: Path) -> None:
    path = write(tmp_path, "demo", 1, TEMPLATE)
    with SQLiteStore.open(":memory:") as store:
        ledger = CostLedger(store, now=lambda: datetime(2026, 11, 1, tzinfo=UTC))

        def record_with_current_file() -> str:
            rendered = load_prompt("demo", directory=tmp_path).render(
                language="Python", function_source="def f(): ..."
            )
            ledger.record(
                LedgerEntry(
                    "r",
                    "acme",
                    Tier.LOCAL,
                    "local",
                    "x",
                    Outcome.OK,
                    prompt_name=rendered.name,
                    prompt_version=rendered.version,
                    prompt_hash=rendered.content_hash,
                )
            )
            return rendered.version

        first = record_with_current_file()
        assert record_with_current_file() == first  # unchanged file: same version
        path.write_text(TEMPLATE.replace("Test this:", "Write a test for this:"), encoding="utf-8")
        second = record_with_current_file()

        assert first != second and first.startswith("v1+") and second.startswith("v1+")
        assert ledger.prompt_versions("demo") == [first, second]
        versions_used = [
            row[0]
            for row in store.connection.execute(
                "SELECT prompt_version FROM router_requests ORDER BY id"
            )
        ]
        assert versions_used == [first, first, second]
