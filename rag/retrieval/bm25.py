"""Okapi BM25 over pre-tokenised texts, as an inverted index in CSR arrays (term row -> document ids and term
frequencies), so a query touches only its terms' postings and an index is saved and loaded as plain .npy files.

Several tables share one vocabulary (the index's terms, sorted): sentences, chunks and documents are made of the
same terms. A query's terms are summed in sorted order, so that its float32 scores do not depend on Python's
hash seed.
"""
from __future__ import annotations

import math

import numpy as np

SENTENCE_K1 = 0.5  # sentences are short: a term said twice in one is barely more relevant, so tf saturates fast
ARRAYS = ("indptr", "ids", "tfs", "lengths")


def vocabulary_of(documents: list[list[str]]) -> list[str]:
    return sorted({t for terms in documents for t in terms})


class BM25:
    def __init__(self, vocabulary: dict[str, int], indptr: np.ndarray, ids: np.ndarray, tfs: np.ndarray,
                 lengths: np.ndarray, k1: float = 1.2, b: float = 0.75):
        """`indptr[t]:indptr[t + 1]` are the postings of term row t in `ids` (increasing) and `tfs`;
        `lengths` the number of terms of each document."""
        self.k1, self.b = k1, b
        self.size = len(lengths)
        self._vocabulary = vocabulary
        # plain arrays over the same (possibly memory-mapped) memory: np.memmap's slicing costs microseconds a term
        self._indptr, self._ids, self._tfs, self._lengths = map(np.asarray, (indptr, ids, tfs, lengths))
        self._norm = k1 * (1 - b + b * lengths / max(float(lengths.mean()) if len(lengths) else 0.0, 1.0))

    @classmethod
    def from_documents(cls, documents: list[list[str]], vocabulary: dict[str, int] | None = None,
                       k1: float = 1.2, b: float = 0.75) -> "BM25":
        if vocabulary is None:
            vocabulary = {t: i for i, t in enumerate(vocabulary_of(documents))}
        lengths = np.array([len(d) for d in documents], dtype=np.int64)
        rows = np.fromiter((vocabulary[t] for d in documents for t in d), dtype=np.int64, count=int(lengths.sum()))
        # one key per (term, document): sorted, they are the postings in term order, ids increasing
        keys, tfs = np.unique(rows * len(documents) + np.repeat(np.arange(len(documents)), lengths), return_counts=True)
        terms, ids = np.divmod(keys, max(len(documents), 1))
        indptr = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms, minlength=len(vocabulary)), out=indptr[1:])
        return cls(vocabulary, indptr, ids.astype(np.int32), tfs.astype(np.float32), lengths.astype(np.float32), k1, b)

    def grouped(self, groups: list[list[int]], k1: float = 1.2, b: float = 0.75) -> "BM25":
        """The table over texts each made of a group of this table's documents (a chunk of sentences, a document
        of sentences): what `from_documents` gives for their concatenated terms, summed from the postings."""
        terms = np.repeat(np.arange(len(self._indptr) - 1), np.diff(self._indptr))
        by_document = np.argsort(self._ids, kind="stable")
        starts = np.searchsorted(self._ids[by_document], np.arange(self.size + 1))
        members = np.array([d for g in groups for d in g], dtype=np.int64)
        group_of = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
        counts = starts[members + 1] - starts[members]
        entries = by_document[np.repeat(starts[members] - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())]
        keys = terms[entries] * len(groups) + np.repeat(group_of, counts)
        unique, inverse = np.unique(keys, return_inverse=True)
        tfs = np.bincount(inverse, weights=self._tfs[entries]).astype(np.float32)
        rows, ids = np.divmod(unique, len(groups))
        indptr = np.zeros(len(self._indptr), dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=len(indptr) - 1), out=indptr[1:])
        lengths = np.bincount(group_of, weights=self._lengths[members], minlength=len(groups)).astype(np.float32)
        return BM25(self._vocabulary, indptr, ids.astype(np.int32), tfs, lengths, k1, b)

    def arrays(self) -> dict[str, np.ndarray]:
        """What `__init__` needs besides the vocabulary and k1, b: saved by the index as .npy files."""
        return {"indptr": self._indptr, "ids": self._ids, "tfs": self._tfs, "lengths": self._lengths}

    def terms(self) -> list[str]:
        return list(self._vocabulary)

    def _posting(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        row = self._vocabulary.get(term)
        if row is None:
            return None
        a, b = int(self._indptr[row]), int(self._indptr[row + 1])
        return None if a == b else (self._ids[a:b], self._tfs[a:b])

    def document_frequency(self, term: str) -> int:
        posting = self._posting(term)
        return 0 if posting is None else len(posting[0])

    def postings(self, term: str) -> np.ndarray | None:
        """Ids of the documents holding `term`, or None."""
        posting = self._posting(term)
        return None if posting is None else posting[0]

    def idf(self, term: str) -> float:
        """Always positive; a term found nowhere gets the largest value, as the rarest possible term."""
        df = self.document_frequency(term)
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def scores(self, terms: list[str]) -> np.ndarray:
        """One score per document; repeated query terms count once."""
        out = np.zeros(self.size, dtype=np.float32)
        for term in sorted(set(terms)):
            posting = self._posting(term)
            if posting is None:
                continue
            ids, tfs = posting
            out[ids] += self.idf(term) * tfs * (self.k1 + 1) / (tfs + self._norm[ids])
        return out
