"""A cache of per-file analysis results, keyed by content: the port and its key recipe.

A review parses both sides of every changed file and runs the bug-pattern rules on the new
side. Reviews of the same branch (a CI re-run, the next push, the editor) see mostly the same
file versions, so the symbols of a file version and the findings of a file change are kept,
keyed by git blob hashes and by the version of the analysis code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Protocol

from argus.core.lang import FileAnalysis
from argus.core.predict.findings import BugFinding


class AnalysisCache(Protocol):
    """Where a review keeps symbols and findings between runs."""

    def get_symbols(self, key: str) -> FileAnalysis | None:
        """The analysis stored under ``key``, if any."""
        ...

    def put_symbols(self, key: str, analysis: FileAnalysis) -> None:
        """Keep an analysis (written on :meth:`flush`)."""
        ...

    def get_findings(self, key: str) -> list[BugFinding] | None:
        """The findings stored under ``key``, if any."""
        ...

    def put_findings(self, key: str, findings: list[BugFinding]) -> None:
        """Keep findings (written on :meth:`flush`)."""
        ...

    def flush(self) -> None:
        """Write what was put since the last flush."""
        ...


def blob_hash(content: bytes) -> str:
    """The git blob hash of ``content`` (what ``git hash-object`` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


@cache
def code_version() -> str:
    """A fingerprint of the analysis code (tree-sitter extraction and the rules): any edit to
    those modules changes it, so stale results are never served after an upgrade."""
    digest = hashlib.sha1(usedforsecurity=False)
    root = Path(__file__).resolve().parent.parent
    for folder in (root / "lang", root / "predict" / "rules"):
        for path in sorted(folder.glob("*.py")):
            stat = path.stat()
            digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def symbols_key(path: str, content: bytes, max_bytes: int) -> str:
    """Key of one file version's symbols (the path matters: it decides the language)."""
    suffix = path.rsplit(".", 1)[-1] if "." in path else ""
    return f"sym:{code_version()}:{suffix}:{max_bytes}:{blob_hash(content)}"


def findings_key(
    path: str,
    new: bytes,
    old: bytes | None,
    changed_lines: Iterable[int],
    removed_lines: Iterable[int],
    attributes: str = "",
    *,
    rules: str = "",
) -> str:
    """Key of the predicted bugs of one file change (``attributes``: what ``.gitattributes``
    sets for the path, :meth:`argus.core.classify.GitAttributes.signature`; ``rules``: the ids
    of the rules that ran)."""
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(path.encode("utf-8", "surrogateescape"))
    digest.update(blob_hash(new).encode())
    digest.update(blob_hash(old).encode() if old is not None else b"-")
    digest.update(",".join(map(str, sorted(changed_lines))).encode())
    digest.update(b"|" + ",".join(map(str, sorted(removed_lines))).encode())
    if attributes:
        digest.update(b"|" + attributes.encode("utf-8", "surrogateescape"))
    digest.update(b"|rules:" + rules.encode())
    return f"bug:{code_version()}:{digest.hexdigest()}"


class LayeredAnalysisCache:
    """An in-process cache in front of an optional persistent one, which can be attached
    later: analysis done before the store is open is kept and handed to it on attach."""

    def __init__(self, backing: AnalysisCache | None = None):
        self.backing = backing
        self._symbols: dict[str, FileAnalysis] = {}
        self._findings: dict[str, list[BugFinding]] = {}

    def attach(self, backing: AnalysisCache) -> None:
        """Use ``backing`` from now on, and give it what was computed before."""
        self.backing = backing
        for key, analysis in self._symbols.items():
            backing.put_symbols(key, analysis)
        for key, findings in self._findings.items():
            backing.put_findings(key, findings)

    def get_symbols(self, key: str) -> FileAnalysis | None:
        """From memory, else from the backing cache."""
        found = self._symbols.get(key)
        if found is None and self.backing is not None:
            found = self.backing.get_symbols(key)
        return found

    def put_symbols(self, key: str, analysis: FileAnalysis) -> None:
        """Keep in memory and in the backing cache."""
        self._symbols[key] = analysis
        if self.backing is not None:
            self.backing.put_symbols(key, analysis)

    def get_findings(self, key: str) -> list[BugFinding] | None:
        """From memory, else from the backing cache."""
        found = self._findings.get(key)
        if found is None and self.backing is not None:
            found = self.backing.get_findings(key)
        return found

    def put_findings(self, key: str, findings: list[BugFinding]) -> None:
        """Keep in memory and in the backing cache."""
        self._findings[key] = findings
        if self.backing is not None:
            self.backing.put_findings(key, findings)

    def flush(self) -> None:
        """Flush the backing cache, if any."""
        if self.backing is not None:
            self.backing.flush()
