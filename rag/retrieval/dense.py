"""Nearest vectors by inner product (cosine, as the vectors have unit length).

The chunks are searched in their FAISS index (rag/index/store.py). The sentences, more numerous, are a
memory-mapped .npy that FAISS's flat kernels search in place (`faiss.knn`: nothing is copied into an index,
and the rows are paged in by the OS). FAISS runs on one OpenMP thread: on a busy 2-core
machine its threads waited for each other, and a search of 33,000 sentences took 24 ms instead of 3.
"""
from __future__ import annotations

import faiss
import numpy as np

faiss.omp_set_num_threads(1)


class VectorSearch:
    def __init__(self, vectors: np.ndarray | None = None, index: faiss.Index | None = None):
        """Either `vectors`, (n, dimension) float32 rows searched in place, or a FAISS `index` to search in."""
        self.vectors = vectors
        self.index = index

    def __len__(self) -> int:
        return self.index.ntotal if self.index is not None else len(self.vectors)

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the k best rows, best first."""
        k = min(k, len(self))
        if k == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        query = np.ascontiguousarray(vector, dtype=np.float32)[None, :]
        if self.index is not None:
            sims, ids = self.index.search(query, k)
        else:
            sims, ids = faiss.knn(query, self.vectors, k, metric=faiss.METRIC_INNER_PRODUCT)
        keep = ids[0] >= 0
        return sims[0][keep], ids[0][keep].astype(np.int64)

    def best(self, vector: np.ndarray, k: int, allowed: np.ndarray) -> np.ndarray:
        """Ids of the k best rows where `allowed`, best first: searched deeper until k allowed rows are found."""
        depth = 2 * k
        while True:
            _, ids = self.search(vector, depth)
            ids = ids[allowed[ids]]
            if len(ids) >= k or depth >= len(self):
                return ids[:k]
            depth *= 4

    def scores(self, vector: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Exact inner products of the rows `ids` (reads only those rows)."""
        return np.asarray(self.vectors[ids]) @ vector
