"""Okapi BM25 over pre-tokenised texts, with an inverted index so a query touches only its terms' postings."""
from __future__ import annotations

import math
from collections import Counter

import numpy as np


class BM25:
    def __init__(self, documents: list[list[str]], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.size = len(documents)
        lengths = np.array([len(d) for d in documents], dtype=np.float32)
        self._norm = k1 * (1 - b + b * lengths / max(float(lengths.mean()), 1.0))
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for i, terms in enumerate(documents):
            for term, tf in Counter(terms).items():
                ids, tfs = postings.setdefault(term, ([], []))
                ids.append(i)
                tfs.append(tf)
        self._postings = {t: (np.array(ids), np.array(tfs, dtype=np.float32)) for t, (ids, tfs) in postings.items()}

    def document_frequency(self, term: str) -> int:
        posting = self._postings.get(term)
        return 0 if posting is None else len(posting[0])

    def postings(self, term: str) -> np.ndarray | None:
        """Ids of the documents holding `term`, or None."""
        posting = self._postings.get(term)
        return None if posting is None else posting[0]

    def idf(self, term: str) -> float:
        """Always positive; a term found nowhere gets the largest value, as the rarest possible term."""
        df = self.document_frequency(term)
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def scores(self, terms: list[str]) -> np.ndarray:
        """One score per document; repeated query terms count once."""
        out = np.zeros(self.size, dtype=np.float32)
        for term in set(terms):
            posting = self._postings.get(term)
            if posting is None:
                continue
            ids, tfs = posting
            out[ids] += self.idf(term) * tfs * (self.k1 + 1) / (tfs + self._norm[ids])
        return out
