import json
import sqlite3

import httpx
import pytest

from argus.core.errors import StoreError
from argus.core.patterns.embed import HashingEmbedder, cosine_similarity
from argus.core.patterns.workers_ai import EmbeddingError, WorkersAIEmbedder
from argus.core.store.d1 import D1Executor
from argus.core.store.sqlite import SQLiteStore
from argus.core.store.vectorize import VectorizeIndex
from tests.servers.cloudflare import BGE_DIMENSIONS, CloudflareServer


@pytest.fixture
def server():
    with CloudflareServer(token="good-token") as running:
        yield running


def _d1(server: CloudflareServer, token: str = "good-token") -> D1Executor:
    return D1Executor("acct", "db-uuid", token, base_url=server.url)


# -- D1 ------------------------------------------------------------------------------------


def test_d1_query_sends_the_documented_body_and_reads_rows(server) -> None:
    d1 = _d1(server)
    d1.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
    d1.execute("INSERT INTO t (id, name) VALUES (?, ?)", (1, "one"))
    assert d1.execute("SELECT id, name FROM t WHERE id = ?", (1,)) == [{"id": 1, "name": "one"}]
    request = server.requests_to("/d1/database/db-uuid/query")[-1]
    assert request.path == "/accounts/acct/d1/database/db-uuid/query"
    assert request.headers["authorization"] == "Bearer good-token"
    assert request.json() == {"sql": "SELECT id, name FROM t WHERE id = ?", "params": [1]}


def test_d1_batch_is_one_transaction(server) -> None:
    d1 = _d1(server)
    d1.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    with pytest.raises(StoreError, match="7500"):
        d1.execute_batch([("INSERT INTO t VALUES (1)", ()), ("INSERT INTO nowhere VALUES (2)", ())])
    assert d1.execute("SELECT count(*) AS n FROM t") == [{"n": 0}]
    results = d1.execute_batch([("INSERT INTO t VALUES (?)", (5,)), ("SELECT id FROM t", ())])
    assert results == [[], [{"id": 5}]]
    assert "batch" in server.requests_to("/query")[-1].json()


def test_d1_runs_the_same_migrations_as_sqlite(server) -> None:
    d1 = _d1(server)
    version = d1.migrate()
    assert d1.migrate() == version  # idempotent
    local = SQLiteStore.open(":memory:")
    tables = "SELECT name FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name"
    remote_names = [row["name"] for row in d1.execute(tables)]
    local_names = [row[0] for row in local.connection.execute(tables)]
    assert remote_names == local_names
    applied = d1.execute("SELECT version FROM schema_migrations ORDER BY version")
    assert [row["version"] for row in applied] == [
        row[0] for row in local.connection.execute("SELECT version FROM schema_migrations")
    ]
    assert "patterns" in remote_names


def test_d1_wrong_token_is_a_store_error_naming_the_token(server) -> None:
    with pytest.raises(StoreError, match="401.*10000.*API token"):
        _d1(server, token="wrong").execute("SELECT 1")


def test_d1_server_error_and_unreachable_host_are_store_errors(server) -> None:
    server.fail_next(503)
    with pytest.raises(StoreError, match="503"):
        _d1(server).execute("SELECT 1")
    closed = D1Executor("a", "b", "t", base_url="http://127.0.0.1:9", timeout=2)
    with pytest.raises(StoreError, match="cannot reach"):
        closed.execute("SELECT 1")


def test_d1_non_json_answer_is_a_store_error() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(502, text="<html>bad gateway"))
    d1 = D1Executor("a", "b", "t", client=httpx.Client(transport=transport))
    with pytest.raises(StoreError, match="502 with a body that is not a JSON object"):
        d1.execute("SELECT 1")


# -- Vectorize -----------------------------------------------------------------------------


def _vectorize(server: CloudflareServer, dimensions: int = 8) -> VectorizeIndex:
    index = VectorizeIndex("acct", "patterns", "good-token", dimensions, base_url=server.url)
    index.create()
    return index


