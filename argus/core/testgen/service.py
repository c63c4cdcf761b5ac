"""Test generation end to end: generators, the router, the sandbox and the pattern cache.

Two entry points, each async with a synchronous twin for command-line use:

- :func:`generate_for_review`: tests for the riskiest changed Python functions of a review.
  The free tier first (a Hypothesis property test for a fully annotated function, then a
  characterisation test recorded at the head), then, when nothing survived and the router has
  paid tiers within the cap, a model-written test. Every test kept passed on the head three
  times out of three and executed changed lines of its function.
- :func:`generate_for_error`: a regression test for a production error that fails on the code
  where the error happened, with that error, and passes on the fix when one is given. The
  pattern cache is asked first (a repeat of a known pattern reuses its test for nothing); then
  crash reproduction; then model tiers.

The free tier runs inside the router's ``local`` provider as a generator that *validates
internally*: it tries its candidates in order in the sandbox and answers with the first that
survived (or nothing). The verdicts are remembered by text, so the router's own validation of
that answer is not a second sandbox run. Every step is a ledger row (through the router); every
validation of a cached test moves the pattern's success rate.
"""

from __future__ import annotations

import ast
import asyncio
import re
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TypeVar

from argus.core.diff.git import run_git
from argus.core.errors import ArgusError
from argus.core.lang.symbols import Symbol
from argus.core.patterns.event import ErrorEvent
from argus.core.patterns.normalise import signature_of
from argus.core.patterns.records import Pattern
from argus.core.predict.findings import GeneratedTest, Review, SymbolRisk, TestValidation
from argus.core.router.generation import (
    Generation,
    GenerationRequest,
    Outcome,
    RoutedResult,
    TaskKind,
    Tier,
)
from argus.core.router.generation import ValidationResult as RouterVerdict
from argus.core.router.providers.local import LocalProvider
from argus.core.router.router import Router
from argus.core.testgen import llm, style
from argus.core.testgen.candidate import Candidate, CandidateKind
from argus.core.testgen.characterise import characterisation_tests, sandbox_runner
from argus.core.testgen.crash import describe_attempts, intended_error, reproduce_crash
from argus.core.testgen.frameworks import TestStyle, command_for, detect_style
from argus.core.testgen.hypothesis_gen import property_tests
from argus.core.testgen.node_crash import (
    describe_node_attempts,
    error_site,
    intended_node_error,
    is_node_event,
    reproduce_node_crash,
)
from argus.core.testgen.pattern_cache import PatternTestCache
from argus.core.testgen.project_types import ProjectTypes
from argus.core.testgen.repo_view import RepoView
from argus.core.testgen.sandbox import DEFAULT_LIMITS, DEFAULT_POLICY, IsolationPolicy, Limits
from argus.core.testgen.validation import ValidationResult, validate

_T = TypeVar("_T")

#: Name of the free-tier generator the service registers with the LocalProvider.
FREE_TIER_GENERATOR = "testgen"
_CONTEXT_KEY = "argus.free_tier"
_SHA = re.compile(r"^[0-9a-f]{7,40}$")

FreeTier = Callable[[], Awaitable[str | None]]


def register_free_tier(local: LocalProvider) -> None:
    """Register the service's free tier with ``local`` (once, in the composition root).

    The generator runs the per-request free tier the service puts in the request's context;
    requests from elsewhere (no such entry) get no answer from it.
    """

    async def run(request: GenerationRequest) -> str | None:
        free_tier = request.context.get(_CONTEXT_KEY)
        if free_tier is None or not callable(free_tier):
            return None
        produced = free_tier()
        if not isinstance(produced, Awaitable):
            return None
        text = await produced
        return text if isinstance(text, str) else None

    local.register(FREE_TIER_GENERATOR, run)


@dataclass(frozen=True)
class SandboxOptions:
    """How candidates are run: limits, isolation policy, interpreter, runs on the head."""

    limits: Limits = DEFAULT_LIMITS
    policy: IsolationPolicy = DEFAULT_POLICY
    python: str = sys.executable
    runs: int = 3


@dataclass
class GenerationLog:
    """What happened while generating: one line per rejected candidate or refused tier."""

    notes: list[str] = field(default_factory=list)
    results: list[RoutedResult] = field(default_factory=list)

    def add(self, text: str) -> None:
        """Keep one note."""
        self.notes.append(text)


