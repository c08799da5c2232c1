"""Nearest vectors by inner product (cosine, as the vectors have unit length) over a memory-mapped matrix.

Exact search runs FAISS's flat kernels straight over the memory-mapped .npy (`faiss.knn`: nothing is copied
into an index, and the rows are paged in by the OS). FAISS runs on one OpenMP thread: on a busy 2-core
machine its threads waited for each other, and a search of 33,000 sentences took 24 ms instead of 3.
An index with an approximate (HNSW) graph searches that instead; see rag/index/store.py for when one is made.
"""
from __future__ import annotations

import faiss
import numpy as np

faiss.omp_set_num_threads(1)


class VectorSearch:
    def __init__(self, vectors: np.ndarray, graph: faiss.Index | None = None):
        """`vectors`: (n, dimension) float32 rows; `graph`: an approximate index over the same rows, or None."""
        self.vectors = vectors
        self.graph = graph

    def __len__(self) -> int:
        return len(self.vectors)

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the k best rows, best first."""
        k = min(k, len(self.vectors))
        if k == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        query = np.ascontiguousarray(vector, dtype=np.float32)[None, :]
        if self.graph is not None:
            self.graph.hnsw.efSearch = max(128, k)
            sims, ids = self.graph.search(query, k)
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
            if len(ids) >= k or depth >= len(self.vectors):
                return ids[:k]
            depth *= 4

    def scores(self, vector: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Exact inner products of the rows `ids` (reads only those rows)."""
        return np.asarray(self.vectors[ids]) @ vector
