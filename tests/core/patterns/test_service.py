import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from argus.core.errors import ConfigError, StoreError
from argus.core.patterns.errors import IngestError
from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.service import open_service, tenant_namespace
from argus.core.store.vector import ExactIndex

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "errors"


def _traceback(root: str, function: str = "load_user", key: str = "bob", line: int = 10) -> str:
    return (
        "Traceback (most recent call last):\n"
        f'  File "{root}/main.py", line 26, in <module>\n'
        "    checkout(sys.argv[1], sys.argv[2])\n"
        f'  File "{root}/shop/cart.py", line {line + 25}, in checkout\n'
        f"    return {function}(users, value)\n"
        f'  File "{root}/shop/cart.py", line {line}, in {function}\n'
        "    return users[user_id]\n"
        f"KeyError: '{key}'\n"
    )


def _event(function: str, message: str = "boom", release: str | None = None) -> ErrorEvent:
    return ErrorEvent(
        exception_type="ValueError",
        message=message,
        frames=(
            Frame(function="main", filename="app/main.py"),
            Frame(function=function, filename="app/orders/pricing.py", lineno=12),
        ),
        platform="python",
        release=release,
        environment="production",
    )


@pytest.fixture
def service(tmp_path):
    with open_service(tmp_path / "argus.db") as opened:
        yield opened


def test_same_bug_with_other_values_lines_and_roots_is_one_pattern(service) -> None:
    first = service.ingest(_traceback("/srv/a", key="bob", line=10), "acme")
    second = service.ingest(_traceback("/opt/b/release-9", key="carol", line=90), "acme")
    assert first.is_new and first.matched_by == "new"
    assert not second.is_new and second.matched_by == "hash"
    assert second.pattern.id == first.pattern.id
    assert second.pattern.occurrences == 2
    assert second.pattern.message == "<str>"
    assert first.pattern.title == "KeyError: 'bob'"


def test_a_similar_error_with_another_hash_joins_by_similarity(service) -> None:
    base = service.ingest(_traceback("/srv/a"), "acme")
    # The same missing key reached through one more caller: another hash, a near embedding.
    text = _traceback("/srv/a").replace(
        '  File "/srv/a/shop/cart.py", line 10',
        '  File "/srv/a/shop/views.py", line 3, in profile\n    x()\n'
        '  File "/srv/a/shop/cart.py", line 10',
    )
    similar = service.ingest(text, "acme")
    assert similar.matched_by == "similarity"
    assert similar.pattern.id == base.pattern.id
    assert similar.similarity is not None and similar.similarity >= 0.85
    again = service.ingest(text, "acme")
    assert again.matched_by == "hash" and again.pattern.occurrences == 3
    pattern = service.get("acme", base.pattern.id)
    assert pattern is not None and len(pattern.aliases) == 1


def test_a_different_bug_is_a_new_pattern(service) -> None:
    first = service.ingest(_traceback("/srv/a", function="load_user"), "acme")
    other = service.ingest(_traceback("/srv/a", function="load_product"), "acme")
    assert other.is_new and other.pattern.id != first.pattern.id


def test_tenants_never_see_each_other(service) -> None:
    mine = service.ingest(_traceback("/srv/a"), "acme")
    theirs = service.ingest(_traceback("/srv/a"), "globex")
    assert theirs.is_new and theirs.pattern.id != mine.pattern.id
    assert service.get("globex", mine.pattern.id) is None
    assert [p.id for p in service.list_patterns("acme")] == [mine.pattern.id]
    assert [p.id for p, _ in service.search(_traceback("/x"), "globex")] == [theirs.pattern.id]
    assert tenant_namespace("acme") != tenant_namespace("globex")


def test_details_counts_per_release_environment_and_locations(service) -> None:
    for release in ["1.0", "1.0", "2.0"]:
        result = service.ingest(_event("apply_discount", release=release), "acme")
    pattern = service.get("acme", result.pattern.id)
    assert pattern is not None
    assert pattern.occurrences == 3
    assert pattern.releases == (("1.0", 2), ("2.0", 1))
    assert pattern.environments == (("production", 3),)
    assert {(loc.path, loc.function, loc.count) for loc in pattern.locations} == {
        ("app/orders/pricing.py", "apply_discount", 3),
        ("app/main.py", "main", 3),
    }
    events = service.store.events_of(pattern.id)
    assert len(events) == 3 and events[0]["event"]["release"] == "2.0"


