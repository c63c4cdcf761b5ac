"""Reproduce a production error as a regression test, with no model: the free tier.

The innermost in-app frame is tried first: its repository file is found from the deployment
path, its function from the frame's line, and its arguments rebuilt from the frame variables
the error tracker recorded (:mod:`argus.core.testgen.literals`). When they cannot be rebuilt (a
value that is not a literal, a ``self`` whose class cannot be made, a parameter reassigned
before the crash) the next caller outwards is tried. The test calls the function and asserts
nothing else: on the buggy code the production error escapes and the test fails with it; once
the bug is fixed the call completes and the test passes.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from argus.core.errors import ArgusError
from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.normalise import signature_of
from argus.core.testgen import callsite, objects, style
from argus.core.testgen.candidate import Candidate, CandidateKind
from argus.core.testgen.literals import (
    SENTRY_CONTAINER_BREADTH,
    STANDARD_CALL_NAMES,
    Rebuilt,
    looks_truncated,
    rebuild,
)
from argus.core.testgen.repo_view import RepoView, absolute_import

# How many frames outwards from the crash are tried, and how many tests are proposed: the
# fix is often in a caller of the crashing function, whose own call still raises after it.
MAX_FRAMES_TRIED = 16
MAX_CANDIDATES = 6

_FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_CALLED_NAME = re.compile(r"\b([A-Z][A-Za-z0-9_]*)\(")
# Any name called in a recorded value, not an attribute (``tzlocal()`` of dateutil, whose
# classes are lower case; not the second ``datetime`` of ``datetime.datetime(``).
_ANY_CALLED_NAME = re.compile(r"(?<![\w.])([A-Za-z_][A-Za-z0-9_]*)\(")
_FACTORY_CALL = re.compile(r"(?<![\w.'\"])([a-z][A-Za-z0-9_]*)\(")
_TEST_FILE = re.compile(r"(^|/)(test_[^/]*|[^/]*_test|conftest|tests)\.py$")
_TEST_FOLDERS = frozenset({"test", "tests", "testing"})
# The import a value built of a stand-in class needs: a class the repository does not define
# but the event shows was made at run time or in a test (a frame holds ``<class
# 'types.Person'>``, ``make_dataclass``'s), recorded by a dataclass repr ``Person(name='Alice',
# age=23)``, is declared in the test with those fields (``make_dataclass``); a guess, so such a
# call is tried after the calls built of recorded values alone. A class the event does not
# show so (a library's) is never stood in for.
STAND_IN_IMPORT = "from dataclasses import make_dataclass"
_CLASS_SHOWN = re.compile(r"<class '(?P<module>[\w.<>]+)\.(?P<name>[A-Za-z_]\w*)'>")
_RUN_TIME_MODULES = frozenset({"types", "__main__", "builtins"})
# Builtin exceptions an application raises on purpose to refuse bad input.
_VALIDATION_ERRORS = frozenset({"ValueError", "TypeError"})
_MAX_SCANNED = 20_000
_BUILTIN_EXCEPTIONS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
)


class NotReproducible(ArgusError):
    """No frame of the event could be turned into a call with rebuilt arguments."""


@dataclass(frozen=True)
class CallPlan:
    """A call that should raise the production error, and how it was derived."""

    frame: Frame
    path: str  # repository-relative file
    module: str
    import_root: str
    function: str  # qualified within the module: ``unit_price`` or ``Cart.total``
    call: str  # the call expression, as source
    imports: tuple[str, ...]
    is_async: bool
    is_generator: bool
    reliable: bool  # False when a parameter was reassigned before the crash line
    # Statements that run before the call: values replayed from the caller's call site.
    prelude: tuple[str, ...] = ()
    needs_repository: bool = False  # the call opens a file of the repository again
    # pytest fixtures of the project the test takes (the caller, a test, took them), each
    # with the folder of the conftest.py defining it: the test must be placed at or below it.
    fixtures: tuple[tuple[str, str], ...] = ()


def reproduce_crash(
    event: ErrorEvent,
    repo: Path | str,
    *,
    ref: str | None = None,
    framework: str | None = None,
) -> list[Candidate]:
    """Regression-test candidates for ``event`` against ``repo`` at ``ref`` (None: work tree).

    Candidates are ordered best first (the innermost reliable frame first). Each is a
    ``regression_test`` expecting the event's exception type; validate them in order and keep
    the first that survives. ``framework`` forces pytest or unittest (default: the project's).
    Raises :class:`NotReproducible` with the reason for each frame when none can be built.
    """
    if event.platform not in ("python", "other", "") and not _python_frames(event):
        raise NotReproducible(
            f"crash reproduction needs a Python event; this one is {event.platform!r} "
            "(JavaScript events rarely carry frame variables)"
        )
    view = RepoView(repo, ref)
    intended = intended_error(event, view)
    if intended is not None:
        raise NotReproducible(intended)
    plans, reasons = plan_calls(event, view)
    if not plans:
        detail = "; ".join(reasons) or "the event has no frames"
        raise NotReproducible(f"no frame of the event can be called with rebuilt values: {detail}")
    test_style = style.python_style(repo)
    chosen_framework = framework or test_style.framework
    pattern = signature_of(event).pattern_hash
    candidates: list[Candidate] = []
    variants = [(plan, False) for plan in plans[:MAX_CANDIDATES]]
    if _exception_reference(event.exception_type) is not None:
        variants.append((plans[0], True))
    for plan, tolerant in variants:
        name = f"regression_{plan.function.replace('.', '_')}_{_short(pattern)}"
        path = style.test_path(test_style, name, plan.path)
        if plan.fixtures:
            if str(chosen_framework) != "pytest":
                continue  # a unittest test cannot take the project's pytest fixtures
            path = _under_fixtures(path, plan.fixtures)
        source = render_crash_test(
            event, plan, path, str(chosen_framework), pattern, tolerant=tolerant
        )
        candidates.append(
            Candidate(
                language="python",
                framework=str(chosen_framework),
                path=path,
                source=source,
                targets=(f"{plan.path}::{plan.function}",),
                kind=CandidateKind.REGRESSION_TEST,
                expected_exception=event.exception_type,
            )
        )
    if not candidates:
        raise NotReproducible(
            "each call needs the project's pytest fixtures, which a unittest test cannot take"
        )
    return candidates


def plan_calls(event: ErrorEvent, view: RepoView) -> tuple[list[CallPlan], list[str]]:
    """Calls that should reproduce ``event``, best first, and why other frames were skipped."""
    reasons: list[str] = []
    reliable: list[CallPlan] = []
    doubtful: list[CallPlan] = []
    tried = 0
    for index in range(len(event.frames) - 1, -1, -1):
        frame = event.frames[index]
        if tried >= MAX_FRAMES_TRIED:
            break
        path = view.map_path(frame.path, frame.module)
        if path is None or not path.endswith(".py"):
            if frame.in_app:
                reasons.append(f"{frame.function}: {frame.path or '?'} is not in the repository")
            continue
        if not frame.in_app and not _confident_mapping(frame.path, path):
            continue
        if is_test_file(path):
            # A test of the project in the stack (a test runner in production, or the event
            # came from a test run): calling it is no regression test of the code.
            reasons.append(f"{frame.function}: {path} is a test of the project")
            continue
        stale = _stale_line(frame, path, view)
        if stale is not None:
            reasons.append(f"{frame.function} ({path}): {stale}")
            continue
        tried += 1
        try:
            plan = _plan_frame(frame, path, view, event.frames, index)
        except NotReproducible as refusal:
            reasons.append(f"{frame.function} ({path}): {refusal}")
            continue
        (reliable if plan.reliable else doubtful).append(plan)
    return reliable + doubtful, reasons


def describe_attempts(refusal: str | None, attempts: list[tuple[Candidate, str]]) -> str:
    """What the free tier found, for the next tier's prompt: why no frame could be called, or
    each candidate's target, the call it made with the rebuilt values, and why it failed."""
    lines: list[str] = []
    if refusal:
        lines.append(f"No candidate: {refusal}")
    for candidate, why in attempts:
        target = candidate.targets[0] if candidate.targets else candidate.path
        lines.append(f"Called {target}:")
        body = candidate.source.split("def test_", 1)[-1].splitlines()[1:]
        lines.extend(f"    {line.strip()}" for line in body if line.strip())
        lines.append(f"  rejected: {why}")
    return "\n".join(lines)


def is_test_file(path: str) -> bool:
    """True when the repository file ``path`` is one of the project's tests or fixtures."""
    parts = PurePosixPath(path).parts
    return bool(_TEST_FILE.search(path)) or any(part in _TEST_FOLDERS for part in parts[:-1])


def intended_error(event: ErrorEvent, view: RepoView) -> str | None:
    """Why ``event`` is an error the application raises on purpose, or None when it is not.

    It is intended when the innermost frame in the repository is a ``raise`` of the event's
    exception type and that type is the project's own exception class or a validation error
    (``ValueError``, ``TypeError``): refusing bad input is behaviour, and a regression test
    expecting no error would pin the bad input as valid.
    """
    short = event.exception_type.rsplit(".", 1)[-1]
    if not short:
        return None
    for frame in reversed(event.frames):
        path = view.map_path(frame.path, frame.module)
        if path is None or not path.endswith(".py"):
            if frame.in_app:
                return None  # the innermost application frame is not ours to read
            continue
        if not frame.lineno or is_test_file(path):
            return None
        try:
            tree = ast.parse(view.read(path))
        except (SyntaxError, ValueError):
            return None
        raised = _raise_at(tree, frame.lineno)
        if raised != short:
            return None
        own = short in view.find_classes({short}) if short not in _BUILTIN_EXCEPTIONS else False
        if not own and short not in _VALIDATION_ERRORS:
            return None
        kind = "the project's own exception" if own else "a validation error"
        return (
            f"{short} is raised on purpose at {path}:{frame.lineno} ({kind}, raised "
            "explicitly): an intended error on bad input, not a crash, so no regression test "
            "is written; fix the caller that passes the bad input instead"
        )
    return None


def _raise_at(tree: ast.Module, lineno: int) -> str | None:
    """The class name a ``raise`` statement spanning ``lineno`` raises, if there is one."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Raise) or node.exc is None:
            continue
        if not node.lineno <= lineno <= (node.end_lineno or node.lineno):
            continue
        target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        return ast.unparse(target).rsplit(".", 1)[-1]
    return None


def _stale_line(frame: Frame, path: str, view: RepoView) -> str | None:
    """Why the repository's line differs from the one the event recorded, or None."""
    if frame.context_line is None or not frame.lineno:
        return None
    lines = view.read(path).splitlines()
    if frame.lineno > len(lines):
        return (
            f"line {frame.lineno} is past the end of the file: the repository is not at the "
            "release that raised the error"
        )
    if lines[frame.lineno - 1].strip() != frame.context_line.strip():
        return (
            f"line {frame.lineno} is not the line the event recorded "
            f"({frame.context_line.strip()[:60]!r}): the repository is not at the release "
            "that raised the error"
        )
    return None


def render_crash_test(
    event: ErrorEvent,
    plan: CallPlan,
    test_file: str,
    framework: str,
    pattern: str,
    *,
    tolerant: bool = False,
) -> str:
    """The regression test module for ``plan`` in ``framework``'s style.

    A ``tolerant`` test fails only on the production exception type: a fix that refuses the
    input with another, deliberate error (a ValueError with a message) still passes it.
    """
    where = f"{plan.path}:{plan.frame.lineno}" if plan.frame.lineno else plan.path
    title = event.title.splitlines()[0][:200]
    docstring = (
        f"Regression test for a production error: {title}\n\n"
        f"Error pattern {pattern}. The error surfaced in {event.frames[-1].function}(); this "
        f"test calls {plan.function}() ({where}) with the values the error tracker recorded. "
        f"It fails with {event.exception_type} while the bug is there and passes once it is "
        "fixed. Generated by Argus (deterministic crash reproduction)."
    )
    imports = list(plan.imports)
    setup_imports, setup = style.path_setup(test_file, plan.import_root)
    imports.extend(setup_imports)
    if plan.needs_repository:
        depth = len(PurePosixPath(test_file).parts) - 1
        imports.append("from pathlib import Path")
        setup = (
            *setup,
            f"{objects.REPOSITORY} = Path(__file__).resolve().parents[{depth}]",
        )
    if plan.is_async:
        imports.append("import asyncio")
        statement = f"asyncio.run({plan.call})"
    elif plan.is_generator:
        statement = f"list({plan.call})"
    else:
        statement = plan.call
    lines = [f"# The production error was {title!r}.", *plan.prelude, statement]
    reference = _exception_reference(event.exception_type)
    if tolerant and reference is not None:
        name, needed = reference
        imports.extend(needed)
        lines = [
            lines[0],
            *plan.prelude,
            "try:",
            f"    {statement}",
            f"except {name}:",
            "    raise",
            "except Exception:",
            "    # Refusing this input with another, deliberate error is a fix too.",
            "    pass",
        ]
    body = style.TestBody(
        name=f"{plan.function.replace('.', '_')}_does_not_raise_{_snake(event.exception_type)}",
        lines=tuple(lines),
        fixtures=tuple(name for name, _ in plan.fixtures),
    )
    spec = style.TestSpec(docstring, tuple(imports), setup, (body,))
    return style.render(spec, framework)


def _under_fixtures(path: str, fixtures: tuple[tuple[str, str], ...]) -> str:
    """``path``, or the same file name in the deepest folder whose ``conftest.py`` defines one
    of the test's fixtures when ``path`` is not below it (pytest would not find them)."""
    deepest = max((folder for _, folder in fixtures), key=lambda folder: folder.count("/"))
    parent = PurePosixPath(path).parent
    if not deepest or parent == PurePosixPath(deepest) or PurePosixPath(deepest) in parent.parents:
        return path
    return str(PurePosixPath(deepest) / PurePosixPath(path).name)


def _exception_reference(exception_type: str) -> tuple[str, tuple[str, ...]] | None:
    """How a test names the production exception type, and the import that needs."""
    if not exception_type or not all(part.isidentifier() for part in exception_type.split(".")):
        return None
    if "." not in exception_type:
        if exception_type in _BUILTIN_EXCEPTIONS:
            return exception_type, ()
        return None
    module = exception_type.rsplit(".", 1)[0]
    return exception_type, (f"import {module}",)


def _python_frames(event: ErrorEvent) -> bool:
    return any(frame.path.endswith(".py") for frame in event.frames)


def _confident_mapping(frame_path: str, repo_path: str) -> bool:
    """A library frame counts only when at least a folder and the file name match."""
    frame_parts = frame_path.replace("\\", "/").split("/")
    repo_parts = repo_path.split("/")
    return len(repo_parts) >= 2 and frame_parts[-2:] == repo_parts[-2:]


def _short(pattern: str) -> str:
    return pattern.rsplit(":", 1)[-1][:8]


def _snake(exception_type: str) -> str:
    name = exception_type.rsplit(".", 1)[-1]
    out: list[str] = []
    for index, char in enumerate(name):
        if char.isupper() and index and not name[index - 1].isupper():
            out.append("_")
        out.append(char.lower())
    return "".join(out)


# --- one frame -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Located:
    node: _FunctionNode
    owner: ast.ClassDef | None  # the class of a method, None for a module function


def _plan_frame(
    frame: Frame,
    path: str,
    view: RepoView,
    frames: tuple[Frame, ...] = (),
    index: int = -1,
) -> CallPlan:
    try:
        tree = ast.parse(view.read(path))
    except (SyntaxError, ValueError) as error:
        raise NotReproducible(f"the file does not parse ({error})") from error
    located = _locate(tree, frame)
    target = view.import_path(path)
    run_time = run_time_classes(frames)
    classes = _frame_classes(frame, tree, target.module, path, view, run_time)
    node, owner = located.node, located.owner
    kind = _method_kind(node) if owner is not None else "function"
    site = (
        callsite.find_call_site(frames, index, node, owner.name if owner else None, kind, view)
        if index > 0
        else None
    )
    replay = callsite.Replay()
    resolve = _resolver(view, run_time)
    arguments, reliable = _arguments(
        node,
        frame,
        classes,
        skip_first=kind != "static" and owner is not None,
        view=view,
        site=site,
        replay=replay,
        resolve=resolve,
    )
    imports = set(arguments.imports)
    uses = set(arguments.classes)
    if owner is None:
        receiver = node.name
        imports.add(f"from {target.module} import {node.name}")
    else:
        imports.add(f"from {target.module} import {owner.name}")
        if kind in ("static", "class"):
            receiver = f"{owner.name}.{node.name}"
        elif node.name == "__init__":
            receiver = owner.name  # the crash is in the constructor: build the object
        else:
            instance = _instance(
                owner, frame, classes, target.module, view=view, site=site, replay=replay
            )
            imports.update(instance.imports)
            receiver = f"{instance.source}.{node.name}"
    imports.update(replay.imports)
    uses.update(replay.classes)
    _check_shadowing(replay, imports)
    call = f"{receiver}({arguments.source})"
    prelude = tuple(replay.lines)
    if STAND_IN_IMPORT in imports:
        known = {line.rsplit(" ", 1)[-1] for line in imports} | set(replay.bound)
        declared = _stand_ins("\n".join([*prelude, call]), known)
        if declared is None:
            raise NotReproducible("a recorded value calls a class the repository does not define")
        prelude = (*declared, *prelude)
        reliable = False
    return CallPlan(
        frame=frame,
        path=path,
        module=target.module,
        import_root=target.root,
        function=node.name if owner is None else f"{owner.name}.{node.name}",
        call=call,
        imports=tuple(sorted(imports)),
        is_async=isinstance(node, ast.AsyncFunctionDef),
        is_generator=_is_generator(node),
        reliable=reliable,
        prelude=prelude,
        needs_repository=objects.REPOSITORY in uses,
        fixtures=tuple(sorted(replay.fixtures.items())),
    )


def _frame_classes(
    frame: Frame,
    tree: ast.Module,
    module: str,
    path: str,
    view: RepoView,
    run_time: frozenset[str] = frozenset(),
) -> dict[str, str]:
    """Classes and factories a frame's recorded values may call, with their import lines;
    ``run_time`` names classes the event shows were made at run time or in a test."""
    classes = _importable_classes(tree, module, path, view)
    classes.update(_classes_named_in(frame, classes, view))
    classes.update(_factories_named_in(frame, tree, module))
    if run_time:
        for name in _unknown_classes_named_in(frame, classes, view) & run_time:
            classes[name] = STAND_IN_IMPORT
    return classes


def run_time_classes(frames: tuple[Frame, ...]) -> frozenset[str]:
    """Names of classes the event's frames show (``<class 'types.Person'>``) as made at run
    time (``make_dataclass``, ``namedtuple``), in a script or in a test module."""
    names: set[str] = set()
    for frame in frames:
        for recorded in frame.vars.values():
            text = str(recorded)
            if "<class '" not in text:
                continue
            for shown in _CLASS_SHOWN.finditer(text[:_MAX_SCANNED]):
                module = shown.group("module")
                tail = module.rsplit(".", 1)[-1]
                if (
                    module in _RUN_TIME_MODULES
                    or "<locals>" in module
                    or _TEST_FILE.search(module.replace(".", "/") + ".py")
                    or tail.startswith("test")
                ):
                    names.add(shown.group("name"))
    return frozenset(names)


def _rebuild_value(recorded: object, classes: Mapping[str, str], view: RepoView) -> Rebuilt | None:
    """A recorded value as test source: a literal, a project object, a class, a file."""
    return (
        rebuild(recorded, classes=classes)
        or objects.construct(recorded, view)
        or objects.class_reference(recorded, view)
        or objects.repository_file(recorded, view)
    )


def _resolver(view: RepoView, run_time: frozenset[str] = frozenset()) -> callsite.Resolver:
    """Rebuild a caller's recorded variable (for values replayed from a call site)."""

    def resolve(frame: Frame, path: str, tree: ast.Module, name: str) -> Rebuilt | None:
        module = view.import_path(path).module
        classes = _frame_classes(frame, tree, module, path, view, run_time)
        return _rebuild_value(frame.vars[name], classes, view)

    return resolve


def _check_shadowing(replay: callsite.Replay, imports: set[str]) -> None:
    """Refuse a replay whose names would hide a name the test imports."""
    imported = {line.rsplit(" ", 1)[-1].split(".")[0] for line in imports}
    assigned: set[str] = set(replay.bound) | set(replay.fixtures)
    for line in replay.lines:
        try:
            parsed = ast.parse(line.strip())
        except SyntaxError:
            continue
        assigned |= {
            node.id
            for node in ast.walk(parsed)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
        }
    clash = sorted(assigned & imported)
    if clash:
        raise NotReproducible(f"values replayed from the caller would hide {', '.join(clash)}")


def _locate(tree: ast.Module, frame: Frame) -> _Located:
    """The module-level function or method of a top-level class the frame is in."""
    name = frame.function.rsplit(".", 1)[-1]
    found: list[_Located] = []
    nested_match = False
    for top in tree.body:
        if isinstance(top, _FunctionNode):
            if _matches(top, name, frame.lineno):
                found.append(_Located(top, None))
            elif _contains_nested(top, name, frame.lineno):
                nested_match = True
        elif isinstance(top, ast.ClassDef):
            for item in top.body:
                if isinstance(item, _FunctionNode):
                    if _matches(item, name, frame.lineno):
                        found.append(_Located(item, top))
                    elif _contains_nested(item, name, frame.lineno):
                        nested_match = True
    if len(found) == 1:
        return found[0]
    if not found and nested_match:
        raise NotReproducible(f"{name} is a nested function, which a test cannot call directly")
    if not found:
        raise NotReproducible(f"no function {name} at line {frame.lineno} in the file")
    raise NotReproducible(f"several functions named {name} fit the frame")


def _matches(node: _FunctionNode, name: str, lineno: int | None) -> bool:
    if node.name != name:
        return False
    if lineno is None:
        return True
    first = min([node.lineno, *(item.lineno for item in node.decorator_list)])
    return first <= lineno <= (node.end_lineno or node.lineno)


def _contains_nested(node: _FunctionNode, name: str, lineno: int | None) -> bool:
    for inner in ast.walk(node):
        if inner is not node and isinstance(inner, _FunctionNode) and _matches(inner, name, lineno):
            return True
    return False


def _method_kind(node: _FunctionNode) -> str:
    for decorator in node.decorator_list:
        text = ast.unparse(decorator)
        if text in ("staticmethod", "builtins.staticmethod"):
            return "static"
        if text in ("classmethod", "builtins.classmethod"):
            return "class"
        if text.endswith(("property", ".setter", ".getter", "cached_property")):
            raise NotReproducible(f"{node.name} is a property")
    return "method"


def _is_generator(node: _FunctionNode) -> bool:
    for inner in _own_nodes(node):
        if isinstance(inner, ast.Yield | ast.YieldFrom):
            return True
    return False


def _own_nodes(node: _FunctionNode) -> list[ast.AST]:
    """The nodes of a function's body, not descending into nested functions or classes."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(node.body)
    while stack:
        current = stack.pop()
        out.append(current)
        if isinstance(current, _FunctionNode | ast.ClassDef | ast.Lambda):
            continue
        stack.extend(ast.iter_child_nodes(current))
    return out


def _reassigned(node: _FunctionNode) -> set[str]:
    """Names the function's body binds again (their recorded value may not be the argument)."""
    names: set[str] = set()
    for inner in _own_nodes(node):
        if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store | ast.Del):
            names.add(inner.id)
        elif isinstance(inner, ast.AugAssign) and isinstance(inner.target, ast.Name):
            names.add(inner.target.id)
    return names


