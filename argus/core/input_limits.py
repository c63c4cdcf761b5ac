"""Bounds on untrusted input that every front-end applies before it trusts anything.

- :func:`loads_bounded`: JSON parsed with a nesting limit (a 100,000-deep array is a clear
  :class:`JsonTooDeep`, never a ``RecursionError`` deep inside whoever walks the value later).
- :class:`ByteBudget`: the bytes that requests not yet authenticated may hold in memory at
  once, across all of them; a request that would pass it is refused (503) instead of queued,
  so a flood of unsigned bodies costs at most the budget.
- :func:`without_lone_surrogates`: text that every encoder takes (a lone UTF-16 surrogate such
  as ``"\\ud800"``, legal in a JSON string escape, is not encodable as UTF-8).

Pure: no I/O, no server; the numbers are documented in ``docs/security.md``.
"""

from __future__ import annotations

import json
import re
import threading

MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays and objects accepted in any JSON Argus parses (Sentry events
nest five to ten levels; GitHub payloads about eight)."""

UNAUTHENTICATED_BUDGET_BYTES = 64 * 1024 * 1024
"""Bytes that all requests not yet authenticated may buffer at once (bodies as sent plus their
decompressed form) in one server process."""

_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


class JsonTooDeep(ValueError):
    """A JSON text nests arrays and objects deeper than the limit it was parsed with."""


def json_depth(value: object, limit: int) -> int:
    """The nesting depth of a parsed JSON ``value``, counting at most to ``limit + 1``.

    Iterative (no recursion, whatever the depth); visits each container once.
    """
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: list[object] | object = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        for child in children:  # type: ignore[union-attr]
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return deepest


def loads_bounded(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> object:
    """``json.loads(text)``, refusing nesting deeper than ``max_depth``.

    Raises ``json.JSONDecodeError`` (and ``UnicodeDecodeError`` for bytes) as ``json.loads``
    does, and :class:`JsonTooDeep` for a value nested too deeply, however deep (CPython's
    parser itself gives up near 1,000 levels with a ``RecursionError``: that is translated).
    """
    # Cheap pre-test: fewer opening brackets than the limit cannot nest past it.
    if isinstance(text, str):
        openers = text.count("[") + text.count("{")
    else:
        openers = text.count(b"[") + text.count(b"{")
    try:
        value = json.loads(text)
    except RecursionError:
        raise JsonTooDeep(f"nested deeper than {max_depth} levels") from None
    if openers > max_depth and json_depth(value, max_depth) > max_depth:
        raise JsonTooDeep(f"nested deeper than {max_depth} levels")
    return value


def without_lone_surrogates(text: str) -> str:
    """``text`` with each lone surrogate written as its escape (``\\ud800``); same text else."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    return text


class ByteBudget:
    """A pool of bytes shared by concurrent readers; :meth:`take` never blocks.

    Thread-safe. A reader takes bytes before it buffers them and gives them all back when it
    is done (:meth:`give`); when the pool cannot cover a take, the take fails and the reader
    refuses its request. So the bytes buffered under this budget never pass ``total``.
    """

    def __init__(self, total: int) -> None:
        if total < 1:
            raise ValueError(f"a byte budget must be positive, not {total}")
        self.total = total
        self._free = total
        self._lock = threading.Lock()
        #: Takes refused so far (for metrics and tests).
        self.refused = 0
        #: Most bytes ever held at once (for tests and benchmarks).
        self.peak = 0

    @property
    def held(self) -> int:
        """Bytes taken and not yet given back."""
        return self.total - self._free

    def take(self, amount: int) -> bool:
        """Take ``amount`` bytes; False (nothing taken) when fewer than that are free."""
        with self._lock:
            if amount > self._free:
                self.refused += 1
                return False
            self._free -= amount
            self.peak = max(self.peak, self.total - self._free)
            return True

    def give(self, amount: int) -> None:
        """Give back bytes taken before."""
        with self._lock:
            self._free = min(self.total, self._free + amount)