def test_kept_events_are_bounded_to_the_newest(tmp_path) -> None:
    with open_service(tmp_path / "argus.db") as service:
        for number in range(12):
            result = service.ingest(_event("f", message=f"boom {number}"), "acme")
        events = service.store.events_of(result.pattern.id)
        assert len(events) == 5
        assert [event["event"]["message"] for event in events][0] == "boom 11"


def test_list_is_most_frequent_first_and_pages(service) -> None:
    for function, times in [("rare", 1), ("common", 3), ("middle", 2)]:
        for _ in range(times):
            service.ingest(_event(function), "acme")
    listed = service.list_patterns("acme")
    assert [p.occurrences for p in listed] == [3, 2, 1]
    assert [p.id for p in service.list_patterns("acme", limit=1, offset=1)] == [listed[1].id]


def test_search_by_traceback_and_by_free_text(service) -> None:
    target = service.ingest(_traceback("/srv/a"), "acme").pattern
    service.ingest(_event("apply_discount", message="discount code 77 expired"), "acme")
    best, score = service.search(_traceback("/elsewhere", key="zed"), "acme", k=2)[0]
    assert best.id == target.id and score == pytest.approx(1.0, abs=1e-4)
    by_text = service.search("ValueError: discount code 12 expired in apply_discount", "acme")
    assert by_text[0][0].exception_type == "ValueError"
    assert service.search("", "acme") == []


def test_unreadable_input_stores_nothing(service) -> None:
    service.ingest(_traceback("/srv/a"), "acme")
    before = service.stats("acme")
    for bad in [b"", b"{not json", "just some words", b"\xff\xfe\x00garbage"]:
        with pytest.raises(IngestError):
            service.ingest(bad, "acme")
    assert service.stats("acme")["occurrences"] == before["occurrences"]


def test_bad_tenants_are_config_errors(service) -> None:
    for tenant in ["", "  ", "x" * 201, "bad\ntenant"]:
        with pytest.raises(ConfigError):
            service.ingest(_traceback("/srv/a"), tenant)


def test_every_recorded_fixture_files(service) -> None:
    for path in sorted(FIXTURES.iterdir()):
        if path.suffix in (".txt", ".json", ".bin"):
            assert service.ingest(path.read_bytes(), "acme").pattern.occurrences >= 1
    stats = service.stats("acme")
    # Nine files; sentry_event.json and sentry_envelope.bin are one event (one event_id) sent
    # two ways, stored once, as Sentry stores it.
    assert stats["occurrences"] == 8
    assert stats["patterns"] < 8  # the same KeyError arrives in several formats
    json.dumps(stats)


def test_stats_are_json_ready(service) -> None:
    service.ingest(_event("f", release="r1"), "acme")
    stats = service.stats("acme")
    assert stats["patterns"] == 1 and stats["occurrences"] == 1
    assert stats["releases"] == {"r1": 1} and stats["environments"] == {"production": 1}
    assert stats["embedder"] == {"name": "HashingEmbedder", "dimensions": 384}
    json.dumps(stats)


def test_export_import_round_trip_merges_counts(tmp_path) -> None:
    with open_service(tmp_path / "a.db") as source:
        first = source.ingest(_traceback("/srv/a"), "acme").pattern
        source.ingest(_traceback("/srv/b", key="x"), "acme")
        source.ingest(_event("apply_discount", release="9"), "acme")
        source.record_test(
            "acme",
            first.id,
            "test_missing_user",
            framework="pytest",
            success_rate=0.75,
            reuse_count=2,
            code="def test_x(): ...",
        )
        rows = [json.loads(json.dumps(row)) for row in source.export("acme")]
    assert rows[0]["format"] == "argus-patterns" and len(rows) == 3
    with open_service(tmp_path / "b.db") as target:
        assert target.import_rows("other", rows) == 2
        # The same rows again change nothing: importing is idempotent.
        assert target.import_counted("other", rows) == (0, 0, 2)
        imported = {p.pattern_hash: p for p in target.list_patterns("other")}
        copy = imported[first.pattern_hash]
        assert copy.occurrences == 2
        assert copy.tests[0].test_id == "test_missing_user" and copy.tests[0].success_rate == 0.75
        assert target.search(_traceback("/q"), "other")[0][0].id == copy.id
        assert target.ingest(_traceback("/q"), "other").matched_by == "hash"


def test_import_rejects_foreign_rows(service) -> None:
    with pytest.raises(StoreError, match="format"):
        service.import_rows("acme", [{"format": "something-else", "version": 1}])
    with pytest.raises(StoreError, match="not an exported pattern row"):
        service.import_rows("acme", [{"pattern_hash": "v1:x"}])


