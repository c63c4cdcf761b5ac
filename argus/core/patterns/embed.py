"""Embedders: the interface, and a fast deterministic local default.

``HashingEmbedder`` needs no model: it hashes features of the text (word unigrams and bigrams,
whole identifiers such as ``shop/cart.py`` or ``load_user``, and character trigrams of those
identifiers) into a fixed number of signed buckets and L2-normalises the result. CRC-32 keeps
it identical across processes and platforms (Python's ``hash`` is salted per process).
"""

from __future__ import annotations

import functools
import math
import re
import zlib
from collections.abc import Sequence
from typing import Protocol

from argus.core.errors import ConfigError

DEFAULT_DIMENSIONS = 384
# Calibrated on real errors (tests/core/patterns/test_embed.py, docs/patterns.md): variants of
# one bug score 1.0, one bug reached through another caller ~0.98, different bugs ≤ 0.79.
DEFAULT_SIMILARITY_THRESHOLD = 0.85

_WORD = re.compile(r"<\w+>|[A-Za-z][A-Za-z0-9]*")
_TOKEN = re.compile(r"[\w$<>]+(?:[./:\\-][\w$<>]+)*")
_IDENTIFIER_SHAPE = re.compile(r"[./:\\_-]|[a-z][A-Z]")
# Parts of an identifier: split at separators and at camelCase humps ("loadUser" → load, User).
_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z0-9]+|[A-Z]+")

WORD_WEIGHT = 1.0
BIGRAM_WEIGHT = 0.7
IDENTIFIER_WEIGHT = 1.5
TRIGRAM_WEIGHT = 0.15
LINE_WEIGHTS = (2.0, 1.0, 3.0, 1.0, 0.7, 0.5)
LATER_LINE_WEIGHT = 0.4


class Embedder(Protocol):
    """Turns texts into fixed-length vectors whose cosine similarity reflects their meaning."""

    @property
    def dimensions(self) -> int:
        """The length of every vector this embedder returns."""
        ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order."""
        ...


class HashingEmbedder:
    """Feature-hashing embedder: deterministic, no download, tens of microseconds a text."""

    def __init__(self, dimensions: int = DEFAULT_DIMENSIONS) -> None:
        if not 16 <= dimensions <= 4096:
            raise ConfigError(f"embedding dimensions must be 16..4096, not {dimensions}")
        self._dimensions = dimensions

    @property
    def dimensions(self) -> int:
        """The length of every vector this embedder returns."""
        return self._dimensions

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One L2-normalised vector per text; a text without features gives the zero vector."""
        return [self.embed_one(text) for text in texts]

    def embed_one(self, text: str) -> list[float]:
        """The L2-normalised vector of one text."""
        return list(_embed_text(text, self._dimensions))


@functools.lru_cache(maxsize=4096)
def _embed_text(text: str, dimensions: int) -> tuple[float, ...]:
    """Cached by text: every occurrence of one pattern has the same embedding text."""
    sparse: dict[int, float] = {}
    for position, line in enumerate(text.splitlines()):
        for index, value in _line_buckets(line, position, dimensions):
            sparse[index] = sparse.get(index, 0.0) + value
    vector = [0.0] * dimensions
    norm = math.sqrt(math.fsum(value * value for value in sparse.values()))
    if norm:
        for index, value in sparse.items():
            vector[index] = value / norm
    return tuple(vector)


@functools.lru_cache(maxsize=16384)
def _line_buckets(line: str, position: int, dimensions: int) -> tuple[tuple[int, float], ...]:
    """The signed bucket contributions of one line; frame lines recur across patterns."""
    contributions: dict[int, float] = {}
    for feature, weight in line_features(line, position):
        code = zlib.crc32(feature.encode("utf-8"))
        index = code % dimensions
        signed = -weight if code & 0x80000000 else weight
        contributions[index] = contributions.get(index, 0.0) + signed
    return tuple(contributions.items())


def features(text: str) -> list[tuple[str, float]]:
    """The weighted features ``HashingEmbedder`` hashes, exposed for inspection and tests.

    Lines weigh by position (``LINE_WEIGHTS``), tuned for ``Signature.embedding_text``: the
    exception type, the masked message, then frames innermost first — the innermost frame
    tells look-alike bugs apart, outer frames matter less and less. Other text works too.
    """
    found: list[tuple[str, float]] = []
    for position, line in enumerate(text.splitlines()):
        found.extend(line_features(line, position))
    return found


def line_features(line: str, position: int) -> list[tuple[str, float]]:
    """The weighted features of the line at ``position`` (0-based) of a text."""
    scale = LINE_WEIGHTS[position] if position < len(LINE_WEIGHTS) else LATER_LINE_WEIGHT
    words = [word.lower() for word in _WORD.findall(line)]
    found = [(f"w:{word}", WORD_WEIGHT * scale) for word in words]
    found.extend(
        (f"b:{first} {second}", BIGRAM_WEIGHT * scale)
        for first, second in zip(words, words[1:], strict=False)
    )
    for token in _TOKEN.findall(line):
        if _IDENTIFIER_SHAPE.search(token):
            found.extend(
                (feature, weight * scale) for feature, weight in _identifier_features(token)
            )
    return found


@functools.lru_cache(maxsize=16384)
def _identifier_features(identifier: str) -> tuple[tuple[str, float], ...]:
    """The whole identifier, and character trigrams of its lower-cased parts."""
    found = [(f"i:{identifier}", IDENTIFIER_WEIGHT)]
    for part in _PARTS.findall(identifier):
        lowered = part.lower()
        found.extend(
            (f"t:{lowered[start : start + 3]}", TRIGRAM_WEIGHT) for start in range(len(lowered) - 2)
        )
    return tuple(found)


def cosine_similarity(first: Sequence[float], second: Sequence[float]) -> float:
    """Cosine of the angle between two vectors; 0.0 when either is all zeros."""
    if len(first) != len(second):
        raise ValueError(f"vectors differ in length: {len(first)} and {len(second)}")
    dot = math.fsum(a * b for a, b in zip(first, second, strict=True))
    norms = math.sqrt(math.fsum(a * a for a in first)) * math.sqrt(math.fsum(b * b for b in second))
    return dot / norms if norms else 0.0
