"""Runs Microsoft's SARIF validator (npm ``@microsoft/sarif-multitool``) installed in tools/sarif.

Install once with ``npm install --prefix tools/sarif @microsoft/sarif-multitool@5.7.0``; the npm
package brings a self-contained Linux/macOS/Windows binary, so no .NET runtime is needed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PREFIX = ROOT / "tools" / "sarif"
INSTALL = "npm install --prefix tools/sarif @microsoft/sarif-multitool@5.7.0"
OPT_OUT = "ARGUS_SKIP_SARIF_MULTITOOL"


def multitool_binary() -> Path:
    """The validator's binary; fails the test (never skips silently) when it is not installed."""
    if os.environ.get(OPT_OUT) == "1":
        pytest.skip(f"{OPT_OUT}=1: SARIF multitool validation explicitly switched off")
    node = shutil.which("node")
    if node is None or not (PREFIX / "node_modules" / "@microsoft" / "sarif-multitool").is_dir():
        pytest.fail(f"the SARIF validator is not installed; run: {INSTALL}")
    # The package's own bin.js goes through a shell, which splits ';'-separated option values.
    found = subprocess.run(
        [node, "-p", "require('@microsoft/sarif-multitool')"],
        cwd=PREFIX,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return Path(found.stdout.strip())


def validate(sarif_file: Path, output: Path) -> list[dict]:
    """Every error and warning the validator reports, SARIF and GitHub rule sets both."""
    completed = subprocess.run(
        [
            str(multitool_binary()),
            "validate",
            "--rule-kind",
            "Sarif;Gh",
            "--level",
            "Error;Warning",
            "--threads",
            "1",
            "--output",
            str(output),
            str(sarif_file),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert output.exists(), completed.stdout + completed.stderr
    log = json.loads(output.read_text(encoding="utf-8-sig"))
    (run,) = log["runs"]
    assert run["invocations"][0]["executionSuccessful"], completed.stdout
    return run.get("results", [])
