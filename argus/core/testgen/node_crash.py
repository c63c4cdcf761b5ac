"""Reproduce a Node.js production error as a regression test, with no model: the free tier.

The Node counterpart of :mod:`argus.core.testgen.crash`. ``@sentry/node`` with
``includeLocalVariables`` records each frame's local variables one level deep: primitives as
themselves, ``undefined``/``null``/``NaN`` as ``"<undefined>"``/``"<null>"``/``"<NaN>"``, an
instance of a class as ``"<ClassName>"``, plain objects and arrays with their primitive members
(deeper members dropped), functions left out. There is no ``this``.

From the innermost in-app frame outwards, the frame's file is found in the repository, its
function located by name and line (tree-sitter), and its parameters rebuilt from the frame's
variables. A frame is callable when its function is reachable from the module's exports (the
module itself, a named export, a static method, or a method of an exported class, whose
instance is made with no arguments) and every parameter could be rebuilt. The test, in the
project's runner (``node:test``, Jest or Vitest), loads the module, calls the function with the
rebuilt values and asserts nothing else: on the buggy code the production error escapes and the
test fails with it; once the bug is fixed the call completes and the test passes.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tree_sitter import Node

from argus.core.errors import ArgusError
from argus.core.lang.languages import parse
from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.normalise import signature_of
from argus.core.testgen.candidate import Candidate, CandidateKind
from argus.core.testgen.frameworks import Framework, TestStyle, detect_style
from argus.core.testgen.node_harness import Harness, find_harnesses, is_literal, replay_test_line
from argus.core.testgen.repo_view import RepoView

MAX_FRAMES_TRIED = 12
MAX_CANDIDATES = 6
MAX_HARNESSED_CANDIDATES = 9  # with the setups taken from the project's tests
NODE_PLATFORMS = frozenset({"node", "javascript"})
SOURCE_SUFFIXES = (".js", ".cjs", ".mjs")
# Error classes of the language itself: raised by the runtime, not by the application.
RUNTIME_ERRORS = frozenset(
    {"TypeError", "RangeError", "ReferenceError", "SyntaxError", "URIError", "EvalError"}
)
_FUNCTION_TYPES = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "function_expression",
        "function",
        "generator_function",
        "arrow_function",
        "method_definition",
    }
)
# Receivers V8 puts before a function's name that say nothing about where it lives.
_PLAIN_RECEIVERS = frozenset(
    {
        "Object",
        "Module",
        "exports",
        "Function",
        "global",
        "globalThis",
        "process",
        "<anonymous>",
        # ``this`` was a built-in value: ``rules[i](state)`` runs with the array as receiver.
        "Array",
        "Map",
        "Set",
        "Promise",
        "String",
        "Number",
        "Timeout",
        "Immediate",
        "EventEmitter",
        "Context",  # mocha's test context
        "TestContext",  # node:test's
    }
)
_ASSERTION_CALL = re.compile(
    r"(^|\.)(assert\w*|expect|equal|strictEqual|deepEqual|deepStrictEqual|notEqual|ok|"
    r"throws|doesNotThrow|should|eql|to\w*|is)$|^(assert|expect|should|t)\b"
)
_CLASS_MARKER = re.compile(r"^<([A-Z][\w$]*)>$")
_IDENTIFIER = re.compile(r"^[A-Za-z_$][\w$]*$")
_TEST_PATH = re.compile(
    r"(^|/)(test|tests|__tests__|spec|specs|__mocks__)/|\.(test|spec)\.[cm]?[jt]sx?$"
)
_FILTERED = "[Filtered]"  # what the SDK sends for a variable whose name looks secret
_SENTRY_STRING_LIMIT = 250  # longer strings may have been cut by the SDK's normaliser
_SPECIALS: Mapping[str, str] = {
    "<undefined>": "undefined",
    "<null>": "null",
    "<NaN>": "NaN",
    "<Infinity>": "Infinity",
    "<-Infinity>": "-Infinity",
}
_PICK_HELPER = (
    "function pick(mod, name) {\n"
    "  for (const place of [mod, mod && mod.default, mod && mod['module.exports']]) {\n"
    "    if (typeof place === 'function' && place.name === name) return place;\n"
    "    if (place && typeof place[name] === 'function') return place[name];\n"
    "  }\n"
    "  throw new Error(`${name} is not exported by the module under test`);\n"
    "}\n"
)


class NotReproducible(ArgusError):
    """No frame of the Node event could be turned into a call with rebuilt arguments."""


@dataclass(frozen=True)
class NodeCall:
    """A call that should raise the production error, and how it was derived."""

    frame: Frame
    path: str  # repository-relative source file
    function: str  # the function's own name
    owner: str | None  # the class or object it is a member of, when it is a method
    kind: str  # "function", "static", "method", "constructor" or "exports_method"
    arguments: tuple[str, ...]  # JavaScript expressions, one per parameter
    spread_last: bool  # the last parameter is a rest parameter (its value is spread)
    reliable: bool
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``Owner.function`` or ``function``."""
        return f"{self.owner}.{self.function}" if self.owner else self.function


