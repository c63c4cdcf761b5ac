"""WAL checkpoints on a thread of their own, off the path of the commits that need to be fast.

SQLite's automatic checkpoint copies the WAL back into the database file (with an fsync) inside
whichever commit crosses its threshold: tens of milliseconds during which every request waiting
for that commit waits too. A writer that turns it off (``PRAGMA wal_autocheckpoint = 0``) tells
a :class:`WalCheckpointer` how much it wrote; past ``every`` (in the writer's own unit: bytes,
commits, ...) the checkpointer's thread, on a connection of its own, runs a passive checkpoint,
which never blocks writers. SQLite checkpoints once more when the last connection closes.

A passive checkpoint copies the WAL but cannot send the next commit back to the WAL's start:
SQLite restarts the WAL only in a transaction that begins once *every* frame is copied, and
under a sustained stream of commits one always began before the checkpoint ended. The WAL then
grows for as long as the stream lasts. A writer that gives its lock (``writers``: the lock its
commits hold) lets the thread restart it: once a passive checkpoint leaves more than
``restart_bytes`` of WAL, the thread syncs both files and catches up without the lock, then
takes the writers' lock and runs a RESTART checkpoint, which copies only what was committed
since (a few MB: the writers wait 10-20 ms on this machine) and makes the next commit write
from the WAL's start. Measured on the webhook queue, 6,000 deliveries in a row at 100
concurrent: without it the WAL reached 256 MB and the TRUNCATE below stalled every delivery
for 0.8-1 s (p99 1,061 ms); with it p99 was 57 ms.

Past ``wal_limit`` bytes of frames (a reader in another process holding an old snapshot keeps
even a RESTART from restarting the WAL) the thread takes a TRUNCATE checkpoint, which holds
writers back for its length: back-pressure and an emptied file instead of a WAL without bound.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

#: A WAL holding more than this after a passive checkpoint gets a blocking (TRUNCATE) one.
WAL_LIMIT_BYTES = 256 * 1024 * 1024
#: A WAL holding more than this after a passive checkpoint is restarted (when writers lend
#: their lock): some 28,000 webhook deliveries (24 KB, ~2.3 KB stored) between two restarts.
RESTART_BYTES = 64 * 1024 * 1024
#: Before a RESTART, passive checkpoints are repeated (at most this many rounds) until one
#: finds no more than this many bytes committed since the one before.
CATCH_UP_ROUNDS = 4
CATCH_UP_BYTES = 1024 * 1024
#: How long a RESTART checkpoint waits for readers of other processes (writers wait meanwhile).
RESTART_BUSY_MS = 50


class WalCheckpointer:
    """A thread (started on first need) that checkpoints ``path``'s WAL passively."""

    def __init__(
        self,
        path: Path,
        every: int,
        wal_limit: int = WAL_LIMIT_BYTES,
        *,
        writers: threading.Lock | None = None,
        restart_bytes: int = RESTART_BYTES,
    ) -> None:
        self.path = path
        self.every = every
        self.wal_limit = wal_limit
        self.writers = writers
        self.restart_bytes = restart_bytes
        self.checkpoints = 0
        """Checkpoints run (for tests)."""
        self.restarts = 0
        """WAL restarts made under the writers' lock (for tests)."""
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
                    if self.writers is not None and frames * page_size > self.restart_bytes:
                        frames = self._restart(db, frames, page_size)
                    if frames * page_size > self.wal_limit:
                        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
                except sqlite3.Error:  # a checkpoint missed is done by the next one
                    continue
                self.checkpoints += 1
        finally:
            db.close()

    def _restart(self, db: sqlite3.Connection, frames: int, page_size: int) -> int:
        """RESTART under the writers' lock; the WAL frames left (0 once it was restarted).

        What a RESTART does with the writers held back is what keeps them waiting: copy the
        frames committed since the last checkpoint and sync both files. Passive checkpoints
        leave the database file unsynced, so a bare RESTART synced every page copied since the
        previous restart (110-220 ms). So first, without the lock, both files are synced and
        passive checkpoints repeated until one finds little new (each round copies only what
        came during the one before): the RESTART is left a megabyte or two.
        """
        assert self.writers is not None
        for _ in range(CATCH_UP_ROUNDS):
            for path in (self.path, self.path.with_name(self.path.name + "-wal")):
                _sync(path)
            _, now, _ = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            new, frames = now - frames, now
            if new < 0:  # restarted meanwhile (the writers paused)
                return int(now)
            if new * page_size <= CATCH_UP_BYTES:
                break
        db.execute(f"PRAGMA busy_timeout = {RESTART_BUSY_MS}")
        try:
            with self.writers:
                busy, frames, _ = db.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        finally:
            db.execute("PRAGMA busy_timeout = 30000")
        if busy:
            return int(frames)
        self.restarts += 1
        return 0


def _sync(path: Path) -> None:
    """fdatasync a file (what SQLite would sync; nothing when it is gone)."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        os.fdatasync(descriptor)
    finally:
        os.close(descriptor)
