"""--write-tests DIR writes each generated test into DIR itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from argus.core.errors import ConfigError
from argus.core.predict.findings import GeneratedTest
from argus.testgen_wiring import write_test


def generated(path: str) -> GeneratedTest:
    return GeneratedTest(
        target_path="orders/pricing.py",
        target_symbol="unit_price",
        language="python",
        framework="pytest",
        path=path,
        source="def test_unit_price():\n    assert True\n",
        kind="regression_test",
    )


def test_the_test_lands_in_the_directory_given(tmp_path: Path) -> None:
    out = tmp_path / "tests" / "regressions"
    written = write_test(generated("tests/test_regression_unit_price.py"), out)
    assert written == out / "test_regression_unit_price.py"
    assert written.read_text() == "def test_unit_price():\n    assert True\n"
    assert not (out / "tests").exists()


def test_a_path_without_a_file_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file name"):
        write_test(generated(".."), tmp_path)
