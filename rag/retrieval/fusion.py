"""Reciprocal rank fusion: combines rankings whose scores live on different scales (BM25, cosine)."""
from __future__ import annotations

import numpy as np

RRF_K = 60  # the usual constant (Cormack et al. 2009): a smaller value lets the top ranks dominate more


def reciprocal_rank_fusion(*rankings: np.ndarray, k: int = RRF_K) -> np.ndarray:
    """Sum over rankings of 1 / (k + rank + 1); an infinite rank adds nothing."""
    return sum(1.0 / (k + r + 1) for r in rankings)


def fused_order(n: int, *rankings: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """All n items, best first, by reciprocal rank fusion of rankings each given as (ids, scores) of the items it
    ranks (best first, ties by id; the items a ranking leaves out get nothing from it), sorting only the ranked
    items; the unranked follow in id order."""
    ranked = np.unique(np.concatenate([ids for ids, _ in rankings])) if rankings else np.zeros(0, np.int64)
    positions = []
    for ids, scores in rankings:
        rank = np.full(len(ranked), np.inf)
        order = np.lexsort((ids, -scores))  # best first, ties by id: as a stable argsort over all items
        rank[np.searchsorted(ranked, ids[order])] = np.arange(len(ids))
        positions.append(rank)
    best = ranked[np.argsort(-reciprocal_rank_fusion(*positions), kind="stable")]
    unranked = np.ones(n, dtype=bool)
    unranked[best] = False
    return np.concatenate([best, np.flatnonzero(unranked)])
