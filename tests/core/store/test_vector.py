import numpy as np
import pytest

from argus.core.errors import StoreError
from argus.core.store.vector import CatchUpIndex, ExactIndex, LocalAnnIndex


def _unit(rng: np.random.Generator, count: int, dimensions: int = 32) -> np.ndarray:
    vectors = rng.standard_normal((count, dimensions)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture(params=["ann", "exact"])
def index(request: pytest.FixtureRequest) -> LocalAnnIndex | ExactIndex:
    return LocalAnnIndex(32) if request.param == "ann" else ExactIndex(32)


def test_query_finds_the_same_vector_first_with_cosine_one(index) -> None:
    vectors = _unit(np.random.default_rng(1), 200)
    index.upsert("t:a", [f"v{i}" for i in range(200)], vectors, [{"n": i} for i in range(200)])
    matches = index.query("t:a", vectors[17].tolist(), 3)
    assert matches[0].id == "v17"
    assert matches[0].score == pytest.approx(1.0, abs=1e-5)
    assert matches[0].metadata == {"n": 17}
    assert matches[0].score >= matches[1].score >= matches[2].score


def test_namespaces_never_mix(index) -> None:
    vectors = _unit(np.random.default_rng(2), 10)
    index.upsert("t:a", [f"a{i}" for i in range(10)], vectors)
    assert index.query("t:b", vectors[0].tolist(), 5) == []
    index.upsert("t:b", ["b0"], vectors[:1] * -1)
    assert [match.id for match in index.query("t:b", vectors[0].tolist(), 5)] == ["b0"]


def test_upsert_replaces_and_delete_removes(index) -> None:
    vectors = _unit(np.random.default_rng(3), 3)
    index.upsert("n", ["x", "y", "z"], vectors)
    index.upsert("n", ["x"], vectors[1:2])  # x now points where y does
    top = index.query("n", vectors[0].tolist(), 3)
    assert "x" not in [match.id for match in top if match.score > 0.99]
    index.delete("n", ["y", "unknown"])
    ids = [match.id for match in index.query("n", vectors[1].tolist(), 3)]
    assert "y" not in ids and ids[0] == "x"


def test_wrong_dimensions_are_a_store_error(index) -> None:
    with pytest.raises(StoreError, match="dimensions"):
        index.upsert("n", ["x"], [[1.0, 2.0]])
    with pytest.raises(StoreError, match="ids for"):
        index.upsert("n", ["x", "y"], _unit(np.random.default_rng(4), 1))


def test_both_indexes_track_catch_up(index) -> None:
    assert isinstance(index, CatchUpIndex)
    assert index.synced_through("n") == 0
    index.mark_synced("n", 7)
    index.mark_synced("n", 3)
    assert index.synced_through("n") == 7


def test_ann_recall_against_exact_on_clustered_vectors() -> None:
    rng = np.random.default_rng(5)
    centres = _unit(rng, 50, 64)
    data = centres[rng.integers(0, 50, 5000)] + 0.3 * _unit(rng, 5000, 64)
    queries = data[:200] + 0.05 * _unit(rng, 200, 64)
    ann, exact = LocalAnnIndex(64, threads=2), ExactIndex(64)
    ids = [str(i) for i in range(len(data))]
    ann.upsert("n", ids, data)
    exact.upsert("n", ids, data)
    approx = ann.query_many("n", queries.astype(np.float32), 1)
    truth = exact.query_many("n", queries.astype(np.float32), 1)
    recall = np.mean([a[0] == str(t[0]) for a, t in zip(approx, truth, strict=True)])
    assert recall >= 0.98


def test_saved_index_loads_and_a_corrupt_one_is_skipped(tmp_path) -> None:
    folder = tmp_path / "argus.db.vectors"
    vectors = _unit(np.random.default_rng(6), 20)
    first = LocalAnnIndex(32, folder)
    first.upsert("t:a", [f"a{i}" for i in range(20)], vectors, [{"i": i} for i in range(20)])
    first.upsert("t:b", ["b"], vectors[:1])
    first.mark_synced("t:a", 20)
    first.save()
    second = LocalAnnIndex(32, folder)
    assert second.load_errors == []
    assert second.synced_through("t:a") == 20
    assert second.query("t:a", vectors[5].tolist(), 1)[0].id == "a5"
    assert second.query("t:a", vectors[5].tolist(), 1)[0].metadata == {"i": 5}
    graph = next(path for path in folder.glob("*.faiss") if path.stat().st_size > 0)
    graph.write_bytes(b"garbage")
    third = LocalAnnIndex(32, folder)
    assert third.load_errors == []  # namespaces load on first use
    survivors = [third.size("t:a"), third.size("t:b")]
    assert sorted(survivors) in ([0, 1], [0, 20])
    assert len(third.load_errors) == 1


def test_small_changes_to_a_saved_namespace_wait_for_later_saves(tmp_path) -> None:
    folder = tmp_path / "vectors"
    vectors = _unit(np.random.default_rng(7), 5)
    index = LocalAnnIndex(32, folder)
    index.upsert("n", ["a", "b", "c", "d"], vectors[:4])
    index.mark_synced("n", 4)
    index.save()
    (sidecar,) = folder.glob("*.json")
    written = sidecar.read_text()
    index.upsert("n", ["e"], vectors[4:])
    index.mark_synced("n", 5)
    index.save()
    assert sidecar.read_text() == written  # one new vector: not worth rewriting the graph
    assert LocalAnnIndex(32, folder).synced_through("n") == 4  # the service re-adds "e"
    index.save(force=True)
    assert LocalAnnIndex(32, folder).size("n") == 5


def _clustered(seed: int, count: int, dimensions: int = 32) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = _unit(rng, 40, dimensions)
    data = centres[rng.integers(0, 40, count)] + 0.3 * _unit(rng, count, dimensions)
    return (data / np.linalg.norm(data, axis=1, keepdims=True)).astype(np.float32)


def test_a_large_namespace_becomes_ivf_and_keeps_its_recall() -> None:
    data = _clustered(8, 4000)
    ann, exact = LocalAnnIndex(32, train_at=1000, threads=2), ExactIndex(32)
    ids = [str(i) for i in range(len(data))]
    ann.upsert("n", ids[:900], data[:900])
    assert not ann._spaces["n"].graph.is_ivf  # exact while small
    ann.upsert("n", ids[900:], data[900:])
    graph = ann._spaces["n"].graph
    assert graph.is_ivf and graph.trained_size == 4000
    exact.upsert("n", ids, data)
    queries = (data[:300] + 0.05 * _unit(np.random.default_rng(9), 300)).astype(np.float32)
    approx = ann.query_many("n", queries, 1)
    truth = exact.query_many("n", queries, 1)
    recall = np.mean([a[0] == str(t[0]) for a, t in zip(approx, truth, strict=True)])
    assert recall >= 0.98
    assert ann.query("n", data[42].tolist(), 1)[0].score == pytest.approx(1.0, abs=1e-5)


def test_ivf_replaces_and_deletes_by_id() -> None:
    data = _clustered(10, 1500)
    ann = LocalAnnIndex(32, train_at=1000)
    ann.upsert("n", [str(i) for i in range(1500)], data)
    assert ann._spaces["n"].graph.is_ivf
    ann.upsert("n", ["7"], data[8:9])  # 7 now points where 8 does
    assert "7" not in [m.id for m in ann.query("n", data[7].tolist(), 5) if m.score > 0.999]
    ann.delete("n", ["8", "missing"])
    top = ann.query("n", data[8].tolist(), 3)
    assert top[0].id == "7" and "8" not in [m.id for m in top]
    assert ann.size("n") == 1499


def test_ivf_retrains_after_growing_fourfold() -> None:
    data = _clustered(11, 4200)
    ann = LocalAnnIndex(32, train_at=1000)
    ann.upsert("n", [str(i) for i in range(1000)], data[:1000])
    graph = ann._spaces["n"].graph
    assert graph.trained_size == 1000
    ann.upsert("n", [str(i) for i in range(1000, 3999)], data[1000:3999])
    assert ann._spaces["n"].graph.trained_size == 1000  # 3,999 < 4 x 1,000
    ann.upsert("n", [str(i) for i in range(3999, 4200)], data[3999:])
    assert ann._spaces["n"].graph.trained_size == 4200
    assert ann.query("n", data[4100].tolist(), 1)[0].id == "4100"


def test_a_saved_ivf_namespace_loads_with_its_training(tmp_path) -> None:
    folder = tmp_path / "vectors"
    data = _clustered(12, 1200)
    first = LocalAnnIndex(32, folder, train_at=1000)
    first.upsert("n", [str(i) for i in range(1200)], data, [{"i": i} for i in range(1200)])
    first.mark_synced("n", 1200)
    first.save()
    second = LocalAnnIndex(32, folder, train_at=1000)
    match = second.query("n", data[321].tolist(), 1)[0]
    assert (match.id, match.metadata) == ("321", {"i": 321})
    graph = second._spaces["n"].graph
    assert graph.is_ivf and graph.trained_size == 1200 and second.load_errors == []
    second.delete("n", ["321"])  # removal works on a loaded index too
    assert second.query("n", data[321].tolist(), 1)[0].id != "321"