def test_vectorize_upsert_is_ndjson_and_query_uses_the_documented_fields(server) -> None:
    index = _vectorize(server)
    index.upsert("t:a", ["p1", "p2"], [[1.0] + [0.0] * 7, [0.0, 1.0] + [0.0] * 6], [{"h": "x"}, {}])
    upload = server.requests_to("/upsert")[-1]
    assert upload.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in upload.body.decode().splitlines()]
    assert lines[0] == {
        "id": "p1",
        "values": [1.0] + [0.0] * 7,
        "namespace": "t:a",
        "metadata": {"h": "x"},
    }
    matches = index.query("t:a", [0.9, 0.1] + [0.0] * 6, 2)
    assert [match.id for match in matches] == ["p1", "p2"]
    assert matches[0].metadata == {"h": "x"}
    body = server.requests_to("/query")[-1].json()
    assert body["topK"] == 2 and body["returnMetadata"] == "all" and body["namespace"] == "t:a"
    assert index.last_mutation


def test_vectorize_namespaces_and_delete(server) -> None:
    index = _vectorize(server)
    index.upsert("t:a", ["a"], [[1.0] + [0.0] * 7])
    index.upsert("t:b", ["b"], [[1.0] + [0.0] * 7])
    assert [match.id for match in index.query("t:b", [1.0] + [0.0] * 7, 5)] == ["b"]
    index.delete("t:b", ["b"])
    assert index.query("t:b", [1.0] + [0.0] * 7, 5) == []
    assert server.requests_to("/delete_by_ids")[-1].json() == {"ids": ["b"]}


def test_vectorize_dimension_mismatch_and_missing_index(server) -> None:
    index = _vectorize(server)
    assert index.info()["config"]["dimensions"] == 8
    wrong = VectorizeIndex("acct", "patterns", "good-token", 4, base_url=server.url)
    with pytest.raises(StoreError, match="8 dimensions"):
        wrong.info()
    missing = VectorizeIndex("acct", "nope", "good-token", 8, base_url=server.url)
    with pytest.raises(StoreError, match="404"):
        missing.query("t:a", [1.0] * 8, 1)


def test_vectorize_large_upserts_are_split(server, monkeypatch) -> None:
    import argus.core.store.vectorize as module

    monkeypatch.setattr(module, "UPSERT_BATCH", 3)
    index = _vectorize(server, 2)
    index.upsert("n", [str(i) for i in range(7)], [[1.0, float(i)] for i in range(7)])
    assert len(server.requests_to("/upsert")) == 3
    assert len(server.indexes["patterns"].vectors) == 7


# -- Workers AI ----------------------------------------------------------------------------


def test_workers_ai_embeds_in_batches_with_768_dimensions(server) -> None:
    embedder = WorkersAIEmbedder("acct", "good-token", base_url=server.url, batch_size=2)
    texts = ["KeyError: <str>\ncart.py:load_user", "KeyError: <str>\ncart.py:load_user", "other"]
    vectors = embedder.embed(texts)
    assert embedder.dimensions == BGE_DIMENSIONS
    assert [len(vector) for vector in vectors] == [768, 768, 768]
    assert cosine_similarity(vectors[0], vectors[1]) == pytest.approx(1.0)
    assert vectors[0] == pytest.approx(HashingEmbedder(768).embed([texts[0]])[0], abs=1e-9)
    calls = server.requests_to("/ai/run/@cf/baai/bge-base-en-v1.5")
    assert [call.json() for call in calls] == [{"text": texts[:2]}, {"text": texts[2:]}]


def test_workers_ai_errors_are_embedding_errors(server) -> None:
    bad_token = WorkersAIEmbedder("acct", "nope", base_url=server.url)
    with pytest.raises(EmbeddingError, match="401"):
        bad_token.embed(["x"])
    wrong_model = WorkersAIEmbedder("acct", "good-token", base_url=server.url, model="@cf/x/y")
    with pytest.raises(EmbeddingError, match="No such model"):
        wrong_model.embed(["x"])
    wrong_size = WorkersAIEmbedder("acct", "good-token", base_url=server.url, dimensions=384)
    with pytest.raises(EmbeddingError, match="not 384 numbers"):
        wrong_size.embed(["x"])


def test_the_fake_d1_really_runs_sql(server) -> None:
    # The local server is only useful if it rejects what SQLite rejects.
    with pytest.raises(StoreError, match="syntax error"):
        _d1(server).execute("SELEC 1")
    assert isinstance(server.database, sqlite3.Connection)
