"""One namespace's approximate cosine index on faiss: exact while small, IVF once large.

Why IVF and not a graph (HNSW): on this kind of machine a graph index is bound by cache misses
(each step of a graph walk reads a random 1.5 KB vector), so building a million-vector graph
took tens of minutes and a query took milliseconds. An inverted-file index scans a few
contiguous lists with SIMD instead: at 1M clustered 384-dimension vectors it trains and fills
in about two minutes and answers in about 1–3 ms with recall@1 of 1.0 (docs/patterns.md,
``benchmarks/pattern_lookup.py``).

- Below ``train_at`` vectors the namespace is a flat inner-product index: exact, and fast
  enough at that size (a 20k × 384 scan is a fraction of a millisecond).
- At ``train_at`` it becomes ``IndexIVFFlat``: k-means centroids (``nlist`` ≈ 4·√n, a power
  of two) trained on a sample, vectors kept in full precision, ``nprobe`` lists scanned per
  query. It is retrained from its own vectors each time it has grown fourfold since the last
  training, so the lists stay balanced as patterns accumulate.

Vectors are L2-normalised on the way in, so inner product is cosine similarity. Keys are
int64 chosen by the caller; removal is by key (a hash table maps keys to list positions).
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

DEFAULT_TRAIN_AT = 20_000
DEFAULT_NPROBE = 32
#: Retrain when the index holds this many times the vectors it was trained on.
REGROW_FACTOR = 4
#: Training sample: this many points per centroid at most (faiss's k-means wants ≥ 39).
POINTS_PER_CENTROID = 40
KMEANS_ITERATIONS = 10
MIN_LISTS = 64
MAX_LISTS = 16_384

FloatMatrix = npt.NDArray[np.float32]
KeyArray = npt.NDArray[np.int64]

# faiss's OpenMP thread count is process-wide; every change and call happens under this lock.
_FAISS = threading.Lock()


def _faiss() -> Any:
    import faiss

    return faiss


def list_count(size: int) -> int:
    """The number of IVF lists for ``size`` vectors: the power of two nearest 4·√size."""
    wanted = 4 * math.sqrt(max(size, 1))
    return int(min(MAX_LISTS, max(MIN_LISTS, 2 ** round(math.log2(wanted)))))


class FaissSpace:
    """The vectors of one namespace in a faiss index (flat, then IVF)."""

    def __init__(
        self,
        dimensions: int,
        *,
        train_at: int = DEFAULT_TRAIN_AT,
        nprobe: int = DEFAULT_NPROBE,
        index: Any = None,
        trained_size: int = 0,
    ) -> None:
        self.dimensions = dimensions
        self.train_at = max(train_at, MIN_LISTS * POINTS_PER_CENTROID // 4)
        self.nprobe = nprobe
        self.index = index if index is not None else self._flat()
        self.trained_size = trained_size
        if self.is_ivf:
            self._prepare_ivf(self.index)

    @property
    def is_ivf(self) -> bool:
        """Whether the namespace is past ``train_at`` and searched through IVF lists."""
        return isinstance(self.index, _faiss().IndexIVF)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def add(self, keys: KeyArray, matrix: FloatMatrix, threads: int) -> None:
        """Add normalised ``matrix`` rows under ``keys`` (keys must not be present)."""
        if not len(keys):
            return
        with _FAISS:
            faiss = _faiss()
            faiss.omp_set_num_threads(max(1, threads))
            self.index.add_with_ids(_unit(matrix), np.ascontiguousarray(keys, dtype=np.int64))
            size = len(self)
            due = size >= self.train_at and (
                not self.is_ivf or size >= REGROW_FACTOR * max(self.trained_size, 1)
            )
            if due:
                self._train(threads)

    def remove(self, keys: KeyArray) -> None:
        """Remove the vectors stored under ``keys`` (absent keys are ignored)."""
        if len(keys):
            with _FAISS:
                self.index.remove_ids(np.ascontiguousarray(keys, dtype=np.int64))

    def search(self, matrix: FloatMatrix, top_k: int, threads: int = 1) -> tuple[Any, Any]:
        """(scores, keys) arrays of shape (rows, top_k); missing answers have key -1."""
        with _FAISS:
            _faiss().omp_set_num_threads(max(1, threads))
            scores, keys = self.index.search(_unit(matrix), top_k)
        return scores, keys

    def save(self, path: Path) -> None:
        """Write the index to ``path``."""
        with _FAISS:
            _faiss().write_index(self.index, str(path))

    @classmethod
    def load(
        cls, path: Path, dimensions: int, *, train_at: int, nprobe: int, trained_size: int
    ) -> FaissSpace:
        """The index written by :meth:`save` (ValueError when it is not one of ours)."""
        with _FAISS:
            try:
                index = _faiss().read_index(str(path))
            except RuntimeError as error:
                raise ValueError(f"not a faiss index: {str(error).splitlines()[0]}") from None
        if int(index.d) != dimensions:
            raise ValueError(f"index has {index.d} dimensions, not {dimensions}")
        return cls(
            dimensions, train_at=train_at, nprobe=nprobe, index=index, trained_size=trained_size
        )

    def _flat(self) -> Any:
        faiss = _faiss()
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimensions))

    def _prepare_ivf(self, index: Any) -> None:
        faiss = _faiss()
        if index.direct_map.type != faiss.DirectMap.Hashtable:
            index.set_direct_map_type(faiss.DirectMap.Hashtable)
        index.nprobe = min(self.nprobe, int(index.nlist))

    def _train(self, threads: int) -> None:
        """Rebuild as IVF trained on (a sample of) everything held now."""
        faiss = _faiss()
        keys, vectors = self._everything()
        lists = list_count(len(keys))
        quantizer = faiss.IndexFlatIP(self.dimensions)
        index = faiss.IndexIVFFlat(quantizer, self.dimensions, lists, faiss.METRIC_INNER_PRODUCT)
        index.cp.niter = KMEANS_ITERATIONS
        index.cp.max_points_per_centroid = POINTS_PER_CENTROID
        index.cp.seed = 1234
        sample_size = min(len(keys), lists * POINTS_PER_CENTROID)
        sample = np.random.default_rng(len(keys)).choice(len(keys), sample_size, replace=False)
        faiss.omp_set_num_threads(max(1, threads))
        index.train(vectors[np.sort(sample)])
        self._prepare_ivf(index)
        index.add_with_ids(vectors, keys)
        self.index = index
        self.trained_size = len(keys)

    def _everything(self) -> tuple[KeyArray, FloatMatrix]:
        """Every (key, vector) the index holds, read straight from its storage."""
        faiss = _faiss()
        if not self.is_ivf:
            keys = faiss.vector_to_array(self.index.id_map).astype(np.int64)
            vectors = self.index.index.reconstruct_n(0, len(keys))
            return keys, np.ascontiguousarray(vectors, dtype=np.float32)
        lists = self.index.invlists
        key_parts: list[KeyArray] = []
        vector_parts: list[FloatMatrix] = []
        for number in range(int(self.index.nlist)):
            size = int(lists.list_size(number))
            if not size:
                continue
            key_parts.append(faiss.rev_swig_ptr(lists.get_ids(number), size).copy())
            codes = faiss.rev_swig_ptr(lists.get_codes(number), size * lists.code_size).copy()
            vector_parts.append(codes.view(np.float32).reshape(size, self.dimensions))
        if not key_parts:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.dimensions), np.float32)
        return (
            np.concatenate(key_parts).astype(np.int64),
            np.ascontiguousarray(np.vstack(vector_parts), dtype=np.float32),
        )


def _unit(matrix: FloatMatrix) -> FloatMatrix:
    """Rows scaled to length 1 (zero rows stay zero), as a fresh C-contiguous float32 array."""
    result = np.array(matrix, dtype=np.float32, order="C", copy=True)
    norms = np.linalg.norm(result, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    result /= norms
    return result
