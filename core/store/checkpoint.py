"""WAL checkpoints on a thread of their own, off the path of the commits that need to be fast.

SQLite's automatic checkpoint copies the WAL back into the database file (with an fsync) inside
whichever commit crosses its threshold: tens of milliseconds during which every request waiting
for that commit waits too. A writer that turns it off (``PRAGMA wal_autocheckpoint = 0``) tells
a :class:`WalCheckpointer` how much it wrote; past ``every`` (in the writer's own unit: bytes,
commits, ...) the checkpointer's thread, on a connection of its own, runs a passive checkpoint,
which never blocks writers. SQLite checkpoints once more when the last connection closes.

Under a sustained burst a passive checkpoint may not catch up, so the WAL grows; past
``wal_limit`` bytes of frames the thread takes a TRUNCATE checkpoint, which holds writers back
for its length: back-pressure and an emptied file instead of a WAL without bound.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

#: A WAL holding more than this after a passive checkpoint gets a blocking (TRUNCATE) one.
WAL_LIMIT_BYTES = 256 * 1024 * 1024


class WalCheckpointer:
    """A thread (started on first need) that checkpoints ``path``'s WAL passively."""

    def __init__(self, path: Path, every: int, wal_limit: int = WAL_LIMIT_BYTES) -> None:
        self.path = path
        self.every = every
        self.wal_limit = wal_limit
        self.checkpoints = 0
        """Checkpoints run (for tests)."""
        self._pending = 0
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def written(self, amount: int) -> None:
        """Count ``amount`` written; wake the thread (started then) once ``every`` is reached."""
        self._pending += amount
        if self._pending >= self.every:
            self._pending = 0
            if self._thread is None and not self._stopping:
                self._thread = threading.Thread(
                    target=self._run, name="argus-checkpoint", daemon=True
                )
                self._thread.start()
            self._wake.set()

    def stop(self) -> None:
        """Stop the thread (a checkpoint in progress finishes first)."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(30)

    def _run(self) -> None:
        db = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None)
        try:
            db.execute("PRAGMA wal_autocheckpoint = 0")
            page_size = int(db.execute("PRAGMA page_size").fetchone()[0])
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                try:
                    _, frames, _ = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    if frames * page_size > self.wal_limit:
                        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
                except sqlite3.Error:  # a checkpoint missed is done by the next one
                    continue
                self.checkpoints += 1
        finally:
            db.close()
