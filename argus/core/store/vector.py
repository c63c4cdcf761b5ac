"""Vector indexes: the port, a local approximate index (faiss) and an exact one (numpy).

Scores are cosine similarities (1.0 = same direction). Every operation names a namespace; the
pattern service uses one namespace per tenant, so nothing is ever searched across tenants.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from argus.core.errors import StoreError
from argus.core.store.ann import DEFAULT_NPROBE, DEFAULT_TRAIN_AT, FaissSpace

Metadata = Mapping[str, Any]
FloatMatrix = npt.NDArray[np.float32]


class VectorMatch(NamedTuple):
    """One query answer: the vector's id, its cosine similarity to the query, its metadata."""

    id: str
    score: float
    metadata: Metadata


class VectorIndex(Protocol):
    """Nearest-neighbour search by cosine similarity, partitioned by namespace."""

    def upsert(
        self,
        namespace: str,
        ids: Sequence[str],
        vectors: Sequence[Sequence[float]] | FloatMatrix,
        metadata: Sequence[Metadata] | None = None,
    ) -> None:
        """Insert or replace vectors (and their metadata) by id."""
        ...

    def query(self, namespace: str, vector: Sequence[float], top_k: int) -> list[VectorMatch]:
        """The ``top_k`` most similar vectors of the namespace, most similar first."""
        ...

    def delete(self, namespace: str, ids: Sequence[str]) -> None:
        """Remove vectors by id (unknown ids are ignored)."""
        ...


