"""The version is written once (argus/__init__.py); everything that shows one agrees with it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from argus import __version__

ROOT = Path(__file__).resolve().parents[1]


def test_the_extension_carries_the_same_version() -> None:
    manifest = json.loads((ROOT / "vscode-extension" / "package.json").read_text())
    assert manifest["version"] == __version__, "the extension installs the wheel of its version"


def test_the_changelog_has_an_entry_for_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[?{re.escape(__version__)}\]?", changelog, re.MULTILINE)


def test_pyproject_takes_the_version_from_the_package() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert re.search(r'^version = \{ attr = "argus.__version__" \}', pyproject, re.MULTILINE)
    assert not re.search(r'^version\s*=\s*"', pyproject, re.MULTILINE), "a second version"