def _importable_classes(tree: ast.Module, module: str, path: str, view: RepoView) -> dict[str, str]:
    """Class-like names the rebuilt values may call: top-level classes of the module and
    names it imports from the repository, each with the import line that brings it in."""
    classes: dict[str, str] = {}
    for top in tree.body:
        if isinstance(top, ast.ClassDef):
            classes[top.name] = f"from {module} import {top.name}"
        elif isinstance(top, ast.ImportFrom):
            source = absolute_import(top, module, path)
            if source is None or not _is_repo_module(source, view):
                continue
            for alias in top.names:
                if alias.name != "*" and alias.name[:1].isupper():
                    local = alias.asname or alias.name
                    if alias.asname:
                        line = f"from {source} import {alias.name} as {alias.asname}"
                    else:
                        line = f"from {source} import {alias.name}"
                    classes[local] = line
    return classes


def _classes_named_in(frame: Frame, known: Mapping[str, str], view: RepoView) -> dict[str, str]:
    """Classes the recorded values name (``OrderLine(sku='A1', ...)``, ``tzlocal()``) that the
    module does not import but one repository file defines: values of them can be rebuilt
    too."""
    names: set[str] = set()
    for recorded in frame.vars.values():
        names.update(_ANY_CALLED_NAME.findall(str(recorded)[:_MAX_SCANNED]))
    names -= {*known, *vars(builtins), *STANDARD_CALL_NAMES}
    if not names:
        return {}
    found: dict[str, str] = {}
    for name, path in view.find_classes(names).items():
        if not path.endswith(".py"):
            continue
        module = view.import_path(path).module
        if module:
            found[name] = f"from {module} import {name}"
    return found