@dataclass
class _Attempts:
    """Per-routing memory: sandbox verdicts by candidate text, and what each text was."""

    verdicts: dict[str, ValidationResult] = field(default_factory=dict)
    generators: dict[str, str] = field(default_factory=dict)


# -- pull-request tests -----------------------------------------------------------------------


async def generate_for_review_async(
    review: Review,
    repo: Path | str,
    head: str | None,
    changed_lines: Mapping[str, set[int]],
    *,
    router: Router,
    max_tests: int = 3,
    tenant: str = "local",
    max_tier: Tier | None = None,
    sandbox: SandboxOptions | None = None,
    log: GenerationLog | None = None,
) -> list[GeneratedTest]:
    """Validated tests for the ``max_tests`` riskiest changed Python functions of ``review``.

    ``head`` is the commit the tests must pass on (None: the working tree); ``changed_lines``
    maps repository-relative paths to changed (new-side) line numbers.
    """
    options = sandbox or SandboxOptions()
    log = log if log is not None else GenerationLog()
    tests: list[GeneratedTest] = []
    languages = testable_languages(repo, review)
    for symbol in riskiest_functions(review, max_tests, languages):
        lines = _lines_in(changed_lines.get(symbol.path, set()), symbol)
        if not lines:
            continue
        # Python has the free tier first; other languages go to the model tiers alone.
        generate = _test_for_symbol if _language_of(symbol) == "python" else _model_test_for_symbol
        try:
            test = await generate(
                symbol, repo, head, {symbol.path: lines}, router, tenant, max_tier, options, log
            )
        except ArgusError as error:
            log.add(f"{symbol.path}::{symbol.name}: {error}")
            continue
        if test is not None:
            tests.append(test)
    return tests


def generate_for_review(
    review: Review,
    repo: Path | str,
    head: str | None,
    changed_lines: Mapping[str, set[int]],
    *,
    router: Router,
    max_tests: int = 3,
    tenant: str = "local",
    max_tier: Tier | None = None,
    sandbox: SandboxOptions | None = None,
    log: GenerationLog | None = None,
) -> list[GeneratedTest]:
    """Synchronous :func:`generate_for_review_async` (runs its own event loop, and closes the
    router's clients before it ends: see :meth:`Router.aclose`)."""
    return asyncio.run(
        _closing_router(
            router,
            generate_for_review_async(
                review,
                repo,
                head,
                changed_lines,
                router=router,
                max_tests=max_tests,
                tenant=tenant,
                max_tier=max_tier,
                sandbox=sandbox,
                log=log,
            ),
        )
    )


async def _closing_router(router: Router, work: Awaitable[_T]) -> _T:
    try:
        return await work
    finally:
        await router.aclose()


def riskiest_functions(
    review: Review, count: int, languages: frozenset[str] = frozenset({"python"})
) -> list[SymbolRisk]:
    """The ``count`` riskiest changed functions and methods in ``languages``, riskiest first."""
    functions = [
        symbol
        for symbol in review.symbols
        if symbol.kind in ("function", "method") and _language_of(symbol) in languages
    ]
    functions.sort(key=lambda symbol: (-symbol.probability, symbol.path, symbol.start_line))
    return functions[: max(0, count)]


def testable_languages(repo: Path | str, review: Review) -> frozenset[str]:
    """Python, plus each JavaScript/TypeScript language of the review whose test runner can
    run here (node for node:test; the project's own jest or vitest in node_modules)."""
    found = {"python"}
    for language in {_language_of(symbol) for symbol in review.symbols} & llm.JS_LANGUAGES:
        try:
            test_style = detect_style(repo, language)
        except ArgusError:
            continue
        command = command_for(test_style.framework, "probe.test.js", Path(repo))
        if command.available:
            found.add(language)
    return frozenset(found)


def _language_of(symbol: SymbolRisk) -> str:
    if symbol.language:
        return symbol.language
    return "python" if symbol.path.endswith(".py") else ""


def changed_lines_of(files: Sequence[object]) -> dict[str, set[int]]:
    """New-side added line numbers per path, from a ChangeSet's ``files``."""
    lines: dict[str, set[int]] = {}
    for change in files:
        path = getattr(change, "new_path", None)
        hunks = getattr(change, "hunks", ())
        if not path:
            continue
        for hunk in hunks:
            lines.setdefault(path, set()).update(getattr(hunk, "added", ()))
    return {path: found for path, found in lines.items() if found}


