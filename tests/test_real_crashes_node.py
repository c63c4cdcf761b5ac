"""The real Node crash corpus: the miner's filters, the capture with the real @sentry/node
under mocha, and the stored recipes."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from argus.core.patterns.formats import parse_error
from argus.core.testgen.node_crash import is_node_event

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "benchmarks" / "real_crashes_node"


def load_builder():
    spec = importlib.util.spec_from_file_location("real_crashes_node_build", CORPUS / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["real_crashes_node_build"] = module
    spec.loader.exec_module(module)
    return module


build = load_builder()


def test_the_package_list_leaves_tooling_out(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        json.dumps(
            {
                "dependencies": {"mdurl": "^1.0.1", "local": "file:../x"},
                "devDependencies": {"chai": "^4.2.0", "eslint": "^8", "mocha": "^10", "nyc": "*"},
            }
        )
    )
    assert build.packages_of(tmp_path) == ["mdurl@^1.0.1", "chai@^4.2.0"]


def test_the_projects_mocha_setup_is_preloaded(tmp_path: Path) -> None:
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "mocha.opts").write_text("--require ./test/bootstrap\n--reporter dot\n")
    (tmp_path / ".mocharc.json").write_text('{"require": ["should", "./test/setup.js"]}')
    assert build.project_requires(tmp_path) == [
        str(tmp_path / "test" / "bootstrap"),
        "should",
        str(tmp_path / "test" / "setup.js"),
    ]


def test_a_guard_in_the_fix_is_recognised() -> None:
    assert build._GUARD.search("+  var opts = options || {};\n")
    assert build._GUARD.search("+  if (!coupon) return order.total;\n")
    assert not build._GUARD.search("+  return total / quantity;\n")


def test_a_crashing_mocha_test_is_captured_by_the_real_sdk(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "test").mkdir()
    (tmp_path / "lib" / "cart.js").write_text(
        "exports.total = function total(lines) {\n  return lines[0].item.price;\n};\n"
    )
    (tmp_path / "test" / "cart.js").write_text(
        "const assert = require('assert');\n"
        "const { total } = require('../lib/cart');\n"
        "describe('cart', () => {\n"
        "  it('totals', () => assert.equal(total([{ qty: 1 }]), 0));\n"
        "  it('is wrong', () => assert.equal(1, 2));\n"
        "});\n"
        "setInterval(() => {}, 1000);  // a server or timer left open keeps Node alive\n"
    )
    # Mocha must still stop once the run is over (`--exit`); otherwise it would be killed at
    # the timeout and report nothing.
    states, events = build.run_mocha(tmp_path, ["test/cart.js"], "abc1234", timeout=120)
    assert states == {"cart totals": "failed", "cart is wrong": "failed"}
    crashes = [event for event in events if build.crash_site(event, tmp_path)]
    (event,) = crashes  # the assertion failure is no crash in the project's code
    assert build.crash_site(event, tmp_path) == "lib/cart.js"
    assert event["tags"]["test"] == "cart totals"
    parsed = parse_error(json.dumps(build.portable(event, tmp_path)))
    assert parsed.exception_type == "TypeError" and parsed.release == "abc1234"
    frame = next(frame for frame in parsed.frames if frame.function == "total")
    assert frame.path == "/srv/app/lib/cart.js"
    assert frame.vars["lines"] == str([None])  # an object inside an array is not kept


@pytest.mark.parametrize("folder", sorted(path.parent for path in CORPUS.glob("*/recipe.json")))
def test_each_recipe_has_a_node_event_of_its_crash(folder: Path) -> None:
    recipe = json.loads((folder / "recipe.json").read_text())
    event = parse_error((folder / "event.json").read_text())
    assert recipe["id"] == folder.name and recipe["buggy"] != recipe["fixed"]
    assert is_node_event(event) and event.exception_type == recipe["exception"]
    assert event.release == recipe["buggy"]
    assert any(frame.path.endswith(recipe["crash_site"]) for frame in event.frames)
    assert "/root/" not in (folder / "event.json").read_text()