def _unknown_classes_named_in(frame: Frame, known: Mapping[str, str], view: RepoView) -> set[str]:
    """Class names the recorded values call that neither the module imports nor a repository
    file defines, nor Python provides: candidates for a stand-in dataclass."""
    names: set[str] = set()
    for recorded in frame.vars.values():
        names.update(_CALLED_NAME.findall(str(recorded)[:_MAX_SCANNED]))
    names -= {*known, *_BUILTIN_EXCEPTIONS, *vars(builtins)}
    names = {name for name in names if name not in STANDARD_CALL_NAMES}
    if not names:
        return set()
    return names - set(view.find_classes(names))


def _stand_ins(plan_source: str, known: set[str]) -> tuple[str, ...] | None:
    """``Person = make_dataclass('Person', ['name', 'age'])`` for each class the generated
    source calls that is neither ``known`` (imported, bound) nor Python's, its fields in the
    order the calls show them; None when such a call passes a positional argument (not a
    dataclass repr) or fields differ between calls."""
    try:
        tree = ast.parse(plan_source)
    except SyntaxError:
        return None
    fields: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        name = node.func.id
        if not name[:1].isupper() or name in known or name in vars(builtins):
            continue
        if node.args or any(keyword.arg is None for keyword in node.keywords):
            return None
        shown = [str(keyword.arg) for keyword in node.keywords]
        if fields.setdefault(name, shown) != shown:
            return None
    return tuple(
        f"{name} = make_dataclass({name!r}, {shown!r})" for name, shown in sorted(fields.items())
    )