def is_node_event(event: ErrorEvent) -> bool:
    """True for an event from Node.js (its platform, or only JavaScript files in its frames)."""
    if event.platform in NODE_PLATFORMS:
        return True
    paths = [frame.path for frame in event.frames if frame.path]
    return bool(paths) and all(
        path.endswith(SOURCE_SUFFIXES) or path.startswith("node:") for path in paths
    )


def reproduce_node_crash(
    event: ErrorEvent,
    repo: Path | str,
    *,
    ref: str | None = None,
    framework: str | None = None,
) -> list[Candidate]:
    """Regression-test candidates for the Node ``event`` against ``repo`` at ``ref``.

    Ordered best first; each expects the event's exception type. ``framework`` forces
    ``node_test``, ``jest`` or ``vitest`` (default: the project's, from package.json and its
    tests). Raises :class:`NotReproducible` with the reason of each frame when none can be built.
    """
    if not is_node_event(event):
        raise NotReproducible(f"not a Node.js event (platform {event.platform!r})")
    view = RepoView(repo, ref)
    intended = intended_node_error(event, view)
    if intended is not None:
        raise NotReproducible(intended)
    calls, reasons = plan_node_calls(event, view)
    test_style = detect_style(repo, "javascript")
    chosen = Framework(framework) if framework else test_style.framework
    pattern = re.sub(r"[^0-9a-z]", "", signature_of(event).pattern_hash.rsplit(":", 1)[-1])[:8]
    esm_package = _package_type(view, "package.json") == "module"
    style = TestStyle(test_style.language, chosen, test_style.tests_folder, test_style.naming)
    replays = _test_line_replays(event, view, style, pattern, esm_package)
    if not calls and not replays:
        detail = "; ".join(reasons) or "the event has no frames"
        raise NotReproducible(f"no frame of the event can be called with rebuilt values: {detail}")
    if chosen not in (Framework.NODE_TEST, Framework.JEST, Framework.VITEST):
        raise NotReproducible(f"{chosen} is not a JavaScript test framework")
    candidates: list[Candidate] = []
    for call in calls[:MAX_CANDIDATES]:
        name = f"regression_{_snake(call.label)}_{pattern}"
        path = style.test_path(name, call.path)
        harnesses: list[Harness | None] = []
        module_is_esm = path.endswith(".mjs") or (esm_package and not path.endswith(".cjs"))
        if call.kind in ("method", "exports_method") and not module_is_esm:
            # The receiver's state matters: set it up as the project's tests do, first.
            harnesses.extend(find_harnesses(view, call.function, call.path, path))
        harnesses.append(None)
        for harness in harnesses:
            source = render_node_test(
                event, call, path, chosen, pattern, esm=esm_package, harness=harness
            )
            candidates.append(_candidate(event, call, path, str(chosen), source))
    for call, path, harness in replays:
        source = render_node_test(event, call, path, chosen, pattern, esm=False, harness=harness)
        replayed = _candidate(event, call, path, str(chosen), source)
        candidates.insert(min(len(candidates), MAX_HARNESSED_CANDIDATES - len(replays)), replayed)
    return candidates[:MAX_HARNESSED_CANDIDATES]


def _candidate(
    event: ErrorEvent, call: NodeCall, path: str, framework: str, source: str
) -> Candidate:
    """A regression test of ``call`` that must fail with the event's error type."""
    return Candidate(
        language="javascript",
        framework=framework,
        path=path,
        source=source,
        targets=(f"{call.path}::{call.label}",),
        kind=CandidateKind.REGRESSION_TEST,
        expected_exception=event.exception_type,
    )


