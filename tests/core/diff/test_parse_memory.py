"""parse_diff streams: a ~50 MB diff is parsed with a bounded, small amount of memory."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

from argus.core.diff.parse import parse_diff

TARGET_BYTES = 50 * 1024 * 1024
# Long lines (minified code, data) keep the line count, and so the run time, low.
LINE_TEXT = "x" * 4000


def hunks_text() -> str:
    """Ten hunks of twelve long lines: 4 context, 4 removed, 4 added each."""
    parts = []
    for hunk in range(10):
        start = 1 + hunk * 100
        parts.append(f"@@ -{start},8 +{start},8 @@ def f{hunk}():\n")
        kinds = " -+" * 4
        parts.extend(f"{kind}{LINE_TEXT} {i}\n" for i, kind in enumerate(kinds))
    return "".join(parts)


def write_big_diff(path: Path) -> tuple[int, int]:
    """Write a ~50 MB git diff of many files; return (files, added lines)."""
    files = 0
    body = hunks_text()
    with path.open("w", encoding="utf-8") as out:
        while out.tell() < TARGET_BYTES:
            name = f"src/module_{files}.py"
            out.write(f"diff --git a/{name} b/{name}\nindex 1111111..2222222 100644\n")
            out.write(f"--- a/{name}\n+++ b/{name}\n{body}")
            files += 1
    return files, files * 40


def test_fifty_megabyte_diff_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.diff"
    files, added = write_big_diff(path)
    size = path.stat().st_size
    assert size >= TARGET_BYTES
    started = time.perf_counter()
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            changes = parse_diff(stream)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    assert len(changes.files) == files
    assert changes.lines_added == added
    assert changes.files[-1].hunks[-1].added == (902, 904, 906, 908)
    print(f"diff {size / 2**20:.1f} MB, {files} files: peak {peak / 2**20:.1f} MB, {elapsed:.1f} s")
    # The text alone is 50 MB; holding it, or unidiff's PatchSet of it, would be several times that.
    assert peak < 32 * 2**20


def test_one_huge_added_file_in_bounded_memory() -> None:
    count = 30_000
    body = "".join(f"+{LINE_TEXT[:60]}\n" for _ in range(count)).encode()
    header = "diff --git a/big.txt b/big.txt\nnew file mode 100644\n--- /dev/null\n+++ b/big.txt\n"
    data = header.encode() + f"@@ -0,0 +1,{count} @@\n".encode() + body
    tracemalloc.start()
    try:
        baseline, _ = tracemalloc.get_traced_memory()
        (change,) = parse_diff(data).files
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert change.hunks[0].added == tuple(range(1, count + 1))
    assert (change.hunks[0].target_start, change.hunks[0].target_length) == (1, count)
    # 30,000 line numbers cost ~1 MB; unidiff's objects for all its lines would be ~15 MB.
    print(f"peak {(peak - baseline) / 2**20:.1f} MB")
    assert peak - baseline < 7 * 2**20
