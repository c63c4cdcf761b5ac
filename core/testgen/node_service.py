"""Regression tests for Node.js production errors, behind :func:`service.generate_for_error`.

The same flow as the Python one (pattern cache, free tier alone first, then the paid tiers
with what the free tier found, every answer validated in the sandbox), with the Node pieces:
the free tier is :func:`core.testgen.node_crash.reproduce_node_crash`, the test is written for
the project's runner (``node:test``, Jest or Vitest, from package.json and its tests), and the
model tiers see the function cut from its file by line span.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from core.errors import ArgusError
from core.patterns.event import ErrorEvent
from core.patterns.normalise import signature_of
from core.patterns.records import Pattern
from core.predict.findings import GeneratedTest
from core.router.generation import Generation, GenerationRequest, TaskKind, Tier
from core.router.generation import ValidationResult as RouterVerdict
from core.router.router import Router
from core.testgen import llm
from core.testgen.candidate import Candidate, CandidateKind
from core.testgen.frameworks import TestStyle, detect_style
from core.testgen.node_crash import (
    describe_node_attempts,
    error_site,
    intended_node_error,
    reproduce_node_crash,
)
from core.testgen.pattern_cache import PatternTestCache
from core.testgen.repo_view import RepoView
from core.testgen.validation import ValidationResult

LANGUAGE = "javascript"


async def generate_for_node_error_async(
    event: ErrorEvent,
    repo: Path | str,
    failing: str,
    *,
    tenant: str,
    pattern: Pattern | None,
    router: Router,
    after: str | None,
    max_tier: Tier | None,
    options: object,
    log: object,
) -> GeneratedTest | None:
    """A regression test for the Node ``event`` (see ``service.generate_for_error_async``);
    ``failing`` is the commit the error came from, already resolved."""
    from core.testgen import service  # imported here: the service imports this module lazily

    assert isinstance(options, service.SandboxOptions)
    assert isinstance(log, service.GenerationLog)
    view = RepoView(repo, failing)
    intended = intended_node_error(event, view)
    if intended is not None:
        log.add(f"{event.title}: skipped: {intended}")
        return None
    memory = service._Attempts()
    test_style = detect_style(repo, LANGUAGE)
    framework = str(test_style.framework)
    cache = router.cache if isinstance(router.cache, PatternTestCache) else None
    pattern_id = pattern.id if pattern is not None else None
    short = "".join(
        ch for ch in signature_of(event).pattern_hash.rsplit(":", 1)[-1] if ch.isalnum()
    )

    def run(candidate: Candidate) -> ValidationResult:
        if after is None:
            return service._run_validation(candidate, repo, failing, None, None, options)
        return service._run_validation(candidate, repo, after, failing, None, options)

    refusals: list[str] = []
    tried: list[tuple[Candidate, str]] = []

    async def free_tier() -> str | None:
        try:
            built = await asyncio.to_thread(reproduce_node_crash, event, repo, ref=failing)
        except ArgusError as refusal:
            refusals.append(str(refusal))
            raise
        for candidate in built:
            verdict = await asyncio.to_thread(run, candidate)
            memory.verdicts[candidate.source] = verdict
            memory.generators[candidate.source] = "node_crash"
            if verdict.accepted:
                return candidate.source
            why = f"{verdict.rejection}: {service._first_line(verdict.detail)}"
            tried.append((candidate, why))
            log.add(f"crash candidate {candidate.path} rejected: {why}")
        return None

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
                language=LANGUAGE,
                ref=failing,
            )
        except ArgusError:
            context = service._empty_context(site[0], site[1])
    else:
        context = service._empty_context("", "")
    prompt = llm.regression_prompt(
        context, event, framework=framework, test_path=test_path, language=LANGUAGE
    )
    request = GenerationRequest(
        task=TaskKind.REGRESSION_TEST,
        prompt=prompt,
        tenant=tenant,
        cache_key=pattern_id,
        language=LANGUAGE,
        context={service._CONTEXT_KEY: free_tier},
    )

    async def check(generation: Generation) -> RouterVerdict:
        known = memory.verdicts.get(generation.text)
        if known is not None:
            return service._router_verdict(known)
        if generation.tier is Tier.CACHE and cache is not None and pattern_id is not None:
            hit = cache.last_hit.get(pattern_id)
            path = hit.test_id if hit is not None else test_path
            chosen = (hit.framework if hit is not None else "") or framework
            try:
                candidate = Candidate(
                    language=LANGUAGE,
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
            return service._router_verdict(verdict)
        try:
            candidate = llm.candidate_from_answer(
                generation.text,
                framework=framework,
                path=test_path,
                targets=(f"{frame_path}::{function}",) if frame_path else (),
                kind=CandidateKind.REGRESSION_TEST,
                expected_exception=event.exception_type,
                language=LANGUAGE,
            )
        except llm.AnswerRejected as rejected:
            return RouterVerdict(False, rejected.reason)
        verdict = await asyncio.to_thread(run, candidate)
        memory.verdicts[generation.text] = verdict
        memory.generators[generation.text] = generation.model
        return service._router_verdict(verdict)

    paid = any(tier not in (Tier.LOCAL, Tier.CACHE) for tier in router.providers)
    result = await router.route(request, check, max_tier=Tier.LOCAL if paid else max_tier)
    if paid and not result.ok and max_tier not in (Tier.LOCAL, Tier.CACHE):
        log.results.append(result)
        service._note_attempts(log, event.title, result)
        findings = describe_node_attempts(refusals[-1] if refusals else None, tried)
        prompt = llm.regression_prompt(
            context,
            event,
            framework=framework,
            test_path=test_path,
            language=LANGUAGE,
            free_tier=findings,
        )
        request = replace(request, prompt=prompt, cache_key=None, context={})
        result = await router.route(request, check, max_tier=max_tier)
    log.results.append(result)
    service._note_attempts(log, event.title, result)
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
    return service._generated(
        verdict,
        frame_path or "",
        function or "",
        result,
        memory.generators.get(result.generation.text, result.generation.model),
        before=failing,
        after=after,
        pattern_id=pattern_id,
    )