def _test_line_replays(
    event: ErrorEvent, view: RepoView, style: TestStyle, pattern: str, esm_package: bool
) -> list[tuple[NodeCall, str, Harness]]:
    """A project function called straight from a test: that test's call, as the event recorded
    its line, replayed in the setup of the test's file (CommonJS only). It needs no frame
    variables: the arguments are the test's literals and the receiver is what its setup made."""
    found: list[tuple[NodeCall, str, Harness]] = []
    for index in range(1, len(event.frames)):
        caller, frame = event.frames[index - 1], event.frames[index]
        path = _repo_path(frame, view)
        test_file = _repo_path(caller, view)
        if path is None or test_file is None or not caller.context_line:
            continue
        if _TEST_PATH.search(path) or not _TEST_PATH.search(test_file):
            continue
        _, wanted = _split_function(frame.function)
        if not _IDENTIFIER.match(wanted):
            continue
        name = f"regression_{_snake(wanted)}_{pattern}"
        test_path = style.test_path(name, path)
        if test_path.endswith(".mjs") or (esm_package and not test_path.endswith(".cjs")):
            continue
        harness = replay_test_line(view, test_file, caller.context_line, wanted, test_path)
        if harness is None:
            continue
        call = NodeCall(
            frame=frame,
            path=path,
            function=wanted,
            owner=None,
            kind="function",
            arguments=(),
            spread_last=False,
            reliable=True,
            notes=(
                f"the call is the test's own ({test_file}:{caller.lineno}), replayed in the "
                "setup its file gives",
            ),
        )
        found.append((call, test_path, harness))
    return found[:2]


def intended_node_error(event: ErrorEvent, view: RepoView) -> str | None:
    """Why ``event`` is an error the application throws on purpose, or None.

    The innermost in-app frame's line throws (or constructs) the error explicitly: a ``throw``
    of any error, or ``new`` of the event's own error class. A runtime ``TypeError`` from reading
    a property of ``undefined`` has no such line and is a bug.
    """
    for frame in reversed(event.frames):
        if not frame.in_app:
            continue
        path = _repo_path(frame, view)
        if path is None:
            return None
        line = _line(view, path, frame.lineno) if frame.lineno else frame.context_line
        text = (line or frame.context_line or "").strip()
        name = re.escape(event.exception_type.rsplit(".", 1)[-1])
        if re.match(r"^throw\b", text) or re.search(rf"\bnew\s+{name}\s*\(", text):
            return (
                f"{event.exception_type} is thrown on purpose at {path}:{frame.lineno} "
                f"({text[:80]}); a test that it is not thrown would lock in the wrong behaviour"
            )
        return None
    return None


def plan_node_calls(event: ErrorEvent, view: RepoView) -> tuple[list[NodeCall], list[str]]:
    """Calls that should reproduce ``event``, best first, and why other frames were skipped."""
    reasons: list[str] = []
    reliable: list[NodeCall] = []
    doubtful: list[NodeCall] = []
    tried = 0
    for index in range(len(event.frames) - 1, -1, -1):
        frame = event.frames[index]
        if tried >= MAX_FRAMES_TRIED:
            break
        path = _repo_path(frame, view)
        if path is None:
            if frame.in_app and not frame.path.startswith("node:"):
                reasons.append(f"{frame.function}: {frame.path or '?'} is not in the repository")
            continue
        if _TEST_PATH.search(path) or "node_modules/" in path:
            continue
        tried += 1
        try:
            call = _plan_frame(frame, path, view)
        except NotReproducible as refusal:
            reasons.append(f"{frame.function or '?'} ({path}:{frame.lineno}): {refusal}")
            continue
        caller = event.frames[index - 1] if index > 0 else None
        replayed = _replay_call_site(call, caller, view) if caller is not None else None
        if replayed is not None:
            # The recorded values are not what the function was called with: the caller's
            # own call, with literal arguments, comes first.
            reliable.append(replayed)
        (reliable if call.reliable else doubtful).append(call)
    return reliable + doubtful, reasons


