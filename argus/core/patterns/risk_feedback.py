"""Production errors as a risk factor: occurrences per (repository path, function).

Frames carry deployment paths (``/srv/app/orders/pricing.py``) where a repository has
``orders/pricing.py``; a stored location matches a repository path when it equals it or ends
with ``/`` + it. When several repository paths match one location (``pricing.py`` and
``orders/pricing.py``) the longest wins, so one occurrence is never counted twice.

Frames also carry bare function names: Python tracebacks print ``co_name`` (``add``), Sentry's
Python SDK sends ``Cart.add`` when it can tell the class, Node prints ``Cart.add`` or
``Object.<anonymous>``. The review keys functions by the symbol's qualified name
(``Cart.add``). :func:`for_symbols` bridges the two: an exact match first, else the last dotted
part of the recorded name against the last dotted part of each symbol's qualified name — an
error in ``add`` of ``cart.py`` counts for every symbol of that file whose name ends in
``add`` (usually one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def normalise_repository_path(path: str) -> str:
    """``./orders\\pricing.py`` → ``orders/pricing.py``."""
    normal = path.replace("\\", "/").strip()
    while normal.startswith("./"):
        normal = normal[2:]
    return normal.lstrip("/")


def count_by_function(
    locations: Iterable[tuple[str, str, int]], paths: Iterable[str]
) -> dict[tuple[str, str], int]:
    """``(repository path, recorded function) -> occurrences`` for the given repository paths.

    ``locations`` are ``(stored path, function, occurrences)``; repository paths are given as
    the caller knows them and returned unchanged in the keys.
    """
    by_name: dict[str, list[tuple[str, str]]] = {}
    for given in paths:
        normal = normalise_repository_path(given)
        if normal:
            by_name.setdefault(normal.rsplit("/", 1)[-1], []).append((normal, given))
    counts: dict[tuple[str, str], int] = {}
    for stored, function, occurrences in locations:
        stored_path = stored.replace("\\", "/")
        candidates = by_name.get(stored_path.rsplit("/", 1)[-1])
        if not candidates:
            continue
        best: tuple[str, str] | None = None
        for normal, given in candidates:
            if stored_path == normal or stored_path.endswith("/" + normal):
                if best is None or len(normal) > len(best[0]):
                    best = (normal, given)
        if best is not None:
            key = (best[1], function)
            counts[key] = counts.get(key, 0) + occurrences
    return counts


def for_symbols(
    counts: Mapping[tuple[str, str], int], symbols: Mapping[str, Iterable[str]]
) -> dict[tuple[str, str], int]:
    """Re-key ``count_by_function`` output by the review's qualified symbol names.

    ``symbols`` maps a repository path to the qualified names of its symbols (``Cart.add``).
    A recorded name equal to a qualified name goes to it; otherwise to every symbol of the
    path whose last dotted part equals the recorded name's last dotted part. Names matching
    no symbol are dropped.
    """
    result: dict[tuple[str, str], int] = {}
    for path, names in symbols.items():
        qualified = list(dict.fromkeys(names))
        exact = set(qualified)
        by_last: dict[str, list[str]] = {}
        for name in qualified:
            by_last.setdefault(name.rsplit(".", 1)[-1], []).append(name)
        for (counted_path, function), occurrences in counts.items():
            if counted_path != path:
                continue
            targets = [function] if function in exact else by_last.get(_last_part(function), [])
            for target in targets:
                result[(path, target)] = result.get((path, target), 0) + occurrences
    return result


def _last_part(function: str) -> str:
    name = function.strip()
    for prefix in ("async ", "new "):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name.rsplit(".", 1)[-1]
