"""Any sentence-transformers model, by local folder or by a name already in the local Hugging Face cache.

Nothing is downloaded: the hub is switched to offline mode before the library is imported, so a
missing model fails at once with a message instead of hanging on the network.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from rag.embedding import unit_rows
from rag.errors import ModelError


class SentenceTransformerEmbedder:
    def __init__(self, name: str):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise ModelError(f"--model {name!r} needs sentence-transformers and torch ({e}); run `make install`") from None
        path = Path(name).expanduser()
        try:
            self._model = SentenceTransformer(str(path) if path.exists() else name, device="cpu", local_files_only=True)
        except Exception as e:  # the library raises many types (OSError, ValueError, HF errors) for a missing model
            raise ModelError(
                f"cannot load embedding model {name!r} offline ({type(e).__name__}); "
                "pass a local sentence-transformers folder, or omit --model for the built-in default"
            ) from None
        self.name = name
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dimension = int(dimension())

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return unit_rows(self._model.encode(texts, batch_size=32, convert_to_numpy=True))

    def embed_query(self, text: str) -> np.ndarray:
        return unit_rows(self._model.encode([text], convert_to_numpy=True))[0]