def _replay_call_site(call: NodeCall, caller: Frame, view: RepoView) -> NodeCall | None:
    """``call`` with the arguments of the caller's own call, when a parameter was reassigned
    before the crash line (its recorded value is not the one passed) and the caller's line
    (as the event recorded it, else the repository's) calls the function with literals only:
    ``assert.equal(mime.contentType('unknown'), false)``. A call of another name is taken when
    it is the line's only call with literal arguments that is no assertion (a test's alias,
    ``var set = mime.contentType``)."""
    if not any("reassigned" in note for note in call.notes):
        return None
    line = caller.context_line
    if not line:
        path = _repo_path(caller, view)
        line = _line(view, path, caller.lineno) if path else None
    if not line:
        return None
    root = parse(line.strip().encode("utf-8"), "javascript").root_node
    named: list[list[str]] = []
    others: list[list[str]] = []
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        if node.type != "call_expression":
            continue
        callee = _text(node.child_by_field_name("function"))
        listed = node.child_by_field_name("arguments")
        if listed is None or listed.has_error:
            continue
        values = [child for child in listed.named_children if child.type != "comment"]
        if not values or len(values) > len(call.arguments) + 4:
            continue
        if not all(is_literal(value) for value in values):
            continue
        last = callee.rsplit(".", 1)[-1]
        if last == call.function:
            named.append([_text(value) for value in values])
        elif not _ASSERTION_CALL.search(callee):
            others.append([_text(value) for value in values])
    chosen = named[0] if named else (others[0] if len(others) == 1 else None)
    if chosen is None:
        return None
    arguments = list(chosen)
    # Parameters after the caller's arguments that held functions keep their no-op.
    for value in call.arguments[len(arguments) :]:
        if value != "() => {}":
            break
        arguments.append(value)
    notes = tuple(note for note in call.notes if "reassigned" not in note) + (
        f"the arguments are the caller's ({caller.function or '?'}:{caller.lineno}: "
        f"{line.strip()[:100]}), since a parameter is reassigned before the crash line",
    )
    return NodeCall(
        frame=call.frame,
        path=call.path,
        function=call.function,
        owner=call.owner,
        kind=call.kind,
        arguments=tuple(arguments),
        spread_last=False,
        reliable=True,
        notes=notes,
    )


def render_node_test(
    event: ErrorEvent,
    call: NodeCall,
    test_path: str,
    framework: Framework,
    pattern: str,
    *,
    esm: bool = False,
    harness: Harness | None = None,
) -> str:
    """The test file: load the module, call the function with the production values.

    With a ``harness`` (CommonJS only), the receiver is set up by the statements one of the
    project's tests ran before calling the same method, and the method is called on it."""
    target = _relative_specifier(test_path, call.path)
    title = event.title.replace("\n", " ")[:160]
    test_name = (
        f"{call.label} does not throw {event.exception_type} on the production values "
        f"(pattern {pattern})"
    )
    module_is_esm = test_path.endswith(".mjs") or (esm and not test_path.endswith(".cjs"))
    lines: list[str] = [
        f"// Regression test for a production error: {title}",
        f"// Generated by Argus from the frame {call.label} ({call.path}:{call.frame.lineno}) "
        "and its local variables.",
        "// It fails while the bug is there and passes once the call no longer throws.",
    ]
    notes = list(call.notes)
    if harness is not None:
        notes = [note for note in notes if "made with no arguments" not in note]
        if harness.call is None:
            notes.append(
                f"`{harness.receiver}` is set up as the project's test "
                f"{json.dumps(harness.title)} ({harness.test_file}) does before calling "
                f"{call.function}"
            )
    for note in notes:
        lines.append(f"// Note: {note}")
    if framework is Framework.NODE_TEST:
        lines.append("import test from 'node:test';" if module_is_esm else "'use strict';")
        if not module_is_esm:
            lines.append("const test = require('node:test');")
    elif framework is Framework.VITEST:
        lines.append("import { test } from 'vitest';")
    elif module_is_esm:
        lines.append("import { test } from '@jest/globals';")
    lines.append("")
    arguments = list(call.arguments)
    if call.spread_last and arguments:
        arguments[-1] = f"...{arguments[-1]}"
    joined = ", ".join(arguments)
    if harness is not None:
        lines.append(f"test({json.dumps(test_name)}, async () => {{")
        for statement in harness.statements:
            lines.extend(f"  {line}" for line in statement.splitlines())
        if harness.call is not None:
            lines.append(f"  const result = await {harness.call};")
        else:
            lines.append(
                f"  const result = await {harness.receiver}[{json.dumps(call.function)}]({joined});"
            )
        lines.append(
            "  if (result && typeof result.next === 'function' && "
            "typeof result[Symbol.iterator] === 'function') [...result];"
        )
        lines.append("});")
        return "\n".join(lines) + "\n"
    lines.extend(_PICK_HELPER.rstrip("\n").splitlines())
    lines.append("")
    lines.append(f"test({json.dumps(test_name)}, async () => {{")
    if framework is Framework.JEST and not module_is_esm and not call.path.endswith(".mjs"):
        lines.append(f"  const target = require({json.dumps(target)});")
    else:
        lines.append(f"  const target = await import({json.dumps(target)});")
    if call.kind == "exports_method":
        # The method lives on the module's exports object, which is its receiver.
        lines.append("  const holder = target.default ?? target;")
        lines.append(f"  const result = await holder[{json.dumps(call.function)}]({joined});")
    elif call.kind == "function":
        lines.append(f"  const subject = pick(target, {json.dumps(call.function)});")
        lines.append(f"  const result = await subject({joined});")
    else:
        owner = call.owner or ""
        lines.append(f"  const Owner = pick(target, {json.dumps(owner)});")
        if call.kind == "constructor":
            lines.append(f"  const result = new Owner({joined});")
        elif call.kind == "static":
            lines.append(f"  const result = await Owner[{json.dumps(call.function)}]({joined});")
        else:
            lines.append("  const instance = new Owner();")
            lines.append(f"  const result = await instance[{json.dumps(call.function)}]({joined});")
    # A generator's body runs only when it is iterated.
    lines.append(
        "  if (result && typeof result.next === 'function' && "
        "typeof result[Symbol.iterator] === 'function') [...result];"
    )
    lines.append("});")
    return "\n".join(lines) + "\n"


