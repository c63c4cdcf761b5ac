"""Nearest-pattern lookup at 10k, 100k and 1M stored patterns: p50/p99 latency, recall@1.

    .venv/bin/python benchmarks/pattern_lookup.py [--sizes 10000,100000,1000000] [--queries 1000]

Vectors have the real dimension (384, ``HashingEmbedder``'s) and are clustered the way pattern
embeddings are: patterns of one kind of error (one exception type in one module) share most
features, so each vector is a cluster centre plus noise (``--clusters`` centres; the noise is
set so members of a cluster sit at cosine ~0.5-0.8 of each other), L2-normalised. Queries are
new occurrences: a stored pattern's vector with a small perturbation (cosine ~0.9 to it), and a
quarter of them fresh members of a random cluster (a new pattern with no twin).

One ``LocalAnnIndex`` (faiss: exact below ``--train-at`` vectors, then IVF with ~4·√n lists,
``--nprobe`` scanned per query, retrained each time it grows fourfold) grows through the sizes
in batches of 50,000, as a store catching up would feed it; at each size it is compared with
``ExactIndex`` (numpy brute force) on the same queries. Latency is per single query through
``LocalAnnIndex.query`` (the service's call, Python overhead included), on one thread; the
build (training included) uses 2 threads. The last line is the 1M figure.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from argus.core.store.ann import DEFAULT_NPROBE, DEFAULT_TRAIN_AT  # noqa: E402
from argus.core.store.vector import ExactIndex, LocalAnnIndex  # noqa: E402

DIMENSIONS = 384


def _unit(matrix: np.ndarray) -> np.ndarray:
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


def generate(count: int, clusters: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(data, centres, cluster of each row): clustered unit vectors, generated in chunks."""
    rng = np.random.default_rng(seed)
    centres = _unit(rng.standard_normal((clusters, DIMENSIONS)))
    labels = rng.integers(0, clusters, count)
    data = np.empty((count, DIMENSIONS), dtype=np.float32)
    for start in range(0, count, 100_000):
        stop = min(count, start + 100_000)
        noise = rng.standard_normal((stop - start, DIMENSIONS)).astype(np.float32)
        noise *= 0.9 / np.sqrt(DIMENSIONS)
        data[start:stop] = _unit(centres[labels[start:stop]] + noise)
    return data, centres, labels


def queries_for(
    size: int, count: int, data: np.ndarray, centres: np.ndarray, seed: int
) -> np.ndarray:
    """Perturbed stored vectors (3/4) and fresh cluster members (1/4)."""
    rng = np.random.default_rng(seed)
    twins = rng.integers(0, size, count - count // 4)
    near = data[twins] + rng.standard_normal((len(twins), DIMENSIONS)).astype(np.float32) * (
        0.45 / np.sqrt(DIMENSIONS)
    )
    fresh_centres = centres[rng.integers(0, len(centres), count // 4)]
    fresh = fresh_centres + rng.standard_normal((count // 4, DIMENSIONS)).astype(np.float32) * (
        0.9 / np.sqrt(DIMENSIONS)
    )
    return _unit(np.vstack([near, fresh]))


def reference_loop_us() -> float:
    """Microseconds per iteration of a fixed pure-Python loop (~0.05 on an idle core)."""
    started = time.perf_counter()
    total = 0
    for number in range(2_000_000):
        total += number
    return (time.perf_counter() - started) / 2_000_000 * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--clusters", type=int, default=5000)
    parser.add_argument("--train-at", type=int, default=DEFAULT_TRAIN_AT)
    parser.add_argument("--nprobe", type=int, default=DEFAULT_NPROBE)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    options = parser.parse_args()
    sizes = sorted(int(size) for size in options.sizes.split(","))
    print(f"reference loop: {reference_loop_us():.2f} µs per iteration (machine load shows here)")

    started = time.perf_counter()
    data, centres, _ = generate(sizes[-1], options.clusters, options.seed)
    print(
        f"generated {len(data):,} x {DIMENSIONS} clustered vectors in "
        f"{time.perf_counter() - started:.1f}s"
    )
    index = LocalAnnIndex(
        DIMENSIONS,
        train_at=options.train_at,
        nprobe=options.nprobe,
        threads=options.threads,
    )
    ids = np.arange(sizes[-1]).astype(str)
    built = 0
    build_seconds = 0.0
    lines = []
    for size in sizes:
        started = time.perf_counter()
        for start in range(built, size, 50_000):
            stop = min(size, start + 50_000)
            index.upsert("bench", ids[start:stop].tolist(), data[start:stop])
        build_seconds += time.perf_counter() - started
        built = size

        queries = queries_for(size, options.queries, data, centres, options.seed + size)
        exact = ExactIndex(DIMENSIONS)
        exact.upsert("bench", ids[:size].tolist(), data[:size])
        started = time.perf_counter()
        truth = exact.query_many("bench", queries, 1)
        exact_seconds = time.perf_counter() - started
        del exact

        latencies = []
        hits = 0
        for row, query in enumerate(queries):
            vector = query.tolist()
            began = time.perf_counter()
            found = index.query("bench", vector, 1)
            latencies.append(time.perf_counter() - began)
            hits += bool(found) and found[0].id == str(truth[row][0])
        p50, p99 = np.percentile(np.array(latencies) * 1000, [50, 99])
        recall = hits / len(queries)
        graph = index._spaces["bench"].graph  # noqa: SLF001 - the benchmark reports the layout
        layout = f"IVF {graph.index.nlist} lists" if graph.is_ivf else "exact (flat)"
        line = (
            f"{size:>9,} patterns: p50 {p50:.3f} ms, p99 {p99:.3f} ms, recall@1 {recall:.4f} "
            f"[{layout}] (build so far {build_seconds:.0f}s on {options.threads} threads; "
            f"exact search {exact_seconds / len(queries) * 1000:.1f} ms/query)"
        )
        print(line, flush=True)
        lines.append((size, p50, p99, recall))
    size, p50, p99, recall = lines[-1]
    print(
        f"pattern lookup at {size:,}: p99 {p99:.2f} ms, p50 {p50:.2f} ms, recall@1 {recall:.3f} "
        f"(faiss IVF, nprobe {options.nprobe}, build {build_seconds:.0f}s on "
        f"{options.threads} threads)"
    )


if __name__ == "__main__":
    main()
