"""Chunks: windows of whole sentences from one document, overlapping by a few sentences."""
from __future__ import annotations

from dataclasses import dataclass

from rag.chunking.sentences import Sentence


@dataclass(frozen=True)
class ChunkingConfig:
    sentences: int = 5  # sentences per chunk at most (measured: see README "Tuning")
    overlap: int = 1  # sentences shared by neighbouring chunks
    max_chars: int = 400  # a chunk closes early rather than grow past this (embedders truncate long input)

    def __post_init__(self):
        if self.sentences < 1 or not 0 <= self.overlap < self.sentences or self.max_chars < 1:
            raise ValueError(f"bad chunking {self}: need sentences >= 1, 0 <= overlap < sentences, max_chars >= 1")


@dataclass(frozen=True)
class Chunk:
    source: str
    start: int
    end: int
    text: str
    sentence_ids: tuple[int, ...]  # positions in the index's sentence list


def make_chunks(text: str, sentences: list[Sentence], first_id: int, config: ChunkingConfig) -> list[Chunk]:
    """Chunks of one document. `sentences` are that document's, numbered from `first_id` in the index."""
    chunks: list[Chunk] = []
    i, n = 0, len(sentences)
    while i < n:
        j = i + 1
        while j < n and j - i < config.sentences and sentences[j].end - sentences[i].start <= config.max_chars:
            j += 1
        a, b = sentences[i].start, sentences[j - 1].end
        chunks.append(Chunk(sentences[i].source, a, b, text[a:b], tuple(range(first_id + i, first_id + j))))
        if j == n:
            break
        i = max(i + 1, j - config.overlap)
    return chunks
