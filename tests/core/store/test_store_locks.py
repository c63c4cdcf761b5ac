"""Opening the store a second time in a process keeps the first connection's locks: a closed
descriptor on the database file would drop every POSIX lock the process holds on it, and another
process would then delete the WAL under the open connection, which stops seeing new rows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from argus.core.store.sqlite import SQLiteStore


def _write_elsewhere(path: Path, value: str) -> None:
    script = (
        "import sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "db.execute('INSERT INTO marks VALUES (?)', (sys.argv[2],))\n"
        "db.close()\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path), value], check=True)


def test_a_second_open_in_the_same_process_keeps_the_first_connection_live(
    tmp_path: Path,
) -> None:
    path = tmp_path / "argus.db"
    first = SQLiteStore.open(path)
    first.connection.execute("CREATE TABLE marks (value TEXT)")
    assert first.connection.execute("SELECT count(*) FROM marks").fetchone()[0] == 0
    SQLiteStore.open(path).close()  # as a second component of the same server does
    _write_elsewhere(path, "from another process")
    assert Path(f"{path}-wal").exists(), "another process deleted the WAL of an open store"
    seen = first.connection.execute("SELECT value FROM marks").fetchall()
    assert seen == [("from another process",)]
    first.close()
