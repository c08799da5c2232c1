"""Splitting documents into sentences (with exact offsets) and grouping sentences into chunks."""
from rag.chunking.chunks import Chunk, ChunkingConfig, make_chunks
from rag.chunking.sentences import Sentence, split_sentences, table_line

__all__ = ["Chunk", "ChunkingConfig", "Sentence", "make_chunks", "split_sentences", "table_line"]
