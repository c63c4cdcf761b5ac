"""The router end to end: real providers against the local servers, a real SQLite ledger."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import anthropic  # noqa: F401 - imported up front: timing tests measure requests, not imports
import pytest

from argus.core.errors import ConfigError
from argus.core.router.cache import InMemoryPatternCache
from argus.core.router.generation import (
    Generation,
    GenerationRequest,
    Outcome,
    TaskKind,
    Tier,
    ValidationResult,
)
from argus.core.router.ledger import CostLedger, costs_summary
from argus.core.router.prices import load_price_table
from argus.core.router.providers.anthropic_messages import AnthropicProvider
from argus.core.router.providers.local import LocalProvider
from argus.core.router.providers.openai_compatible import OpenAICompatibleProvider
from argus.core.router.providers.workers_ai import WorkersAIProvider
from argus.core.router.resilience import BreakerState, RetryPolicy
from argus.core.router.router import Router, RouterSettings
from argus.core.store.sqlite import SQLiteStore
from tests.core.router.helpers import (
    ManualClock,
    SleepRecorder,
    accept_all,
    accept_containing,
    make_request,
    reject_all,
)
from tests.servers.scripted import (
    ScriptedServer,
    anthropic_error,
    anthropic_message,
    malformed,
    openai_completion,
    slow,
    workers_ai_error,
    workers_ai_result,
)

pytestmark = pytest.mark.anyio

PRICES = load_price_table()
NOVEMBER = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture
def store() -> Iterator[SQLiteStore]:
    with SQLiteStore.open(":memory:") as opened:
        yield opened


@pytest.fixture
def ledger(store: SQLiteStore) -> CostLedger:
    ledger = CostLedger(store, now=lambda: NOVEMBER)
    ledger.set_tenant_plan("acme", "pro")
    return ledger


class Stack:
    """Providers pointed at the three servers, and a router built over them."""

    def __init__(
        self,
        workers_server: ScriptedServer,
        anthropic_server: ScriptedServer,
        ledger: CostLedger | None,
        *,
        local: LocalProvider | None = None,
        cache: InMemoryPatternCache | None = None,
        settings: RouterSettings | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.sleep = SleepRecorder()
        self.clock = ManualClock()
        self.workers = WorkersAIProvider(
            "acct", "tok", base_url=workers_server.url, timeout=timeout
        )
        self.haiku = AnthropicProvider.haiku("sk", base_url=anthropic_server.url, timeout=timeout)
        self.sonnet = AnthropicProvider.sonnet("sk", base_url=anthropic_server.url, timeout=timeout)
        providers = [self.workers, self.haiku, self.sonnet]
        if local is not None:
            providers.insert(0, local)  # type: ignore[arg-type]
        self.router = Router(
            providers,
            PRICES,
            ledger=ledger,
            cache=cache,
            settings=settings or RouterSettings(),
            clock=self.clock,
            sleep=self.sleep,
            generator=random.Random(3),
        )

    async def close(self) -> None:
        for provider in (self.workers, self.haiku, self.sonnet):
            await provider.aclose()


@pytest.fixture
async def stack(workers_ai_server, anthropic_server, ledger):  # type: ignore[no-untyped-def]
    built = Stack(workers_ai_server, anthropic_server, ledger)
    yield built
    await built.close()


def ledger_rows(store: SQLiteStore) -> list[dict[str, object]]:
    cursor = store.connection.execute("SELECT * FROM router_requests ORDER BY id")
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


async def test_success_is_priced_from_the_table(stack, workers_ai_server, store) -> None:  # type: ignore[no-untyped-def]
    workers_ai_server.enqueue(
        workers_ai_result("def test_ok(): pass", prompt_tokens=1000, completion_tokens=200)
    )
    result = await stack.router.route(make_request(), accept_all)

    assert result.ok and result.tier is Tier.WORKERS_AI
    expected = (1000 * 0.281688 + 200 * 0.826617) / 1_000_000
    [row] = ledger_rows(store)
    assert row["tier"] == "workers_ai" and row["outcome"] == "ok"
    assert row["dollars"] == pytest.approx(expected)
    assert (row["input_tokens"], row["output_tokens"], row["cached_tokens"]) == (1000, 200, 0)
    assert row["tenant"] == "acme" and row["month"] == "2026-11"
    assert row["prompt_name"] == "generate_test" and row["prompt_version"] == "v1+0123abcd"
    assert row["provider_request_id"]
    assert result.dollars == pytest.approx(expected)


async def test_anthropic_cached_tokens_priced_at_cache_read_rate(  # type: ignore[no-untyped-def]
    stack, anthropic_server, store
) -> None:
    anthropic_server.enqueue(
        anthropic_message(
            "def test_h(): pass", input_tokens=2000, output_tokens=300, cache_read_input_tokens=5000
        )
    )
    request = make_request(task=TaskKind.PR_TEST, context_tokens=7000, file_count=3)
    result = await stack.router.route(request, accept_all)
    assert result.tier is Tier.HAIKU
    [row] = ledger_rows(store)
    assert row["dollars"] == pytest.approx((2000 * 0.10 + 300 * 0.50 + 5000 * 0.01) / 1e6)


async def test_429_retry_after_is_honoured(stack, workers_ai_server, store) -> None:  # type: ignore[no-untyped-def]
    workers_ai_server.enqueue(
        workers_ai_error(429, 3040, "Capacity temporarily exceeded", retry_after=4),
        workers_ai_result("def test_ok(): pass"),
    )
    result = await stack.router.route(make_request(), accept_all)
    assert result.ok and result.tier is Tier.WORKERS_AI
    assert stack.sleep.waits == [4.0]  # backoff would have been <= 0.5 s: retry-after wins
    assert result.attempts[-1].tries == 2
    assert [row["outcome"] for row in ledger_rows(store)] == ["error", "ok"]


async def test_retry_after_beyond_the_cap_falls_back_at_once(  # type: ignore[no-untyped-def]
    stack, workers_ai_server, anthropic_server
) -> None:
    workers_ai_server.enqueue(workers_ai_error(429, 3040, "daily limit", retry_after=3600))
    anthropic_server.enqueue(anthropic_message("def test_h(): pass"))
    result = await stack.router.route(make_request(), accept_all)
    assert result.ok and result.tier is Tier.HAIKU
    assert stack.sleep.waits == []
    assert result.attempts[0].outcome is Outcome.ERROR and "rate limited" in (
        result.attempts[0].reason or ""
    )


async def test_5xx_retried_with_backoff_then_fallback(  # type: ignore[no-untyped-def]
    stack, workers_ai_server, anthropic_server, store
) -> None:
    workers_ai_server.enqueue(*[workers_ai_error(503, 1031, "upstream unavailable")] * 3)
    anthropic_server.enqueue(anthropic_message("def test_h(): pass"))
    result = await stack.router.route(make_request(), accept_all)

    assert result.ok and result.tier is Tier.HAIKU
    assert len(workers_ai_server.requests) == 3
    first, second = stack.sleep.waits
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 1.0  # exponential, with jitter
    assert result.attempts[0].tier is Tier.WORKERS_AI and result.attempts[0].tries == 3
    outcomes = [(row["tier"], row["outcome"]) for row in ledger_rows(store)]
    assert outcomes == [("workers_ai", "error")] * 3 + [("haiku", "ok")]


async def test_timeout_costs_at_most_the_timeout_then_fallback(  # type: ignore[no-untyped-def]
    workers_ai_server, anthropic_server, ledger, store
) -> None:
    settings = RouterSettings(retry=RetryPolicy(max_attempts=1))
    stack = Stack(workers_ai_server, anthropic_server, ledger, settings=settings, timeout=0.3)
    workers_ai_server.enqueue(slow(workers_ai_result("late"), 5.0))
    anthropic_server.enqueue(anthropic_message("def test_h(): pass"))
    started = time.monotonic()
    result = await stack.router.route(make_request(), accept_all)
    await stack.close()
    assert time.monotonic() - started < 2.5
    assert result.ok and result.tier is Tier.HAIKU
    assert result.attempts[0].outcome is Outcome.TIMEOUT
    assert ledger_rows(store)[0]["outcome"] == "timeout"


async def test_garbage_answer_falls_back_without_retrying(  # type: ignore[no-untyped-def]
    stack, workers_ai_server, anthropic_server
) -> None:
    workers_ai_server.enqueue(malformed())
    anthropic_server.enqueue(anthropic_message("def test_h(): pass"))
    result = await stack.router.route(make_request(), accept_all)
    assert result.ok and result.tier is Tier.HAIKU
    assert len(workers_ai_server.requests) == 1
    assert "not JSON" in (result.attempts[0].reason or "")


async def test_validation_failure_escalates_tier_by_tier(  # type: ignore[no-untyped-def]
    stack, workers_ai_server, anthropic_server, store
) -> None:
    workers_ai_server.enqueue(workers_ai_result("def test_a(): assert False"))
    anthropic_server.enqueue(
        anthropic_message("def test_b(): assert False", model="claude-haiku-5-5"),
        anthropic_message("def test_c(): assert GOOD", model="claude-sonnet-5-5"),
    )
    result = await stack.router.route(make_request(), accept_containing("GOOD"))

    assert result.ok and result.tier is Tier.SONNET
    assert [(a.tier, a.outcome) for a in result.attempts] == [
        (Tier.WORKERS_AI, Outcome.INVALID),
        (Tier.HAIKU, Outcome.INVALID),
        (Tier.SONNET, Outcome.OK),
    ]
    assert result.attempts[0].reason == "candidate lacks 'GOOD'"
    assert [body.body["model"] for body in anthropic_server.requests] == [
        "claude-haiku-5-5",
        "claude-sonnet-5-5",
    ]
    assert [row["outcome"] for row in ledger_rows(store)] == ["invalid", "invalid", "ok"]


async def test_nothing_valid_returns_the_last_candidate_and_says_so(  # type: ignore[no-untyped-def]
    stack, workers_ai_server, anthropic_server
) -> None:
    workers_ai_server.enqueue(workers_ai_result("a"))
    anthropic_server.enqueue(anthropic_message("b"), anthropic_message("c"))
    result = await stack.router.route(make_request(), reject_all)
    assert not result.ok
    assert result.generation is not None and result.generation.text == "c"
    assert result.validation == ValidationResult(False, "test fails on the head")
    assert "none produced a valid candidate" in (result.reason or "")


async def test_cache_is_asked_first_and_costs_nothing(  # type: ignore[no-untyped-def]
    workers_ai_server, anthropic_server, ledger, store
) -> None:
    cache = InMemoryPatternCache({"pattern-1": "def test_cached(): pass"})
    local_calls: list[GenerationRequest] = []

    def local_generator(request: GenerationRequest) -> str | None:
        local_calls.append(request)
        return None

    stack = Stack(
        workers_ai_server,
        anthropic_server,
        ledger,
        cache=cache,
        local=LocalProvider([("crash_repro", local_generator)]),
    )
    result = await stack.router.route(make_request(cache_key="pattern-1"), accept_all)
    await stack.close()

    assert result.ok and result.cache_hit and result.tier is Tier.CACHE
    assert result.generation is not None and result.generation.text == "def test_cached(): pass"
    assert local_calls == [] and workers_ai_server.requests == []
    [row] = ledger_rows(store)
    assert (row["tier"], row["cache_hit"], row["dollars"]) == ("cache", 1, 0.0)


async def test_cache_miss_then_local_tier_answers_for_free(  # type: ignore[no-untyped-def]
    workers_ai_server, anthropic_server, ledger, store
) -> None:
    async def async_generator(request: GenerationRequest) -> str | None:
        return "def test_repro(): ..." if request.context.get("frames") else None

    stack = Stack(
        workers_ai_server,
        anthropic_server,
        ledger,
        cache=InMemoryPatternCache(),
        local=LocalProvider([("crash_repro", async_generator)]),
    )
    result = await stack.router.route(
        make_request(cache_key="pattern-2", context={"frames": [1]}), accept_all
    )
    await stack.close()
    assert result.ok and result.tier is Tier.LOCAL and not result.cache_hit
    assert result.generation is not None and result.generation.model == "crash_repro"
    assert [(r["tier"], r["outcome"], r["dollars"]) for r in ledger_rows(store)] == [
        ("cache", "miss", 0.0),
        ("local", "ok", 0.0),
    ]


async def test_local_candidate_rejected_escalates_to_paid(  # type: ignore[no-untyped-def]
    workers_ai_server, anthropic_server, ledger
) -> None:
    stack = Stack(
        workers_ai_server,
        anthropic_server,
        ledger,
        local=LocalProvider([("characterise", lambda request: "weak test")]),
    )
    workers_ai_server.enqueue(workers_ai_result("def test_strong(): GOOD"))
    result = await stack.router.route(make_request(), accept_containing("GOOD"))
    await stack.close()
    assert result.ok and result.tier is Tier.WORKERS_AI
    assert [a.tier for a in result.attempts] == [Tier.LOCAL, Tier.WORKERS_AI]


async def test_budget_exhausted_falls_back_to_free_tiers_and_says_so(  # type: ignore[no-untyped-def]
    workers_ai_server, anthropic_server, ledger, store
) -> None:
    ledger.set_tenant_plan("acme", "free", budget_dollars=0.001)
    stack = Stack(
        workers_ai_server,
        anthropic_server,
        ledger,
        local=LocalProvider([("crash_repro", lambda request: "def test_free(): ...")]),
    )
    workers_ai_server.enqueue(
        workers_ai_result("def test_paid(): GOOD", prompt_tokens=1500, completion_tokens=400)
    )
    # First request: the local candidate is rejected, the paid tier is still within budget.
    first = await stack.router.route(make_request(), accept_containing("GOOD"))
    assert first.ok and first.tier is Tier.WORKERS_AI and not first.budget_limited
    # Second request: $0.00075 spent of $0.001, and the next Workers AI request is estimated at
    # $0.00056 (800 tokens in, 400 out): no paid request is made.
    second = await stack.router.route(make_request(), accept_containing("GOOD"))
    await stack.close()

    assert not second.ok and second.budget_limited
    assert second.reason is not None and "budget" in second.reason and "free tiers" in second.reason
    assert [(a.tier, a.outcome) for a in second.attempts] == [
        (Tier.LOCAL, Outcome.INVALID),
        (Tier.WORKERS_AI, Outcome.SKIPPED),
    ]
    assert len(workers_ai_server.requests) == 1
    summary = costs_summary(store, "2026-11", tenant="acme")
    assert summary["tenants"]["acme"]["budget_left_dollars"] == pytest.approx(
        0.001 - 0.0007531788, abs=1e-6
    )


async def test_budget_allows_free_result(  # type: ignore[no-untyped-def]
    workers_ai_server, anthropic_server, ledger
) -> None:
    ledger.set_tenant_plan("acme", "free", budget_dollars=0.0)
    stack = Stack(
        workers_ai_server,
        anthropic_server,
        ledger,
        local=LocalProvider([("crash_repro", lambda request: "def test_free(): ...")]),
    )
    result = await stack.router.route(make_request(), accept_all)
    await stack.close()
    assert result.ok and result.tier is Tier.LOCAL and not result.budget_limited


async def test_max_tier_caps_escalation(stack, workers_ai_server, anthropic_server) -> None:  # type: ignore[no-untyped-def]
    workers_ai_server.enqueue(workers_ai_result("a"))
    anthropic_server.enqueue(anthropic_message("b"))
    result = await stack.router.route(make_request(), reject_all, max_tier=Tier.HAIKU)
    assert [a.tier for a in result.attempts] == [Tier.WORKERS_AI, Tier.HAIKU]
    assert len(anthropic_server.requests) == 1
    local_only = await stack.router.route(make_request(), reject_all, max_tier=Tier.LOCAL)
    assert local_only.attempts == [] and "no paid provider" in (local_only.reason or "")


async def test_classifier_picks_the_starting_tier(stack, anthropic_server) -> None:  # type: ignore[no-untyped-def]
    anthropic_server.enqueue(anthropic_message("x", model="claude-sonnet-5-5"))
    hard = make_request(
        task=TaskKind.EXPLAIN, context_tokens=20_000, file_count=6, symbol_count=12, past_failures=2
    )
    result = await stack.router.route(hard, accept_all)
    assert result.tier is Tier.SONNET
    assert [a.tier for a in result.attempts] == [Tier.SONNET]


async def test_breaker_opens_then_half_opens(  # type: ignore[no-untyped-def]
    workers_ai_server, anthropic_server, ledger
) -> None:
    settings = RouterSettings(
        retry=RetryPolicy(max_attempts=1), breaker_failure_threshold=2, breaker_cool_down=60.0
    )
    stack = Stack(workers_ai_server, anthropic_server, ledger, settings=settings)
    workers_ai_server.enqueue(
        workers_ai_error(500, 7001, "boom"), workers_ai_error(500, 7001, "boom")
    )
    anthropic_server.responder = lambda request: anthropic_message("def test_h(): pass")
    for _ in range(2):
        assert (await stack.router.route(make_request(), accept_all)).tier is Tier.HAIKU
    breaker = stack.router.breakers[Tier.WORKERS_AI]
    assert breaker.state is BreakerState.OPEN

    skipped = await stack.router.route(make_request(), accept_all)
    assert skipped.attempts[0].outcome is Outcome.SKIPPED
    assert "circuit open" in (skipped.attempts[0].reason or "")
    assert len(workers_ai_server.requests) == 2  # the open breaker sent nothing

    stack.clock.advance(61)
    assert breaker.state is BreakerState.HALF_OPEN
    workers_ai_server.enqueue(workers_ai_result("def test_w(): pass"))
    recovered = await stack.router.route(make_request(), accept_all)
    await stack.close()
    assert recovered.tier is Tier.WORKERS_AI
    assert breaker.state is BreakerState.CLOSED


async def test_everything_above_down_falls_back_below_the_start(  # type: ignore[no-untyped-def]
    stack, workers_ai_server, anthropic_server
) -> None:
    anthropic_server.responder = lambda request: anthropic_error(
        529, "overloaded_error", "Overloaded"
    )
    workers_ai_server.enqueue(workers_ai_result("def test_w(): pass"))
    request = make_request(task=TaskKind.PR_TEST, context_tokens=5000, file_count=3, symbol_count=4)
    result = await stack.router.route(request, accept_all)
    assert [a.tier for a in result.attempts] == [Tier.HAIKU, Tier.SONNET, Tier.WORKERS_AI]
    assert result.ok and result.tier is Tier.WORKERS_AI


async def test_openai_compatible_replaces_workers_ai(  # type: ignore[no-untyped-def]
    openai_server, anthropic_server, ledger, store
) -> None:
    local_model = OpenAICompatibleProvider(f"{openai_server.url}/v1", "llama3.1:8b")
    haiku = AnthropicProvider.haiku("sk", base_url=anthropic_server.url)
    settings = RouterSettings(paid_order=(Tier.OPENAI_COMPATIBLE, Tier.HAIKU))
    router = Router(
        [local_model, haiku], PRICES, ledger=ledger, settings=settings, sleep=SleepRecorder()
    )
    openai_server.enqueue(
        openai_completion("def test_o(): pass", prompt_tokens=900, completion_tokens=100)
    )
    result = await router.route(make_request(), accept_all)
    await local_model.aclose()
    await haiku.aclose()
    assert result.ok and result.tier is Tier.OPENAI_COMPATIBLE
    [row] = ledger_rows(store)
    assert (row["provider"], row["dollars"]) == ("openai_compatible", 0.0)


def test_router_refuses_unpriced_models_and_misplaced_tiers() -> None:
    with pytest.raises(ConfigError, match="no price"):
        Router([AnthropicProvider("k", "claude-unknown-1", Tier.HAIKU)], PRICES)
    with pytest.raises(ConfigError, match="not in the paid order"):
        Router([OpenAICompatibleProvider("http://127.0.0.1:1/v1", "m")], PRICES)
    with pytest.raises(ConfigError):
        RouterSettings(paid_order=(Tier.LOCAL,))


async def test_validator_errors_reject_the_candidate(stack, workers_ai_server) -> None:  # type: ignore[no-untyped-def]
    from argus.core.errors import ArgusError

    async def broken(generation: Generation) -> ValidationResult:
        raise ArgusError("sandbox could not start")

    workers_ai_server.enqueue(workers_ai_result("a"))
    result = await stack.router.route(make_request(), broken, max_tier=Tier.WORKERS_AI)
    assert not result.ok
    assert result.attempts[0].reason == "validation failed: sandbox could not start"


async def test_free_plan_never_reaches_sonnet(  # type: ignore[no-untyped-def]
    stack, ledger, anthropic_server
) -> None:
    ledger.set_tenant_plan("acme", "free")
    anthropic_server.enqueue(anthropic_message("x"))
    hard = make_request(task=TaskKind.EXPLAIN, context_tokens=20_000, file_count=6, symbol_count=12)
    result = await stack.router.route(hard, reject_all)
    assert [a.tier for a in result.attempts] == [Tier.HAIKU]
    assert anthropic_server.requests[0].body["model"] == "claude-haiku-5-5"


async def test_concurrent_routings_share_providers_and_ledger(  # type: ignore[no-untyped-def]
    stack, workers_ai_server, store
) -> None:
    import anyio

    workers_ai_server.responder = lambda request: workers_ai_result(
        "def test_c(): pass", prompt_tokens=500, completion_tokens=50
    )
    results = []

    async def one(index: int) -> None:
        results.append(await stack.router.route(make_request(tenant=f"t{index % 3}"), accept_all))

    async with anyio.create_task_group() as group:
        for index in range(20):
            group.start_soon(one, index)

    assert len(results) == 20 and all(result.ok for result in results)
    rows = ledger_rows(store)
    # On a loaded machine a request may time out and be retried: every attempt is a row, but
    # each routing ends in exactly one successful request.
    assert len({row["routing_id"] for row in rows}) == 20
    succeeded = [row for row in rows if row["outcome"] == "ok"]
    assert len(succeeded) == 20 and len({row["routing_id"] for row in succeeded}) == 20
    assert all(row["outcome"] in ("ok", "timeout", "error") for row in rows)
    summary = costs_summary(store, "2026-11")
    assert summary["tiers"]["workers_ai"]["outcomes"]["ok"] == 20
    per_tenant = {name: entry["requests"] for name, entry in summary["tenants"].items()}
    assert set(per_tenant) == {"t0", "t1", "t2"} and sum(per_tenant.values()) == len(rows)
    expected = {"t0": 7, "t1": 7, "t2": 6}
    assert all(per_tenant[name] >= count for name, count in expected.items())


async def test_local_generator_errors_move_on_to_the_next_generator() -> None:
    from argus.core.errors import DiffParseError
    from argus.core.router.errors import NoCandidate

    def broken(request: GenerationRequest) -> str | None:
        raise DiffParseError("no such hunk")

    local = LocalProvider([("broken", broken), ("fine", lambda request: "def test_ok(): ...")])
    generation = await local.generate(make_request())
    assert generation.model == "fine"
    with pytest.raises(NoCandidate, match="broken: malformed diff"):
        await LocalProvider([("broken", broken)]).generate(make_request())


async def test_anthropic_429_retry_after_honoured_through_the_router(  # type: ignore[no-untyped-def]
    stack, anthropic_server, store
) -> None:
    anthropic_server.enqueue(
        anthropic_error(429, "rate_limit_error", "slow down", retry_after=6),
        anthropic_message("def test_h(): pass", input_tokens=3000, output_tokens=400),
    )
    request = make_request(task=TaskKind.PR_TEST, context_tokens=7000, file_count=3)
    result = await stack.router.route(request, accept_all)
    assert result.ok and result.tier is Tier.HAIKU
    assert stack.sleep.waits == [6.0]
    assert [(row["outcome"], row["dollars"]) for row in ledger_rows(store)] == [
        ("error", 0.0),
        ("ok", pytest.approx((3000 * 0.10 + 400 * 0.50) / 1e6)),
    ]
