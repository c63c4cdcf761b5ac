import sqlite3
import time
from pathlib import Path

from argus.core.patterns.store import CHECKPOINT_COMMITS, SQLiteExecutor
from argus.core.store.checkpoint import WalCheckpointer
from argus.core.store.sqlite import SQLiteStore


def _wal_frames(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def _wait_for(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_the_checkpointer_starts_only_once_enough_was_written(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    db = sqlite3.connect(str(path), isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("CREATE TABLE t (x)")
    checkpointer = WalCheckpointer(path, every=3)
    checkpointer.written(2)
    assert checkpointer._thread is None  # below the threshold: no thread at all
    checkpointer.written(1)
    assert _wait_for(lambda: checkpointer.checkpoints == 1)
    checkpointer.stop()
    checkpointer.written(5)  # stopped: nothing starts again
    assert checkpointer.checkpoints == 1
    db.close()


def test_a_pattern_store_file_checkpoints_off_its_commits_and_keeps_everything(
    tmp_path: Path,
) -> None:
    path = tmp_path / "argus.db"
    executor = SQLiteExecutor(SQLiteStore.open(path))
    assert executor._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    executor.execute("CREATE TABLE t (n INTEGER, pad TEXT)")
    for number in range(CHECKPOINT_COMMITS * 2):
        executor.execute_batch([("INSERT INTO t VALUES (?, ?)", (number, "x" * 2000))])
    checkpointer = executor._checkpointer
    assert checkpointer is not None
    assert _wait_for(lambda: checkpointer.checkpoints >= 1)
    assert executor.execute("SELECT count(*) AS n FROM t") == [{"n": CHECKPOINT_COMMITS * 2}]
    executor.close()
    assert checkpointer._thread is not None and not checkpointer._thread.is_alive()
    assert _wal_frames(path) == 0  # the last connection to close checkpointed the rest
    reopened = sqlite3.connect(str(path))
    assert reopened.execute("SELECT count(*) FROM t").fetchone()[0] == CHECKPOINT_COMMITS * 2
    reopened.close()


def test_an_in_memory_store_has_no_checkpointer() -> None:
    executor = SQLiteExecutor(SQLiteStore.open(":memory:"))
    assert executor._checkpointer is None
    executor.execute_batch([("CREATE TABLE t (x)", ())])
    executor.close()


def _stream_of_commits(path: Path, checkpointer: WalCheckpointer, lock, commits: int) -> int:
    """Commit ``commits`` 64 KB rows back to back, as a busy writer does; the WAL's peak size."""
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA wal_autocheckpoint = 0")
    db.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER, pad BLOB)")
    peak = 0
    for number in range(commits):
        with lock:
            db.execute("INSERT INTO t VALUES (?, ?)", (number, b"x" * 65536))
        checkpointer.written(65536)
        peak = max(peak, _wal_frames(path))
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == commits
    db.close()
    return peak


def test_a_stream_of_commits_keeps_the_wal_bounded_when_writers_lend_their_lock(
    tmp_path: Path,
) -> None:
    import threading

    lock = threading.Lock()
    path = tmp_path / "queue.db"
    checkpointer = WalCheckpointer(
        path, every=256 * 1024, wal_limit=1 << 40, writers=lock, restart_bytes=2 * 1024 * 1024
    )
    peak = _stream_of_commits(path, checkpointer, lock, commits=800)  # 50 MB written
    checkpointer.stop()
    assert checkpointer.restarts >= 1
    assert peak < 12 * 1024 * 1024  # restarted near 2 MB, never the 50 MB written


def test_without_the_writers_lock_the_wal_grows_with_the_stream(tmp_path: Path) -> None:
    """What the lock is for: passive checkpoints alone do not restart a WAL under a stream."""
    import threading

    path = tmp_path / "queue.db"
    checkpointer = WalCheckpointer(path, every=256 * 1024, wal_limit=1 << 40)
    peak = _stream_of_commits(path, checkpointer, threading.Lock(), commits=800)
    checkpointer.stop()
    assert checkpointer.restarts == 0 and checkpointer.checkpoints >= 1
    assert peak > 24 * 1024 * 1024