async def _test_for_symbol(
    symbol: SymbolRisk,
    repo: Path | str,
    head: str | None,
    changed: dict[str, set[int]],
    router: Router,
    tenant: str,
    max_tier: Tier | None,
    options: SandboxOptions,
    log: GenerationLog,
) -> GeneratedTest | None:
    view = RepoView(repo, head)
    located = view.import_path(symbol.path)
    test_style = style.python_style(repo)
    framework = str(test_style.framework)
    simple = symbol.name.split(".")[-1]
    memory = _Attempts()
    lang_symbol = Symbol(
        simple, symbol.name, symbol.kind, symbol.start_line, symbol.end_line, 1, None
    )

    def candidates() -> list[tuple[str, Candidate]]:
        found: list[tuple[str, Candidate]] = []
        if symbol.kind in ("function", "method"):
            source = view.read(symbol.path)
            target = style.test_path(test_style, f"properties_{simple}", symbol.path)
            for candidate in property_tests(
                symbol.path,
                source,
                lang_symbol,
                module=located.module,
                framework=framework,
                test_file=target,
                import_root=located.root,
                project=ProjectTypes.from_view(view, located.root),
            ):
                found.append(("hypothesis", candidate))
            runner = sandbox_runner(repo, head, python=options.python, limits=options.limits)
            for candidate in characterisation_tests(
                repo,
                symbol.path,
                lang_symbol,
                module=located.module,
                runner=runner,
                ref=head,
                framework=framework,
                import_root=located.root,
            ):
                found.append(("characterise", candidate))
        return found

    async def free_tier() -> str | None:
        built = await asyncio.to_thread(candidates)
        for generator, candidate in built:
            verdict = await asyncio.to_thread(
                _run_validation, candidate, repo, head, None, changed, options
            )
            memory.verdicts[candidate.source] = verdict
            memory.generators[candidate.source] = generator
            if verdict.accepted:
                return candidate.source
            log.add(
                f"{symbol.path}::{symbol.name}: {generator} candidate rejected: "
                f"{verdict.rejection}: {_first_line(verdict.detail)}"
            )
        return None

    test_path = style.test_path(test_style, f"{simple}_generated", symbol.path)
    context = llm.function_context(
        repo, symbol.path, symbol.name, ref=head, changed_lines=frozenset(changed[symbol.path])
    )
    prompt = llm.pr_prompt(context, framework=framework, test_path=test_path)
    request = GenerationRequest(
        task=TaskKind.PR_TEST,
        prompt=prompt,
        tenant=tenant,
        language="python",
        context={_CONTEXT_KEY: free_tier},
    )

    return await _route_pr_test(
        request,
        symbol,
        framework,
        test_path,
        "python",
        repo,
        head,
        changed,
        router,
        max_tier,
        options,
        log,
        memory,
    )


async def _model_test_for_symbol(
    symbol: SymbolRisk,
    repo: Path | str,
    head: str | None,
    changed: dict[str, set[int]],
    router: Router,
    tenant: str,
    max_tier: Tier | None,
    options: SandboxOptions,
    log: GenerationLog,
) -> GeneratedTest | None:
    """A test of a JavaScript/TypeScript function: no free tier yet, so the model tiers only.

    Changed-line coverage is measured for Python only; such a test must pass on the head three
    times, and its coverage fields stay empty.
    """
    language = _language_of(symbol)
    test_style = detect_style(repo, language)
    framework = str(test_style.framework)
    simple = symbol.name.split(".")[-1]
    test_path = test_style.test_path(f"{simple}_generated", symbol.path)
    memory = _Attempts()
    context = llm.function_context_by_lines(
        repo,
        symbol.path,
        symbol.name,
        symbol.start_line,
        symbol.end_line,
        test_path=test_path,
        language=language,
        ref=head,
        changed_lines=frozenset(changed[symbol.path]),
    )
    prompt = llm.pr_prompt(context, framework=framework, test_path=test_path, language=language)
    request = GenerationRequest(
        task=TaskKind.PR_TEST, prompt=prompt, tenant=tenant, language=language
    )

    return await _route_pr_test(
        request,
        symbol,
        framework,
        test_path,
        language,
        repo,
        head,
        changed,
        router,
        max_tier,
        options,
        log,
        memory,
    )


