"""The real-crash corpus: the capture plugin, the crash filter, and the stored recipes."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from argus.core.patterns.formats import parse_error

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "benchmarks" / "real_crashes"


def load_builder():
    spec = importlib.util.spec_from_file_location("real_crashes_build", CORPUS / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["real_crashes_build"] = module
    spec.loader.exec_module(module)
    return module


build = load_builder()

PROJECT = {
    "shop/__init__.py": "",
    "shop/lines.py": "def last(items):\n    position = len(items)\n    return items[position]\n",
    "tests/test_lines.py": (
        "from shop.lines import last\n\n\n"
        "def test_last():\n    assert last(['a', 'b']) == 'b'\n\n\n"
        "def test_wrong_answer():\n    assert 1 == 2\n"
    ),
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name, text in PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_a_crashing_test_is_captured_by_the_real_sdk_with_its_variables(project: Path) -> None:
    verdicts, records = build.run_tests(
        Path(sys.executable), project, ["tests/test_lines.py"], ".", "shop"
    )
    assert verdicts == {
        "tests/test_lines.py::test_last": "failed",
        "tests/test_lines.py::test_wrong_answer": "failed",
    }
    # The assertion failure is no crash: only the IndexError was sent.
    (record,) = records
    assert record["nodeid"] == "tests/test_lines.py::test_last"
    event = record["event"]
    assert build.crash_site(event, project) == "shop/lines.py"
    frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
    assert frames[-1]["function"] == "last"
    assert frames[-1]["vars"] == {"items": ["'a'", "'b'"], "position": "2"}
    cleaned = build.clean(event, project, Path(sys.executable))
    text = json.dumps(cleaned)
    assert str(project) not in text and "/srv/app/shop/lines.py" in text
    parsed = parse_error(text)
    assert parsed.exception_type == "IndexError" and parsed.frames[-1].vars["position"] == "2"


def test_a_crash_raised_in_the_test_itself_is_not_a_crash_of_the_project(project: Path) -> None:
    event = {
        "exception": {
            "values": [
                {
                    "type": "TypeError",
                    "stacktrace": {
                        "frames": [{"abs_path": f"{project}/tests/test_lines.py", "in_app": True}]
                    },
                }
            ]
        }
    }
    assert build.crash_site(event, project) is None
    event["exception"]["values"][0]["type"] = "ImportError"
    event["exception"]["values"][0]["stacktrace"]["frames"][0]["abs_path"] = (
        f"{project}/shop/lines.py"
    )
    assert build.crash_site(event, project) is None


RECIPES = sorted(CORPUS.glob("*/recipe.json"))


def test_the_corpus_has_at_least_forty_crashes_of_several_projects() -> None:
    projects = {json.loads(path.read_text())["project"] for path in RECIPES}
    assert len(RECIPES) >= 40 and len(projects) >= 4


@pytest.mark.parametrize("recipe", RECIPES, ids=[path.parent.name for path in RECIPES])
def test_every_recipe_names_its_commits_its_test_and_an_event_the_parser_reads(
    recipe: Path,
) -> None:
    data = json.loads(recipe.read_text())
    assert len(data["buggy"]) == 40 and len(data["fixed"]) == 40
    assert "::" in data["test"] and data["exception"]
    event = parse_error((recipe.parent / "event.json").read_text())
    assert event.exception_type.rsplit(".", 1)[-1] == data["exception"].rsplit(".", 1)[-1]
    assert any(frame.vars for frame in event.frames)
    assert "/root/" not in (recipe.parent / "event.json").read_text()
