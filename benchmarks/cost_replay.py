"""Cost replay: 10,000 production errors from 1,000 distinct bugs through the real router.

What is real: the pattern library (each event is ingested and filed under its pattern, in an
in-memory SQLite store), the pattern cache over the library's tests (``PatternTestCache``), the
router with its classifier, retries and breakers, the cost ledger and the price table, and the
provider clients (Workers AI over REST, Anthropic through the SDK) talking HTTP on loopback to
the scripted protocol servers of ``tests/servers``.

What is synthetic, and stated:

- **Events.** Bug ``k`` (rank 1..1000) occurs with probability proportional to ``1/k^s``
  (Zipf-like, ``s = 1.1``); 10,000 events are drawn with a fixed seed. Each bug has its own
  exception type, message, file and function, so each is its own pattern.
- **Token counts.** Each bug has a context of 1,500-8,000 input tokens (uniform, fixed per
  bug); each answer has 300-900 output tokens (uniform, per request). The servers answer with
  those counts in their usage fields, so the ledger prices them from the price table.
- **Validation.** The sandbox is not run (10,000 sandbox runs would take hours). A validator
  accepts a tier's candidate for a bug when that bug's draw for that tier succeeds, fixed per
  (bug, tier) so the same tier fails the same bug again: **local 40%** of distinct bugs (the
  crash_repro benchmark measures 85% on its scenarios; real events carry more objects and
  state, hence the lower figure), **Workers AI 50%**, **Haiku 75%**, **Sonnet 90%**. A cached
  test is re-validated and accepted (the code it tests did not change in this replay).
- **Plan.** The tenant is on the uncapped ``local`` plan, so the budget does not cut requests.

    .venv/bin/python benchmarks/cost_replay.py [--events 10000] [--bugs 1000] [--seed 7]

Prints the cache hit rate, requests per tier, dollars, and last a line with the figures.
Targets (issue 4): hit rate >= 85% and <= $0.002 per validated test.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argus.core.patterns.event import ErrorEvent, Frame  # noqa: E402
from argus.core.patterns.service import open_service  # noqa: E402
from argus.core.router.generation import (  # noqa: E402
    Generation,
    GenerationRequest,
    TaskKind,
    Tier,
    ValidationResult,
)
from argus.core.router.ledger import CostLedger, costs_summary, month_of, utc_now  # noqa: E402
from argus.core.router.prices import load_price_table  # noqa: E402
from argus.core.router.prompts import RenderedPrompt  # noqa: E402
from argus.core.router.providers.anthropic_messages import AnthropicProvider  # noqa: E402
from argus.core.router.providers.local import LocalProvider  # noqa: E402
from argus.core.router.providers.workers_ai import WorkersAIProvider  # noqa: E402
from argus.core.router.router import Router, RouterSettings  # noqa: E402
from argus.core.store.sqlite import SQLiteStore  # noqa: E402
from argus.core.testgen.pattern_cache import PatternTestCache  # noqa: E402
from tests.servers.scripted import (  # noqa: E402
    ReceivedRequest,
    Reply,
    ScriptedServer,
    anthropic_message,
    workers_ai_result,
)

ZIPF_S = 1.1
ACCEPT = {Tier.LOCAL: 0.40, Tier.WORKERS_AI: 0.50, Tier.HAIKU: 0.75, Tier.SONNET: 0.90}
TENANT = "replay"
_BUG = re.compile(r"bug=(\d+)")
_EXCEPTIONS = ("KeyError", "TypeError", "ValueError", "ZeroDivisionError", "AttributeError")


@dataclass(frozen=True)
class Bug:
    """One distinct bug of the replay."""

    number: int
    context_tokens: int
    files: int
    symbols: int

    def event(self) -> ErrorEvent:
        """An occurrence of the bug as the pattern library receives it."""
        words = _words(self.number, 5)
        return ErrorEvent(
            _EXCEPTIONS[self.number % len(_EXCEPTIONS)],
            f"{words[0]} {words[1]} could not {words[2]} the {words[3]} of {words[4]}",
            (
                Frame(f"{words[4]}_view", f"app/{words[3]}/views.py", lineno=10),
                Frame(f"{words[2]}_{words[1]}", f"app/{words[0]}/{words[1]}.py", lineno=20),
            ),
            platform="python",
        )


_VOCABULARY = (
    "order cart invoice ledger stock parcel route coupon tariff refund account session token "
    "badge quota report export import merge split render parse store fetch queue batch shard "
    "price label margin credit debit rebate voucher bundle carrier depot pallet crate ticket "
    "window cursor buffer stream record column schema index filter sorter mapper reducer "
    "client tenant member profile avatar device region locale currency calendar holiday shift "
    "payroll bonus salary pension ledger audit trail notice alert digest summary totals"
).split()


def _words(number: int, count: int) -> list[str]:
    digest = hashlib.sha256(f"words:{number}".encode()).digest()
    return [_VOCABULARY[digest[index] % len(_VOCABULARY)] for index in range(count)]


def _word(number: int) -> str:
    return hashlib.sha256(str(number).encode()).hexdigest()[:10]


def draw(bug: int, tier: Tier, seed: int) -> float:
    """A fixed uniform draw per (bug, tier): the same tier fails the same bug again."""
    digest = hashlib.sha256(f"{seed}:{bug}:{tier}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def make_bugs(count: int, generator: random.Random) -> list[Bug]:
    return [
        Bug(
            number,
            generator.randint(1500, 8000),
            generator.choice((1, 1, 1, 2, 2, 3, 4)),
            generator.choice((1, 1, 2, 3, 4, 7)),
        )
        for number in range(count)
    ]


def answer(server: str, generator: random.Random, bugs: list[Bug]):  # type: ignore[no-untyped-def]
    """A responder: a test for the bug named in the prompt, with realistic usage."""

    def respond(request: ReceivedRequest) -> Reply:
        body = request.body if isinstance(request.body, dict) else {}
        text = json.dumps(body.get("messages", []))
        found = _BUG.search(text)
        number = int(found.group(1)) if found else 0
        output = generator.randint(300, 900)
        test = f"def test_bug_{number}():\n    assert reproduce({number})  # bug={number}\n"
        if server == "workers_ai":
            return workers_ai_result(
                test, prompt_tokens=bugs[number].context_tokens, completion_tokens=output
            )
        return anthropic_message(
            test,
            input_tokens=bugs[number].context_tokens,
            output_tokens=output,
            model=str(body.get("model", "")),
        )

    return respond


async def replay(arguments: argparse.Namespace) -> dict[str, object]:
    generator = random.Random(arguments.seed)
    bugs = make_bugs(arguments.bugs, generator)
    weights = [1.0 / (rank**ZIPF_S) for rank in range(1, arguments.bugs + 1)]
    stream = generator.choices(range(arguments.bugs), weights=weights, k=arguments.events)
    store = SQLiteStore.open(":memory:")
    library = open_service(store)
    ledger = CostLedger(store, default_plan="local")
    cache = PatternTestCache(library, library.store, TENANT)
    failures: Counter[int] = Counter()
    validated_new = 0
    validated_cached = 0
    unresolved_events = 0
    local = LocalProvider()

    def local_candidate(request: GenerationRequest) -> str | None:
        number = int(request.context["bug"])  # type: ignore[call-overload]
        return f"def test_bug_{number}():\n    reproduce({number})  # bug={number}\n"

    local.register("crash", local_candidate)
    with (
        ScriptedServer("workers_ai", answer("workers_ai", generator, bugs)) as workers,
        ScriptedServer("anthropic", answer("anthropic", generator, bugs)) as anthropic,
    ):
        router = Router(
            [
                local,
                WorkersAIProvider("replay", "token", base_url=workers.url, timeout=10),
                AnthropicProvider.haiku("sk-replay", base_url=anthropic.url, timeout=10),
                AnthropicProvider.sonnet("sk-replay", base_url=anthropic.url, timeout=10),
            ],
            load_price_table(),
            ledger=ledger,
            cache=cache,
            settings=RouterSettings(),
        )
        started = time.monotonic()
        for number in stream:
            bug = bugs[number]
            pattern = library.ingest(bug.event(), TENANT).pattern

            async def check(
                generation: Generation, number: int = number, pattern_id: str = pattern.id
            ) -> ValidationResult:
                if generation.tier is Tier.CACHE:
                    # A cached test reproduces its own bug; one cached for another bug filed
                    # under the same pattern does not reproduce this one.
                    passed = f"bug={number}\n" in generation.text
                    hit = cache.last_hit.get(pattern_id)
                    if hit is not None:
                        cache.record_outcome(pattern_id, hit, passed)
                    if passed:
                        return ValidationResult(True)
                    return ValidationResult(False, "the cached test does not reproduce this bug")
                if draw(number, generation.tier, arguments.seed) < ACCEPT[generation.tier]:
                    return ValidationResult(True)
                return ValidationResult(False, f"{generation.tier} candidate fails validation")

            prompt = RenderedPrompt(
                "regression_test",
                "v2+replay00",
                "You write one regression test.",
                f"bug={number}\n" + "context " * 40,
            )
            request = GenerationRequest(
                task=TaskKind.REGRESSION_TEST,
                prompt=prompt,
                tenant=TENANT,
                cache_key=pattern.id,
                language="python",
                file_count=bug.files,
                symbol_count=bug.symbols,
                past_failures=failures[number],
                context_tokens=bug.context_tokens,
                max_output_tokens=1024,
                context={"bug": number},
            )
            result = await router.route(request, check)
            if result.ok and result.generation is not None:
                if result.cache_hit:
                    validated_cached += 1
                else:
                    validated_new += 1
                    cache.store(
                        pattern.id, f"tests/test_bug_{number}.py", "pytest", result.generation.text
                    )
            else:
                failures[number] += 1
                unresolved_events += 1
        seconds = time.monotonic() - started
        for provider in router.providers.values():
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()
    summary = costs_summary(store, month_of(utc_now()), default_plan="local")
    patterns = library.stats(TENANT).get("patterns")
    library.close()
    store.close()
    return {
        "summary": summary,
        "validated_new": validated_new,
        "validated_cached": validated_cached,
        "unresolved_events": unresolved_events,
        "distinct_bugs_seen": len(set(stream)),
        "patterns": patterns,
        "seconds": seconds,
        "failed_bugs": sum(1 for count in failures.values() if count),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--bugs", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", metavar="OUT", help="write the figures as JSON")
    arguments = parser.parse_args(argv)
    figures = asyncio.run(replay(arguments))
    summary = figures["summary"]
    assert isinstance(summary, dict)
    cache = summary["cache"]
    tiers = summary["tiers"]
    validated = int(figures["validated_new"]) + int(figures["validated_cached"])  # type: ignore[call-overload]
    dollars = float(summary["dollars"])
    per_test = dollars / validated if validated else float("nan")
    per_new = dollars / int(figures["validated_new"]) if figures["validated_new"] else float("nan")  # type: ignore[call-overload]
    print(
        f"events {arguments.events:,} from {arguments.bugs:,} bugs (Zipf s={ZIPF_S}); "
        f"distinct bugs seen {figures['distinct_bugs_seen']}, patterns filed {figures['patterns']}"
    )
    print(f"replay took {figures['seconds']:.1f} s")
    print("requests per tier (ledger rows; cache rows are lookups):")
    for tier, row in sorted(tiers.items()):
        outcomes = ", ".join(f"{key} {value}" for key, value in sorted(row["outcomes"].items()))
        print(
            f"  {tier:<18} {row['requests']:>6}  ${row['dollars']:.4f}  in {row['input_tokens']:,} "
            f"out {row['output_tokens']:,}  ({outcomes})"
        )
    print(
        f"validated tests: {validated:,} ({figures['validated_new']} generated, "
        f"{figures['validated_cached']} reused from the cache); events left without a test: "
        f"{figures['unresolved_events']} (from {figures['failed_bugs']} bugs no tier solved)"
    )
    print(f"dollars: ${dollars:.4f} in total; ${per_new:.5f} per newly generated test")
    if arguments.json:
        Path(arguments.json).write_text(json.dumps(figures, indent=2, default=str))
    served = int(figures["validated_cached"]) / arguments.events  # type: ignore[call-overload]
    print(
        f"ledger cache hit rate {cache['hit_rate']:.1%} (lookups that found a test, valid or "
        "not); the figure below counts only cached tests that validated"
    )
    print(
        f"cost_replay: cache hit rate {served:.1%} (target >= 85%), "
        f"${per_test:.5f} per validated test (target <= $0.002; "
        f"${per_new:.5f} per newly generated one), ${dollars:.2f} for {arguments.events:,} events"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