async def _route_pr_test(
    request: GenerationRequest,
    symbol: SymbolRisk,
    framework: str,
    test_path: str,
    language: str,
    repo: Path | str,
    head: str | None,
    changed: dict[str, set[int]],
    router: Router,
    max_tier: Tier | None,
    options: SandboxOptions,
    log: GenerationLog,
    memory: _Attempts,
) -> GeneratedTest | None:
    """Route a PR-test request through the tiers; every answer is validated in the sandbox
    (a verdict the free tier already reached for the same text is reused)."""

    async def check(generation: Generation) -> RouterVerdict:
        known = memory.verdicts.get(generation.text)
        if known is not None:
            return _router_verdict(known)
        try:
            candidate = llm.candidate_from_answer(
                generation.text,
                framework=framework,
                path=test_path,
                targets=(f"{symbol.path}::{symbol.name}",),
                kind=CandidateKind.PR_TEST,
                language=language,
            )
        except llm.AnswerRejected as rejected:
            return RouterVerdict(False, rejected.reason)
        verdict = await asyncio.to_thread(
            _run_validation, candidate, repo, head, None, changed, options
        )
        memory.verdicts[generation.text] = verdict
        memory.generators[generation.text] = generation.model
        return _router_verdict(verdict)

    result = await router.route(request, check, max_tier=max_tier)
    log.results.append(result)
    _note_attempts(log, f"{symbol.path}::{symbol.name}", result)
    if not result.ok or result.generation is None:
        return None
    return _generated(
        memory.verdicts[result.generation.text],
        symbol.path,
        symbol.name,
        result,
        memory.generators.get(result.generation.text, result.generation.model),
        before=None,
        after=head,
    )


# -- regression tests from production errors --------------------------------------------------


async def generate_for_error_async(
    event: ErrorEvent,
    repo: Path | str,
    *,
    tenant: str,
    pattern: Pattern | None,
    router: Router,
    before: str | None = None,
    after: str | None = None,
    max_tier: Tier | None = None,
    sandbox: SandboxOptions | None = None,
    log: GenerationLog | None = None,
) -> GeneratedTest | None:
    """A regression test for ``event``: fails where the error happened, passes on the fix.

    ``before`` is the commit the error came from; by default the event's release when it names
    a commit of ``repo``, else the current head. ``after`` is the fix commit; without one the
    test is validated as a reproduction only (it must fail on ``before`` with the error, three
    times out of three). ``pattern`` (the pattern the event was filed under) keys the cache:
    with a :class:`PatternTestCache` on the router, a known pattern's test is reused.
    """
    options = sandbox or SandboxOptions()
    log = log if log is not None else GenerationLog()
    failing = before or resolve_release(repo, event.release) or _head_commit(repo)
    if is_node_event(event):
        # Node.js: the same flow with the Node free tier and the project's JavaScript runner.
        return await _generate_for_node_error_async(
            event,
            repo,
            failing,
            tenant=tenant,
            pattern=pattern,
            router=router,
            after=after,
            max_tier=max_tier,
            options=options,
            log=log,
        )
    intended = intended_error(event, RepoView(repo, failing))
    if intended is not None:
        # No tier may write a "does not raise" test for an error raised on purpose.
        log.add(f"{event.title}: skipped: {intended}")
        return None
    test_style = style.python_style(repo)
    short = signature_of(event).pattern_hash[:8]
    frame_path, function = _error_site(event, repo, failing)
    test_path = style.test_path(
        test_style, f"regression_{(function or 'error').replace('.', '_')}_{short}", frame_path
    )
    if frame_path and function:
        try:
            context = llm.function_context(repo, frame_path, function, ref=failing)
        except ArgusError:
            context = _empty_context(frame_path, function)
    else:
        context = _empty_context(frame_path or "", function or "")
    target = _RegressionTarget(
        language="python",
        framework=str(test_style.framework),
        test_path=test_path,
        frame_path=frame_path,
        function=function,
        context=context,
        reproduce=reproduce_crash,
        free_tier_name="crash",
        describe=describe_attempts,
    )
    return await _route_regression_test(
        event,
        repo,
        failing,
        target,
        tenant=tenant,
        pattern=pattern,
        router=router,
        after=after,
        max_tier=max_tier,
        options=options,
        log=log,
    )


