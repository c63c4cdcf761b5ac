"""`argus patterns show` shows the code of the regression tests stored for a pattern."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from argus.cli import main
from argus.core.patterns.service import open_service

TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/app/orders/pricing.py", line 95, in price_order\n'
    "    rate = tier_rate(total) / count\n"
    "ZeroDivisionError: division by zero\n"
)
CODE = "def test_price_order_with_no_items():\n    assert price_order([]) == 0\n"


def test_show_prints_the_stored_test_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ARGUS_HOME", str(tmp_path))
    report = tmp_path / "traceback.txt"
    report.write_text(TRACEBACK)
    assert main(["ingest", str(report), "--format", "json"]) == 0
    pattern_id = json.loads(capsys.readouterr().out)["pattern"]["id"]
    with open_service(tmp_path / "argus.db") as service:
        service.record_test(
            "local", pattern_id, "test_price_order_with_no_items", framework="pytest", code=CODE
        )

    assert main(["patterns", "show", pattern_id]) == 0
    text = capsys.readouterr().out
    assert "test_price_order_with_no_items (pytest" in text
    assert "      def test_price_order_with_no_items():" in text
    assert "          assert price_order([]) == 0" in text

    assert main(["patterns", "show", pattern_id, "--format", "json"]) == 0
    [test] = json.loads(capsys.readouterr().out)["tests"]
    assert test["code"] == CODE