def test_record_test_and_tests_for(service) -> None:
    pattern = service.ingest(_event("f"), "acme").pattern
    service.record_test("acme", pattern.id, "t1", framework="pytest", success_rate=1.0)
    service.record_test("acme", pattern.id, "t2", framework="pytest", success_rate=0.5)
    service.record_test(
        "acme", pattern.id, "t1", framework="pytest", success_rate=0.9, reuse_count=4
    )
    tests = service.store.tests_for(pattern.id)
    assert [(t.test_id, t.success_rate, t.reuse_count) for t in tests] == [
        ("t1", 0.9, 4),
        ("t2", 0.5, 0),
    ]
    with pytest.raises(StoreError, match="no pattern"):
        service.record_test("globex", pattern.id, "t3")
    with pytest.raises(StoreError, match="success_rate"):
        service.record_test("acme", pattern.id, "t3", success_rate=1.5)


def test_index_is_persisted_and_rebuilt_from_the_store_when_lost(tmp_path) -> None:
    path = tmp_path / "argus.db"
    with open_service(path) as service:
        original = service.ingest(_traceback("/srv/a"), "acme").pattern
    folder = tmp_path / "argus.db.vectors"
    assert any(folder.iterdir())
    for file in folder.iterdir():
        file.unlink()
    with open_service(path) as service:
        similar = _traceback("/srv/a").replace(
            '  File "/srv/a/shop/cart.py", line 10',
            '  File "/srv/a/shop/views.py", line 3, in profile\n    x()\n'
            '  File "/srv/a/shop/cart.py", line 10',
        )
        result = service.ingest(similar, "acme")
        assert result.matched_by == "similarity" and result.pattern.id == original.id


def test_a_second_process_view_catches_up_with_new_patterns(tmp_path) -> None:
    path = tmp_path / "argus.db"
    with open_service(path) as writer, open_service(path) as reader:
        reader.search("anything", "acme")  # reader's index is now "synced" (empty)
        created = writer.ingest(_traceback("/srv/a"), "acme").pattern
        found = reader.search(_traceback("/srv/zz"), "acme")
        assert found and found[0][0].id == created.id


def test_future_timestamps_are_clamped_to_receipt(tmp_path) -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    with open_service(tmp_path / "a.db") as service:
        service.clock = lambda: now
        event = _event("f")
        future = dataclasses.replace(event, timestamp=datetime(2099, 1, 1, tzinfo=UTC))
        assert service.ingest(future, "acme").pattern.last_seen == now


def test_exact_index_can_replace_the_ann_index(tmp_path) -> None:
    with open_service(tmp_path / "a.db", index=ExactIndex(384)) as service:
        assert service.ingest(_traceback("/a"), "acme").is_new
        assert service.ingest(_traceback("/b"), "acme").matched_by == "hash"


def test_tenants_are_registered_with_their_kind(service) -> None:
    service.ingest(_event("f"), "gh:4242")
    assert service.store.tenant("gh:4242")["kind"] == "project"
    service.register_tenant("gh:4242", "github_installation", "acme-org")
    row = service.store.tenant("gh:4242")
    assert (row["kind"], row["name"]) == ("github_installation", "acme-org")
    with pytest.raises(StoreError, match="tenant kind"):
        service.register_tenant("x", "team")


def test_a_storm_through_ingest_many_counts_like_one_by_one(tmp_path) -> None:
    storm = [
        _event("apply_discount", message=f"boom {number}", release=f"r{number % 3}")
        for number in range(23)
    ] + [_event("other_function")]
    with open_service(tmp_path / "one.db") as single, open_service(tmp_path / "many.db") as grouped:
        for event in storm:
            single.ingest(event, "acme")
        results = grouped.ingest_many(storm, "acme")
        assert len(results) == len(storm)
        assert results[0].is_new and results[1].matched_by == "hash"
        assert results[-1].is_new
        expected = {p.pattern_hash: p for p in single.list_patterns("acme")}
        actual = {p.pattern_hash: p for p in grouped.list_patterns("acme")}
        assert expected.keys() == actual.keys()
        for key, pattern in expected.items():
            other = actual[key]
            assert (other.occurrences, other.releases, other.locations) == (
                pattern.occurrences,
                pattern.releases,
                pattern.locations,
            )
        big = actual[results[0].pattern.pattern_hash]
        kept = grouped.store.events_of(big.id)
        assert [event["event"]["message"] for event in kept] == [
            f"boom {number}" for number in (22, 21, 20, 19, 18)
        ]
        with pytest.raises(IngestError):
            grouped.ingest_many([_event("x"), b"not an error"], "acme")
        assert grouped.stats("acme")["occurrences"] == len(storm)


