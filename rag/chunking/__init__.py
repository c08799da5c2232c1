"""Splitting documents into sentences (with exact offsets) and grouping sentences into chunks."""
from rag.chunking.chunks import Chunk, ChunkingConfig, make_chunks
from rag.chunking.sentences import Sentence, field_name, split_sentences, table_line

__all__ = ["Chunk", "ChunkingConfig", "Sentence", "field_name", "make_chunks", "split_sentences", "table_line"]
