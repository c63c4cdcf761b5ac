"""Each provider adapter against its local protocol server, through the real client code."""

from __future__ import annotations

import time

import anthropic  # noqa: F401 - imported up front: timing tests measure requests, not imports
import pytest

from argus.core.router.errors import (
    BadProviderAnswer,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from argus.core.router.generation import Tier
from argus.core.router.providers.anthropic_messages import AnthropicProvider
from argus.core.router.providers.openai_compatible import OpenAICompatibleProvider
from argus.core.router.providers.workers_ai import WorkersAIProvider
from tests.core.router.helpers import make_request
from tests.servers.scripted import (
    ScriptedServer,
    anthropic_error,
    anthropic_message,
    html_page,
    malformed,
    openai_completion,
    openai_error,
    slow,
    trickle,
    workers_ai_error,
    workers_ai_result,
)

pytestmark = pytest.mark.anyio


def workers(server: ScriptedServer, timeout: float = 5.0) -> WorkersAIProvider:
    return WorkersAIProvider("acct123", "cf-token", base_url=server.url, timeout=timeout)


def haiku(server: ScriptedServer, timeout: float = 5.0) -> AnthropicProvider:
    return AnthropicProvider.haiku("sk-test", base_url=server.url, timeout=timeout)


def openai(server: ScriptedServer, timeout: float = 5.0) -> OpenAICompatibleProvider:
    return OpenAICompatibleProvider(
        f"{server.url}/v1", "llama3.1:8b", api_key="local-key", timeout=timeout
    )


# -- Workers AI -------------------------------------------------------------------------------


async def test_workers_ai_success_reads_usage_and_sends_documented_request(
    workers_ai_server: ScriptedServer,
) -> None:
    workers_ai_server.enqueue(
        workers_ai_result(
            "def test_add(): assert add(1, 2) == 3", prompt_tokens=812, completion_tokens=41
        )
    )
    async with workers(workers_ai_server) as provider:
        generation = await provider.generate(make_request(max_output_tokens=333))

    assert generation.text.startswith("def test_add")
    assert (generation.input_tokens, generation.output_tokens) == (812, 41)
    assert generation.tier is Tier.WORKERS_AI
    assert generation.request_id and generation.request_id.endswith("-LHR")
    [received] = workers_ai_server.requests
    assert received.path == "/accounts/acct123/ai/run/@cf/meta/llama-3.1-8b-instruct"
    assert received.header("authorization") == "Bearer cf-token"
    assert received.body["max_tokens"] == 333
    assert [m["role"] for m in received.body["messages"]] == ["system", "user"]


async def test_workers_ai_429_carries_retry_after(workers_ai_server: ScriptedServer) -> None:
    workers_ai_server.enqueue(
        workers_ai_error(429, 3040, "Capacity temporarily exceeded", retry_after=7)
    )
    async with workers(workers_ai_server) as provider:
        with pytest.raises(RateLimited) as caught:
            await provider.generate(make_request())
    assert caught.value.retry_after == 7
    assert "3040: Capacity temporarily exceeded" in str(caught.value)


async def test_workers_ai_5xx_is_retryable_and_4xx_is_not(
    workers_ai_server: ScriptedServer,
) -> None:
    workers_ai_server.enqueue(
        workers_ai_error(503, 1031, "upstream unavailable"),
        workers_ai_error(400, 5006, "invalid input: max_tokens"),
    )
    async with workers(workers_ai_server) as provider:
        with pytest.raises(ProviderUnavailable) as first:
            await provider.generate(make_request())
        with pytest.raises(ProviderUnavailable) as second:
            await provider.generate(make_request())
    assert (first.value.status, first.value.retryable) == (503, True)
    assert (second.value.status, second.value.retryable) == (400, False)


async def test_workers_ai_success_false_and_missing_usage_are_bad_answers(
    workers_ai_server: ScriptedServer,
) -> None:
    no_usage = workers_ai_result("x")
    del no_usage.body["result"]["usage"]
    failed = workers_ai_result("x")
    failed.body["success"] = False
    failed.body["errors"] = [{"code": 7000, "message": "odd"}]
    workers_ai_server.enqueue(no_usage, failed, malformed())
    async with workers(workers_ai_server) as provider:
        for expected in ("result.usage.prompt_tokens", "success is false", "not JSON"):
            with pytest.raises(BadProviderAnswer, match=expected):
                await provider.generate(make_request())


async def test_workers_ai_hang_costs_at_most_the_timeout(workers_ai_server: ScriptedServer) -> None:
    workers_ai_server.enqueue(slow(workers_ai_result("late"), 5.0))
    started = time.monotonic()
    async with workers(workers_ai_server, timeout=0.3) as provider:
        with pytest.raises(ProviderTimeout):
            await provider.generate(make_request())
    assert time.monotonic() - started < 2.0


async def test_unreachable_server_is_unavailable() -> None:
    server = ScriptedServer("workers_ai").start()
    url = server.url
    server.stop()
    async with WorkersAIProvider("a", "t", base_url=url, timeout=2.0) as provider:
        with pytest.raises(ProviderUnavailable, match="cannot reach"):
            await provider.generate(make_request())


# -- Anthropic (the real SDK) -----------------------------------------------------------------


async def test_anthropic_success_with_cache_reads(anthropic_server: ScriptedServer) -> None:
    anthropic_server.enqueue(
        anthropic_message(
            "def test_x():\n    assert f() == 1\n",
            input_tokens=1200,
            output_tokens=90,
            cache_read_input_tokens=3000,
        )
    )
    async with haiku(anthropic_server) as provider:
        generation = await provider.generate(make_request(max_output_tokens=512))

    assert generation.text.startswith("def test_x")
    assert (generation.input_tokens, generation.output_tokens, generation.cached_tokens) == (
        1200,
        90,
        3000,
    )
    assert generation.model == "claude-haiku-5-5"
    assert generation.request_id and generation.request_id.startswith("req_")
    [received] = anthropic_server.requests
    assert received.path == "/v1/messages"
    # SDK 2.x sends the key as a bearer token; 1.x used x-api-key.
    assert "sk-test" in (received.header("authorization") or received.header("x-api-key") or "")
    assert received.header("anthropic-version")
    assert received.body["model"] == "claude-haiku-5-5"
    assert received.body["max_tokens"] == 512
    assert received.body["system"] == "You write tests."
    assert received.body["messages"][0]["role"] == "user"


async def test_anthropic_429_retry_after_and_sdk_does_not_retry(
    anthropic_server: ScriptedServer,
) -> None:
    anthropic_server.enqueue(
        anthropic_error(
            429,
            "rate_limit_error",
            "Number of requests has exceeded your rate limit",
            retry_after=12,
        ),
        anthropic_message("never reached"),
    )
    async with haiku(anthropic_server) as provider:
        with pytest.raises(RateLimited) as caught:
            await provider.generate(make_request())
    assert caught.value.retry_after == 12
    assert "rate_limit_error" in str(caught.value)
    assert len(anthropic_server.requests) == 1  # max_retries=0: one request, our policy decides


async def test_anthropic_overloaded_and_bad_request(anthropic_server: ScriptedServer) -> None:
    anthropic_server.enqueue(
        anthropic_error(529, "overloaded_error", "Overloaded"),
        anthropic_error(400, "invalid_request_error", "max_tokens: must be positive"),
    )
    async with haiku(anthropic_server) as provider:
        with pytest.raises(ProviderUnavailable) as overloaded:
            await provider.generate(make_request())
        with pytest.raises(ProviderUnavailable) as bad_request:
            await provider.generate(make_request())
    assert overloaded.value.retryable and overloaded.value.status == 529
    assert not bad_request.value.retryable and "invalid_request_error" in str(bad_request.value)


async def test_anthropic_timeout(anthropic_server: ScriptedServer) -> None:
    anthropic_server.enqueue(slow(anthropic_message("late"), 5.0))
    started = time.monotonic()
    async with haiku(anthropic_server, timeout=0.3) as provider:
        with pytest.raises(ProviderTimeout):
            await provider.generate(make_request())
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("reply", [malformed(), html_page()], ids=["cut-json", "html"])
async def test_anthropic_garbage_is_a_bad_answer(anthropic_server: ScriptedServer, reply) -> None:  # type: ignore[no-untyped-def]
    anthropic_server.enqueue(reply)
    async with haiku(anthropic_server) as provider:
        with pytest.raises(BadProviderAnswer):
            await provider.generate(make_request())


async def test_anthropic_message_without_usage_is_a_bad_answer(
    anthropic_server: ScriptedServer,
) -> None:
    reply = anthropic_message("x")
    del reply.body["usage"]
    reply.body["content"] = []
    anthropic_server.enqueue(reply)
    async with haiku(anthropic_server) as provider:
        with pytest.raises(BadProviderAnswer):
            await provider.generate(make_request())


# -- OpenAI-compatible ------------------------------------------------------------------------


async def test_openai_compatible_success_separates_cached_tokens(
    openai_server: ScriptedServer,
) -> None:
    openai_server.enqueue(
        openai_completion(
            "def test_y(): pass", prompt_tokens=1000, completion_tokens=20, cached_tokens=600
        )
    )
    async with openai(openai_server) as provider:
        generation = await provider.generate(make_request())
    assert (generation.input_tokens, generation.cached_tokens, generation.output_tokens) == (
        400,
        600,
        20,
    )
    [received] = openai_server.requests
    assert received.path == "/v1/chat/completions"
    assert received.header("authorization") == "Bearer local-key"
    assert received.body["model"] == "llama3.1:8b"


async def test_openai_compatible_errors(openai_server: ScriptedServer) -> None:
    no_choices = openai_completion("x")
    no_choices.body["choices"] = []
    openai_server.enqueue(
        openai_error(429, "rate_limit_exceeded", "slow down", retry_after=2),
        openai_error(500, "server_error", "boom"),
        no_choices,
        slow(openai_completion("late"), 5.0),
    )
    async with openai(openai_server, timeout=0.3) as provider:
        with pytest.raises(RateLimited) as limited:
            await provider.generate(make_request())
        assert limited.value.retry_after == 2
        with pytest.raises(ProviderUnavailable, match="server_error: boom"):
            await provider.generate(make_request())
        with pytest.raises(BadProviderAnswer, match="choices"):
            await provider.generate(make_request())
        with pytest.raises(ProviderTimeout):
            await provider.generate(make_request())


async def test_prompt_without_system_sends_no_system(  # type: ignore[no-untyped-def]
    anthropic_server, workers_ai_server
) -> None:
    from dataclasses import replace

    from tests.core.router.helpers import PROMPT

    request = make_request(prompt=replace(PROMPT, system=""))
    anthropic_server.enqueue(anthropic_message("x"))
    workers_ai_server.enqueue(workers_ai_result("y"))
    async with haiku(anthropic_server) as claude, workers(workers_ai_server) as llama:
        await claude.generate(request)
        await llama.generate(request)
    assert "system" not in anthropic_server.requests[0].body
    assert [m["role"] for m in workers_ai_server.requests[0].body["messages"]] == ["user"]


@pytest.mark.parametrize("dialect", ["workers_ai", "anthropic", "openai"])
async def test_trickling_answer_costs_at_most_the_timeout(dialect: str) -> None:
    # Each piece arrives within the read timeout; only the overall deadline stops the request.
    replies = {
        "workers_ai": workers_ai_result("x" * 2000),
        "anthropic": anthropic_message("x" * 2000),
        "openai": openai_completion("x" * 2000),
    }
    build = {"workers_ai": workers, "anthropic": haiku, "openai": openai}[dialect]
    with ScriptedServer(dialect) as server:
        server.enqueue(trickle(replies[dialect], 0.25))
        started = time.monotonic()
        async with build(server, timeout=0.6) as provider:
            with pytest.raises(ProviderTimeout, match="within 0.6s"):
                await provider.generate(make_request())
        assert time.monotonic() - started < 1.8


def test_retry_after_in_both_forms() -> None:
    from datetime import UTC, datetime

    from argus.core.router.providers.http import parse_retry_after

    now = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Fri, 27 Nov 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Fri, 27 Nov 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


async def test_responder_answers_with_usage_from_the_request(openai_server) -> None:  # type: ignore[no-untyped-def]
    from tests.servers.scripted import estimated_prompt_tokens

    openai_server.responder = lambda request: openai_completion(
        "ok", prompt_tokens=estimated_prompt_tokens(request), completion_tokens=10
    )
    async with openai(openai_server) as provider:
        small = await provider.generate(make_request())
        large = await provider.generate(
            make_request(prompt=replace_user(make_request().prompt, "x" * 4000))
        )
    assert small.input_tokens == (len("You write tests.") + len(make_request().prompt.user)) // 4
    assert large.input_tokens == (len("You write tests.") + 4000) // 4


def replace_user(prompt, user: str):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    return replace(prompt, user=user)