def _views_caller(text: str) -> str:
    return text.replace(
        '  File "/srv/a/shop/cart.py", line 10',
        '  File "/srv/a/shop/views.py", line 3, in profile\n    x()\n'
        '  File "/srv/a/shop/cart.py", line 10',
    )


def test_one_batch_files_a_new_bug_and_its_look_alike_as_one_pattern(service) -> None:
    base = _traceback("/srv/a")
    results = service.ingest_many([base, _views_caller(base), base, _views_caller(base)], "acme")
    assert [result.matched_by for result in results] == ["new", "similarity", "hash", "hash"]
    assert results[0].is_new and not results[1].is_new
    assert {result.pattern.id for result in results} == {results[0].pattern.id}
    assert [result.pattern.occurrences for result in results] == [1, 2, 3, 4]
    assert service.stats("acme")["patterns"] == 1
    # The new pattern was indexed after the commit: a later look-alike finds it.
    later = service.ingest(_traceback("/srv/a").replace("line 26", "line 27"), "acme")
    assert later.pattern.id == results[0].pattern.id


def test_a_failed_batch_stores_nothing_and_indexes_nothing(tmp_path) -> None:
    index = ExactIndex(384)
    with open_service(tmp_path / "argus.db", index=index) as service:
        service.ingest(_event("known"), "acme")
        executor = service.store.executor
        real = executor.execute_batch

        def failing(statements):
            raise StoreError("store write failed, nothing written: disk I/O error")

        executor.execute_batch = failing
        batch = [(_event("known"), "acme"), (_traceback("/srv/a"), "acme"), (b"???", "acme")]
        outcomes = service.ingest_batch(batch)
        assert [type(outcome) for outcome in outcomes] == [StoreError, StoreError, IngestError]
        with pytest.raises(StoreError):
            service.ingest_many([_event("known"), _traceback("/srv/a")], "acme")
        executor.execute_batch = real
        assert service.stats("acme")["occurrences"] == 1
        assert len(index.query(tenant_namespace("acme"), [1.0] * 384, 10)) == 1
        assert service.ingest(_traceback("/srv/a"), "acme").is_new  # its filing was not cached


def test_the_kept_event_is_compact_utf8_json_even_with_values_orjson_refuses() -> None:
    from argus.core.patterns.service import event_to_json

    event = dataclasses.replace(
        _event("f", message="prix négatif"),
        frames=(
            Frame(
                function="f",
                filename="app/a.py",
                vars={"big": 2**70, "when": datetime(2026, 1, 2, tzinfo=UTC), 3: "int key"},
            ),
        ),
    )
    text = event_to_json(event)
    assert "prix négatif" in text and ", " not in text and ": " not in text
    kept = json.loads(text)
    assert kept["frames"][0]["vars"] == {
        "big": 2**70,
        "when": "2026-01-02 00:00:00+00:00",
        "3": "int key",
    }
    plain = json.loads(event_to_json(_event("f")))
    assert plain["exception_type"] == "ValueError" and plain["frames"][1]["lineno"] == 12


def test_the_kept_event_renders_unusual_values_alike_whichever_encoder_ran() -> None:
    from argus.core.patterns.service import event_to_json

    when = datetime(2026, 1, 2, tzinfo=UTC)
    frame = Frame(function="f", filename="app/a.py", vars={"when": when})
    kept = json.loads(event_to_json(dataclasses.replace(_event("f"), frames=(frame,))))
    assert kept["frames"][0]["vars"] == {"when": "2026-01-02 00:00:00+00:00"}


def test_catching_up_adds_only_other_processes_patterns(tmp_path) -> None:
    """A process's own new patterns are indexed once; the next catch-up re-adds none of them
    (it once removed and re-added each), but still adds another process's."""
    path = tmp_path / "argus.db"
    with open_service(path) as writer, open_service(path) as other:
        own = writer.ingest(_traceback("/srv/a", function="first"), "acme").pattern
        space = writer.index._spaces[tenant_namespace("acme")]
        key = space.keys[own.id]
        theirs = other.ingest(_traceback("/srv/b", function="second"), "acme").pattern
        writer.ingest(_traceback("/srv/c", function="third"), "acme")  # catches up
        assert space.keys[own.id] == key  # not removed and added again
        assert theirs.id in space.keys
        assert writer.index.held(tenant_namespace("acme"), [own.id, theirs.id, "x"]) == {
            own.id,
            theirs.id,
        }
