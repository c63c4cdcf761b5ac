"""PatternService end to end on Cloudflare D1 + Vectorize + Workers AI, through a local server
that implements their documented REST APIs (tests/servers/cloudflare.py)."""

import pytest

from argus.core.errors import StoreError
from argus.core.patterns.service import PatternService, tenant_namespace
from argus.core.patterns.store import SqlPatternStore
from argus.core.patterns.workers_ai import WorkersAIEmbedder
from argus.core.store.d1 import D1Executor
from argus.core.store.vectorize import VectorizeIndex
from tests.core.patterns.test_service import _traceback
from tests.servers.cloudflare import CloudflareServer


@pytest.fixture
def cloudflare():
    with CloudflareServer(token="cf-token") as server:
        yield server


def _service(server: CloudflareServer) -> PatternService:
    d1 = D1Executor("acct", "argus-db", "cf-token", base_url=server.url)
    d1.migrate()
    index = VectorizeIndex("acct", "argus-patterns", "cf-token", 768, base_url=server.url)
    if "argus-patterns" not in server.indexes:
        index.create()
    embedder = WorkersAIEmbedder("acct", "cf-token", base_url=server.url)
    return PatternService(SqlPatternStore(d1), index, embedder)


def test_ingest_match_search_on_cloudflare(cloudflare) -> None:
    service = _service(cloudflare)
    first = service.ingest(_traceback("/srv/a", key="bob"), "acme")
    assert first.is_new
    embed_calls = len(cloudflare.requests_to("/ai/run/"))
    repeat = service.ingest(_traceback("/opt/b", key="eve", line=40), "acme")
    assert repeat.matched_by == "hash" and repeat.pattern.occurrences == 2
    assert len(cloudflare.requests_to("/ai/run/")) == embed_calls  # known hash: no embedding
    similar_text = _traceback("/srv/a").replace(
        '  File "/srv/a/shop/cart.py", line 10',
        '  File "/srv/a/shop/views.py", line 3, in profile\n    x()\n'
        '  File "/srv/a/shop/cart.py", line 10',
    )
    similar = service.ingest(similar_text, "acme")
    assert similar.matched_by == "similarity" and similar.pattern.id == first.pattern.id
    other = service.ingest(_traceback("/srv/a", function="load_product"), "acme")
    assert other.is_new

    # The rows really are in the D1 database, the vectors in the tenant's namespace.
    rows = cloudflare.database.execute(
        "SELECT id, occurrences FROM patterns WHERE tenant = 'acme' ORDER BY occurrences DESC"
    ).fetchall()
    assert rows == [(first.pattern.id, 3), (other.pattern.id, 1)]
    spaces = {space for space, _, _ in cloudflare.indexes["argus-patterns"].vectors.values()}
    assert spaces == {tenant_namespace("acme")}
    upload = cloudflare.requests_to("/upsert")[0]
    assert upload.headers["content-type"] == "application/x-ndjson"

    found = service.search(_traceback("/q", key="x"), "acme", k=2)
    assert found[0][0].id == first.pattern.id and found[0][1] == pytest.approx(1.0, abs=1e-4)
    assert service.search(_traceback("/q"), "globex") == []
    listed = service.list_patterns("acme")
    assert [p.occurrences for p in listed] == [3, 1]
    assert listed[0].locations and listed[0].aliases
    stats = service.stats("acme")
    assert stats["occurrences"] == 4 and stats["embedder"]["dimensions"] == 768


def test_export_from_sqlite_import_into_cloudflare(cloudflare, tmp_path) -> None:
    from argus.core.patterns.service import open_service

    with open_service(tmp_path / "local.db") as local:
        local.ingest(_traceback("/srv/a"), "acme")
        rows = list(local.export("acme"))
    service = _service(cloudflare)
    assert service.import_rows("acme", rows) == 1
    # 384-dimension local embeddings were re-embedded with Workers AI for Vectorize.
    assert len(cloudflare.indexes["argus-patterns"].vectors) == 1
    assert service.ingest(_traceback("/srv/b"), "acme").matched_by == "hash"


def test_a_failing_d1_write_leaves_nothing_half_written(cloudflare) -> None:
    service = _service(cloudflare)
    service.ingest(_traceback("/srv/a"), "acme")
    cloudflare.fail_next(500, count=1)
    # The next request (the write batch: the hash is known and cached) fails.
    with pytest.raises(StoreError, match="500"):
        service.ingest(_traceback("/srv/a", key="zz"), "acme")
    count = cloudflare.database.execute("SELECT sum(occurrences) FROM patterns").fetchone()[0]
    assert count == 1
    assert service.ingest(_traceback("/srv/a"), "acme").pattern.occurrences == 2