def _factories_named_in(frame: Frame, tree: ast.Module, module: str) -> dict[str, str]:
    """Module functions the recorded values call (``complement({'a'})``, a repr written as the
    factory that makes the object): values of them can be rebuilt through that factory."""
    names: set[str] = set()
    for recorded in frame.vars.values():
        names.update(_FACTORY_CALL.findall(str(recorded)[:_MAX_SCANNED]))
    defined = {
        top.name
        for top in tree.body
        if isinstance(top, ast.FunctionDef) and not top.name.startswith("_")
    }
    return {name: f"from {module} import {name}" for name in sorted(names & defined)}


def _is_repo_module(module: str, view: RepoView) -> bool:
    tail = module.replace(".", "/")
    return any(name.endswith((f"{tail}.py", f"{tail}/__init__.py")) for name in view.files)


@dataclass(frozen=True)
class _Arguments:
    source: str
    imports: tuple[str, ...]
    classes: tuple[str, ...] = ()


def _arguments(
    node: _FunctionNode,
    frame: Frame,
    classes: Mapping[str, str],
    *,
    skip_first: bool,
    view: RepoView | None = None,
    site: callsite.CallSite | None = None,
    replay: callsite.Replay | None = None,
    resolve: callsite.Resolver | None = None,
) -> tuple[_Arguments, bool]:
    """The call's argument list from the frame variables, and whether it is reliable.

    A parameter whose recorded value cannot be rebuilt, was reassigned in the body, or was
    not recorded is taken from the caller's call expression when ``site`` can replay it
    (its set-up goes into ``replay``); a parameter the call site did not pass took its
    default."""
    spec = node.args
    positional_only = list(spec.posonlyargs)
    regular = list(spec.args)
    if skip_first:
        if positional_only:
            positional_only.pop(0)
        elif regular:
            regular.pop(0)
        else:
            raise NotReproducible("a method without self")
    variables = frame.vars
    takes = positional_only or regular or spec.kwonlyargs or spec.vararg or spec.kwarg
    if not variables and takes and site is None:
        raise NotReproducible("the event recorded no frame variables")
    reassigned = _reassigned(node)
    # Sentry keeps the first 10 variables of a frame: a parameter missing from a full set may
    # have been cut rather than left at its default.
    cut = len(variables) >= SENTRY_CONTAINER_BREADTH
    imports: set[str] = set()
    used: set[str] = set()
    parts: list[str] = []
    doubtful = False
    all_positional = [*spec.posonlyargs, *spec.args]
    defaults_from = len(all_positional) - len(spec.defaults)
    default_of = {
        argument.arg: index >= defaults_from for index, argument in enumerate(all_positional)
    }

    def value(name: str, *, replayable: bool = True) -> tuple[Rebuilt | None, bool]:
        """The rebuilt value (None: not recorded, so the default) and whether it is sure."""
        recorded = name in variables
        rebuilt = None
        if recorded:
            rebuilt = (
                _rebuild_value(variables[name], classes, view)
                if view is not None
                else rebuild(variables[name], classes=classes)
            )
            if rebuilt is not None and name not in reassigned:
                if STAND_IN_IMPORT not in rebuilt.imports:
                    return rebuilt, True
        if replayable and site is not None and replay is not None and view is not None:
            assert resolve is not None
            source = callsite.replay_argument(site, name, replay, resolve, view)
            if source is not None:
                return Rebuilt(source, (), None, False), True
        if rebuilt is not None:
            return rebuilt, False
        if recorded:
            shown = variables[name]
            if isinstance(shown, str) and looks_truncated(shown):
                raise NotReproducible(
                    f"argument {name}={_shown(shown)} was cut by the error tracker "
                    "(sentry-sdk keeps 512 characters of a value)"
                )
            raise NotReproducible(f"argument {name}={_shown(shown)} is not a literal")
        if replayable and site is not None and site.closed and name not in site.arguments:
            return None, True  # the caller did not pass it: its default
        if not variables:
            raise NotReproducible("the event recorded no frame variables")
        return None, not cut

    def take(rebuilt: Rebuilt) -> str:
        imports.update(rebuilt.imports)
        used.update(rebuilt.classes)
        return rebuilt.source

    skipped_positional = False
    for argument in positional_only:
        rebuilt, sure = value(argument.arg)
        if rebuilt is None:
            if not default_of.get(argument.arg):
                raise NotReproducible(f"argument {argument.arg} was not recorded")
            skipped_positional = True
            doubtful |= not sure
            continue
        if skipped_positional:
            raise NotReproducible(f"positional-only {argument.arg} follows a missing one")
        doubtful |= not sure
        parts.append(take(rebuilt))
    star = spec.vararg.arg if spec.vararg else None
    star_value, star_sure = value(star, replayable=False) if star else (None, True)
    for argument in regular:
        rebuilt, sure = value(argument.arg)
        if rebuilt is None:
            if not default_of.get(argument.arg):
                raise NotReproducible(f"argument {argument.arg} was not recorded")
            if star_value is not None:
                raise NotReproducible(f"{argument.arg} was not recorded and *{star} follows")
            doubtful |= not sure
            continue
        doubtful |= not sure
        if star_value is not None:
            parts.append(take(rebuilt))  # *args follows: pass positionally
        else:
            parts.append(f"{argument.arg}={take(rebuilt)}")
    if star_value is not None:
        doubtful |= not star_sure
        parts.append(f"*{take(star_value)}")
    for argument, default in zip(spec.kwonlyargs, spec.kw_defaults, strict=True):
        rebuilt, sure = value(argument.arg)
        if rebuilt is None:
            if default is None:
                raise NotReproducible(f"argument {argument.arg} was not recorded")
            doubtful |= not sure
            continue
        doubtful |= not sure
        parts.append(f"{argument.arg}={take(rebuilt)}")
    if spec.kwarg:
        extra, extra_sure = value(spec.kwarg.arg, replayable=False)
        if extra is not None:
            if not extra.source.startswith("{"):
                raise NotReproducible(f"**{spec.kwarg.arg} is not a dict")
            doubtful |= not extra_sure
            source = take(extra)
            if source != "{}":
                parts.append(f"**{source}")
    arguments = _Arguments(", ".join(parts), tuple(sorted(imports)), tuple(sorted(used)))
    return arguments, not doubtful


