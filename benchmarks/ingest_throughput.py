"""Events per second through parse + scrub + normalise + hash + embed + store, on one core.

    .venv/bin/python benchmarks/ingest_throughput.py [--events N] [--new-share 0.1] [--senders 40]

The events derive from the recorded fixtures (tests/fixtures/errors): a Python traceback, a
chained traceback, a Node stack, a Sentry event and Argus generic JSON. Each event gets its own
deployment root, line numbers, ids and values (so texts never repeat verbatim), and one of
``--known`` function/file names per kind, so most events repeat a known pattern; a share of
events (``--new-share``, default 10%) carries a function name never seen before, so it creates
a new pattern (embedding, nearest-neighbour query, insert, index upsert).

The store is a SQLite file in WAL mode (synchronous=NORMAL) in a temporary directory. Two modes
run on the same events, each into a fresh store:

- **one transaction per event**: ``PatternService.ingest`` called once per event, in turn (as
  ``argus ingest`` files one error);
- **grouped, as the server ingests** (the default figure, the last line): ``--senders``
  concurrent requests (default 40) on an asyncio loop; each is parsed on the loop, as a request
  handler parses, then awaits ``GroupCommit.ingest_async`` over a service owned by one worker
  thread, exactly as ``argus serve`` wires it (``argus.serve.ConfinedService``), with the
  garbage collector set as ``argus serve`` sets it (``argus.gc_tuning``). Events that
  arrive while a transaction commits form the next group; each request gets its answer only
  after the commit holding its event. The average group size is printed. HTTP itself, and the
  regression-test listener ``argus serve`` calls after filing, are not part of the figure.

Events are generated before the clock starts. The figures are wall-clock with the whole process
pinned to one CPU (when the OS allows); CPU time is printed too, since the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from argus.core.patterns.formats import parse_error  # noqa: E402
from argus.core.patterns.group_commit import GroupCommit  # noqa: E402
from argus.core.patterns.service import open_service  # noqa: E402
from argus.gc_tuning import tune_for_serving  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "errors"
FIXTURE_ROOT = "/tmp/argus-fixtures/srv/shop-release-4f3a9b2c"
WORDS = [
    "cart",
    "order",
    "invoice",
    "user",
    "payment",
    "stock",
    "price",
    "coupon",
    "refund",
    "ship",
]


def _name(rng: random.Random, known: int, new: bool, serial: int) -> str:
    if new:
        return f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_fresh{serial}x"
    index = rng.randrange(known)
    return f"{WORDS[index % len(WORDS)]}_{WORDS[(index // len(WORDS)) % len(WORDS)]}_{index}"


def _root(rng: random.Random) -> str:
    return f"/srv/app-{rng.getrandbits(32):08x}/releases/r{rng.randrange(1000)}"


def _python_traceback(template: str, rng: random.Random, function: str) -> str:
    text = template.replace(FIXTURE_ROOT, _root(rng))
    text = text.replace("load_user", f"load_{function}")
    text = text.replace("'bob'", repr(f"user-{rng.randrange(10**6)}"))
    return _relines(text, rng)


def _node_stack(template: str, rng: random.Random, function: str) -> str:
    text = template.replace(FIXTURE_ROOT, _root(rng)).replace("checkout", function)
    return text.replace(":3:64", f":{rng.randrange(1, 400)}:{rng.randrange(1, 80)}")


def _relines(text: str, rng: random.Random) -> str:
    lines = []
    for line in text.splitlines():
        if line.strip().startswith("File ") and ", line " in line:
            head, _, rest = line.partition(", line ")
            _, _, tail = rest.partition(",")
            line = f"{head}, line {rng.randrange(1, 900)},{tail}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _sentry_event(template: dict[str, object], rng: random.Random, function: str) -> str:
    event = json.loads(json.dumps(template))
    exception = event["exception"]["values"][-1]
    exception["value"] = repr(f"sku-{rng.randrange(10**6)}")
    for frame in exception["stacktrace"]["frames"]:
        frame["lineno"] = rng.randrange(1, 900)
        if frame.get("function") == "load_user":
            frame["function"] = f"load_{function}"
        if "abs_path" in frame:
            frame["abs_path"] = frame["abs_path"].replace(FIXTURE_ROOT, _root(rng))
    event["event_id"] = f"{rng.getrandbits(128):032x}"
    return json.dumps(event)


def _generic(template: dict[str, object], rng: random.Random, function: str) -> str:
    event = json.loads(json.dumps(template))
    event["message"] = (
        f"charge ch_{rng.getrandbits(40):x} for user {rng.randrange(10**5)} declined "
        f"(card ending {rng.randrange(10**4):04d})"
    )
    event["id"] = f"{rng.getrandbits(128):032x}"
    event["environment"] = rng.choice(["production", "staging"])
    event["release"] = f"billing@2.{rng.randrange(6)}.{rng.randrange(10)}"
    frames = event["frames"]
    frames[1]["function"] = f"charge.(*Service).{function}"
    for frame in frames:
        frame["line"] = rng.randrange(1, 900)
    return json.dumps(event)


def generate(count: int, known: int, new_share: float, seed: int) -> list[str]:
    """``count`` event payloads, deterministic for a seed."""
    rng = random.Random(seed)
    traceback = (FIXTURES / "python_keyerror.txt").read_text(encoding="utf-8")
    chained = (FIXTURES / "python_chained.txt").read_text(encoding="utf-8")
    node = (FIXTURES / "node_typeerror.txt").read_text(encoding="utf-8")
    sentry = json.loads((FIXTURES / "sentry_event.json").read_text(encoding="utf-8"))
    generic = json.loads((FIXTURES / "generic.json").read_text(encoding="utf-8"))
    events = []
    for serial in range(count):
        new = rng.random() < new_share
        function = _name(rng, known, new, serial)
        kind = rng.randrange(5)
        if kind == 0:
            events.append(_python_traceback(traceback, rng, function))
        elif kind == 1:
            events.append(_python_traceback(chained, rng, function))
        elif kind == 2:
            events.append(_node_stack(node, rng, function))
        elif kind == 3:
            events.append(_sentry_event(sentry, rng, function))
        else:
            events.append(_generic(generic, rng, function))
    return events


def reference_loop_us() -> float:
    """Microseconds per iteration of a fixed pure-Python loop (~0.05 on an idle core)."""
    started = time.perf_counter()
    total = 0
    for number in range(2_000_000):
        total += number
    return (time.perf_counter() - started) / 2_000_000 * 1e6


def run_single(events: list[str], warmup: list[str]) -> dict[str, float]:
    """Ingest into a fresh store, one ``ingest`` call (one transaction) per event."""
    with tempfile.TemporaryDirectory() as folder:
        service = open_service(Path(folder) / "argus.db")
        for payload in warmup:  # the known patterns exist, caches are warm
            service.ingest(payload, "bench")
        before = service.stats("bench")
        outcomes = {"hash": 0, "similarity": 0, "new": 0}
        started_wall, started_cpu = time.perf_counter(), time.process_time()
        for payload in events:
            outcomes[service.ingest(payload, "bench").matched_by] += 1
        wall = time.perf_counter() - started_wall
        cpu = time.process_time() - started_cpu
        after = service.stats("bench")
        service.close()
    return _figures(events, before, after, wall, cpu, outcomes)


def run_server(events: list[str], warmup: list[str], senders: int) -> dict[str, float]:
    """Ingest as ``argus serve`` does: ``senders`` concurrent requests on an asyncio loop, each
    parsed on the loop, then filed through ``GroupCommit.ingest_async`` on the store's own
    thread (``ConfinedService.ingest_async``)."""
    tune_for_serving()  # the collector as ``argus serve`` sets it
    with tempfile.TemporaryDirectory() as folder:
        worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="argus-patterns")
        service = worker.submit(open_service, Path(folder) / "argus.db").result()
        group = GroupCommit(worker.submit, service.ingest_batch)
        for payload in warmup:
            group.ingest(payload, "bench")
        before = worker.submit(service.stats, "bench").result()
        groups_before, events_before = group.groups, group.events
        outcomes = {"hash": 0, "similarity": 0, "new": 0}
        shares = [events[start::senders] for start in range(senders)]

        async def request(share: list[str]) -> None:
            for payload in share:
                event = parse_error(payload)  # a handler parses on the event loop
                outcomes[(await group.ingest_async(event, "bench")).matched_by] += 1

        async def serve() -> None:
            await asyncio.gather(*(request(share) for share in shares))

        started_wall, started_cpu = time.perf_counter(), time.process_time()
        asyncio.run(serve())
        wall = time.perf_counter() - started_wall
        cpu = time.process_time() - started_cpu
        after = worker.submit(service.stats, "bench").result()
        worker.submit(service.close).result()
        worker.shutdown()
    figures = _figures(events, before, after, wall, cpu, outcomes)
    figures["group_size"] = (group.events - events_before) / max(1, group.groups - groups_before)
    return figures


def _figures(
    events: list[str],
    before: dict[str, Any],
    after: dict[str, Any],
    wall: float,
    cpu: float,
    outcomes: dict[str, int],
) -> dict[str, float]:
    stored = after["occurrences"] - before["occurrences"]
    if stored != len(events):
        raise SystemExit(f"lost occurrences: {stored} stored for {len(events)} events")
    return {
        "wall": wall,
        "cpu": cpu,
        "rate": len(events) / wall,
        "cpu_rate": len(events) / cpu,
        "new_patterns": after["patterns"] - before["patterns"],
        **{f"by_{key}": value for key, value in outcomes.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--known", type=int, default=40, help="known names per event kind")
    parser.add_argument("--new-share", type=float, default=0.10)
    parser.add_argument(
        "--senders",
        type=int,
        default=40,
        help="concurrent requests in the server mode (default 40)",
    )
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print(f"reference loop: {reference_loop_us():.2f} µs per iteration (machine load shows here)")
    warmup = generate(500, options.known, options.new_share, options.seed + 1)
    events = generate(options.events, options.known, options.new_share, options.seed)
    print(
        f"events: {len(events)}, {options.new_share:.0%} with a never-seen function name; "
        "kinds: Python traceback, chained traceback, Node stack, Sentry event, generic JSON"
    )
    single = run_single(events, warmup)
    print(
        f"one transaction per event: {single['rate']:,.0f} events/s wall, "
        f"{single['cpu_rate']:,.0f}/s per CPU second ({single['cpu'] / len(events) * 1e6:.0f} µs "
        f"CPU per event); matched by hash {single['by_hash']:.0f}, similarity "
        f"{single['by_similarity']:.0f}, new {single['by_new']:.0f}; every occurrence stored"
    )
    server = run_server(events, warmup, options.senders)
    print(
        f"grouped as the server ingests ({options.senders} concurrent requests, group commit): "
        f"{server['rate']:,.0f} events/s wall, {server['cpu_rate']:,.0f}/s per CPU second "
        f"({server['cpu'] / len(events) * 1e6:.0f} µs CPU per event), "
        f"{server['group_size']:.1f} events per commit on average; every occurrence stored"
    )
    print(
        f"ingest throughput, one core, as the server ingests (group commit): "
        f"{server['rate']:,.0f} events/s ({server['cpu_rate']:,.0f} per CPU second); "
        f"one transaction per event: {single['rate']:,.0f} events/s "
        f"({single['cpu_rate']:,.0f} per CPU second)"
    )


if __name__ == "__main__":
    main()