def error_site(event: ErrorEvent, view: RepoView) -> tuple[str, str, int, int] | None:
    """The repository file, function label and line span of the innermost in-app frame that
    maps to a JavaScript file of ``view`` (for the model tiers' prompt), or None."""
    for frame in reversed(event.frames):
        if not frame.in_app:
            continue
        path = _repo_path(frame, view)
        if path is None or frame.lineno is None:
            continue
        owner, wanted = _split_function(frame.function)
        tree = parse(view.read(path).encode("utf-8"), "javascript")
        located = _locate(tree.root_node, frame.lineno, wanted)
        if located is None:
            return path, wanted or "(anonymous)", frame.lineno, frame.lineno
        label = f"{located.owner}.{located.name}" if located.owner else located.name
        return path, label, located.node.start_point[0] + 1, located.node.end_point[0] + 1
    return None


def describe_node_attempts(refusal: str | None, attempts: Sequence[tuple[Candidate, str]]) -> str:
    """What the free tier found, for the next tier's prompt: why no frame could be called, or
    each candidate's target, the call it made with the rebuilt values, and why it failed."""
    lines: list[str] = []
    if refusal:
        lines.append(f"No candidate: {refusal}")
    for candidate, why in attempts:
        target = candidate.targets[0] if candidate.targets else candidate.path
        lines.append(f"Called {target}:")
        body = candidate.source.split("async () => {", 1)[-1].splitlines()
        lines.extend(f"    {line.strip()}" for line in body if line.strip() and line != "});")
        lines.append(f"  rejected: {why}")
    return "\n".join(lines)


# -- one frame ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Located:
    node: Node
    name: str
    owner: str | None
    kind: str