@runtime_checkable
class CatchUpIndex(Protocol):
    """A process-local index fed from the store: it remembers up to which store sequence
    number each namespace holds, so a service can add what other processes stored since."""

    def synced_through(self, namespace: str) -> int:
        """The highest store sequence number this namespace holds (0 when none)."""
        ...

    def mark_synced(self, namespace: str, sequence: int) -> None:
        """Record that the namespace now holds everything up to ``sequence``."""
        ...

    def held(self, namespace: str, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` the namespace holds already (upserted by this process)."""
        ...


def as_matrix(vectors: Sequence[Sequence[float]] | FloatMatrix, dimensions: int) -> FloatMatrix:
    """Vectors as a C-contiguous float32 matrix of ``dimensions`` columns (checked)."""
    matrix = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
    if matrix.ndim == 1:
        matrix = matrix.reshape(1, -1)
    if matrix.ndim != 2 or (matrix.shape[0] and matrix.shape[1] != dimensions):
        raise StoreError(
            f"vectors of shape {tuple(matrix.shape)} do not fit an index of {dimensions} dimensions"
        )
    return matrix


def _normalised(matrix: FloatMatrix) -> FloatMatrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    result: FloatMatrix = (matrix / norms).astype(np.float32)
    return result


class ExactIndex:
    """Brute-force cosine search with numpy: exact, O(n) per query. For tests and recall."""

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions
        self._spaces: dict[str, _ExactSpace] = {}
        self._synced: dict[str, int] = {}
        self._lock = threading.Lock()

    def upsert(
        self,
        namespace: str,
        ids: Sequence[str],
        vectors: Sequence[Sequence[float]] | FloatMatrix,
        metadata: Sequence[Metadata] | None = None,
    ) -> None:
        """Insert or replace vectors by id."""
        matrix = _normalised(as_matrix(vectors, self.dimensions))
        _check_lengths(ids, matrix, metadata)
        with self._lock:
            space = self._spaces.setdefault(namespace, _ExactSpace(self.dimensions))
            space.upsert(ids, matrix, metadata)

    def query(self, namespace: str, vector: Sequence[float], top_k: int) -> list[VectorMatch]:
        """The ``top_k`` most similar vectors, exactly."""
        with self._lock:
            space = self._spaces.get(namespace)
            if space is None or top_k <= 0:
                return []
            return space.query(_normalised(as_matrix([vector], self.dimensions))[0], top_k)

    def query_many(self, namespace: str, vectors: FloatMatrix, top_k: int) -> list[list[int]]:
        """Row numbers (insertion order) of the ``top_k`` nearest vectors for each query row."""
        with self._lock:
            space = self._spaces.get(namespace)
            if space is None:
                return [[] for _ in range(len(vectors))]
            return space.query_rows(_normalised(as_matrix(vectors, self.dimensions)), top_k)

    def delete(self, namespace: str, ids: Sequence[str]) -> None:
        """Remove vectors by id."""
        with self._lock:
            space = self._spaces.get(namespace)
            if space is not None:
                space.delete(ids)

    def synced_through(self, namespace: str) -> int:
        """The highest store sequence number this namespace holds."""
        return self._synced.get(namespace, 0)

    def mark_synced(self, namespace: str, sequence: int) -> None:
        """Record the store sequence number the namespace holds."""
        self._synced[namespace] = max(sequence, self._synced.get(namespace, 0))

    def held(self, namespace: str, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` the namespace holds."""
        with self._lock:
            space = self._spaces.get(namespace)
            return {item for item in ids if item in space.rows} if space is not None else set()


class _ExactSpace:
    def __init__(self, dimensions: int) -> None:
        self.matrix: FloatMatrix = np.zeros((0, dimensions), dtype=np.float32)
        self.ids: list[str] = []
        self.metadata: list[Metadata] = []
        self.rows: dict[str, int] = {}

    def upsert(
        self, ids: Sequence[str], matrix: FloatMatrix, metadata: Sequence[Metadata] | None
    ) -> None:
        fresh: list[int] = []
        for position, identifier in enumerate(ids):
            row = self.rows.get(identifier)
            meta = dict(metadata[position]) if metadata is not None else {}
            if row is None:
                fresh.append(position)
                continue
            self.matrix[row] = matrix[position]
            self.metadata[row] = meta
        if fresh:
            start = len(self.ids)
            self.matrix = np.vstack([self.matrix, matrix[fresh]])
            for offset, position in enumerate(fresh):
                self.ids.append(ids[position])
                self.metadata.append(dict(metadata[position]) if metadata is not None else {})
                self.rows[ids[position]] = start + offset

    def query(self, vector: FloatMatrix, top_k: int) -> list[VectorMatch]:
        if not self.ids:
            return []
        scores = self.matrix @ vector
        count = min(top_k, len(self.ids))
        best = np.argpartition(-scores, count - 1)[:count]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [
            VectorMatch(self.ids[row], float(scores[row]), self.metadata[row])
            for row in best
            if self.ids[row]
        ]

    def query_rows(self, vectors: FloatMatrix, top_k: int) -> list[list[int]]:
        found: list[list[int]] = []
        if not self.ids:
            return [[] for _ in range(len(vectors))]
        count = min(top_k, len(self.ids))
        for start in range(0, len(vectors), 256):
            scores = vectors[start : start + 256] @ self.matrix.T
            best = np.argpartition(-scores, count - 1, axis=1)[:, :count]
            for line, row in enumerate(best):
                ordered = row[np.argsort(-scores[line, row], kind="stable")]
                found.append([int(item) for item in ordered])
        return found

    def delete(self, ids: Sequence[str]) -> None:
        for identifier in ids:
            row = self.rows.pop(identifier, None)
            if row is not None:
                # Keep row numbers stable: blank the row (it can never score above 0 again).
                self.matrix[row] = 0.0
                self.ids[row] = ""
                self.metadata[row] = {}


def _check_lengths(
    ids: Sequence[str], matrix: FloatMatrix, metadata: Sequence[Metadata] | None
) -> None:
    if len(ids) != len(matrix):
        raise StoreError(f"{len(ids)} ids for {len(matrix)} vectors")
    if metadata is not None and len(metadata) != len(ids):
        raise StoreError(f"{len(metadata)} metadata entries for {len(ids)} vectors")


INDEX_SUFFIX = ".vectors"
GRAPH_SUFFIX = ".faiss"
#: Vectors changed in a namespace already on disk before ``save`` rewrites it.
SAVE_AFTER = 1000


class LocalAnnIndex:
    """Approximate cosine search on faiss, one index per namespace (:mod:`argus.core.store.ann`).

    A namespace is exact (flat) below ``train_at`` vectors and an IVF index above, scanning
    ``nprobe`` lists per query; measured on 1M clustered vectors by
    ``benchmarks/pattern_lookup.py`` (docs/patterns.md).

    With ``directory`` set, :meth:`save` writes each changed namespace as a graph file plus a
    ``<digest>.json`` sidecar (namespace, graph file name, ids, metadata, store sequence); a
    namespace is loaded on first use. A missing or unreadable file just leaves that namespace
    empty, for the service to rebuild from the embeddings the store keeps.
    """

    def __init__(
        self,
        dimensions: int,
        directory: Path | str | None = None,
        *,
        train_at: int = DEFAULT_TRAIN_AT,
        nprobe: int = DEFAULT_NPROBE,
        threads: int = 1,
    ) -> None:
        self.dimensions = dimensions
        self.directory = Path(directory) if directory is not None else None
        self.train_at = train_at
        self.nprobe = nprobe
        self.threads = threads
        self._spaces: dict[str, _AnnSpace | None] = {}
        self._lock = threading.RLock()
        self.load_errors: list[str] = []

    def upsert(
        self,
        namespace: str,
        ids: Sequence[str],
        vectors: Sequence[Sequence[float]] | FloatMatrix,
        metadata: Sequence[Metadata] | None = None,
    ) -> None:
        """Insert or replace vectors by id."""
        matrix = as_matrix(vectors, self.dimensions)
        _check_lengths(ids, matrix, metadata)
        with self._lock:
            self._space(namespace).upsert(ids, matrix, metadata, self.threads)

    def query(self, namespace: str, vector: Sequence[float], top_k: int) -> list[VectorMatch]:
        """The ``top_k`` most similar vectors (approximately)."""
        with self._lock:
            space = self._existing(namespace)
            if space is None or top_k <= 0 or not space.ids:
                return []
            return space.query(as_matrix([vector], self.dimensions)[0], top_k)

    def query_many(self, namespace: str, vectors: FloatMatrix, top_k: int) -> list[list[str]]:
        """Ids of the ``top_k`` nearest vectors for each query row (batched, threaded)."""
        with self._lock:
            space = self._existing(namespace)
            if space is None:
                return [[] for _ in range(len(vectors))]
            return space.query_many(as_matrix(vectors, self.dimensions), top_k, self.threads)

    def delete(self, namespace: str, ids: Sequence[str]) -> None:
        """Remove vectors by id."""
        with self._lock:
            space = self._existing(namespace)
            if space is not None:
                space.delete(ids)

    def size(self, namespace: str) -> int:
        """How many vectors the namespace holds."""
        with self._lock:
            space = self._existing(namespace)
        return len(space.ids) if space is not None else 0

    def synced_through(self, namespace: str) -> int:
        """The highest store sequence number this namespace holds."""
        with self._lock:
            space = self._existing(namespace)
        return space.synced if space is not None else 0

    def mark_synced(self, namespace: str, sequence: int) -> None:
        """Record the store sequence number the namespace holds."""
        with self._lock:
            space = self._space(namespace)
            space.synced = max(space.synced, sequence)

    def held(self, namespace: str, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` the namespace holds."""
        with self._lock:
            space = self._existing(namespace)
            return {item for item in ids if item in space.keys} if space is not None else set()

    def save(self, force: bool = False) -> None:
        """Write changed namespaces to ``directory`` (no-op without one).

        A namespace already on disk is rewritten only once ``SAVE_AFTER`` vectors (or a tenth
        of its size) changed, unless ``force``: the service re-adds the few newer patterns
        from the store when it next opens, which is cheaper than rewriting a large graph after
        every command.
        """
        if self.directory is None:
            return
        with self._lock:
            try:
                self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)  # holds tenants' data
                for namespace, space in self._spaces.items():
                    if space is not None and space.due(force):
                        space.save(self.directory / _digest(namespace), namespace)
            except OSError as error:
                raise StoreError(
                    f"cannot save the vector index in {self.directory}: {error}"
                ) from error

    def _space(self, namespace: str) -> _AnnSpace:
        space = self._existing(namespace)
        if space is None:
            space = _AnnSpace(self._new_graph())
            self._spaces[namespace] = space
        return space

    def _existing(self, namespace: str) -> _AnnSpace | None:
        """The namespace's graph, loaded from ``directory`` on first use (None if absent)."""
        if namespace not in self._spaces:
            self._spaces[namespace] = self._load(namespace)
        return self._spaces[namespace]

    def _new_graph(self) -> FaissSpace:
        return FaissSpace(self.dimensions, train_at=self.train_at, nprobe=self.nprobe)

    def _load(self, namespace: str) -> _AnnSpace | None:
        if self.directory is None:
            return None
        sidecar = self.directory / f"{_digest(namespace)}.json"
        if not sidecar.exists():
            return None
        try:
            info = json.loads(sidecar.read_text(encoding="utf-8"))
            graph = FaissSpace.load(
                sidecar.with_name(Path(str(info["graph"])).name),
                self.dimensions,
                train_at=self.train_at,
                nprobe=self.nprobe,
                trained_size=int(info.get("trained_size", 0)),
            )
            space = _AnnSpace(graph)
            space.restore(info)
            if info.get("namespace") != namespace or len(graph) != len(space.ids):
                raise ValueError("graph and sidecar disagree")
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
            self.load_errors.append(f"{sidecar.name}: {error}")
            return None
        return space