def generate_for_error(
    event: ErrorEvent,
    repo: Path | str,
    *,
    tenant: str,
    pattern: Pattern | None,
    router: Router,
    before: str | None = None,
    after: str | None = None,
    max_tier: Tier | None = None,
    sandbox: SandboxOptions | None = None,
    log: GenerationLog | None = None,
) -> GeneratedTest | None:
    """Synchronous :func:`generate_for_error_async` (runs its own event loop, and closes the
    router's clients before it ends: see :meth:`Router.aclose`)."""
    return asyncio.run(
        _closing_router(
            router,
            generate_for_error_async(
                event,
                repo,
                tenant=tenant,
                pattern=pattern,
                router=router,
                before=before,
                after=after,
                max_tier=max_tier,
                sandbox=sandbox,
                log=log,
            ),
        )
    )


def resolve_release(repo: Path | str, release: str | None) -> str | None:
    """The commit a release names, when it is (an abbreviation of) a commit of ``repo``."""
    if not release:
        return None
    candidate = release.strip().rsplit("@", 1)[-1]
    if not _SHA.match(candidate):
        return None
    output = run_git(
        Path(repo), "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}", check=False
    )
    text = output.decode("ascii", "replace").strip()
    return text or None


# -- shared helpers ---------------------------------------------------------------------------


def _run_validation(
    candidate: Candidate,
    repo: Path | str,
    head: str | None,
    before: str | None,
    changed: Mapping[str, set[int]] | None,
    options: SandboxOptions,
) -> ValidationResult:
    return validate(
        candidate,
        repo,
        head,
        before,
        changed,
        limits=options.limits,
        runs=options.runs,
        policy=options.policy,
        python=options.python,
    )


def _router_verdict(verdict: ValidationResult) -> RouterVerdict:
    if verdict.accepted:
        return RouterVerdict(True)
    return RouterVerdict(False, f"{verdict.rejection}: {_first_line(verdict.detail)}")


def _generated(
    verdict: ValidationResult,
    target_path: str,
    target_symbol: str,
    result: RoutedResult,
    generator: str,
    *,
    before: str | None,
    after: str | None,
    pattern_id: str | None = None,
) -> GeneratedTest:
    candidate = verdict.candidate
    head_runs = [run for run in verdict.runs if run.stage == "head"]
    coverage = verdict.coverage
    measured = coverage is not None and coverage.measured
    regression = candidate.kind is CandidateKind.REGRESSION_TEST
    if regression and after is None:
        # Validated as a reproduction: every run on the failing code failed with the error.
        passes_after = None
        passed_runs = 0
    else:
        passes_after = verdict.passes_on_head
        passed_runs = sum(1 for run in head_runs if run.passed)
    summary = TestValidation(
        runs=len(head_runs),
        passed_runs=passed_runs,
        fails_before=verdict.fails_before if regression else None,
        passes_after=passes_after,
        expected_exception=candidate.expected_exception,
        changed_lines_covered=coverage.covered_count if measured and coverage else None,
        changed_lines_total=coverage.changed_count if measured and coverage else None,
        isolation=verdict.isolation.describe() if verdict.isolation is not None else "",
        tier=str(result.tier or ""),
        generator=generator,
        dollars=round(result.dollars, 6),
        cached=result.cache_hit,
        before=before,
        after=after,
    )
    return GeneratedTest(
        target_path=target_path,
        target_symbol=target_symbol,
        language=candidate.language,
        framework=candidate.framework,
        path=candidate.path,
        source=candidate.source,
        kind=str(candidate.kind),
        validation=summary,
        pattern_id=pattern_id,
    )


def _note_attempts(log: GenerationLog, what: str, result: RoutedResult) -> None:
    for attempt in result.attempts:
        if attempt.tier is Tier.CACHE and attempt.outcome is Outcome.MISS:
            continue
        if attempt.outcome is not Outcome.OK and attempt.reason:
            log.add(f"{what}: {attempt.tier} ({attempt.outcome}): {_first_line(attempt.reason)}")
    if not result.ok and result.reason:
        log.add(f"{what}: {result.reason}")


def _lines_in(lines: set[int], symbol: SymbolRisk) -> set[int]:
    return {line for line in lines if symbol.start_line <= line <= symbol.end_line}


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0][:200] if stripped else ""


def _head_commit(repo: Path | str) -> str:
    return run_git(Path(repo), "rev-parse", "HEAD").decode("ascii").strip()


