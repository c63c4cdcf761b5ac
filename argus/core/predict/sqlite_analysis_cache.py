"""The analysis cache in the SQLite store (table ``analysis_cache``, migration 0007)."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import asdict
from typing import Any

from argus.core.errors import StoreError
from argus.core.lang import FileAnalysis, Symbol
from argus.core.predict.findings import BugFinding, Edit, Factor, Fix
from argus.core.store.sqlite import SQLiteStore

# Entries not used for this long are dropped when the cache is flushed.
MAX_AGE_SECONDS = 30 * 86_400


class SQLiteAnalysisCache:
    """Reads straight from the store; writes are buffered and land in one transaction."""

    def __init__(self, store: SQLiteStore):
        self.store = store
        self._pending: dict[str, tuple[str, str]] = {}
        self._used: set[str] = set()

    def get_symbols(self, key: str) -> FileAnalysis | None:
        """The analysis stored under ``key``, if any."""
        payload = self._get(key)
        if payload is None:
            return None
        return FileAnalysis(
            language=payload["language"],
            symbols=[Symbol(*row) for row in payload["symbols"]],
            has_errors=payload["has_errors"],
            skipped=payload["skipped"],
            prose_lines=frozenset(payload.get("prose_lines", ())),
        )

    def put_symbols(self, key: str, analysis: FileAnalysis) -> None:
        """Keep an analysis until :meth:`flush`."""
        payload = {
            "language": analysis.language,
            "symbols": [
                [s.name, s.qualified_name, s.kind, s.start_line, s.end_line, s.complexity, s.parent]
                for s in analysis.symbols
            ],
            "has_errors": analysis.has_errors,
            "skipped": analysis.skipped,
            "prose_lines": sorted(analysis.prose_lines),
        }
        self._pending[key] = ("symbols", json.dumps(payload, separators=(",", ":")))

    def get_findings(self, key: str) -> list[BugFinding] | None:
        """The findings stored under ``key``, if any."""
        payload = self._get(key)
        if payload is None:
            return None
        findings = []
        for row in payload:
            factors = tuple(Factor(**factor) for factor in row.pop("factors"))
            fix = row.pop("fix", None)
            if fix is not None:
                edits = tuple(Edit(**edit) for edit in fix.pop("edits"))
                fix = Fix(**fix, edits=edits)
            findings.append(BugFinding(**row, factors=factors, fix=fix))
        return findings

    def put_findings(self, key: str, findings: list[BugFinding]) -> None:
        """Keep findings until :meth:`flush`."""
        rows = []
        for finding in findings:
            row = {name: getattr(finding, name) for name in finding.__dataclass_fields__}
            row["factors"] = [
                {name: getattr(f, name) for name in f.__dataclass_fields__} for f in finding.factors
            ]
            row["fix"] = asdict(finding.fix) if finding.fix is not None else None
            rows.append(row)
        self._pending[key] = ("findings", json.dumps(rows, separators=(",", ":")))

    def flush(self) -> None:
        """Write buffered entries, refresh the use time of entries read, drop stale ones."""
        now = int(time.time())
        try:
            with self.store.transaction() as db:
                db.executemany(
                    "INSERT OR REPLACE INTO analysis_cache (key, kind, payload, used_at) "
                    "VALUES (?, ?, ?, ?)",
                    [(key, kind, payload, now) for key, (kind, payload) in self._pending.items()],
                )
                db.executemany(
                    "UPDATE analysis_cache SET used_at = ? WHERE key = ?",
                    [(now, key) for key in self._used],
                )
                db.execute("DELETE FROM analysis_cache WHERE used_at < ?", (now - MAX_AGE_SECONDS,))
        except sqlite3.Error as error:
            raise StoreError(f"cannot write the analysis cache: {error}") from error
        self._pending.clear()
        self._used.clear()

    def _get(self, key: str) -> Any:
        pending = self._pending.get(key)
        if pending is not None:
            return json.loads(pending[1])
        row = self.store.connection.execute(
            "SELECT payload FROM analysis_cache WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            return None
        self._used.add(key)
        try:
            return json.loads(row[0])
        except ValueError:
            return None  # a damaged entry is a miss; it is rewritten on this run