def _plan_frame(frame: Frame, path: str, view: RepoView) -> NodeCall:
    if frame.lineno is None:
        raise NotReproducible("the frame has no line number")
    wanted_owner, wanted = _split_function(frame.function)
    source = view.read(path)
    tree = parse(source.encode("utf-8"), "javascript")
    located = _locate(tree.root_node, frame.lineno, wanted)
    if located is None:
        raise NotReproducible(f"no function {wanted or '?'} around line {frame.lineno}")
    notes: list[str] = []
    reliable = True
    owner = located.owner or (wanted_owner if located.kind != "function" else None)
    kind = located.kind
    if wanted_owner and not located.owner and wanted_owner not in _PLAIN_RECEIVERS:
        # ``Parser.parse`` called on an instance whose method was assigned elsewhere.
        owner, kind = wanted_owner, "method"
    if owner and kind != "function" and not _exported(source, owner) and _is_exports(source, owner):
        # ``var app = exports = module.exports = {}; app.render = function render(...)``.
        kind = "exports_method"
    elif not _exported(source, owner or located.name):
        raise NotReproducible(f"{owner or located.name} is not exported by {path}")
    if kind == "method":
        reliable = False
        notes.append(f"the {owner} instance is made with no arguments (the event has no `this`)")
    if not frame.vars:
        raise NotReproducible("the frame recorded no local variables")
    parameters = _parameters(located.node)
    if parameters is None:
        raise NotReproducible("a parameter is destructured, so its value was not recorded")
    arguments: list[str] = []
    spread_last = False
    reassigned = _reassigned(located.node, frame.lineno, [name for name, _ in parameters])
    for name, rest in parameters:
        if name not in frame.vars:
            # The SDK records ``undefined`` as "<undefined>" and leaves functions out: a
            # parameter missing from the variables held a function (a callback, most often).
            arguments.append("() => {}")
            reliable = False
            notes.append(f"`{name}` was not recorded, so it held a function: a no-op stands in")
            continue
        if frame.vars[name] == _FILTERED:
            # The SDK hides values whose names look secret (`secret`, `key`, `token`): a
            # placeholder string stands in; validation tells whether the crash needed it.
            arguments.append(json.dumps(f"argus-placeholder-{name}"))
            spread_last = rest
            reliable = False
            notes.append(f"`{name}` was filtered out by the SDK: a placeholder string stands in")
            continue
        try:
            value, exact = to_javascript(frame.vars[name])
        except NotReproducible as refusal:
            raise NotReproducible(f"`{name}`: {refusal}") from None
        if not exact:
            reliable = False
            notes.append(f"`{name}` may lack members the SDK did not record")
        if name in reassigned:
            reliable = False
            notes.append(f"`{name}` is reassigned before the crash line; its entry value is lost")
        arguments.append(value)
        spread_last = rest
    while arguments and arguments[-1] == "undefined" and not spread_last:
        arguments.pop()
    return NodeCall(
        frame=frame,
        path=path,
        function=located.name,
        owner=owner if kind not in ("function", "exports_method") else None,
        kind=kind,
        arguments=tuple(arguments),
        spread_last=spread_last,
        reliable=reliable,
        notes=tuple(notes),
    )


