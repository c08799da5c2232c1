"""Nearest vectors by inner product (cosine, as the vectors have unit length).

The chunks are searched in their FAISS index (rag/index/store.py). The sentences, a memory-mapped .npy, are
never searched: a question scores those of its nearest chunks from their rows (rag/engine.py). Rows held in
place are searched by FAISS's flat kernels (`faiss.knn`: nothing is copied into an index, and the rows are
paged in by the OS). FAISS runs on one OpenMP thread: on a busy 2-core machine its threads waited for each
other, and a search of 33,000 sentences took 24 ms instead of 3.

A flat search reads every row, so its time is the memory it reads (2 KB a row). From 5,000 rows on, an 8-bit
copy (FAISS's uniform scalar quantizer, made in a thread at the first search: a quarter of the memory to read)
shortlists the rows that can be among the k nearest, and only those are scored in float32. The copy's largest
error on a row, e = max |x - x8|, is measured as it is made, so an 8-bit score is within |q| e of the exact one
(Cauchy-Schwarz): every row whose 8-bit score is within twice that of the k-th best is kept, and the result is
exactly the flat search's, ties included (FAISS keeps fewer than 100 results in a heap that breaks ties by id,
so a subset in id order gives the same; from 100 on it keeps them in a reservoir that leaves equal scores in
no set order, and the shortlist gives them in id order). When the bound keeps too many rows, or rows tie
across the k-th place from 100 on, the flat search runs.

A large index (rag/index/store.py ANN_FROM: 200,000 sentences, ~50,000 chunks) comes with an approximate index
of its chunks: an inverted file of 8-bit codes, memory-mapped. Its best
`RESCORED` rows (at least 4 k) are scored exactly from their float32 rows and the k best of them returned, so
scores are exact and only the rows the inverted file missed are lost (recall against the flat search is
measured by benchmarks/scale.py). Such an index makes no 8-bit copy at load.
"""
from __future__ import annotations

import os
import threading

import faiss
import numpy as np

faiss.omp_set_num_threads(1)

SHORTLIST_FROM = 5_000  # rows; below, a flat search takes well under a millisecond
HEAP_BELOW = 100  # FAISS's k from which a search keeps its results in a reservoir (other ties) instead of a heap
PROBES = 64  # lists of an approximate index searched per question (recall@100 0.94 against flat at 117,047 sentences, 256 lists)
RESCORED = 256


