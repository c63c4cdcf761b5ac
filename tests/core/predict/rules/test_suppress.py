from textwrap import dedent

import pytest

from argus.core.predict.rules import RuleContext, RuleSelection, registered_rules, run_rules
from argus.core.predict.rules.suppress import eslint_rules_off, file_is_suppressed, is_suppressed

EVERY_RULE = RuleSelection(enable=frozenset(rule.id for rule in registered_rules()))


def lines_of(text: str):
    lines = text.split("\n")
    return lambda number: lines[number - 1] if 1 <= number <= len(lines) else ""


@pytest.mark.parametrize(
    ("rule", "text", "suppressed"),
    [
        ("PY002", "except:  # noqa", True),
        ("PY002", "except:  # noqa pylint: disable=bare-except", True),
        ("PY002", "except:  # noqa: E722", True),
        ("PY002", "except:  # NOQA:E722,E501", True),
        ("PY002", "except:  # noqa: E501", False),
        ("PY002", "except:  # pylint: disable=bare-except", True),
        ("PY002", "except:  # pylint: disable=W0702", True),
        ("PY002", "except:  # pylint: disable=line-too-long", False),
        ("PY003", "except Exception:  # argus: ignore[PY003]", True),
        ("PY003", "except Exception:  # argus: ignore[PY002]", False),
        ("PY003", "except Exception:  # argus: ignore", True),
        ("JS002", "if (a == b) {}  // eslint-disable-line eqeqeq", True),
        ("JS002", "if (a == b) {}  // eslint-disable-line no-empty", False),
        ("JS002", "if (a == b) {}  // eslint-disable-line", True),
        ("GO001", "n, _ := strconv.Atoi(s) //nolint:errcheck", True),
        ("GO001", "n, _ := strconv.Atoi(s) //nolint", True),
        ("GO001", "n, _ := strconv.Atoi(s) //nolint:gosec", False),
        ("JS004", "} catch (e) {}  // argus: ignore[JS004]", True),
    ],
)
def test_a_comment_on_the_line_suppresses_the_rule_it_names(rule, text, suppressed):
    assert is_suppressed(rule, 1, lines_of(text)) is suppressed


@pytest.mark.parametrize(
    ("rule", "above", "suppressed"),
    [
        ("JS002", "// eslint-disable-next-line eqeqeq -- legacy API", True),
        ("JS002", "// eslint-disable-next-line func-names", False),
        ("PY002", "# pylint: disable-next=bare-except", True),
        ("PY003", "# argus: ignore[PY003]", True),
        ("PY003", "x = 1  # argus: ignore[PY003]", False),  # only a comment line covers the next
    ],
)
def test_a_comment_above_covers_the_next_line(rule, above, suppressed):
    assert is_suppressed(rule, 2, lines_of(f"{above}\nthe flagged line")) is suppressed


def test_java_suppress_warnings_on_the_enclosing_method():
    annotations = lambda line: '@SuppressWarnings({"EmptyCatchBlock", "unchecked"})'  # noqa: E731
    assert is_suppressed("JAVA002", 5, lines_of("x"), annotations)
    assert not is_suppressed("JAVA006", 5, lines_of("x"), annotations)


def test_file_wide_switches():
    assert file_is_suppressed(b"# ruff: noqa\nimport os\n")
    assert file_is_suppressed(b"/* eslint-disable */\nvar a = 1;\n")
    assert file_is_suppressed(b'"""Doc."""\n# argus: ignore-file\n')
    assert not file_is_suppressed(b"# ruff: noqa: E501\nimport os\n")
    assert eslint_rules_off(b"x\n/*eslint no-empty:0, eqeqeq: 'off'*/\n") == [
        (2, "no-empty"),
        (2, "eqeqeq"),
    ]


def run(path: str, source: str, language: str = "python"):
    text = dedent(source)
    lines = set(range(1, text.count("\n") + 2))
    context = RuleContext(path=path, language=language, source=text.encode(), changed_lines=lines)
    return [finding.rule_id for finding in run_rules(context, selection=EVERY_RULE)]


def test_runner_drops_suppressed_hits_and_keeps_the_others():
    source = """\
        try:
            a()
        except:  # noqa: E722
            log()
        try:
            b()
        except:
            log()
        """
    assert run("app/sync.py", source) == ["PY002"]


def test_java_annotation_is_read_from_the_tree():
    source = """\
        class A {
          @SuppressWarnings("EmptyCatchBlock")
          void f() {
            try { g(); } catch (Exception e) {}
          }
          void h() {
            try { g(); } catch (Exception e) {}
          }
        }
        """
    assert run("src/main/A.java", source, "java") == ["JAVA002"]


def test_test_data_examples_generated_and_vendored_files_get_no_findings():
    source = "import yaml\nconfig = yaml.load(stream)\n"
    assert run("app/config.py", source) == ["PY012"]
    for path in ("tests/data/case.py", "examples/config.py", "vendor/lib.py", "x_pb2.py"):
        assert run(path, source) == [], path


def test_test_code_gets_only_the_rules_that_matter_in_tests():
    source = """\
        import requests
        def test_fetch():
            requests.get(URL)
            assert (status, "message")
        """
    assert run("tests/test_fetch.py", source) == ["PY007"]
    assert run("app/fetch.py", source) == ["PY013", "PY007"]


def test_a_pylint_disable_alone_on_its_line_covers_the_rest_of_its_block():
    # pylint's own functional-test inputs switch checks off this way (a module-level comment).
    source = dedent(
        """\
        # pylint: disable=missing-docstring,expression-not-assigned
        def negatives(a, b):
            type(a) == type(b)

        def other(a, b):
            a == b
            # pylint: enable=expression-not-assigned
            a != b

        def inner(a, b):
            if a:
                # pylint: disable=pointless-statement
                a < b
            a > b
        """
    ).encode()
    context = RuleContext(
        path="pkg/checks.py", language="python", source=source, changed_lines=set(range(1, 16))
    )
    found = [(f.rule_id, f.line) for f in run_rules(context, selection=EVERY_RULE)]
    assert found == [("PY016", 8), ("PY016", 14)]