@dataclass(frozen=True)
class _Instance:
    source: str
    imports: tuple[str, ...]


def _instance(
    owner: ast.ClassDef,
    frame: Frame,
    classes: Mapping[str, str],
    module: str,
    *,
    view: RepoView | None = None,
    site: callsite.CallSite | None = None,
    replay: callsite.Replay | None = None,
) -> _Instance:
    """Source that builds the method's ``self``: from its repr (a project container whose repr
    is a ``dict`` or ``list`` literal is built empty and filled item by item), or a no-argument
    constructor,
    or a constructor whose required parameters are all I/O boundaries (streams); an object
    of a subclass (the method is inherited) is built as that subclass; failing those, the
    receiver of the caller's call (``renderer`` of ``renderer.render(...)``) when the call
    site can replay it."""
    recorded = frame.vars.get("self")
    if recorded is not None:
        rebuilt = rebuild(recorded, classes=classes)
        if rebuilt is not None and (
            rebuilt.source.startswith(f"{owner.name}(") or _made_by_factory(rebuilt, classes)
        ):
            return _Instance(rebuilt.source, rebuilt.imports)
        if rebuilt is not None and replay is not None and view is not None:
            filled = objects.filled_container(
                objects.ClassRef(module, owner), rebuilt, _free_name(owner.name, replay), view
            )
            if filled is not None:
                replay.lines.extend(filled.lines)
                replay.bound[filled.name] = filled.lines[0]
                return _Instance(filled.name, filled.imports)
    named = objects.default_repr_class(recorded)
    subclass = named is not None and named[1] != owner.name
    if subclass and view is not None and named is not None:
        found = objects.find_class(view, *named)
        if found is not None and objects.subclass_of(view, found, owner.name):
            built = objects.constructor_call(found, view)
            if built is not None:
                return _Instance(built.source, built.imports)
    elif _constructible_without_arguments(owner) and not _shows_state(recorded, owner.name):
        return _Instance(f"{owner.name}()", ())
    if named is not None and named[1] == owner.name:
        built = objects.constructor_call(objects.ClassRef(module, owner), view)
        if built is not None:
            return _Instance(built.source, built.imports)
    if site is not None and site.receiver is not None and replay is not None and view is not None:
        source = callsite.replay_expression(site, site.receiver, replay, _resolver(view), view)
        if source is not None:
            return _Instance(source, ())
    if _constructible_without_arguments(owner):
        raise NotReproducible(
            f"self ({_shown(recorded)}) cannot be rebuilt, and a fresh {owner.name}() would "
            "lack the state it shows"
        )
    raise NotReproducible(
        f"self ({_shown(recorded)}) cannot be rebuilt and {owner.name}() needs arguments"
    )


