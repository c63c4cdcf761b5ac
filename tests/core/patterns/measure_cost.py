"""Per-event cost of the pure ingestion path (scrub + normalise + hash + embed), on one core.

Run: `.venv/bin/python -m tests.core.patterns.measure_cost`. Events are the recorded fixtures
(parsed once; parsing is timed separately). "warm" repeats them, as production repeats its
paths and names; "cold" clears every cache before each event. CPU time (process_time) is
reported next to wall time because the machine may be shared; a reference loop shows how
loaded it is (about 1 µs on an idle core).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path

from argus.core.patterns import embed, normalise, scrub
from argus.core.patterns.embed import HashingEmbedder
from argus.core.patterns.formats import parse_error
from argus.core.patterns.normalise import signature_of
from argus.core.patterns.pipeline import prepare_event

FIXTURES = Path(__file__).parents[2] / "fixtures" / "errors"
NAMES = (
    "python_keyerror.txt",
    "python_chained.txt",
    "node_typeerror.txt",
    "sentry_event.json",
    "generic.json",
)


def clear_caches() -> None:
    for cached in (
        normalise.normalise_path,
        normalise._frame_key,
        normalise._embedding_line,
        embed._identifier_features,
        embed._line_buckets,
        embed._embed_text,
        scrub.is_secret_name,
    ):
        cached.cache_clear()


def per_call(
    function: Callable[[], object], rounds: int, before: Callable[[], None] | None = None
) -> tuple[float, float]:
    """Microseconds per call: (wall, cpu)."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        if before is not None:
            before()
        function()
    return ((time.perf_counter() - wall) / rounds * 1e6, (time.process_time() - cpu) / rounds * 1e6)


def main() -> None:
    raw = [(FIXTURES / name).read_bytes() for name in NAMES]
    events = [parse_error(data) for data in raw]
    embedder = HashingEmbedder()
    texts = [signature_of(event).embedding_text for event in events]
    rounds = 400
    reference = per_call(lambda: sum(range(100)), 20_000)
    print(f"reference loop sum(range(100)): {reference[0]:.2f} µs wall, {reference[1]:.2f} µs cpu")
    rows: list[tuple[str, Callable[[object], object]]] = [
        ("parse", lambda index: parse_error(raw[index])),
        ("scrub", lambda index: scrub.scrub_event(events[index])),
        ("normalise+hash", lambda index: signature_of(events[index])),
        ("embed", lambda index: embedder.embed([texts[index]])),
        ("scrub+normalise+hash+embed", lambda index: prepare_event(events[index], embedder)),
    ]
    for mode, before in (("warm", None), ("cold", clear_caches)):
        for label, step in rows:
            walls, cpus = [], []
            for index in range(len(events)):
                wall, cpu = per_call(functools.partial(step, index), rounds, before)
                walls.append(wall)
                cpus.append(cpu)
            mean_wall, mean_cpu = sum(walls) / len(walls), sum(cpus) / len(cpus)
            print(
                f"{mode:4} {label:27} {mean_wall:7.1f} µs wall {mean_cpu:7.1f} µs cpu per event"
                f"  (max over fixtures {max(cpus):.1f} µs cpu)"
            )
    clear_caches()


if __name__ == "__main__":
    main()