def _split_function(function: str) -> tuple[str | None, str]:
    """``Object.load`` -> (None, "load"); ``Parser.parse`` -> ("Parser", "parse")."""
    text = function.strip()
    for prefix in ("async ", "new "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    text = re.sub(r"\s*\[as [^\]]+\]$", "", text)
    if "." not in text:
        return None, text
    owner, _, name = text.rpartition(".")
    owner = owner.rsplit(".", 1)[-1]
    if owner in _PLAIN_RECEIVERS or owner == "prototype":
        return None, name
    return owner, name


def _locate(root: Node, lineno: int, wanted: str) -> _Located | None:
    """The innermost function around ``lineno`` named ``wanted`` (else the innermost one)."""
    row = lineno - 1
    around: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.start_point[0] > row or node.end_point[0] < row:
            continue
        if node.type in _FUNCTION_TYPES:
            around.append(node)
        stack.extend(node.children)
    around.sort(key=lambda node: node.end_byte - node.start_byte)
    described = [_describe(node) for node in around]
    for located in described:
        if located is not None and located.name == wanted:
            return located
    return None


def _describe(node: Node) -> _Located | None:
    """The name, owner and call kind of a function node, when it has a name."""
    if node.type == "method_definition":
        name = _text(node.child_by_field_name("name"))
        static = any(child.type == "static" for child in node.children)
        owner = _enclosing_class(node)
        if name == "constructor":
            return _Located(node, owner or "", owner, "constructor") if owner else None
        return _Located(node, name, owner, "static" if static else "method")
    own = node.child_by_field_name("name")
    if own is not None and node.type in ("function_declaration", "generator_function_declaration"):
        return _Located(node, _text(own), None, "function")
    parent = node.parent
    if parent is not None and parent.type == "variable_declarator":
        return _Located(node, _text(parent.child_by_field_name("name")), None, "function")
    if parent is not None and parent.type == "assignment_expression":
        left = parent.child_by_field_name("left")
        if left is not None and _text(left) in ("module.exports", "exports"):
            # ``module.exports = function name(...)``: the module is the function.
            return _Located(node, _text(own), None, "function") if own is not None else None
        if left is not None and left.type == "member_expression":
            target = _text(left)
            parts = target.split(".")
            if len(parts) >= 3 and parts[-2] == "prototype":
                return _Located(node, parts[-1], parts[-3], "method")
            if len(parts) == 2 and parts[0] not in ("exports", "module", "this"):
                return _Located(node, parts[1], parts[0], "static")
            return _Located(node, parts[-1], None, "function")
        if left is not None and left.type == "identifier":
            return _Located(node, _text(left), None, "function")
    if parent is not None and parent.type == "pair":
        return _Located(
            node, _text(parent.child_by_field_name("key")).strip("'\""), None, "function"
        )
    if own is not None:
        return _Located(node, _text(own), None, "function")
    return None


def _enclosing_class(node: Node) -> str | None:
    current = node.parent
    while current is not None:
        if current.type in ("class_declaration", "class"):
            name = current.child_by_field_name("name")
            if name is not None:
                return _text(name)
            parent = current.parent
            if parent is not None and parent.type == "variable_declarator":
                return _text(parent.child_by_field_name("name"))
            return None
        current = current.parent
    return None


def _parameters(node: Node) -> list[tuple[str, bool]] | None:
    """(name, is_rest) per formal parameter; None when one is destructured."""
    formal = node.child_by_field_name("parameters")
    if formal is None:
        single = node.child_by_field_name("parameter")  # ``x => ...``
        return [(_text(single), False)] if single is not None else []
    found: list[tuple[str, bool]] = []
    for child in formal.named_children:
        if child.type == "comment":
            continue
        if child.type == "identifier":
            found.append((_text(child), False))
        elif child.type == "assignment_pattern":
            left = child.child_by_field_name("left")
            if left is None or left.type != "identifier":
                return None
            found.append((_text(left), False))
        elif child.type == "rest_pattern":
            inner = child.named_children[0] if child.named_children else None
            if inner is None or inner.type != "identifier":
                return None
            found.append((_text(inner), True))
        else:
            return None
    return found


def _reassigned(node: Node, lineno: int, names: Sequence[str]) -> set[str]:
    """Parameters assigned to in the function's body before the crash line."""
    body = node.child_by_field_name("body")
    if body is None:
        return set()
    found: set[str] = set()
    stack = [body]
    while stack:
        current = stack.pop()
        if current.start_point[0] >= lineno - 1 and current.type != "statement_block":
            continue
        if current.type in ("assignment_expression", "augmented_assignment_expression"):
            left = current.child_by_field_name("left")
            if left is not None and left.type == "identifier" and _text(left) in names:
                found.add(_text(left))
        elif current.type == "update_expression":
            argument = current.child_by_field_name("argument")
            if argument is not None and _text(argument) in names:
                found.add(_text(argument))
        if current.type in _FUNCTION_TYPES:
            continue
        stack.extend(current.children)
    return found


def _is_exports(source: str, name: str) -> bool:
    """Is ``name`` another name of the module's exports object?"""
    word = re.escape(name)
    return bool(
        re.search(rf"\b{word}\s*=\s*(exports\s*=\s*)?module\.exports\s*=", source)
        or re.search(rf"\b{word}\s*=\s*(module\.)?exports\s*[;\n]", source)
        or re.search(rf"\bmodule\.exports\s*=\s*{word}\s*=", source)
    )


def _exported(source: str, name: str) -> bool:
    """Does the module's text export ``name`` (CommonJS or ES module syntax)?"""
    if not name:
        return False
    word = re.escape(name)
    patterns = (
        rf"\bexports\.{word}\s*=",
        rf"\bexports\[['\"]{word}['\"]\]\s*=",
        rf"\bmodule\.exports\s*=\s*(new\s+)?{word}\b",
        rf"\bmodule\.exports\s*=\s*(async\s+)?(function\*?|class)\s+{word}\b",
        rf"\bmodule\.exports\s*=\s*\{{[^}}]*\b{word}\b",
        rf"\bexport\s+(default\s+)?(async\s+)?(function\*?|class)\s*{word}\b",
        rf"\bexport\s+(const|let|var)\s+{word}\b",
        rf"\bexport\s*\{{[^}}]*\b{word}\b",
        rf"\bexport\s+default\s+{word}\b",
    )
    return any(re.search(pattern, source) for pattern in patterns)


# -- values ------------------------------------------------------------------------------------


def recorded_value(value: object) -> object:
    """The value a frame variable held: the event parser keeps an object or array as the text
    of the Python value it was decoded into (``{'total': 40}``); that text is read back when it
    is exactly such a rendering, and refused when it was cut."""
    if not isinstance(value, str) or not value.startswith(("{", "[")):
        return value
    try:
        parsed = ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        if value.endswith(("...", "\u2026", "…")):
            raise NotReproducible("the recorded object was cut short") from None
        return value
    if isinstance(parsed, dict | list) and repr(parsed) == value:
        return parsed
    return value


def to_javascript(value: object, depth: int = 0) -> tuple[str, bool]:
    """A JavaScript expression for a recorded value, and whether it is exact.

    Objects and arrays are never exact (the SDK keeps one level of primitives); an instance of
    a class (``"<Parser>"``) cannot be rebuilt.
    """
    if depth == 0:
        value = recorded_value(value)
    if depth > 6:
        raise NotReproducible("the value is nested too deeply")
    if value is None:
        return "null", True
    if isinstance(value, bool):
        return ("true" if value else "false"), True
    if isinstance(value, int):
        return str(value), abs(value) < 2**53
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN", True
        if math.isinf(value):
            return ("Infinity" if value > 0 else "-Infinity"), True
        return repr(value), True
    if isinstance(value, str):
        if value == _FILTERED and depth == 0:
            raise NotReproducible("the SDK filtered the value out (its name looks secret)")
        if value in _SPECIALS:
            return _SPECIALS[value], True
        marker = _CLASS_MARKER.match(value)
        if marker:
            if marker.group(1) in ("Object", "Array"):
                raise NotReproducible(f"an {marker.group(1)} was recorded without its members")
            raise NotReproducible(f"an instance of {marker.group(1)} cannot be rebuilt")
        exact = not (len(value) >= _SENTRY_STRING_LIMIT and value.endswith("..."))
        return json.dumps(value), exact
    if isinstance(value, list):
        items = [to_javascript(item, depth + 1) for item in value]
        return "[" + ", ".join(text for text, _ in items) + "]", False
    if isinstance(value, dict):
        members = []
        for key, item in value.items():
            text, _ = to_javascript(item, depth + 1)
            shown = str(key)
            if shown == "__proto__":
                label = '["__proto__"]'
            elif _IDENTIFIER.match(shown):
                label = shown
            else:
                label = json.dumps(shown)
            members.append(f"{label}: {text}")
        return "{" + ", ".join(members) + "}", False
    raise NotReproducible(f"a recorded value of type {type(value).__name__} cannot be rebuilt")


# -- helpers -----------------------------------------------------------------------------------


def _repo_path(frame: Frame, view: RepoView) -> str | None:
    if not frame.path or frame.path.startswith("node:"):
        return None
    path = frame.path
    if path.startswith("file://"):
        path = path[len("file://") :]
    if "/node_modules/" in path:
        return None
    mapped = view.map_path(path)
    if mapped is None or not mapped.endswith(SOURCE_SUFFIXES):
        return None
    return mapped


def _line(view: RepoView, path: str, lineno: int | None) -> str | None:
    if not lineno:
        return None
    lines = view.read(path).splitlines()
    return lines[lineno - 1] if 0 < lineno <= len(lines) else None


def _package_type(view: RepoView, path: str) -> str:
    if not view.exists(path):
        return "commonjs"
    try:
        manifest = json.loads(view.read(path))
    except json.JSONDecodeError:
        return "commonjs"
    kind = manifest.get("type") if isinstance(manifest, dict) else None
    return str(kind) if kind else "commonjs"


def _relative_specifier(test_path: str, target: str) -> str:
    start = PurePosixPath(test_path).parent
    target_path = PurePosixPath(target)
    up = 0
    while not target_path.is_relative_to(start):
        start = start.parent
        up += 1
    rest = target_path.relative_to(start).as_posix()
    return ("./" if up == 0 else "../" * up) + rest


def _snake(text: str) -> str:
    cleaned = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    cleaned = re.sub(r"[^0-9A-Za-z]+", "_", cleaned).strip("_").lower()
    return cleaned[:60] or "error"


def _text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")
