"""A resumable store of embeddings, kept beside the index (`index.cache/`), keyed by the text's sha256.

Each batch is written as soon as it is embedded, as a pair of files: `NNNNNN.npy` (the vectors) and
`NNNNNN.json` (the keys, written second, so a pair without its key file is ignored). An interrupted
build therefore resumes where it stopped, and a rebuild after editing one file embeds only the new
sentences. Deleting the folder is always safe.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Callable

import numpy as np

from rag.embedding import Embedder

BATCH = 64


def cache_dir_for(index_dir: Path, embedder_name: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", embedder_name).strip("_")[:80] or "model"
    return index_dir.with_name(index_dir.name + ".cache") / slug


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _load(folder: Path, dimension: int, wanted: set[str]) -> dict[str, np.ndarray]:
    """The cached vectors of the `wanted` keys. Only the batches that hold one are read, so that a small
    update of a large index reads little more than the key lists."""
    vectors: dict[str, np.ndarray] = {}
    for keys_path in sorted(folder.glob("*.json")):
        try:
            keys = json.loads(keys_path.read_text(encoding="utf-8"))
            if wanted.isdisjoint(keys):
                continue
            batch = np.load(keys_path.with_suffix(".npy"), allow_pickle=False)
        except (OSError, ValueError):
            continue  # a half-written or damaged batch is simply embedded again
        if batch.shape == (len(keys), dimension):
            vectors.update((k, v) for k, v in zip(keys, batch) if k in wanted)
    return vectors


def embed_with_cache(embedder: Embedder, texts: list[str], folder: Path,
                     progress: Callable[[int, int], None] = lambda done, total: None) -> tuple[np.ndarray, int]:
    """Embeddings of `texts` (rows in order) and how many of them were reused from the cache."""
    folder.mkdir(parents=True, exist_ok=True)
    keys = [_key(t) for t in texts]
    known = _load(folder, embedder.dimension, set(keys))
    missing = list(dict.fromkeys(k for k in keys if k not in known))
    text_of = dict(zip(keys, texts))
    reused = len(texts) - sum(1 for k in keys if k in missing)
    next_name = len(list(folder.glob("*.json")))
    for i in range(0, len(missing), BATCH):
        batch_keys = missing[i : i + BATCH]
        batch = embedder.embed_documents([text_of[k] for k in batch_keys])
        name = folder / f"{next_name:06d}"
        next_name += 1
        np.save(f"{name}.tmp.npy", batch, allow_pickle=False)
        os.replace(f"{name}.tmp.npy", f"{name}.npy")
        Path(f"{name}.json").write_text(json.dumps(batch_keys), encoding="utf-8")
        known.update(zip(batch_keys, batch))
        progress(min(i + BATCH, len(missing)), len(missing))
    vectors = np.stack([known[k] for k in keys]) if keys else np.zeros((0, embedder.dimension), np.float32)
    return vectors.astype(np.float32), reused
