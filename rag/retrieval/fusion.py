"""Reciprocal rank fusion: combines rankings whose scores live on different scales (BM25, cosine)."""
from __future__ import annotations

import numpy as np

RRF_K = 60  # the usual constant (Cormack et al. 2009): a smaller value lets the top ranks dominate more


def ranks(scores: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """Rank of each item (0 = best) by descending score; items with keep False get rank infinity."""
    order = np.argsort(-scores, kind="stable")
    out = np.empty(len(scores), dtype=np.float64)
    out[order] = np.arange(len(scores))
    if keep is not None:
        out[~keep] = np.inf
    return out


def reciprocal_rank_fusion(*rankings: np.ndarray, k: int = RRF_K) -> np.ndarray:
    """Sum over rankings of 1 / (k + rank + 1); an infinite rank adds nothing."""
    return sum(1.0 / (k + r + 1) for r in rankings)