class _AnnSpace:
    def __init__(self, graph: FaissSpace) -> None:
        self.graph = graph
        self.ids: dict[int, str] = {}
        self.keys: dict[str, int] = {}
        self.metadata: dict[int, Metadata] = {}
        self.next_key = 0
        self.synced = 0
        self.dirty = False
        self.on_disk = False
        self.unsaved = 0

    def due(self, force: bool) -> bool:
        """Whether a save is worth it now."""
        if not self.dirty:
            return False
        return force or not self.on_disk or self.unsaved >= max(SAVE_AFTER, len(self.ids) // 10)

    def upsert(
        self,
        ids: Sequence[str],
        matrix: FloatMatrix,
        metadata: Sequence[Metadata] | None,
        threads: int,
    ) -> None:
        stale = [self.keys[identifier] for identifier in ids if identifier in self.keys]
        if stale:
            self.graph.remove(np.asarray(stale, dtype=np.int64))
        keys = np.empty(len(ids), dtype=np.int64)
        for position, identifier in enumerate(ids):
            old = self.keys.pop(identifier, None)
            if old is not None:
                self.ids.pop(old, None)
                self.metadata.pop(old, None)
            key = self.next_key
            self.next_key += 1
            keys[position] = key
            self.keys[identifier] = key
            self.ids[key] = identifier
            if metadata is not None and metadata[position]:
                self.metadata[key] = dict(metadata[position])
        if len(ids):
            self.graph.add(keys, matrix, threads)
        self.dirty = True
        self.unsaved += len(ids)

    def query(self, vector: FloatMatrix, top_k: int) -> list[VectorMatch]:
        scores, keys = self.graph.search(vector.reshape(1, -1), min(top_k, len(self.ids)))
        matches = []
        for key, score in zip(keys[0].tolist(), scores[0].tolist(), strict=True):
            identifier = self.ids.get(key)
            if identifier is not None:
                matches.append(VectorMatch(identifier, float(score), self.metadata.get(key, {})))
        return matches

    def query_many(self, vectors: FloatMatrix, top_k: int, threads: int) -> list[list[str]]:
        _, keys = self.graph.search(vectors, min(top_k, len(self.ids)), threads)
        return [[self.ids[key] for key in row if key in self.ids] for row in keys.tolist()]

    def delete(self, ids: Sequence[str]) -> None:
        keys = [self.keys.pop(identifier) for identifier in ids if identifier in self.keys]
        if keys:
            self.graph.remove(np.asarray(keys, dtype=np.int64))
            for key in keys:
                self.ids.pop(key, None)
                self.metadata.pop(key, None)
            self.dirty = True

    def save(self, stem: Path, namespace: str) -> None:
        """Write the graph under a fresh name, then atomically replace the sidecar naming it.

        Graph and sidecar always come as a pair, even with several processes saving at once
        (the last sidecar written wins, and names its own graph). Graphs no sidecar names are
        removed once they are a minute old (another process may be about to name its own).
        """
        token = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        graph_path = stem.with_name(f"{stem.name}.{token}{GRAPH_SUFFIX}")
        self.graph.save(graph_path)
        info = {
            "namespace": namespace,
            "graph": graph_path.name,
            "trained_size": self.graph.trained_size,
            "next_key": self.next_key,
            "synced": self.synced,
            "ids": [[key, identifier] for key, identifier in self.ids.items()],
            "metadata": [[key, dict(meta)] for key, meta in self.metadata.items()],
        }
        sidecar = stem.with_suffix(".json")
        temporary_sidecar = sidecar.with_name(f"{sidecar.name}.{token}.tmp")
        temporary_sidecar.write_text(json.dumps(info), encoding="utf-8")
        temporary_sidecar.replace(sidecar)
        self.dirty = False
        self.on_disk = True
        self.unsaved = 0
        _remove_stale_graphs(stem, sidecar)

    def restore(self, info: Mapping[str, Any]) -> None:
        self.on_disk = True
        self.next_key = int(info["next_key"])
        self.synced = int(info["synced"])
        for key, identifier in info["ids"]:
            self.ids[int(key)] = str(identifier)
            self.keys[str(identifier)] = int(key)
        for key, meta in info["metadata"]:
            self.metadata[int(key)] = dict(meta)


def _remove_stale_graphs(stem: Path, sidecar: Path) -> None:
    try:
        named = json.loads(sidecar.read_text(encoding="utf-8")).get("graph")
    except (OSError, ValueError):
        return
    cutoff = time.time() - 60
    # ".usearch": graphs of the HNSW index used before faiss (their sidecars no longer load).
    for suffix in (GRAPH_SUFFIX, ".usearch"):
        for graph in stem.parent.glob(f"{stem.name}.*{suffix}"):
            try:
                if graph.name != named and graph.stat().st_mtime < cutoff:
                    graph.unlink()
            except OSError:
                continue


def _digest(namespace: str) -> str:
    return hashlib.sha256(namespace.encode("utf-8")).hexdigest()[:32]