def _error_site(event: ErrorEvent, repo: Path | str, ref: str) -> tuple[str | None, str | None]:
    """The repository file and function of the innermost in-app frame that maps to one."""
    view = RepoView(repo, ref)
    for frame in reversed(event.frames):
        if not frame.in_app:
            continue
        path = view.map_path(frame.path, frame.module)
        if path is None or not path.endswith(".py"):
            continue
        function = frame.function
        try:
            tree = ast.parse(view.read(path))
        except (SyntaxError, ValueError):
            return path, function
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if (
                        isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                        and item.name == function
                        and frame.lineno is not None
                        and item.lineno <= frame.lineno <= (item.end_lineno or item.lineno)
                    ):
                        return path, f"{node.name}.{function}"
        return path, function
    return None, None


def _empty_context(path: str, function: str) -> llm.FunctionContext:
    module = PurePosixPath(path).with_suffix("").as_posix().replace("/", ".") if path else ""
    return llm.FunctionContext(
        path=path,
        name=function or "unknown",
        module=module or "unknown",
        import_root="",
        source="(the function could not be read from the repository)",
        callers="(none found)",
        existing_tests="(none found)",
    )


# -- Node.js production errors ----------------------------------------------------------------

_NODE_LANGUAGE = "javascript"


async def _generate_for_node_error_async(
    event: ErrorEvent,
    repo: Path | str,
    failing: str,
    *,
    tenant: str,
    pattern: Pattern | None,
    router: Router,
    after: str | None,
    max_tier: Tier | None,
    options: SandboxOptions,
    log: GenerationLog,
) -> GeneratedTest | None:
    """A regression test for the Node ``event`` (see :func:`generate_for_error_async`);
    ``failing`` is the commit the error came from, already resolved."""
    view = RepoView(repo, failing)
    intended = intended_node_error(event, view)
    if intended is not None:
        log.add(f"{event.title}: skipped: {intended}")
        return None
    test_style = detect_style(repo, _NODE_LANGUAGE)
    short = "".join(
        ch for ch in signature_of(event).pattern_hash.rsplit(":", 1)[-1] if ch.isalnum()
    )
    site = error_site(event, view)
    frame_path, function = (site[0], site[1]) if site else (None, None)
    name = f"regression_{(function or 'error').replace('.', '_')}_{short[:8]}"
    test_path = TestStyle(
        test_style.language, test_style.framework, test_style.tests_folder, test_style.naming
    ).test_path(name, frame_path)
    if site is not None:
        try:
            context = llm.function_context_by_lines(
                repo,
                site[0],
                site[1],
                site[2],
                site[3],
                test_path=test_path,
                language=_NODE_LANGUAGE,
                ref=failing,
            )
        except ArgusError:
            context = _empty_context(site[0], site[1])
    else:
        context = _empty_context("", "")
    target = _RegressionTarget(
        language=_NODE_LANGUAGE,
        framework=str(test_style.framework),
        test_path=test_path,
        frame_path=frame_path,
        function=function,
        context=context,
        reproduce=reproduce_node_crash,
        free_tier_name="node_crash",
        describe=describe_node_attempts,
    )
    return await _route_regression_test(
        event,
        repo,
        failing,
        target,
        tenant=tenant,
        pattern=pattern,
        router=router,
        after=after,
        max_tier=max_tier,
        options=options,
        log=log,
    )


@dataclass(frozen=True)
class _RegressionTarget:
    """What a language's regression-test flow decides before the tiers run: where the test
    goes, the function it is about, the model's context, and the language's free tier."""

    language: str
    framework: str
    test_path: str
    frame_path: str | None
    function: str | None
    context: llm.FunctionContext
    reproduce: Callable[..., Sequence[Candidate]]
    """The free tier: ``reproduce(event, repo, ref=commit)`` -> candidates (ArgusError: none)."""
    free_tier_name: str
    describe: Callable[[str | None, list[tuple[Candidate, str]]], str]
    """What the free tier found, for the paid tiers' prompt."""