class VectorSearch:
    def __init__(self, vectors: np.ndarray | None = None, index: faiss.IndexFlat | None = None,
                 shortlist_from: int | None = None, approximate: faiss.IndexIVF | None = None, read_rows: bool = False):
        """Either `vectors`, (n, dimension) float32 rows searched in place (through `approximate`, an inverted
        file of them, when given), or a flat FAISS `index` to search in; from `shortlist_from` rows
        (SHORTLIST_FROM if None) a flat search goes through an 8-bit copy. The rows of a memory-mapped file are
        scored through `RowReader` with `approximate` or `read_rows` (a large index)."""
        self.index = index
        if index is not None:  # its rows, without a copy
            vectors = faiss.rev_swig_ptr(index.get_xb(), index.ntotal * index.d).reshape(index.ntotal, index.d)
        self.approximate = approximate
        self._rows: RowReader | None = None
        if approximate is not None:
            approximate.nprobe = PROBES
        if approximate is not None or read_rows:
            self._rows = RowReader(vectors)
        self.vectors = np.asarray(vectors)  # a memory map stays one, without np.memmap's costly indexing
        self._coarse: faiss.IndexScalarQuantizer | None = None  # set once complete
        self._coarse_error = 0.0  # the largest distance of a row from its 8-bit copy
        self._quantizing = threading.Thread(target=self._make_coarse, daemon=True, name="8-bit-vectors")
        self._shortlisted_from = SHORTLIST_FROM if shortlist_from is None else shortlist_from
        self._starting = threading.Lock()

    def _make_coarse(self) -> None:
        n, d = self.vectors.shape
        coarse = faiss.IndexScalarQuantizer(d, faiss.ScalarQuantizer.QT_8bit_uniform, faiss.METRIC_INNER_PRODUCT)
        # FAISS decodes code c as low + (c + 1/2) / 255 * span; the codes are written here with numpy (a third of
        # the time of FAISS's encoder and decoder, which measuring the error needs): nearest but for the clipping
        low, high = float(self.vectors.min()), float(self.vectors.max())
        span = np.float32(high) - np.float32(low)
        faiss.copy_array_to_vector(np.array([low, span], dtype=np.float32), coarse.sq.trained)
        coarse.is_trained = True
        coarse.codes.resize(n * coarse.code_size)
        codes = faiss.rev_swig_ptr(coarse.codes.data(), n * coarse.code_size).reshape(n, coarse.code_size)
        scale = np.float32(255 / span) if span > 0 else np.float32(1.0)
        largest = 0.0  # squared, in steps of span / 255
        for a in range(0, n, 4096):  # a block at a time, numpy without the GIL
            steps = np.asarray(self.vectors[a : a + 4096], dtype=np.float32) - np.float32(low)
            steps *= scale
            code = np.clip(np.floor(steps), 0, 255)
            codes[a : a + 4096] = code
            steps -= code
            steps -= np.float32(0.5)  # the distance from the decoded value, in steps
            largest = max(largest, float(np.einsum("ij,ij->i", steps, steps).max()))
        coarse.ntotal = n
        # 1e-5: FAISS's decoding in float32 differs from this one by a few 1e-8 per component
        self._coarse_error = float(np.sqrt(largest)) * float(span) / 255 * (1 + 1e-6) + 1e-5
        self._coarse = coarse

    def _start_quantizing(self) -> None:
        with self._starting:  # two questions at once (the chat serves several) start it once
            if self._quantizing.ident is None and self.approximate is None and len(self.vectors) >= self._shortlisted_from:
                self._quantizing.start()

    def shortlist_ready(self, timeout: float | None = None) -> bool:
        """Whether searches use the 8-bit shortlist yet (starting it, and waiting up to `timeout` seconds for it)."""
        self._start_quantizing()
        if self._quantizing.ident is not None:
            self._quantizing.join(timeout)
        return self._coarse is not None

    def __len__(self) -> int:
        return len(self.vectors)

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the k best rows, best first."""
        k = min(k, len(self))
        if k == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        query = np.ascontiguousarray(vector, dtype=np.float32)[None, :]
        self._start_quantizing()
        shortlisted = self._shortlisted(query, k)
        if shortlisted is not None:
            return shortlisted
        if self.index is not None:
            sims, ids = self.index.search(query, k)
        elif self.approximate is not None:
            sims, ids = self._rescored(query, k)
        else:
            sims, ids = faiss.knn(query, self.vectors, k, metric=faiss.METRIC_INNER_PRODUCT)
        keep = ids[0] >= 0
        return sims[0][keep], ids[0][keep].astype(np.int64)

    def _shortlisted(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The flat search's (scores, ids) from the rows the 8-bit copy shortlists; None without it."""
        coarse = self._coarse
        if coarse is None:
            return None
        depth = min(3 * k + 32, coarse.ntotal)  # deep enough for 300 of 300 CMRC questions at 1.4 M characters
        approximate, ids = coarse.search(query, depth)
        approximate, ids = approximate[0], ids[0]
        # 1e-4 covers the float32 rounding of both sums of 512 products
        error = float(np.linalg.norm(query)) * self._coarse_error + 1e-4
        threshold = float(approximate[k - 1]) - 2 * error
        if depth < coarse.ntotal and approximate[-1] >= threshold:  # rows left out may be among the k nearest
            return None
        rows = np.sort(ids[approximate >= threshold])
        if k < HEAP_BELOW:
            sims, at = faiss.knn(query, np.ascontiguousarray(self.vectors[rows]), k, metric=faiss.METRIC_INNER_PRODUCT)
            return sims[0], rows[at[0]]
        sims, at = faiss.knn(query, np.ascontiguousarray(self.vectors[rows]), len(rows), metric=faiss.METRIC_INNER_PRODUCT)
        sims, found = sims[0], rows[at[0]]
        order = np.lexsort((found, -sims))  # best first, ties in id order
        if len(order) > k and sims[order[k - 1]] == sims[order[k]]:  # which of the tied rows FAISS keeps is its own
            return None
        return sims[order[:k]], found[order[:k]]

    def _rescored(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best by exact score of the rows the approximate index ranks first."""
        _, ids = self.approximate.search(query, max(RESCORED, 4 * k))
        ids = np.sort(ids[0][ids[0] >= 0])
        sims = self._rows.read(ids) @ query[0]
        order = np.argsort(-sims, kind="stable")[:k]  # ties: the lower id first, as FAISS's flat search
        return sims[order][None], ids[order][None]

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
