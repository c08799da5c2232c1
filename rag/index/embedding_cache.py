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
from collections.abc import Callable, Iterable, Iterator

import numpy as np

BATCH = 64


def cache_dir_for(index_dir: Path, embedder_name: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", embedder_name).strip("_")[:80] or "model"
    return index_dir.with_name(index_dir.name + ".cache") / slug


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _fill_from_cache(folder: Path, rows_of: dict[str, list[int]], vectors: np.ndarray) -> set[str]:
    """Copy the cached vectors of the keys in `rows_of` into their rows; return the keys found.
    One batch file is in memory at a time: the cache may hold far more than this build needs. Only the
    batches that hold a wanted key are read, so that a small update of a large index reads little more
    than the key lists."""
    found: set[str] = set()
    for keys_path in sorted(folder.glob("*.json")):
        try:
            keys = json.loads(keys_path.read_text(encoding="utf-8"))
            if rows_of.keys().isdisjoint(keys):
                continue
            batch = np.load(keys_path.with_suffix(".npy"), allow_pickle=False)
        except (OSError, ValueError):
            continue  # a half-written or damaged batch is simply embedded again
        if batch.shape != (len(keys), vectors.shape[1]):
            continue
        for key, vector in zip(keys, batch):
            if key in rows_of and key not in found:
                vectors[rows_of[key]] = vector
                found.add(key)
    return found


def embed_with_cache(embed: Callable[[Iterable[list[str]]], Iterator[np.ndarray]], dimension: int, texts: list[str],
                     folder: Path, progress: Callable[[int, int], None] = lambda done, total: None) -> tuple[np.ndarray, int]:
    """Embeddings of `texts` (rows in order) and how many of them were reused from the cache. `embed` maps
    batches of texts to their vectors, in order (in this process or in workers). Memory: the result, plus
    the batches in flight."""
    folder.mkdir(parents=True, exist_ok=True)
    rows_of: dict[str, list[int]] = {}
    for row, text in enumerate(texts):
        rows_of.setdefault(_key(text), []).append(row)
    vectors = np.zeros((len(texts), dimension), np.float32)
    found = _fill_from_cache(folder, rows_of, vectors)
    missing = [key for key in rows_of if key not in found]
    reused = sum(len(rows_of[key]) for key in found)
    next_name = len(list(folder.glob("*.json")))
    batches = [missing[i : i + BATCH] for i in range(0, len(missing), BATCH)]
    done = 0
    for batch_keys, batch in zip(batches, embed([texts[rows_of[k][0]] for k in keys] for keys in batches)):
        name = folder / f"{next_name:06d}"
        next_name += 1
        np.save(f"{name}.tmp.npy", batch, allow_pickle=False)
        os.replace(f"{name}.tmp.npy", f"{name}.npy")
        Path(f"{name}.json").write_text(json.dumps(batch_keys), encoding="utf-8")
        for key, vector in zip(batch_keys, batch):
            vectors[rows_of[key]] = vector
        done += len(batch_keys)
        progress(done, len(missing))
    return vectors, reused