def _free_name(class_name: str, replay: callsite.Replay) -> str:
    """A variable name for an object of ``class_name`` that the replay does not bind yet."""
    base = _snake(class_name).lstrip("_") or "instance"
    name, count = base, 1
    while name in replay.bound:
        count += 1
        name = f"{base}_{count}"
    return name


def _shows_state(recorded: object, class_name: str) -> bool:
    """True when the recorded ``self`` shows state a fresh object would lack: a repr of the
    class's own (``<Identifier 'x' at 0x7f...>``, ``{'title': ...}``) that was not rebuilt. A
    default repr, one Sentry could not make, or an empty container shows none."""
    if recorded is None or objects.default_repr_class(recorded) is not None:
        return False
    text = str(recorded).strip()
    if text.startswith("<failed to serialize") or text in (f"{class_name}()", "{}", "[]", "()"):
        return False
    if isinstance(recorded, dict | list) and not recorded:
        return False
    return True


def _made_by_factory(rebuilt: Rebuilt, classes: Mapping[str, str]) -> bool:
    """True when the rebuilt source is one call of a module function (``complement({'a'})``),
    the factory a class's repr names instead of the class itself."""
    name = rebuilt.source.split("(", 1)[0]
    return name[:1].islower() and name in classes and name in rebuilt.classes


def _constructible_without_arguments(owner: ast.ClassDef) -> bool:
    if _is_dataclass(owner):
        for item in owner.body:
            if isinstance(item, ast.AnnAssign) and item.value is None:
                if "ClassVar" not in ast.unparse(item.annotation):
                    return False
        return True
    for item in owner.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            return _no_required(item.args)
    # No __init__ of its own: only safe when it inherits object's.
    return not owner.bases or all(ast.unparse(base) == "object" for base in owner.bases)


def _is_dataclass(owner: ast.ClassDef) -> bool:
    return any("dataclass" in ast.unparse(decorator) for decorator in owner.decorator_list)


def _no_required(spec: ast.arguments) -> bool:
    positional = [*spec.posonlyargs, *spec.args][1:]  # without self
    if len(positional) > len(spec.defaults):
        return False
    return all(default is not None for default in spec.kw_defaults)


def _shown(recorded: object) -> str:
    text = str(recorded)
    return text if len(text) <= 60 else text[:57] + "..."
