"""Events per second through parse + scrub + normalise + hash + embed + store, on one core.

    .venv/bin/python benchmarks/ingest_throughput.py [--events N] [--new-share 0.1]

The events derive from the recorded fixtures (tests/fixtures/errors): a Python traceback, a
chained traceback, a Node stack, a Sentry event and Argus generic JSON. Each event gets its own
deployment root, line numbers, ids and values (so texts never repeat verbatim), and one of
``--known`` function/file names per kind, so most events repeat a known pattern; a share of
events (``--new-share``, default 10%) carries a function name never seen before, so it creates
a new pattern (embedding, nearest-neighbour query, insert, index upsert).

The store is a SQLite file in WAL mode (synchronous=NORMAL) in a temporary directory; each event
is its own ``BEGIN IMMEDIATE`` transaction (no group commit). Events are generated before the
clock starts. The figure is wall-clock on one thread (the process is pinned to one CPU when the
OS allows); CPU time is printed too, since the machine is shared. The last line is the figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.patterns.formats import parse_error  # noqa: E402
from core.patterns.service import open_service  # noqa: E402

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


def run(events: list[str], warmup: list[str], batch: int) -> dict[str, float]:
    """Ingest into a fresh store: one transaction per event (batch 1) or group commit."""
    with tempfile.TemporaryDirectory() as folder:
        service = open_service(Path(folder) / "argus.db")
        for payload in warmup:  # the known patterns exist, caches are warm
            service.ingest(payload, "bench")
        before = service.stats("bench")
        outcomes = {"hash": 0, "similarity": 0, "new": 0}
        started_wall, started_cpu = time.perf_counter(), time.process_time()
        if batch == 1:
            for payload in events:
                outcomes[service.ingest(payload, "bench").matched_by] += 1
        else:
            for start in range(0, len(events), batch):
                for result in service.ingest_many(events[start : start + batch], "bench"):
                    outcomes[result.matched_by] += 1
        wall = time.perf_counter() - started_wall
        cpu = time.process_time() - started_cpu
        after = service.stats("bench")
        service.close()
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
    parser.add_argument("--batch", type=int, default=50, help="events per group commit")
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
    single = run(events, warmup, 1)
    print(
        f"one transaction per event: {single['rate']:,.0f} events/s wall, "
        f"{single['cpu_rate']:,.0f}/s per CPU second ({single['cpu'] / len(events) * 1e6:.0f} µs "
        f"CPU per event); matched by hash {single['by_hash']:.0f}, similarity "
        f"{single['by_similarity']:.0f}, new {single['by_new']:.0f}; every occurrence stored"
    )
    grouped = run(events, warmup, options.batch)
    print(
        f"group commit of {options.batch}: {grouped['rate']:,.0f} events/s wall, "
        f"{grouped['cpu_rate']:,.0f}/s per CPU second; every occurrence stored"
    )
    parsed = [parse_error(payload) for payload in events[:5000]]
    with tempfile.TemporaryDirectory() as folder:
        service = open_service(Path(folder) / "argus.db")
        for payload in warmup:
            service.ingest(payload, "bench")
        started = time.process_time()
        for event in parsed:
            service.ingest(event, "bench")
        print(
            f"already parsed (scrub + normalise + hash + embed + store), one transaction per "
            f"event: {len(parsed) / (time.process_time() - started):,.0f} events per CPU second"
        )
        service.close()
    print(
        f"ingest throughput, one core: {single['rate']:,.0f} events/s (one transaction per "
        f"event), {grouped['rate']:,.0f} events/s (group commit of {options.batch}); "
        f"per CPU second {single['cpu_rate']:,.0f} / {grouped['cpu_rate']:,.0f}"
    )


if __name__ == "__main__":
    main()
