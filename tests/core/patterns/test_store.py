from datetime import UTC, datetime

import pytest

from argus.core.errors import StoreError
from argus.core.patterns.store import (
    Filing,
    Occurrence,
    SQLiteExecutor,
    SqlPatternStore,
    decode_embedding,
    encode_embedding,
    pattern_id_for,
)
from argus.core.store.postgres import PostgresExecutor, migrate
from argus.core.store.sqlite import SQLiteStore
from tests.postgres_support import fresh_schema


@pytest.fixture(params=["sqlite", "postgres"])
def store(request):
    """The same store tests on both backends (PostgreSQL in a schema of its own)."""
    if request.param == "sqlite":
        sqlite = SQLiteStore.open(":memory:")
        yield SqlPatternStore(SQLiteExecutor(sqlite))
        sqlite.close()
        return
    with fresh_schema() as (url, schema):
        migrate(url, schema=schema)
        executor = PostgresExecutor(url, schema=schema)
        yield SqlPatternStore(executor)
        executor.close()


def _occurrence(pattern_hash: str = "v1:a", seen: int = 1, release: str = "") -> Occurrence:
    return Occurrence(
        tenant="acme",
        pattern_hash=pattern_hash,
        exception_type="KeyError",
        message="<str>",
        title="KeyError: 'x'",
        frames=("cart.py:load",),
        embedding_text="KeyError\n<str>\ncart.py:load",
        locations=(("shop/cart.py", "load"), ("shop/cart.py", "load")),
        release=release,
        environment="",
        seen_at=datetime(2026, 11, seen, tzinfo=UTC),
        event_json="{}",
    )


def test_two_writers_creating_one_pattern_create_it_once(store) -> None:
    store.ensure_tenant("acme")
    pattern_id = pattern_id_for("acme", "v1:a")
    first = store.record(
        _occurrence(),
        pattern_id,
        create=True,
        matched_by="new",
        similarity=None,
        embedding=[1.0, 0.0],
    )
    second = store.record(
        _occurrence(seen=3),
        pattern_id,
        create=True,
        matched_by="new",
        similarity=None,
        embedding=[1.0, 0.0],
    )
    assert first.id == second.id and second.occurrences == 2
    assert second.first_seen.day == 1 and second.last_seen.day == 3
    pattern = store.get("acme", pattern_id)
    assert pattern is not None and pattern.locations[0].count == 2  # once per occurrence


def test_a_hash_filed_elsewhere_meanwhile_counts_there(store) -> None:
    store.ensure_tenant("acme")
    home = pattern_id_for("acme", "v1:a")
    store.record(
        _occurrence(), home, create=True, matched_by="new", similarity=None, embedding=None
    )
    store.record(
        _occurrence("v1:b"),
        home,
        create=False,
        matched_by="similarity",
        similarity=0.9,
        embedding=None,
    )
    # Another writer, unaware, tries to create a pattern for v1:b: the filing wins.
    result = store.record(
        _occurrence("v1:b"),
        pattern_id_for("acme", "v1:b"),
        create=True,
        matched_by="new",
        similarity=None,
        embedding=[0.5],
    )
    assert result.id == home and result.occurrences == 3
    assert store.stats("acme")["patterns"] == 1


def test_group_commit_is_all_or_nothing(store) -> None:
    store.ensure_tenant("acme")
    home = pattern_id_for("acme", "v1:a")
    store.record(
        _occurrence(), home, create=True, matched_by="new", similarity=None, embedding=None
    )
    good = Filing(_occurrence(), home, False, "hash")
    broken = Filing(_occurrence("v1:new"), None, True, "new")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="nothing written"):
        store.record_many([good, broken])
    assert store.get("acme", home).occurrences == 1
    # Occurrences of one pattern in a batch add up; each reports the state after the batch.
    assert [p.occurrences for p in store.record_many([good, good])] == [3, 3]


def test_embeddings_round_trip_as_text() -> None:
    vector = [0.25, -1.5, 3.0]
    assert decode_embedding(encode_embedding(vector)) == vector
    assert decode_embedding("not base64!") is None
    assert decode_embedding(None) is None


def test_tenant_kind_is_checked(store) -> None:
    store.ensure_tenant("gh:42", kind="github_installation")
    with pytest.raises(StoreError, match="tenant kind"):
        store.ensure_tenant("x", kind="team")
