"""`argus ingest`, `argus patterns ...` and `argus projects ...` as a user runs them: a
subprocess, text and JSON output, exit codes, bad input that leaves the store untouched, and
where the store lives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ingest_server.running import store_snapshot

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "errors"
TRACEBACK = (FIXTURES / "python_keyerror.txt").read_bytes()
NODE = (FIXTURES / "node_typeerror.txt").read_bytes()
GENERIC = (FIXTURES / "generic.json").read_bytes()


def argus(
    *args: str,
    home: Path | None,
    stdin: bytes | None = None,
    cwd: Path | None = None,
    env_extra: dict[str, str] | None = None,
):
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", **(env_extra or {})}
    env.pop("ARGUS_HOME", None)
    if home is not None:
        env["ARGUS_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "argus", *args],
        cwd=cwd or ROOT,
        input=stdin,
        capture_output=True,
        env=env,
        check=False,
        timeout=120,
    )


def ok(completed) -> str:
    assert completed.returncode == 0, completed.stderr.decode()
    return completed.stdout.decode()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_ingest_says_new_then_matched(home: Path, tmp_path: Path) -> None:
    report = tmp_path / "crash.txt"
    report.write_bytes(TRACEBACK)
    first = ok(argus("ingest", str(report), home=home))
    assert first.startswith("New pattern pat_")
    assert first.rstrip().endswith(
        "KeyError: 'bob' in /tmp/argus-fixtures/srv/shop-release-<hash>/shop/cart.py:load_user"
    )
    pattern_id = first.split()[2].rstrip(":")
    # The same bug with another value, from stdin.
    again = ok(argus("ingest", "-", home=home, stdin=TRACEBACK.replace(b"'bob'", b"'eve'")))
    assert again.startswith(f"Matched pattern {pattern_id} (seen 2 times; matched by hash)")


def test_ingest_json_output(home: Path) -> None:
    document = json.loads(ok(argus("ingest", "-", "--format", "json", home=home, stdin=GENERIC)))
    assert document["tenant"] == "local"
    assert document["source_format"] == "argus-json"
    assert (document["is_new"], document["matched_by"], document["similarity"]) == (
        True,
        "new",
        None,
    )
    pattern = document["pattern"]
    assert pattern["id"].startswith("pat_") and pattern["occurrences"] == 1
    assert {"title", "pattern_hash", "locations", "first_seen", "last_seen"} <= set(pattern)
    assert {
        "path": "/srv/billing/internal/charge/charge.go",
        "function": "charge.(*Service).Charge",
        "count": 1,
    } in pattern["locations"]


@pytest.mark.parametrize(
    ("stdin", "says"),
    [
        (b"", "error report is empty"),
        (b"   \n", "error report is empty"),
        (b'{"type": "KeyError", "message": ', "not valid JSON"),
        (b'{"hello": "world"}', "JSON but in no known error format"),
        (
            b"panic: runtime error: index out of range\n\ngoroutine 1 [running]:\n",
            "no known format",
        ),
        (b"x" * (5 * 1024 * 1024), "over the 4,194,304 byte limit"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_leaves_the_store_alone(
    home: Path, stdin: bytes, says: str
) -> None:
    ok(argus("ingest", "-", home=home, stdin=TRACEBACK))
    before = store_snapshot(home / "argus.db")
    refused = argus("ingest", "-", home=home, stdin=stdin)
    assert refused.returncode == 2
    error = refused.stderr.decode()
    assert error.startswith("argus: error: ") and says in error
    assert "Traceback (most recent call last):\n  File" not in error  # no Python traceback
    assert store_snapshot(home / "argus.db") == before


def test_usage_errors_exit_2(home: Path) -> None:
    missing = argus("ingest", "/no/such/file.txt", home=home)
    assert missing.returncode == 2 and b"no such file" in missing.stderr
    tenant = argus("ingest", "-", "--tenant", "bad tenant", home=home, stdin=TRACEBACK)
    assert tenant.returncode == 2 and b"--tenant 'bad tenant' is not valid" in tenant.stderr
    assert not (home / "argus.db").exists()  # nothing was even opened


def test_invalid_utf8_is_read_with_a_warning(home: Path) -> None:
    completed = argus("ingest", "-", home=home, stdin=TRACEBACK.replace(b"'bob'", b"'b\xffb'"))
    assert completed.returncode == 0
    assert b"input is not valid UTF-8" in completed.stderr


def test_patterns_list_show_search_stats(home: Path) -> None:
    for report in (TRACEBACK, TRACEBACK, NODE):
        ok(argus("ingest", "-", home=home, stdin=report))
    listing = ok(argus("patterns", "list", home=home))
    header, first, second = listing.splitlines()
    assert header.split() == ["ID", "SEEN", "LAST", "SEEN", "TITLE"]
    assert "KeyError" in first and first.split()[1] == "2"  # most frequent first
    assert "TypeError" in second and second.split()[1] == "1"

    listed = json.loads(ok(argus("patterns", "list", "--format", "json", home=home)))
    assert listed["tenant"] == "local"
    assert [p["occurrences"] for p in listed["patterns"]] == [2, 1]
    pattern_id = listed["patterns"][0]["id"]

    shown = ok(argus("patterns", "show", pattern_id, home=home))
    assert shown.startswith(f"{pattern_id}: KeyError")
    assert "seen         2 times" in shown
    shown_json = json.loads(ok(argus("patterns", "show", pattern_id, "-f", "json", home=home)))
    assert shown_json == listed["patterns"][0]
    unknown = argus("patterns", "show", "pat_nope", home=home)
    assert unknown.returncode == 2 and b"no pattern 'pat_nope'" in unknown.stderr

    found = json.loads(
        ok(argus("patterns", "search", "-", "-f", "json", home=home, stdin=TRACEBACK))
    )
    best = found["results"][0]
    assert best["pattern"]["id"] == pattern_id and best["similarity"] > 0.99
    text = ok(argus("patterns", "search", "KeyError in load_user", "-k", "1", home=home))
    assert len(text.splitlines()) == 1 and pattern_id in text
    # Unrelated text matches nothing worth showing: no rows at similarity 0.000 or below.
    unrelated = ok(argus("patterns", "search", "disk quota exceeded on /var/cache", home=home))
    assert unrelated.startswith("No pattern of tenant local is similar"), unrelated
    shown_all = ok(
        argus(
            "patterns",
            "search",
            "disk quota exceeded on /var/cache",
            "--min-similarity",
            "-1",
            home=home,
        )
    )
    assert len(shown_all.splitlines()) == 2

    stats = json.loads(ok(argus("patterns", "stats", "-f", "json", home=home)))
    assert (stats["patterns"], stats["occurrences"]) == (2, 3)
    assert "occurrences" in ok(argus("patterns", "stats", home=home))


def test_tenants_are_kept_apart(home: Path) -> None:
    ok(argus("ingest", "-", "--tenant", "acme", home=home, stdin=TRACEBACK))
    assert "No patterns for tenant local" in ok(argus("patterns", "list", home=home))
    assert "KeyError" in ok(argus("patterns", "list", "--tenant", "acme", home=home))


def test_export_then_import_into_another_tenant(home: Path, tmp_path: Path) -> None:
    for report in (TRACEBACK, NODE, GENERIC):
        ok(argus("ingest", "-", home=home, stdin=report))
    out = tmp_path / "library.jsonl"
    said = ok(argus("patterns", "export", "--out", str(out), home=home))
    assert said.startswith("Exported 3 patterns of tenant local")  # not counting the header
    lines = out.read_text().splitlines()
    assert json.loads(lines[0])["format"] == "argus-patterns" and len(lines) == 4
    assert ok(argus("patterns", "export", home=home)).count("\n") == 4  # stdout

    imported = json.loads(
        ok(argus("patterns", "import", str(out), "--tenant", "copy", "-f", "json", home=home))
    )
    assert imported == {"tenant": "copy", "patterns": 3, "new": 3, "merged": 0, "skipped": 0}
    again = ok(
        argus("patterns", "import", "-", "--tenant", "copy", home=home, stdin=out.read_bytes())
    )
    assert again.startswith("Imported 3 patterns into tenant copy: 0 new, 0 merged")
    assert "3 skipped (imported before)" in again
    copied = json.loads(ok(argus("patterns", "list", "--tenant", "copy", "-f", "json", home=home)))
    # Importing the same file twice counts its occurrences once.
    assert sorted(p["occurrences"] for p in copied["patterns"]) == [1, 1, 1]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"format": "argus-patterns", "version": 1}\n{"id": broken\n', "line 2 is not JSON"),
        (b'{"id": "pat_x"}\n', "does not start with the header line"),
        (b"[1, 2]\n", "line 1 is not a JSON object"),
    ],
)
def test_import_of_a_bad_file_changes_nothing(
    home: Path, tmp_path: Path, content: bytes, says: str
) -> None:
    ok(argus("ingest", "-", home=home, stdin=TRACEBACK))
    before = store_snapshot(home / "argus.db")
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(content)
    refused = argus("patterns", "import", str(bad), home=home)
    assert refused.returncode == 2 and says in refused.stderr.decode()
    assert store_snapshot(home / "argus.db") == before


def test_projects_add_prints_a_dsn_and_list_shows_it(home: Path) -> None:
    added = ok(argus("projects", "add", "shop", "--port", "9000", home=home))
    assert added.startswith("Project shop (id 1, tenant shop)")
    dsn_line = added.splitlines()[1]
    assert dsn_line.startswith("DSN:     http://") and dsn_line.endswith("@127.0.0.1:9000/1")
    second = json.loads(
        ok(argus("projects", "add", "billing", "--tenant", "acme", "-f", "json", home=home))
    )
    assert (second["project_id"], second["tenant"]) == (2, "acme")
    assert second["dsn"] == f"http://{second['public_key']}@127.0.0.1:8000/2"
    listed = json.loads(ok(argus("projects", "list", "-f", "json", home=home)))
    assert [p["name"] for p in listed["projects"]] == ["shop", "billing"]
    duplicate = argus("projects", "add", "shop", home=home)
    assert duplicate.returncode == 2 and b"exists already" in duplicate.stderr


def test_the_store_lives_in_the_repository_or_in_the_home_folder(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    ok(argus("ingest", "-", home=None, cwd=repo / "src", stdin=TRACEBACK))
    assert (repo / ".argus" / "argus.db").is_file()

    outside = tmp_path / "plain"
    outside.mkdir()
    user_home = tmp_path / "user"
    user_home.mkdir()
    ok(
        argus(
            "ingest",
            "-",
            home=None,
            cwd=outside,
            stdin=TRACEBACK,
            env_extra={"HOME": str(user_home), "GIT_CEILING_DIRECTORIES": str(tmp_path)},
        )
    )
    assert (user_home / ".argus" / "argus.db").is_file()


def test_ingest_of_several_files_files_them_together(home: Path, tmp_path: Path) -> None:
    first, second, third = (tmp_path / name for name in ("a.txt", "b.txt", "c.json"))
    first.write_bytes(TRACEBACK)
    second.write_bytes(TRACEBACK.replace(b"'bob'", b"'eve'"))
    third.write_bytes(GENERIC)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"nothing to see here")
    refused = argus("ingest", str(first), str(bad), home=home)
    assert refused.returncode == 2 and b"bad.txt" in refused.stderr
    assert not (home / "argus.db").exists()  # parsed before the library opened
    lines = ok(argus("ingest", str(first), str(second), str(third), home=home)).splitlines()
    assert lines[0].startswith(f"{first}: New pattern pat_")
    assert lines[1].startswith(f"{second}: Matched pattern ") and "seen 2 times" in lines[1]
    assert lines[2].startswith(f"{third}: New pattern pat_")
    document = json.loads(ok(argus("ingest", str(first), "-", "-f", "json", home=home, stdin=NODE)))
    assert [event["matched_by"] for event in document["events"]] == ["hash", "new"]
    assert document["events"][0]["pattern"]["occurrences"] == 3
    stats = json.loads(ok(argus("patterns", "stats", "-f", "json", home=home)))
    assert stats["occurrences"] == 5 and stats["patterns"] == 3
