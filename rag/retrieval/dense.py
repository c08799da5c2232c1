"""Nearest vectors by inner product (cosine, as the vectors have unit length).

The chunks are searched in their FAISS index (rag/index/store.py). The sentences, more numerous, are a
memory-mapped .npy that FAISS's flat kernels search in place (`faiss.knn`: nothing is copied into an index,
and the rows are paged in by the OS). FAISS runs on one OpenMP thread: on a busy 2-core
machine its threads waited for each other, and a search of 33,000 sentences took 24 ms instead of 3.

A flat search reads every row, so its time is the memory it reads (2 KB a row). From 10,000 rows on, a
half-precision copy (made in a thread after loading: half the memory to read) shortlists the rows that can be
among the k nearest, and only those are scored in float32: a half-precision score is within 2^-11 |q| |x| of
the exact one, so every row whose half score is within twice that of the k-th best is kept, and the result is
exactly the flat search's, ties included (FAISS keeps fewer than 100 results in a heap that breaks ties by
id, so a subset in id order gives the same). When the bound keeps too many rows, the flat search runs.

A large index (rag/index/store.py ANN_FROM: 200,000 sentences, where a flat search reads 400 MB a question)
comes with an approximate index per table: an inverted file of 8-bit codes, memory-mapped. Its best
`RESCORED` rows (at least 4 k) are scored exactly from their float32 rows and the k best of them returned, so
scores are exact and only the rows the inverted file missed are lost (recall against the flat search is
measured by benchmarks/scale.py).
"""
from __future__ import annotations

import os
import threading

import faiss
import numpy as np

faiss.omp_set_num_threads(1)

HALF_PRECISION_FROM = 10_000  # rows; below, a flat search takes well under a millisecond
HEAP_BELOW = 100  # FAISS's k from which a search keeps its results in a reservoir (other ties) instead of a heap
PROBES = 64  # lists of an approximate index searched per question (recall@100 0.94 against flat at 117,047 sentences, 256 lists)
RESCORED = 256


class VectorSearch:
    def __init__(self, vectors: np.ndarray | None = None, index: faiss.Index | None = None,
                 half_precision_from: int = HALF_PRECISION_FROM, approximate: faiss.IndexIVF | None = None):
        """Either `vectors`, (n, dimension) float32 rows searched in place (through `approximate`, an inverted
        file of them, when given), or a FAISS `index` to search in."""
        self.vectors = vectors
        self.index = index
        self.approximate = approximate
        self._rows: RowReader | None = None
        if approximate is not None:
            approximate.nprobe = PROBES
            self._rows = RowReader(vectors)
        self._half: faiss.IndexScalarQuantizer | None = None  # set once complete
        self._longest = 0.0  # the largest row norm
        self._halving = threading.Thread(target=self._make_half, daemon=True, name="half-precision-vectors")
        if vectors is not None and len(vectors) >= half_precision_from and approximate is None:
            self._halving.start()

    def _make_half(self) -> None:
        n, d = self.vectors.shape
        half = faiss.IndexScalarQuantizer(d, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
        half.codes.resize(n * half.code_size)
        rows = faiss.rev_swig_ptr(half.codes.data(), n * half.code_size).view(np.float16).reshape(n, d)
        longest = 0.0
        for a in range(0, n, 4096):  # numpy's rounding to nearest, without the GIL, a block at a time
            block = np.asarray(self.vectors[a : a + 4096], dtype=np.float32)
            rows[a : a + 4096] = block
            longest = max(longest, float(np.sqrt(np.einsum("ij,ij->i", block, block).max())))
        half.ntotal = n
        self._longest = longest * (1 + 1e-6)
        self._half = half

    def half_precision_ready(self, timeout: float | None = None) -> bool:
        """Whether searches use the half-precision shortlist yet (waiting up to `timeout` seconds for it)."""
        if self._halving.ident is not None:
            self._halving.join(timeout)
        return self._half is not None

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
        elif self.approximate is not None:
            sims, ids = self._rescored(query, k)
        else:
            sims, ids = self._shortlisted(query, k) or faiss.knn(query, self.vectors, k, metric=faiss.METRIC_INNER_PRODUCT)
        keep = ids[0] >= 0
        return sims[0][keep], ids[0][keep].astype(np.int64)

    def _shortlisted(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The flat search's (scores, ids) from the rows the half-precision copy shortlists; None without it."""
        half = self._half
        if half is None or k >= HEAP_BELOW:
            return None
        depth = min(2 * k + 16, half.ntotal)
        approximate, ids = half.search(query, depth)
        approximate, ids = approximate[0], ids[0]
        # per component |x - half(x)| <= 2^-11 |x|; 1e-4 covers the float32 rounding of both sums of 512 products
        error = 2.0**-11 * float(np.linalg.norm(query)) * self._longest + 1e-4
        threshold = float(approximate[k - 1]) - 2 * error
        if depth < half.ntotal and approximate[-1] >= threshold:  # rows left out may be among the k nearest
            return None
        rows = np.sort(ids[approximate >= threshold])
        sims, at = faiss.knn(query, np.ascontiguousarray(self.vectors[rows]), k, metric=faiss.METRIC_INNER_PRODUCT)
        return sims, rows[at]

    def _rescored(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best by exact score of the rows the approximate index ranks first."""
        _, ids = self.approximate.search(query, max(RESCORED, 4 * k))
        ids = np.sort(ids[0][ids[0] >= 0])
        sims = self._rows.read(ids) @ query[0]
        order = np.argsort(-sims, kind="stable")[:k]  # ties: the lower id first, as FAISS's flat search
        return sims[order][None], ids[order][None]

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
        if self._rows is not None:
            return self._rows.read(np.asarray(ids)) @ vector
        return np.asarray(self.vectors[ids]) @ vector


class RowReader:
    """Rows of a memory-mapped array of a large index, read from its file with pread: reading a row through the
    mapping maps 64 KB around it (the kernel's fault-around), so a few hundred rows a question would, question
    after question, map the whole file (2.4 GB of sentence vectors at 50 M characters) into the process."""

    def __init__(self, vectors: np.memmap):
        self._file = open(vectors.filename, "rb", buffering=0)
        self._offset, self._row_bytes = vectors.offset, vectors.shape[1] * vectors.itemsize
        self._dimension, self._dtype = vectors.shape[1], vectors.dtype

    def read(self, ids: np.ndarray) -> np.ndarray:
        fd, size, at = self._file.fileno(), self._row_bytes, self._offset
        data = b"".join(os.pread(fd, size, at + i * size) for i in ids.tolist())
        return np.frombuffer(data, self._dtype).reshape(len(ids), self._dimension)