async def _route_regression_test(
    event: ErrorEvent,
    repo: Path | str,
    failing: str,
    target: _RegressionTarget,
    *,
    tenant: str,
    pattern: Pattern | None,
    router: Router,
    after: str | None,
    max_tier: Tier | None,
    options: SandboxOptions,
    log: GenerationLog,
) -> GeneratedTest | None:
    """The tiers for one error, the same for every language: the free tier alone first, then
    (when it fails) the paid tiers with what it found; every answer validated in the sandbox,
    fail before and pass after; the accepted test stored under the pattern."""
    memory = _Attempts()
    framework = target.framework
    test_path, frame_path, function = target.test_path, target.frame_path, target.function
    cache = router.cache if isinstance(router.cache, PatternTestCache) else None
    pattern_id = pattern.id if pattern is not None else None

    def run(candidate: Candidate) -> ValidationResult:
        if after is None:
            return _run_validation(candidate, repo, failing, None, None, options)
        return _run_validation(candidate, repo, after, failing, None, options)

    refusals: list[str] = []
    tried: list[tuple[Candidate, str]] = []

    async def free_tier() -> str | None:
        try:
            built = await asyncio.to_thread(target.reproduce, event, repo, ref=failing)
        except ArgusError as refusal:
            refusals.append(str(refusal))
            raise
        for candidate in built:
            verdict = await asyncio.to_thread(run, candidate)
            memory.verdicts[candidate.source] = verdict
            memory.generators[candidate.source] = target.free_tier_name
            if verdict.accepted:
                return candidate.source
            why = f"{verdict.rejection}: {_first_line(verdict.detail)}"
            tried.append((candidate, why))
            log.add(f"crash candidate {candidate.path} rejected: {why}")
        return None

    prompt = llm.regression_prompt(
        target.context, event, framework=framework, test_path=test_path, language=target.language
    )
    request = GenerationRequest(
        task=TaskKind.REGRESSION_TEST,
        prompt=prompt,
        tenant=tenant,
        cache_key=pattern_id,
        language=target.language,
        context={_CONTEXT_KEY: free_tier},
    )

    async def check(generation: Generation) -> RouterVerdict:
        known = memory.verdicts.get(generation.text)
        if known is not None:
            return _router_verdict(known)
        if generation.tier is Tier.CACHE and cache is not None and pattern_id is not None:
            hit = cache.last_hit.get(pattern_id)
            path = hit.test_id if hit is not None else test_path
            chosen = (hit.framework if hit is not None else "") or framework
            try:
                candidate = Candidate(
                    language=target.language,
                    framework=chosen,
                    path=path,
                    source=generation.text,
                    kind=CandidateKind.REGRESSION_TEST,
                    expected_exception=event.exception_type,
                )
            except ArgusError as error:
                return RouterVerdict(False, f"cached test unusable: {error}")
            verdict = await asyncio.to_thread(run, candidate)
            memory.verdicts[generation.text] = verdict
            memory.generators[generation.text] = "pattern_cache"
            if hit is not None:
                cache.record_outcome(pattern_id, hit, verdict.accepted)
            return _router_verdict(verdict)
        try:
            candidate = llm.candidate_from_answer(
                generation.text,
                framework=framework,
                path=test_path,
                targets=(f"{frame_path}::{function}",) if frame_path else (),
                kind=CandidateKind.REGRESSION_TEST,
                expected_exception=event.exception_type,
                language=target.language,
            )
        except llm.AnswerRejected as rejected:
            return RouterVerdict(False, rejected.reason)
        verdict = await asyncio.to_thread(run, candidate)
        memory.verdicts[generation.text] = verdict
        memory.generators[generation.text] = generation.model
        return _router_verdict(verdict)

    # The free tier first, alone: when it fails, the paid tiers' prompt carries what it found.
    paid = any(tier not in (Tier.LOCAL, Tier.CACHE) for tier in router.providers)
    result = await router.route(request, check, max_tier=Tier.LOCAL if paid else max_tier)
    if paid and not result.ok and max_tier not in (Tier.LOCAL, Tier.CACHE):
        log.results.append(result)
        _note_attempts(log, event.title, result)
        findings = target.describe(refusals[-1] if refusals else None, tried)
        prompt = llm.regression_prompt(
            target.context,
            event,
            framework=framework,
            test_path=test_path,
            language=target.language,
            free_tier=findings,
        )
        request = replace(request, prompt=prompt, cache_key=None, context={})
        result = await router.route(request, check, max_tier=max_tier)
    log.results.append(result)
    _note_attempts(log, event.title, result)
    if not result.ok or result.generation is None:
        return None
    verdict = memory.verdicts[result.generation.text]
    if cache is not None and pattern_id is not None and not result.cache_hit:
        cache.store(
            pattern_id,
            verdict.candidate.path,
            verdict.candidate.framework,
            verdict.candidate.source,
        )
    return _generated(
        verdict,
        frame_path or "",
        function or "",
        result,
        memory.generators.get(result.generation.text, result.generation.model),
        before=failing,
        after=after,
        pattern_id=pattern_id,
    )
