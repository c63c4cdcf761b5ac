"""Pairwise precision and recall of "same pattern" on real exceptions from real libraries.

    .venv/bin/python benchmarks/dedup_quality.py [--corpus FILE] [--threshold 0.85] [--regenerate]

The corpus (benchmarks/corpus/dedup_corpus.jsonl, built by benchmarks/corpus/generate_dedup.py)
holds tracebacks of 23 bugs — json, sqlite3, decimal, datetime, urllib.parse, pathlib, base64,
re, statistics, int(), dict and list lookups, None attributes — each raised 6 times under
different deployment roots, line numbers and values, with look-alike bugs among them.

Every traceback is ingested (in a fixed shuffled order) into a fresh in-memory store through
``PatternService.ingest``; two tracebacks are "the same pattern" when they end up under the
same pattern id. Over all pairs: precision = correct same-pattern pairs / pairs put together,
recall = correct same-pattern pairs / pairs of the same bug. The hash alone (no similarity) is
shown as a baseline. The last line is the figure.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from argus.core.patterns.embed import DEFAULT_SIMILARITY_THRESHOLD  # noqa: E402
from argus.core.patterns.formats import parse_error  # noqa: E402
from argus.core.patterns.normalise import signature_of  # noqa: E402
from argus.core.patterns.scrub import scrub_event  # noqa: E402
from argus.core.patterns.service import open_service  # noqa: E402
from benchmarks.corpus.generate_dedup import DEFAULT_OUT, generate  # noqa: E402


def pairwise(labels: list[str], predicted: list[str]) -> tuple[float, float, int, int, int]:
    """(precision, recall, true positives, predicted pairs, actual pairs) over all pairs."""
    true_positive = predicted_pairs = actual_pairs = 0
    for first, second in itertools.combinations(range(len(labels)), 2):
        same_bug = labels[first] == labels[second]
        same_pattern = predicted[first] == predicted[second]
        actual_pairs += same_bug
        predicted_pairs += same_pattern
        true_positive += same_bug and same_pattern
    precision = true_positive / predicted_pairs if predicted_pairs else 1.0
    recall = true_positive / actual_pairs if actual_pairs else 1.0
    return precision, recall, true_positive, predicted_pairs, actual_pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--threshold", type=float, default=DEFAULT_SIMILARITY_THRESHOLD)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--seed", type=int, default=3)
    options = parser.parse_args()

    if options.regenerate or not options.corpus.exists():
        entries = generate(6, 20261127)
        with options.corpus.open("w", encoding="utf-8") as handle:
            for entry in entries:
                handle.write(json.dumps(entry) + "\n")
    entries = [json.loads(line) for line in options.corpus.read_text(encoding="utf-8").splitlines()]
    random.Random(options.seed).shuffle(entries)
    labels = [str(entry["bug"]) for entry in entries]

    for threshold in sorted({0.75, 0.80, 0.90, 0.95} - {options.threshold}):
        other = open_service(":memory:", threshold=threshold)
        grouped = [other.ingest(str(entry["text"]), "dedup").pattern.id for entry in entries]
        precision, recall, *_ = pairwise(labels, grouped)
        print(f"threshold {threshold:.2f}: precision {precision:.3f}, recall {recall:.3f}")
        other.close()

    service = open_service(":memory:", threshold=options.threshold)
    results = [service.ingest(str(entry["text"]), "dedup") for entry in entries]
    predicted = [result.pattern.id for result in results]
    # Hash-only baseline: the pattern hash of each traceback itself.
    hashes = [
        signature_of(scrub_event(parse_error(str(entry["text"])))).pattern_hash for entry in entries
    ]

    base = pairwise(labels, hashes)
    found = pairwise(labels, predicted)
    matched = Counter(result.matched_by for result in results)
    print(
        f"corpus: {len(entries)} tracebacks of {len(set(labels))} bugs "
        f"({sum(1 for _ in itertools.combinations(labels, 2)):,} pairs, {found[4]} same-bug)"
    )
    print(f"matched by: {dict(matched)}; patterns: {len(set(predicted))}")
    print(
        f"hash only:             precision {base[0]:.3f}, recall {base[1]:.3f}, "
        f"{len(set(hashes))} groups"
    )

    by_bug: dict[str, set[str]] = defaultdict(set)
    by_pattern: dict[str, set[str]] = defaultdict(set)
    for label, pattern in zip(labels, predicted, strict=True):
        by_bug[label].add(pattern)
        by_pattern[pattern].add(label)
    for label, patterns in sorted(by_bug.items()):
        if len(patterns) > 1:
            print(f"  split: {label} into {len(patterns)} patterns")
    for bugs in by_pattern.values():
        if len(bugs) > 1:
            print(f"  merged: {', '.join(sorted(bugs))}")
    print(
        f"dedup quality at threshold {options.threshold}: precision {found[0]:.3f}, "
        f"recall {found[1]:.3f} (pairwise, {found[2]} of {found[4]} same-bug pairs found, "
        f"{found[3] - found[2]} wrong pairs)"
    )


if __name__ == "__main__":
    main()
