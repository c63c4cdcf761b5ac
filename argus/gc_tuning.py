"""Garbage-collector settings for the long-running processes (``argus serve``, ``argus worker``).

Python's defaults (collect the young generation every 700 net container allocations) suit
scripts. A server that builds a few hundred objects per request, nearly all freed by reference
counting, then runs a young collection every few requests, and a full one (walking everything
alive) every few seconds. Measured on ``benchmarks/ingest_throughput.py`` (20,000 events, the
server's path): 21-25 µs of collection per event with the defaults, four full collections of
~45 ms each, against 4-5 µs per event and none with a young threshold of 10,000. The objects
start-up built (FastAPI, pydantic and githubkit's models) are moved out of every
later collection with ``gc.freeze()``.
"""

from __future__ import annotations

import gc

#: ``gc.set_threshold`` of a serving process: young, middle and old generation.
SERVING_THRESHOLDS = (10_000, 10, 10)


def tune_for_serving() -> None:
    """Collect once, freeze what start-up built, and raise the young-generation threshold."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_THRESHOLDS)
