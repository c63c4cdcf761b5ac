"""Node.js production errors become regression tests in the project's runner (issue #15).

The events are what the real @sentry/node (includeLocalVariables) sent when the apps of
node_projects.py crashed at their buggy commit (re-record: tests/fixtures/node_crash/record.py).
Each generated test runs in the bubblewrap sandbox with Node: it fails at the buggy commit with
the production error and passes at the fix.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.formats import parse_error
from argus.core.router.ledger import CostLedger
from argus.core.router.prices import load_price_table
from argus.core.router.providers.local import LocalProvider
from argus.core.router.router import Router
from argus.core.store.sqlite import SQLiteStore
from argus.core.testgen.frameworks import Framework
from argus.core.testgen.node_crash import (
    NotReproducible,
    is_node_event,
    reproduce_node_crash,
    to_javascript,
)
from argus.core.testgen.service import GenerationLog, generate_for_error, register_free_tier
from argus.core.testgen.validation import validate
from tests.core.testgen.node_projects import git, make_project, write_files

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "node_crash"


def recorded_event(name: str) -> ErrorEvent:
    lines = (FIXTURES / f"{name}_envelope.bin").read_bytes().split(b"\n")
    assert json.loads(lines[1])["type"] == "event"
    return parse_error(lines[2].decode("utf-8"))


@pytest.fixture
def store() -> Iterator[SQLiteStore]:
    with SQLiteStore.open(":memory:") as opened:
        yield opened


def free_router(store: SQLiteStore) -> Router:
    local = LocalProvider()
    register_free_tier(local)
    return Router([local], load_price_table(), ledger=CostLedger(store))


def test_the_recorded_sdk_event_is_a_node_event_with_frame_variables() -> None:
    event = recorded_event("shop")
    assert event.platform == "node" and is_node_event(event)
    assert event.exception_type == "TypeError"
    crash = event.frames[-1]
    assert crash.function == "applyCoupon" and crash.in_app
    assert crash.vars["coupon"] == "<undefined>"
    assert not event.frames[0].in_app  # node:internal/timers


@pytest.mark.parametrize("name", ["shop", "names"])
def test_the_generated_test_fails_before_and_passes_after_in_the_sandbox(
    tmp_path: Path, name: str
) -> None:
    repo, buggy, fixed = make_project(tmp_path, name)
    event = recorded_event(name)
    assert event.release == buggy  # fixed commit dates: the recorded release is this commit
    candidates = reproduce_node_crash(event, repo, ref=buggy)
    first = candidates[0]
    assert first.language == "javascript" and first.framework == "node_test"
    assert first.path.startswith("test/regression_") and first.path.endswith(".test.js")
    if name == "names":  # an ES module package: the test is an ES module too
        assert "import test from 'node:test';" in first.source
        assert 'subject("Ada  Lovelace", ".")' in first.source
    else:
        assert "require('node:test')" in first.source
        assert "subject({total: 40, items: 2})" in first.source
    result = validate(first, repo, fixed, buggy, runs=2)
    assert result.accepted, (result.rejection, result.detail)
    assert result.fails_before and result.expected_exception_seen and result.passes_on_head
    assert result.isolation is not None and result.isolation.namespaces
    before = next(run for run in result.runs if run.stage == "before")
    assert "TypeError" in before.output


def test_the_service_gives_node_events_their_test(tmp_path: Path, store: SQLiteStore) -> None:
    repo, buggy, fixed = make_project(tmp_path, "shop")
    log = GenerationLog()
    test = generate_for_error(
        recorded_event("shop"),
        repo,
        tenant="acme",
        pattern=None,
        router=free_router(store),
        after=fixed,
        log=log,
    )
    assert test is not None, log.notes
    assert (test.language, test.framework) == ("javascript", "node_test")
    assert test.target_path == "lib/coupons.js" and test.target_symbol == "applyCoupon"
    assert test.validation.fails_before and test.validation.passes_after
    assert test.validation.before == buggy  # from the event's release
    assert test.validation.generator == "node_crash"


def test_a_fixed_head_gets_no_test(tmp_path: Path, store: SQLiteStore) -> None:
    repo, _, fixed = make_project(tmp_path, "shop")
    log = GenerationLog()
    test = generate_for_error(
        recorded_event("shop"),
        repo,
        tenant="acme",
        pattern=None,
        router=free_router(store),
        before=fixed,
        log=log,
    )
    assert test is None
    assert any("does_not_fail_before" in note for note in log.notes), log.notes


def test_an_error_thrown_on_purpose_gets_no_test(tmp_path: Path, store: SQLiteStore) -> None:
    repo, buggy, _ = make_project(tmp_path, "shop")
    write_files(
        repo,
        {
            "lib/coupons.js": (
                "class UnknownCoupon extends Error {}\n"
                "function percent(code) {\n"
                "  if (code !== 'TEN') throw new UnknownCoupon(code);\n"
                "  return 10;\n"
                "}\n"
                "module.exports = { percent, UnknownCoupon };\n"
            )
        },
    )
    git(repo, "commit", "-q", "-am", "coupons")
    event = ErrorEvent(
        "UnknownCoupon",
        "SPRING",
        (Frame("percent", str(repo / "lib/coupons.js"), lineno=3, vars={"code": "SPRING"}),),
        platform="node",
    )
    with pytest.raises(NotReproducible, match="thrown on purpose"):
        reproduce_node_crash(event, repo, ref="HEAD")
    log = GenerationLog()
    test = generate_for_error(
        event, repo, tenant="acme", pattern=None, router=free_router(store), log=log
    )
    assert test is None and any("skipped" in note for note in log.notes)


def test_class_methods_and_runners(tmp_path: Path) -> None:
    repo, buggy, _ = make_project(tmp_path, "shop")
    write_files(
        repo,
        {
            "lib/parser.js": (
                "class Parser {\n"
                "  static parse(text, options) {\n"
                "    return text.trim().length + options.depth;\n"
                "  }\n"
                "  feed(chunk) {\n"
                "    return chunk.length;\n"
                "  }\n"
                "}\n"
                "module.exports = Parser;\n"
            ),
            "package.json": '{"name": "shop", "devDependencies": {"jest": "^29.0.0"}}\n',
        },
    )
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "parser")
    path = str(repo / "lib/parser.js")
    event = ErrorEvent(
        "TypeError",
        "Cannot read properties of undefined (reading 'depth')",
        (Frame("Function.parse", path, lineno=3, vars={"text": "x", "options": "<undefined>"}),),
        platform="node",
    )
    (candidate,) = reproduce_node_crash(event, repo, ref="HEAD")
    assert candidate.framework == str(Framework.JEST)  # from package.json
    assert 'const Owner = pick(target, "Parser");' in candidate.source
    assert 'await Owner["parse"]("x")' in candidate.source
    assert 'require("../lib/parser.js")' in candidate.source
    vitest = reproduce_node_crash(event, repo, ref="HEAD", framework="vitest")[0]
    assert "import { test } from 'vitest';" in vitest.source
    method = ErrorEvent(
        "TypeError",
        "x",
        (Frame("Parser.feed", path, lineno=6, vars={"chunk": "<null>"}),),
        platform="node",
    )
    (feed,) = reproduce_node_crash(method, repo, ref="HEAD")
    assert "new Owner();" in feed.source and 'instance["feed"](null)' in feed.source
    assert "made with no arguments" in feed.source


def test_methods_of_the_exports_object_and_unrecorded_callbacks(tmp_path: Path) -> None:
    repo, _, _ = make_project(tmp_path, "shop")
    write_files(
        repo,
        {
            "lib/app.js": (
                "var app = exports = module.exports = {};\n"
                "app.render = function render(name, options, callback) {\n"
                "  callback(null, name + options._locals);\n"
                "};\n"
            )
        },
    )
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "app")
    frame = Frame(
        "Function.render",
        str(repo / "lib/app.js"),
        lineno=3,
        vars={"name": "user.tmpl", "options": "<null>"},  # the SDK leaves functions out
    )
    event = ErrorEvent("TypeError", "x", (frame,), platform="node")
    (candidate,) = reproduce_node_crash(event, repo, ref="HEAD")
    assert "const holder = target.default ?? target;" in candidate.source
    assert 'holder["render"]("user.tmpl", null, () => {})' in candidate.source
    assert "held a function" in candidate.source


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (
            Frame("applyCoupon", "/srv/app/lib/coupons.js", lineno=5, vars={}),
            "no local variables",
        ),
        (
            Frame("applyCoupon", "/srv/app/lib/coupons.js", lineno=5, vars={"order": "<Order>"}),
            "instance of Order cannot be rebuilt",
        ),
        (Frame("x", "/srv/other/elsewhere.js", lineno=1, vars={"a": 1}), "not in the repository"),
        (Frame("checkout", "/srv/app/lib/coupons.js", lineno=99, vars={"a": 1}), "no function"),
    ],
)
def test_bad_frames_say_why(tmp_path: Path, frame: Frame, reason: str) -> None:
    repo, buggy, _ = make_project(tmp_path, "shop")
    event = ErrorEvent("TypeError", "boom", (frame,), platform="node")
    with pytest.raises(NotReproducible, match=reason):
        reproduce_node_crash(event, repo, ref=buggy)


def test_recorded_values_become_javascript() -> None:
    assert to_javascript("<undefined>") == ("undefined", True)
    assert to_javascript("<NaN>") == ("NaN", True)
    assert to_javascript('a"b') == ('"a\\"b"', True)
    assert to_javascript("<b>") == ('"<b>"', True)  # lower case: HTML, not a class marker
    assert to_javascript("{'a': 1, 'x-y': None, '__proto__': 2}") == (
        '{a: 1, "x-y": null, ["__proto__"]: 2}',
        False,
    )
    assert to_javascript('{"a":1}') == ('"{\\"a\\":1}"', True)  # a JSON string stays a string
    assert to_javascript("[1, 'x', None]") == ('[1, "x", null]', False)
    with pytest.raises(NotReproducible):
        to_javascript("<Parser>")


ROUTER = (
    "'use strict';\n"
    "class Router {\n"
    "  constructor() { this.routes = {}; }\n"
    "  use(path, handler) { this.routes[path] = handler; }\n"
    "  handle(req) {\n"
    "    const handler = this.routes[req.url];\n"
    "    return handler(req.method.toLowerCase());\n"
    "  }\n"
    "}\n"
    "module.exports = Router;\n"
)
ROUTER_SPEC = (
    "var assert = require('assert');\n"
    "var Router = require('../../lib/router');\n"
    "describe('Router', function () {\n"
    "  var router;\n"
    "  beforeEach(function () {\n"
    "    router = new Router();\n"
    "  });\n"
    "  it('handles a request', function () {\n"
    "    router.use('/home', function (method) { return method; });\n"
    "    assert.ok(router.routes['/home']);\n"
    "    assert.strictEqual(router.handle({ url: '/home', method: 'GET' }), 'get');\n"
    "  });\n"
    "});\n"
)


def test_a_method_runs_on_a_receiver_set_up_as_the_project_tests_do(tmp_path: Path) -> None:
    repo, _, _ = make_project(tmp_path, "shop")
    write_files(repo, {"lib/router.js": ROUTER, "test/unit/router.spec.js": ROUTER_SPEC})
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "router")
    buggy = git(repo, "rev-parse", "HEAD")
    write_files(
        repo,
        {"lib/router.js": ROUTER.replace("req.method.toLowerCase()", "(req.method || '').x")},
    )
    git(repo, "commit", "-q", "-am", "a request without a method")
    fixed = git(repo, "rev-parse", "HEAD")
    frame = Frame(
        "Router.handle", str(repo / "lib/router.js"), lineno=7, vars={"req": {"url": "/home"}}
    )
    event = ErrorEvent("TypeError", "x", (frame,), platform="node")
    harnessed, fresh = reproduce_node_crash(event, repo, ref=buggy)
    # The suite's hook and the test's statements before the call, less its assertion; the
    # require is rewritten for the generated test's folder.
    assert "router = new Router();" in harnessed.source
    assert "router.use('/home'" in harnessed.source
    assert "require('../lib/router')" in harnessed.source
    assert "assert.ok" not in harnessed.source
    assert 'await router["handle"]({url: "/home"})' in harnessed.source
    assert "handles a request" in harnessed.source  # the test it came from, in a note
    result = validate(harnessed, repo, fixed, buggy)
    assert result.accepted, (result.rejection, result.detail)
    # On a fresh `new Router()` there is no route: the call fails after the fix too.
    assert "new Owner();" in fresh.source
    assert not validate(fresh, repo, fixed, buggy).accepted


RUNNERS = ("jest@29.7.0", "vitest@2.1.9")


def runner_modules() -> Path:
    """A ``node_modules`` with Jest and Vitest from the npm registry, installed once into the
    cache (``$ARGUS_TEST_NPM``, default ``~/.cache/argus-test-npm``)."""
    cache = Path(os.environ.get("ARGUS_TEST_NPM", Path.home() / ".cache" / "argus-test-npm"))
    folder = cache / "runners"
    ready = folder / ("ready-" + "-".join(RUNNERS))
    if not ready.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is not installed: Jest and Vitest come from the npm registry")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_text('{"name": "argus-test-runners", "private": true}\n')
        command = [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", *RUNNERS]
        subprocess.run(command, cwd=folder, check=True, capture_output=True, timeout=900)
        ready.write_text("ok\n")
    return folder / "node_modules"


@pytest.mark.parametrize("runner", ["jest", "vitest"])
def test_the_generated_test_runs_under_jest_and_vitest(tmp_path: Path, runner: str) -> None:
    repo, buggy, fixed = make_project(tmp_path, "shop")
    (repo / "node_modules").symlink_to(runner_modules(), target_is_directory=True)
    first = reproduce_node_crash(recorded_event("shop"), repo, ref=buggy, framework=runner)[0]
    assert first.framework == runner
    result = validate(first, repo, fixed, buggy, runs=1)
    assert result.accepted, (result.rejection, result.detail)
    before = next(run for run in result.runs if run.stage == "before")
    after = next(run for run in result.runs if run.stage != "before")
    assert "TypeError" in before.output and not before.passed
    # The runner's own summary (node --test would print "# pass 1"): it ran the test.
    assert after.passed and re.search(r"Tests:?\s+1 passed", after.output), after.output


def test_a_value_the_sdk_filtered_out_becomes_a_placeholder(tmp_path: Path) -> None:
    repo, buggy, _ = make_project(tmp_path, "shop")
    frame = Frame(
        "applyCoupon",
        str(repo / "lib/coupons.js"),
        lineno=5,
        vars={"order": {"total": 40}, "coupon": "[Filtered]"},  # a name that looks secret
    )
    event = ErrorEvent("TypeError", "x", (frame,), platform="node")
    (candidate,) = reproduce_node_crash(event, repo, ref=buggy)
    assert 'subject({total: 40}, "argus-placeholder-coupon")' in candidate.source
    assert "`coupon` was filtered out by the SDK" in candidate.source


MIME = (
    "function lookup(name) { return { json: 'application/json' }[name] || false; }\n"
    "function contentType(type) {\n"
    "  if (typeof type !== 'string') return false;\n"
    "  if (type.indexOf('/') < 0) type = lookup(type);\n"
    "  return type.indexOf('charset') < 0 ? type + '; charset=utf-8' : type;\n"
    "}\n"
    "module.exports = { contentType };\n"
)


def test_a_reassigned_parameter_is_replayed_from_the_callers_line(tmp_path: Path) -> None:
    repo, _, _ = make_project(tmp_path, "shop")
    write_files(repo, {"lib/mime.js": MIME})
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "mime")
    buggy = git(repo, "rev-parse", "HEAD")
    fixed_source = MIME.replace(
        "type = lookup(type);\n", "type = lookup(type);\n  if (!type) return false;\n"
    )
    write_files(repo, {"lib/mime.js": fixed_source})
    git(repo, "commit", "-q", "-am", "unknown types")
    fixed = git(repo, "rev-parse", "HEAD")
    caller = Frame(
        "Context.<anonymous>",
        "/srv/app/test/mime.test.js",  # the fix's test: not in the repository
        lineno=7,
        context_line="    assert.equal(set('unknown'), false)",  # `set` aliases contentType
    )
    crash = Frame("contentType", str(repo / "lib/mime.js"), lineno=5, vars={"type": False})
    event = ErrorEvent(
        "TypeError", "type.indexOf is not a function", (caller, crash), platform="node"
    )
    replayed, recorded = reproduce_node_crash(event, repo, ref=buggy)
    assert 'subject("unknown")' not in replayed.source and "subject('unknown')" in replayed.source
    assert "the arguments are the caller's" in replayed.source
    assert "subject(false)" in recorded.source and "reassigned" in recorded.source
    assert validate(replayed, repo, fixed, buggy).accepted
    assert not validate(recorded, repo, fixed, buggy).accepted


SELECT = (
    "function load(html) {\n"
    "  return function $(selector) {\n"
    "    return { first: selector ? { id: html } : undefined, prop(name) {\n"
    "      return this.first[name];\n"
    "    } };\n"
    "  };\n"
    "}\n"
    "module.exports = { load };\n"
)
SELECT_SPEC = (
    "var assert = require('assert');\n"
    "var lib = require('../lib/select');\n"
    "describe('$', function () {\n"
    "  var $;\n"
    "  beforeEach(function () {\n"
    "    $ = lib.load('x');\n"
    "  });\n"
    "  it('reads an id', function () {\n"
    "    assert.strictEqual($('a').prop('id'), 'x');\n"
    "  });\n"
    "});\n"
)


def test_a_tests_own_call_is_replayed_in_the_setup_of_its_file(tmp_path: Path) -> None:
    repo, _, _ = make_project(tmp_path, "shop")
    write_files(repo, {"lib/select.js": SELECT, "test/select.spec.js": SELECT_SPEC})
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "select")
    buggy = git(repo, "rev-parse", "HEAD")
    guarded = SELECT.replace("this.first[name]", "this.first ? this.first[name] : undefined")
    write_files(repo, {"lib/select.js": guarded})
    git(repo, "commit", "-q", "-am", "an empty selection")
    fixed = git(repo, "rev-parse", "HEAD")
    # The fix's new test, as the event recorded its line; the method's frame has no variables.
    caller = Frame(
        "Context.<anonymous>",
        "/srv/app/test/select.spec.js",
        lineno=11,
        context_line="    assert.strictEqual($(undefined).prop('id'), undefined);",
    )
    crash = Frame("Object.prop", "/srv/app/lib/select.js", lineno=4, vars={})
    event = ErrorEvent("TypeError", "x", (caller, crash), platform="node")
    (candidate,) = reproduce_node_crash(event, repo, ref=buggy)
    assert "$ = lib.load('x');" in candidate.source
    assert "require('../lib/select')" in candidate.source
    assert "const result = await $(undefined).prop('id');" in candidate.source
    assert "assert.strictEqual($('a')" not in candidate.source  # the old test's body is not run
    result = validate(candidate, repo, fixed, buggy)
    assert result.accepted, (result.rejection, result.detail)
