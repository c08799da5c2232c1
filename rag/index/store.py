"""The on-disk index: a JSON manifest, JSONL records, .npy arrays and a FAISS index, written atomically and checked
on load.

Layout of an index folder (FORMAT_VERSION 8: 7 with a short line ending in a clause mark, or one of a list of
"field：value" lines, no longer a heading, a numbered section heading ending the header, and a field naming no
publication detail, "会议地点：…", no header line; 7: 6 with periods inside Latin names no longer ending sentences;
6: 5 and a table row's header among the facts). Everything a question needs is saved at build time, so that loading
is reading files, not computing: the BM25 tables, the per-sentence facts the answer features use (their
Traditional->Simplified text included) and the vectors (the sentences' memory-mapped).
    manifest.json        format version, embedder, chunking, sources (sha256, characters, and the number of
                         sentences and chunks, by which an update finds a document's lines), library versions,
                         build time, and the sha256 of every other file here
    documents.jsonl      one line per source: source, encoding, sha256, text (decoded as on disk, or extracted
                         from a PDF, Word or HTML file), and for a PDF pages: the offset where each page starts
    sentences.jsonl      one line per sentence: id, source, start, end, text, header, quotable, heading
    chunks.jsonl         one line per chunk: id, source, start, end, text, sentence ids
    terms.jsonl          one line per sentence: its search terms (kept for updates, which copy the lines); a
                         table row's are those of its table's header row and its own, as is its embedding
    words.jsonl          one line per source: its CC-CEDICT words (for the glossary; read at a question naming a name)
    glossary.json        English word stem -> Chinese terms of the corpus (from CC-CEDICT), for English questions
    sentences.npy        float32 (sentences, dimension) unit embeddings, row i = sentence i
    chunks.faiss         FAISS flat inner-product index of the chunk embeddings, row i = chunk i: the normalised
                         sum of its sentences' embeddings (format 4 embedded the chunk text, twice the work)
    bm25.terms.json      the vocabulary, sorted: term row t is the t-th term
    bm25.TABLE.PART.npy  TABLE sentences / chunks / documents; PART indptr (postings of term t are
                         indptr[t]:indptr[t+1]), ids (document ids), tfs (term frequencies), lengths (terms
                         per document)
    facts.FIELD.npy      per-sentence facts for the answer features (rag/answering/features.py `Corpus`),
    facts.FIELD.jsonl    one file per field: arrays as .npy, lists of text as JSONL (one string per line)
The vector files are checked by their shape and size at load, every other file by its sha256: hashing the
vectors would cost more than the rest of the load on a large index.

A large index (ANN_FROM: 200,000 sentences and more, ~8 M characters) holds more files, so that a question
reads a few lists instead of every chunk vector and loading makes no Python object per record. The manifest
lists their sha256 (the small arrays) or their size (the approximate index; there, every large file is checked
by its size only, as the vectors are); an index without them is searched flat, as before.
    chunks.ivf.faiss     FAISS IndexIVFScalarQuantizer (inner product, ~sqrt(n) lists, 8-bit codes) of the chunk
                         vectors, memory-mapped at load (rag/retrieval/dense.py). The sentences are never searched
                         (a question scores those of its nearest chunks): format 7 also wrote
                         sentences.ivf.faiss, which is no longer read
    NAME.offsets.npy     int64 byte offset of each line of NAME.jsonl (sentences, chunks, facts.squashed), then
                         the file's size: records are parsed when a question reads them (`Lines`)
    sentences.quotable.npy  bool per sentence
    chunks.range.npy     int64 (chunks, 2): the first and last sentence id of each chunk
A build writes a group of documents at a time (`IndexWriter`), so its memory does not grow with the corpus.
"""
from __future__ import annotations

import ctypes
import dataclasses
import errno
import hashlib
import io
import json
import os
import re
import shutil
import struct
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import orjson

from rag.answering.features import Corpus, corpus_facts
from rag.chunking import Chunk, ChunkingConfig, Sentence
from rag.errors import IndexLoadError, IndexStaleError
from rag.retrieval.bm25 import ARRAYS, BM25, SENTENCE_K1
from rag.sources import quote_name, scan_seeds, sha256_bytes

FORMAT_VERSION = 8
MANIFEST = "manifest.json"
VECTOR_FILES = ("sentences.npy", "chunks.faiss")
BM25_TABLES = ("sentences", "chunks", "documents")
BM25_K1 = {"sentences": SENTENCE_K1, "chunks": 1.2, "documents": 1.2}
FACT_FIELDS = tuple(f.name for f in dataclasses.fields(Corpus))
TEXT_FACTS = ("squashed",)  # lists of text; the other facts are arrays
DATA_FILES = ("documents.jsonl", "sentences.jsonl", "chunks.jsonl", "terms.jsonl", "words.jsonl", "glossary.json",
              *VECTOR_FILES, "bm25.terms.json", *(f"bm25.{t}.{a}.npy" for t in BM25_TABLES for a in ARRAYS),
              *(f"facts.{f}.{'jsonl' if f in TEXT_FACTS else 'npy'}" for f in FACT_FIELDS))
HASHED_FILES = tuple(n for n in DATA_FILES if n not in VECTOR_FILES)
REBUILD = "run `rag build` to rebuild it"
# From this many sentences on, the build also writes an approximate index of the chunk vectors, which questions
# search instead of every row (below, a flat search takes a few ms and gives today's answers exactly).
# Loading it then reads no record it does not use: the build also writes where each line of the records a question
# reads starts, and the arrays the engine would make from every record; the large files are checked by size.
ANN_FROM = 200_000
ANN_FILES = {"chunks.faiss": "chunks.ivf.faiss"}
LINES_INDEXED = ("sentences.jsonl", "chunks.jsonl", "facts.squashed.jsonl")
LARGE_INDEX_ARRAYS = (*(f"{name.removesuffix('.jsonl')}.offsets.npy" for name in LINES_INDEXED),
                      "sentences.quotable.npy", "chunks.range.npy")
SIZE_CHECKED = (*VECTOR_FILES, *ANN_FILES.values(), "documents.jsonl", "terms.jsonl", "words.jsonl", *LINES_INDEXED,
                *(f"bm25.{t}.{a}.npy" for t in BM25_TABLES for a in ("ids", "tfs")))


@dataclass(frozen=True)
class StoredIndex:
    """Everything a question needs from an index folder, as read back. A sentence's search terms, which only
    a build needs, are read by `read_terms`."""

    folder: Path
    manifest: dict
    documents: dict[str, str]  # source -> text
    pages: dict[str, tuple[int, ...]]  # PDF source -> offset in its text where each page starts
    sentences: Sequence[Sentence]  # a list, or `Lines` for a large index
    chunks: Sequence[Chunk]
    chunk_index: faiss.IndexFlatIP | None  # None when the approximate index is there: its rows are not read
    sentence_vectors: np.ndarray  # memory-mapped
    glossary: dict[str, list[str]]
    sentence_bm25: BM25
    chunk_bm25: BM25
    document_bm25: BM25
    corpus: Corpus
    quotable: np.ndarray  # bool per sentence
    chunk_ranges: np.ndarray  # (chunks, 2): the first and last sentence id of each chunk
    chunk_ann: faiss.Index | None = None  # the approximate index of a large index (ANN_FROM), memory-mapped

    @property
    def chunk_vectors(self) -> np.ndarray:
        """The chunks' embeddings: copied out of their FAISS index, or memory-mapped from its file when that
        was not read."""
        if self.chunk_index is None:
            return vector_rows(self.folder / "chunks.faiss", len(self.chunks), self.sentence_vectors.shape[1])
        return self.chunk_index.reconstruct_n(0, self.chunk_index.ntotal)

    def read_terms(self) -> list[list[str]]:
        """Each sentence's search terms."""
        return _read_jsonl(self.folder / "terms.jsonl")

    def read_dictionary_words(self) -> frozenset[str]:
        """The CC-CEDICT words the documents hold, as jieba terms or as runs of their text (`words.jsonl`)."""
        return frozenset(w for row in _read_jsonl(self.folder / "words.jsonl") for w in row["words"])


@dataclass(frozen=True)
class BM25Tables:
    """The vocabulary (sorted: term row t is vocabulary[t]) and the arrays of the three BM25 tables over it:
    sentences, chunks (their sentences' terms) and documents, as `BM25.arrays` gives them."""

    vocabulary: list[str]
    arrays: dict[str, dict[str, np.ndarray]]


EMPTY_BM25 = BM25Tables([], {name: {"indptr": np.zeros(1, np.int64), "ids": np.zeros(0, np.int32),
                                    "tfs": np.zeros(0, np.float32), "lengths": np.zeros(0, np.float32)}
                             for name in BM25_TABLES})


def updated_bm25_tables(old: BM25Tables, old_ids: dict[str, np.ndarray], fresh_tokens: list[list[str]],
                        fresh_groups: dict[str, list[list[int]]], fresh_ids: dict[str, np.ndarray],
                        sizes: dict[str, int]) -> BM25Tables:
    """The BM25 tables of an index that keeps some records of an old one (EMPTY_BM25 for a full build) and adds
    fresh ones: the old tables' postings merged with the fresh records', instead of every sentence's terms counted
    again.

    Per table: `old_ids[table][i]` is the new id of the old table's record i (-1: gone), `fresh_ids[table]` the
    new ids of the fresh records, `sizes[table]` the new number of records. The fresh sentences' terms are
    `fresh_tokens`; `fresh_groups` lists, for each fresh chunk and document, its positions in `fresh_tokens`.
    Term frequencies and lengths are whole numbers in float32, so the result is exactly a full build's: the
    vocabulary is the terms of the sentences kept and added, sorted."""
    old_rows = _term_rows(old.arrays["sentences"]["indptr"])
    kept = old_ids["sentences"][old.arrays["sentences"]["ids"]] >= 0
    used = np.flatnonzero(np.bincount(old_rows[kept], minlength=len(old.vocabulary)))
    kept_terms = [old.vocabulary[t] for t in used]
    vocabulary = sorted(kept_terms + list({t for terms in fresh_tokens for t in terms}.difference(kept_terms)))
    row_of = {t: i for i, t in enumerate(vocabulary)}
    new_row = np.full(len(old.vocabulary), -1, np.int64)
    new_row[used] = [row_of[t] for t in kept_terms]
    fresh = bm25_tables_of_groups(fresh_tokens, row_of, fresh_groups)
    tables = {}
    for name in BM25_TABLES:
        before, added = old.arrays[name], fresh[name]
        ids = old_ids[name][before["ids"]]
        keep = ids >= 0
        rows = np.concatenate([new_row[_term_rows(before["indptr"])[keep]], _term_rows(added["indptr"])])
        ids = np.concatenate([ids[keep], fresh_ids[name][added["ids"]]])
        # postings in term order, ids increasing: the old ones and the fresh ones are each sorted already
        # (the new rows and ids keep the old order), and a stable sort (timsort) merges two runs in linear time
        order = np.argsort(rows * sizes[name] + ids, kind="stable")
        indptr = np.zeros(len(vocabulary) + 1, np.int64)
        np.cumsum(np.bincount(rows, minlength=len(vocabulary)), out=indptr[1:])
        lengths = np.zeros(sizes[name], np.float32)
        stays = old_ids[name] >= 0
        lengths[old_ids[name][stays]] = before["lengths"][stays]
        lengths[fresh_ids[name]] = added["lengths"]
        tables[name] = {"indptr": indptr, "ids": ids[order].astype(np.int32),
                        "tfs": np.concatenate([before["tfs"][keep], added["tfs"]])[order], "lengths": lengths}
    return BM25Tables(vocabulary, tables)


def bm25_tables_of_groups(sentence_tokens: list[list[str]], row_of: dict[str, int],
                          groups: dict[str, list[list[int]]]) -> dict[str, dict[str, np.ndarray]]:
    """The three tables' arrays over the vocabulary `row_of`; chunks and documents are the `groups` of sentences."""
    if not sentence_tokens:
        empty = {"indptr": np.zeros(len(row_of) + 1, np.int64), "ids": np.zeros(0, np.int32),
                 "tfs": np.zeros(0, np.float32), "lengths": np.zeros(0, np.float32)}
        return {name: empty for name in BM25_TABLES}
    sentence_table = BM25.from_documents(sentence_tokens, row_of)
    return {"sentences": sentence_table.arrays(), "chunks": sentence_table.grouped(groups["chunks"]).arrays(),
            "documents": sentence_table.grouped(groups["documents"]).arrays()}


def _term_rows(indptr: np.ndarray) -> np.ndarray:
    """The term row of each posting."""
    return np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))


# Facts that number documents or sentences: a document's own facts count from 0, the index's from its place.
NUMBERING_FACTS = {"document": "documents", "first": "sentences", "last": "sentences", "heading_of": "sentences",
                   "table_header": "sentences"}


def document_facts(corpus: Corpus, a: int, b: int) -> Corpus:
    """The facts of sentences a:b (of whole documents) as an index of those documents alone would have them."""
    values = {}
    for field in FACT_FIELDS:
        value = getattr(corpus, field)[a:b]
        kind = NUMBERING_FACTS.get(field)
        if kind == "documents":
            value = value - (value[0] if len(value) else 0)
        elif kind == "sentences":
            value = np.where(value >= 0, value - a, value)
        values[field] = list(value) if field in TEXT_FACTS else np.array(value)
    return Corpus(**values)


def join_facts(parts: list[Corpus]) -> Corpus:
    """The facts of an index made of documents whose facts are `parts`, in order (each of one or more documents
    with sentences): what `corpus_facts` computes over all of them at once."""
    values = {}
    sentence_offsets = np.cumsum([0] + [len(p.document) for p in parts])
    document_offsets = np.cumsum([0] + [int(p.document[-1]) + 1 if len(p.document) else 0 for p in parts])
    for field in FACT_FIELDS:
        kind = NUMBERING_FACTS.get(field)
        if field in TEXT_FACTS:
            values[field] = [x for p in parts for x in getattr(p, field)]
            continue
        arrays = []
        for n, part in enumerate(parts):
            value = getattr(part, field)
            if kind == "documents":
                value = value + document_offsets[n]
            elif kind == "sentences":
                value = np.where(value >= 0, value + sentence_offsets[n], value)
            arrays.append(value)
        values[field] = np.concatenate(arrays) if arrays else np.zeros(0, getattr(corpus_facts([], {}), field).dtype)
    return Corpus(**values)


def sentence_row(i: int, s: Sentence) -> dict:
    """Sentence `i` as a line of sentences.jsonl."""
    return {"id": i, "source": s.source, "start": s.start, "end": s.end, "text": s.text,
            "header": s.header, "quotable": s.quotable, "heading": s.heading}


def chunk_row(i: int, c: Chunk, first_sentence: int) -> dict:
    """Chunk `i` as a line of chunks.jsonl; its sentence ids count from `first_sentence`."""
    return {"id": i, "source": c.source, "start": c.start, "end": c.end, "text": c.text,
            "sentences": [first_sentence + j for j in c.sentence_ids]}


# An update copies the lines of the documents it keeps; only the ids in them change, at fixed places (orjson
# writes the keys in the order of the rows above): "id" first, and a chunk's "sentences" last.
def renumbered_sentence(line: bytes, i: int) -> orjson.Fragment:
    """A line of sentences.jsonl as sentence `i`."""
    return orjson.Fragment(b'{"id":%d' % i + line[line.index(b","):])


def renumbered_chunk(line: bytes, i: int, shift: int) -> orjson.Fragment:
    """A line of chunks.jsonl as chunk `i`, its sentence ids moved by `shift`."""
    head, ids = line[line.index(b","):].rsplit(b',"sentences":', 1)
    ids = orjson.dumps([j + shift for j in orjson.loads(ids[:-1])]) if shift else ids[:-1]
    return orjson.Fragment(b'{"id":%d%s,"sentences":%s}' % (i, head, ids))


class IndexWriter:
    """Writes an index into an empty folder a group of documents at a time: their lines and vectors go to the
    files as they come, so that a build holds one group in memory, not the corpus (50 M characters are 2.4 GB
    of sentence vectors). `finish` writes what needs every group (glossary, BM25 tables, facts arrays), then
    the manifest, last, listing every file's hash. The files are byte for byte what writing everything at
    once gave."""

    def __init__(self, folder: Path, dimension: int):
        self.folder, self.dimension = folder, dimension
        self.sentences = self.chunks = 0  # rows written so far
        self._lines = {name: open(folder / f"{name}.jsonl", "wb", buffering=1 << 20)
                       for name in ("documents", "words", "sentences", "terms", "chunks",
                                    *(f"facts.{field}" for field in TEXT_FACTS))}
        # the vector files' headers hold the number of rows: written now for none, again at the end
        self._sentence_vectors = open(folder / "sentences.npy", "wb", buffering=1 << 20)
        self._sentence_vectors.write(_npy_header(0, dimension))
        self._chunk_vectors = open(folder / "chunks.faiss", "wb", buffering=1 << 20)
        self._chunk_vectors.write(_flat_index_header(0, dimension))
        self._facts: list[Corpus] = []
        self._bm25_parts = folder / "bm25-parts"  # removed before the manifest is written
        self._bm25_vocabularies: list[list[str]] = []

    def add(self, document: dict, words: Sequence[str], sentences: list, terms: list, chunks: list,
            sentence_vectors: np.ndarray, chunk_vectors: np.ndarray) -> None:
        """One document: its row of documents.jsonl, its CC-CEDICT words, its rows of sentences.jsonl,
        terms.jsonl and chunks.jsonl placed after those written before (`sentence_row`, `chunk_row`; each a
        value for orjson or an `orjson.Fragment`: a line kept from the index being updated), and its vectors."""
        rows = {"documents": [document], "words": [{"source": document["source"], "words": list(words)}],
                "sentences": sentences, "terms": terms, "chunks": chunks}
        for name, values in rows.items():
            self._lines[name].write(b"".join(orjson.dumps(row) + b"\n" for row in values))
        self._sentence_vectors.write(np.ascontiguousarray(sentence_vectors, dtype=np.float32).tobytes())
        self._chunk_vectors.write(np.ascontiguousarray(chunk_vectors, dtype=np.float32).tobytes())
        self.sentences += len(sentences)
        self.chunks += len(chunks)

    def add_facts(self, facts: Corpus) -> None:
        """The facts of the documents added since the last call (`join_facts` numbering): their texts are
        written now, the arrays at the end."""
        for field in TEXT_FACTS:
            self._lines[f"facts.{field}"].write(b"".join(orjson.dumps(x) + b"\n" for x in getattr(facts, field)))
        self._facts.append(dataclasses.replace(facts, **{field: [] for field in TEXT_FACTS}))

    def add_bm25(self, tables: BM25Tables) -> None:
        """The BM25 tables of the documents added since the last call (ids from 0). Their arrays wait on disk
        for `finish`, which joins them table by table; the vocabulary stays here, each term held once."""
        number = len(self._bm25_vocabularies)
        self._bm25_parts.mkdir(exist_ok=True)
        for name, arrays in tables.arrays.items():
            for part, array in arrays.items():
                np.save(self._bm25_parts / f"{number}.{name}.{part}.npy", array, allow_pickle=False)
        self._bm25_vocabularies.append([sys.intern(t) for t in tables.vocabulary])

    def finish(self, manifest: dict, glossary: dict[str, list[str]]) -> None:
        for file in self._lines.values():
            file.close()
        for file, header in ((self._sentence_vectors, _npy_header(self.sentences, self.dimension)),
                             (self._chunk_vectors, _flat_index_header(self.chunks, self.dimension))):
            file.seek(0)
            file.write(header)  # the same length for any number of rows
            file.close()
        (self.folder / "glossary.json").write_bytes(orjson.dumps(glossary, option=orjson.OPT_INDENT_2) + b"\n")
        parts = [BM25Tables(vocabulary, _SavedTables(self._bm25_parts, number))
                 for number, vocabulary in enumerate(self._bm25_vocabularies)]
        _write_joined_bm25(self.folder, parts)
        shutil.rmtree(self._bm25_parts)
        facts = join_facts(self._facts)
        for field in FACT_FIELDS:
            if field not in TEXT_FACTS:
                np.save(self.folder / f"facts.{field}.npy", getattr(facts, field), allow_pickle=False)
        large = self.sentences >= ANN_FROM
        if large:
            _write_large_index_arrays(self.folder)
            chunk_rows = vector_rows(self.folder / "chunks.faiss", self.chunks, self.dimension)
            faiss.write_index(ann_index(chunk_rows), str(self.folder / ANN_FILES["chunks.faiss"]))
        hashes = {name: file_sha256(self.folder / name) for name in DATA_FILES + (LARGE_INDEX_ARRAYS if large else ())}
        sizes = {name: (self.folder / name).stat().st_size for name in (SIZE_CHECKED if large else VECTOR_FILES)
                 if (self.folder / name).exists()}
        manifest = {**manifest, "files": hashes, "sizes": sizes}
        (self.folder / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")  # as json.dumps(indent=2)

    def close(self) -> None:
        """Close the files (after `finish`, or when the build failed)."""
        for file in (*self._lines.values(), self._sentence_vectors, self._chunk_vectors):
            file.close()


def _write_large_index_arrays(folder: Path) -> None:
    """What loading a large index reads instead of every record: where each line of sentences.jsonl,
    chunks.jsonl and facts.squashed.jsonl starts (and the files' end), which sentences may be quoted, and
    each chunk's first and last sentence. Read a line at a time."""
    quotable, ranges = [], []
    for name in LINES_INDEXED:
        starts = [0]
        with open(folder / name, "rb") as file:
            for line in file:
                starts.append(starts[-1] + len(line))
                if name == "sentences.jsonl":
                    quotable.append(orjson.loads(line)["quotable"])
                elif name == "chunks.jsonl":
                    ids = orjson.loads(line)["sentences"]
                    ranges.append((ids[0], ids[-1]))
        np.save(folder / f"{name.removesuffix('.jsonl')}.offsets.npy", np.array(starts, np.int64), allow_pickle=False)
    np.save(folder / "sentences.quotable.npy", np.array(quotable, bool), allow_pickle=False)
    np.save(folder / "chunks.range.npy", np.array(ranges, np.int64).reshape(-1, 2), allow_pickle=False)


def ann_index(vectors: np.memmap) -> faiss.IndexIVFScalarQuantizer:
    """An inverted-file index of unit `vectors` (about sqrt(n) lists, 8-bit codes: a quarter of the float32
    rows, so a build of 300,000 chunks holds 150 MB for it). Searched in a few lists (dense.py PROBES), its
    best rows are then scored exactly from the float32 rows (rag/retrieval/dense.py). The rows are read from
    the file a block at a time, not through the mapping, which would leave the whole file (2.4 GB at 50 M
    characters) resident in this process."""
    n, dimension = vectors.shape
    lists = min(int(2 ** round(np.log2(max(np.sqrt(n), 1)))), n)
    index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dimension), dimension, lists,
                                          faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    index.cp.spherical = True
    sample = np.sort(np.random.default_rng(0).choice(n, min(n, 64 * lists), replace=False))
    index.train(np.concatenate([block[sample[(sample >= a) & (sample < a + len(block))] - a]
                                for a, block in _blocks(vectors)]))
    for _, block in _blocks(vectors):
        index.add(block)
    return index


def _blocks(vectors: np.memmap, rows: int = 1 << 16):
    """(first row, float32 rows) of `vectors`, read from its file `rows` at a time."""
    n, dimension = vectors.shape
    with open(vectors.filename, "rb") as file:
        file.seek(vectors.offset)
        for a in range(0, n, rows):
            yield a, np.fromfile(file, np.float32, min(rows, n - a) * dimension).reshape(-1, dimension)


def vector_rows(path: Path, rows: int, dimension: int) -> np.ndarray:
    """The float32 rows of sentences.npy or chunks.faiss (a flat index: its rows follow a fixed header),
    memory-mapped."""
    offset = len(_npy_header(rows, dimension)) if path.suffix == ".npy" else len(_flat_index_header(rows, dimension))
    if path.stat().st_size != offset + 4 * rows * dimension:
        raise ValueError(f"{path.name} holds {path.stat().st_size} bytes, not {rows} x {dimension} float32 rows")
    return np.memmap(path, dtype=np.float32, mode="r", offset=offset, shape=(rows, dimension))


class _SavedTables(dict):
    """The arrays of one part's BM25 tables, as `BM25Tables.arrays`, read from where `add_bm25` saved them when
    a table is popped."""

    def __init__(self, folder: Path, number: int):
        super().__init__()
        self._folder, self._number = folder, number

    def pop(self, name: str) -> dict[str, np.ndarray]:
        return {part: np.load(self._folder / f"{self._number}.{name}.{part}.npy", allow_pickle=False) for part in ARRAYS}


def _npy_header(rows: int, dimension: int) -> bytes:
    """The header np.save writes for a (rows, dimension) float32 array: numpy pads it so that the first
    dimension can grow in place, so its length does not depend on `rows`."""
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)),
                                               "fortran_order": False, "shape": (rows, dimension)})
    return out.getvalue()


def _flat_index_header(rows: int, dimension: int) -> bytes:
    """What faiss.write_index writes before the vectors of an IndexFlatIP: fourcc, dimension, rows, two unused
    counts, trained, metric (inner product), then the number of floats that follow."""
    return struct.pack("<4siqqqBiQ", b"IxFI", dimension, rows, 1 << 20, 1 << 20, 1, faiss.METRIC_INNER_PRODUCT,
                       rows * dimension)


def _write_joined_bm25(folder: Path, parts: list[BM25Tables]) -> None:
    """The BM25 files of an index made of consecutive groups of records whose tables are `parts` (ids from 0
    in each): each part's term rows mapped into the sorted union of their vocabularies, its ids shifted by the
    records before it. Each part holds its postings in term order, ids increasing, so a stable sort by term
    row gives the table a build of everything at once gives. Table by table, each part's arrays dropped
    (popped from `parts`) once joined."""
    if len(parts) == 1:
        vocabulary, new_rows = parts[0].vocabulary, [np.arange(len(parts[0].vocabulary))]
    else:
        vocabulary = sorted(set().union(*(p.vocabulary for p in parts)))
        row_of = dict(zip(vocabulary, range(len(vocabulary))))
        new_rows = [np.fromiter((row_of[t] for t in p.vocabulary), np.int64, len(p.vocabulary)) for p in parts]
        del row_of
    (folder / "bm25.terms.json").write_bytes(orjson.dumps(vocabulary))
    for name in BM25_TABLES:
        tables = [p.arrays.pop(name) for p in parts]
        offsets = np.cumsum([0] + [len(t["lengths"]) for t in tables])
        rows = np.concatenate([r[_term_rows(t["indptr"])] for r, t in zip(new_rows, tables)])
        order = np.argsort(rows, kind="stable")
        indptr = np.zeros(len(vocabulary) + 1, np.int64)
        np.cumsum(np.bincount(rows, minlength=len(vocabulary)), out=indptr[1:])
        del rows
        joined = {"indptr": indptr,
                  "ids": np.concatenate([t["ids"].astype(np.int64) + o for t, o in zip(tables, offsets)])[order].astype(np.int32),
                  "tfs": np.concatenate([t["tfs"] for t in tables])[order],
                  "lengths": np.concatenate([t["lengths"] for t in tables])}
        del tables, order
        for part in ARRAYS:
            np.save(folder / f"bm25.{name}.{part}.npy", joined[part], allow_pickle=False)
        del joined


def file_sha256(path: Path) -> str:
    """sha256_bytes of the file's content, read a block at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def new_build_folder(index_dir: Path) -> Path:
    """An empty folder beside `index_dir`, on the same file system so that the swap is atomic. Its name holds
    this process's id: folders left by builds that were killed are removed here, at the next build."""
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(index_dir)
    folder = Path(tempfile.mkdtemp(prefix=f".{index_dir.name}.building-{os.getpid()}-", dir=index_dir.parent))
    folder.chmod(0o755)  # mkdtemp makes it private; the index is meant to be shared and committed
    return folder


def remove_leftovers(index_dir: Path) -> None:
    """Remove `.index.building-PID-*` and `.index.old-PID` folders whose process is gone."""
    pattern = re.compile(rf"\.{re.escape(index_dir.name)}\.(?:building|old)-(\d+)(?:-\w+)?")
    for path in index_dir.parent.glob(f".{index_dir.name}.*"):
        found = pattern.fullmatch(path.name)
        if found and path.is_dir() and not path.is_symlink() and not _running(int(found[1])):
            shutil.rmtree(path, ignore_errors=True)


def _running(pid: int) -> bool:
    if os.name != "posix":
        return True  # no safe way to ask here: keep the folder
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 with RENAME_EXCHANGE); False where that is unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False  # a C library without renameat2 (glibc < 2.28, some musl)
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_cwd, rename_exchange = -100, 2
    if renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False  # kernel or file system without the flag
    raise OSError(code, os.strerror(code), str(b))


def swap_in(built: Path, index_dir: Path) -> None:
    """Replace `index_dir` by `built`, so that at every moment `index_dir` is a complete index, old or new.

    On Linux one renameat2(RENAME_EXCHANGE) swaps the two folders: `built` then holds the old index and is
    removed; killed before that, it stays as a folder of a dead process, removed at the next build. Elsewhere
    two renames, with a short moment between them when `index_dir` is missing."""
    if not index_dir.exists():
        os.rename(built, index_dir)
        return
    if not _exchange(built, index_dir):
        old = index_dir.with_name(f".{index_dir.name}.old-{os.getpid()}")
        os.rename(index_dir, old)
        os.rename(built, index_dir)
        built = old
    shutil.rmtree(built, ignore_errors=True)


def _is_chunking(value: object) -> bool:
    if not isinstance(value, dict) or not all(type(v) is int for v in value.values()):
        return False
    try:
        ChunkingConfig(**value)
    except (TypeError, ValueError):
        return False
    return True


# What a manifest must hold, key by key: (what is expected, in words; the check).
MANIFEST_SCHEMA = {
    "built_at": ("text", lambda v: isinstance(v, str)),
    "seeds": ("the path of the seeds folder, as text", lambda v: isinstance(v, str) and v != ""),
    "embedder": ("{name: text, dimension: whole number}", lambda v: isinstance(v, dict) and isinstance(v.get("name"), str)
                 and type(v.get("dimension")) is int and v["dimension"] > 0),
    "chunking": ("{sentences, overlap, max_chars} as valid whole numbers", _is_chunking),
    "sources": ("a list of {source, sha256, encoding or skipped}", lambda v: isinstance(v, list) and all(
        isinstance(d, dict) and isinstance(d.get("source"), str) and isinstance(d.get("sha256"), str)
        and (isinstance(d.get("encoding"), str) or isinstance(d.get("skipped"), str)) for d in v)),
    "files": ("the sha256 of each data file", lambda v: isinstance(v, dict) and all(isinstance(v.get(n), str) for n in DATA_FILES)),
}
BUILD_SETTINGS = ("seeds", "embedder", "chunking")


def _read_manifest_json(index_dir: Path) -> dict:
    path = index_dir / MANIFEST
    if not path.is_file():
        raise IndexLoadError(f"no index at {str(index_dir)!r} (missing {MANIFEST}); {REBUILD}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise IndexLoadError(f"{quote_name(str(path))} is not valid JSON ({e.__class__.__name__}); {REBUILD}") from None
    if not isinstance(manifest, dict):
        raise IndexLoadError(f"{quote_name(str(path))} is not a JSON object; {REBUILD}")
    return manifest


def _check_keys(index_dir: Path, manifest: dict, keys) -> None:
    for key in keys:
        wanted, valid = MANIFEST_SCHEMA[key]
        if not valid(manifest.get(key)):
            got = repr(manifest[key])[:60] if key in manifest else "nothing"
            raise IndexLoadError(f"{quote_name(str(index_dir / MANIFEST))} has a bad {key!r}: expected {wanted}, "
                                 f"got {got}; {REBUILD}")


def read_manifest(index_dir: Path) -> dict:
    """The manifest, checked: this format version, and every key the program reads, of the right type."""
    manifest = _read_manifest_json(index_dir)
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise IndexLoadError(f"{quote_name(str(index_dir / MANIFEST))} has format version {version!r}, "
                             f"this program reads {FORMAT_VERSION}; {REBUILD}")
    _check_keys(index_dir, manifest, MANIFEST_SCHEMA)
    return manifest


@dataclass(frozen=True)
class BuildSettings:
    """How an index was built, so that it can be built again the same way."""

    seeds: Path
    model: str
    chunking: ChunkingConfig


def build_settings(index_dir: Path) -> BuildSettings:
    """The seeds folder, embedder and chunking recorded in the manifest (of any format version), or
    IndexLoadError when the manifest cannot say."""
    manifest = _read_manifest_json(index_dir)
    _check_keys(index_dir, manifest, BUILD_SETTINGS)
    return BuildSettings(seeds_dir_of(index_dir, manifest), manifest["embedder"]["name"],
                         ChunkingConfig(**manifest["chunking"]))


def check_files(index_dir: Path, manifest: dict) -> None:
    """Every data file there and intact: by its size when the manifest lists one (the vectors; every large file
    of a large index, ANN_FROM: hashing them would cost more than the rest of the load), else by its sha256."""
    sizes = manifest.get("sizes") or {}
    for name in (*DATA_FILES, *(n for n in (*ANN_FILES.values(), *LARGE_INDEX_ARRAYS) if n in sizes or n in manifest["files"])):
        path = index_dir / name
        if not path.is_file():
            raise IndexLoadError(f"index file {quote_name(str(path))} is missing; {REBUILD}")
        if name in VECTOR_FILES or name in sizes:
            if path.stat().st_size != sizes.get(name):
                raise IndexLoadError(f"index file {quote_name(str(path))} is damaged (its size differs from the manifest); {REBUILD}")
        elif file_sha256(path) != manifest["files"][name]:
            raise IndexLoadError(f"index file {quote_name(str(path))} is damaged (its sha256 differs from the manifest); {REBUILD}")


def seeds_dir_of(index_dir: Path, manifest: dict) -> Path:
    return (index_dir / manifest["seeds"]).resolve()


def stale_sources(index_dir: Path, manifest: dict) -> list[str]:
    """What changed in the seeds folder since the build: 'added x', 'changed y', 'removed z'.
    Empty when nothing changed or when the seeds folder is not there to compare (an index shipped alone)."""
    seeds = seeds_dir_of(index_dir, manifest)
    return changed_sources(manifest, seed_hashes(seeds)) if seeds.is_dir() else []


def seed_hashes(seeds: Path) -> dict[str, str]:
    """Source -> sha256 of every file in the seeds folder (of a refused one, as `scan_seeds` gives it)."""
    files, refused = scan_seeds(seeds)
    return {source: sha256_bytes(path.read_bytes()) for source, path in files} | {s.source: s.sha256 for s in refused}


def changed_sources(manifest: dict, now: dict[str, str]) -> list[str]:
    """What differs between the sources the index was built from and `now` (`seed_hashes`)."""
    built = {d["source"]: d["sha256"] for d in manifest["sources"]}
    return ([f"added {quote_name(s)}" for s in sorted(now.keys() - built.keys())]
            + [f"changed {quote_name(s)}" for s in sorted(now.keys() & built.keys()) if now[s] != built[s]]
            + [f"removed {quote_name(s)}" for s in sorted(built.keys() - now.keys())])


def _read_jsonl(path: Path) -> list:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def _vectors(path: Path, rows: int, dimension: int) -> np.ndarray:
    vectors = np.load(path, mmap_mode="r", allow_pickle=False)
    if vectors.shape != (rows, dimension) or vectors.dtype != np.float32:
        raise ValueError(f"{path.name} holds {vectors.shape} {vectors.dtype}, not ({rows}, {dimension}) float32")
    return vectors


def _flat_index(path: Path, rows: int, dimension: int) -> faiss.IndexFlatIP:
    index = faiss.read_index(str(path))
    if not isinstance(index, faiss.IndexFlatIP) or (index.ntotal, index.d) != (rows, dimension):
        raise ValueError(f"{path.name} holds a {type(index).__name__} of {index.ntotal} x {index.d}, "
                         f"not a flat inner-product index of {rows} x {dimension}")
    return index


def _ann_index(path: Path, rows: int, dimension: int) -> faiss.IndexIVFScalarQuantizer:
    """An `ann_index`, its lists memory-mapped (a question reads the few it probes)."""
    index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP)
    if not isinstance(index, faiss.IndexIVFScalarQuantizer) or (index.ntotal, index.d) != (rows, dimension):
        raise ValueError(f"{path.name} holds a {type(index).__name__} of {index.ntotal} x {index.d}, "
                         f"not an inverted-file index of {rows} x {dimension}")
    return index


def _facts(index_dir: Path, large: bool = False) -> Corpus:
    values = {}
    for field in FACT_FIELDS:
        if field in TEXT_FACTS and large:
            values[field] = Lines(index_dir / f"facts.{field}.jsonl", np.load(index_dir / f"facts.{field}.offsets.npy"), str)
        elif field in TEXT_FACTS:
            values[field] = _read_jsonl(index_dir / f"facts.{field}.jsonl")
        else:
            values[field] = np.load(index_dir / f"facts.{field}.npy", allow_pickle=False)
    return Corpus(**values)


def _bm25_tables(index_dir: Path) -> dict[str, BM25]:
    stored = _bm25_arrays(index_dir, postings_mapped=True)
    rows = dict(zip(stored.vocabulary, range(len(stored.vocabulary))))
    return {name: BM25(rows, *(stored.arrays[name][part] for part in ARRAYS), k1=BM25_K1[name]) for name in BM25_TABLES}


def _bm25_arrays(index_dir: Path, postings_mapped: bool) -> BM25Tables:
    """The saved vocabulary and tables; with `postings_mapped`, the postings (ids, tfs) memory-mapped."""
    mapped = lambda part: "r" if postings_mapped and part in ("ids", "tfs") else None
    return BM25Tables(orjson.loads((index_dir / "bm25.terms.json").read_bytes()),
                      {name: {part: np.load(index_dir / f"bm25.{name}.{part}.npy", allow_pickle=False, mmap_mode=mapped(part))
                              for part in ARRAYS} for name in BM25_TABLES})


@dataclass(frozen=True)
class IndexLines:
    """An index as an update reads it: the sentence, term and chunk files as lines, not parsed (the lines of the
    documents kept are written again as they are), and what else an update reuses."""

    manifest: dict
    documents: list[dict]  # the rows of documents.jsonl
    sentences: list[bytes]
    terms: list[bytes]
    chunks: list[bytes]
    words: dict[str, tuple[str, ...]]
    sentence_vectors: np.ndarray  # memory-mapped
    chunk_vectors: np.ndarray
    facts: Corpus
    bm25: BM25Tables


def read_lines(index_dir: Path) -> IndexLines:
    """Read and verify an index folder for an update (the files' sha256 as for a load: 0.05 s at 1.4 M
    characters); every problem is an IndexLoadError."""
    manifest = read_manifest(index_dir)
    check_files(index_dir, manifest)
    dimension = manifest["embedder"]["dimension"]
    lines = {name: (index_dir / f"{name}.jsonl").read_bytes().splitlines() for name in ("sentences", "terms", "chunks")}
    try:
        words = {row["source"]: tuple(row["words"]) for row in _read_jsonl(index_dir / "words.jsonl")}
        sentence_vectors = _vectors(index_dir / "sentences.npy", len(lines["sentences"]), dimension)
        chunk_index = _flat_index(index_dir / "chunks.faiss", len(lines["chunks"]), dimension)
        facts = _facts(index_dir)
        bm25 = _bm25_arrays(index_dir, postings_mapped=False)
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        raise IndexLoadError(f"index at {str(index_dir)!r} cannot be read ({type(e).__name__}: {e}); {REBUILD}") from None
    if not len(lines["sentences"]) == len(lines["terms"]) == len(facts.document) == len(bm25.arrays["sentences"]["lengths"]):
        raise IndexLoadError(f"index at {str(index_dir)!r} has tables that do not match its records; {REBUILD}")
    return IndexLines(manifest, _read_jsonl(index_dir / "documents.jsonl"), lines["sentences"], lines["terms"],
                      lines["chunks"], words, sentence_vectors, chunk_index.reconstruct_n(0, chunk_index.ntotal),
                      facts, bm25)


def read_index(index_dir: str | Path, check_seeds: bool = True) -> StoredIndex:
    """Read and verify an index folder; every problem is an IndexLoadError that says to run `rag build`."""
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    check_files(index_dir, manifest)
    if check_seeds and (changes := stale_sources(index_dir, manifest)):
        raise IndexStaleError(f"seeds changed since the index was built ({'; '.join(changes[:3])}); {REBUILD}")
    dimension = manifest["embedder"]["dimension"]
    large = LARGE_INDEX_ARRAYS[0] in manifest["files"]
    try:
        document_rows = _read_jsonl(index_dir / "documents.jsonl")
        documents = {row["source"]: row["text"] for row in document_rows}
        pages = {row["source"]: tuple(row["pages"]) for row in document_rows if row.get("pages") is not None}
        del document_rows
        if large:
            sentences = Lines(index_dir / "sentences.jsonl", np.load(index_dir / "sentences.offsets.npy"), _sentence)
            chunks = Lines(index_dir / "chunks.jsonl", np.load(index_dir / "chunks.offsets.npy"), _chunk)
            quotable = np.load(index_dir / "sentences.quotable.npy", allow_pickle=False)
            chunk_ranges = np.load(index_dir / "chunks.range.npy", allow_pickle=False)
            if len(quotable) != len(sentences) or chunk_ranges.shape != (len(chunks), 2):
                raise ValueError("the arrays of sentences and chunks do not match their records")
        else:
            sentences = [_sentence(r) for r in _read_jsonl(index_dir / "sentences.jsonl")]
            chunks = [_chunk(r) for r in _read_jsonl(index_dir / "chunks.jsonl")]
            quotable = np.array([s.quotable for s in sentences], dtype=bool)
            chunk_ranges = np.array([(c.sentence_ids[0], c.sentence_ids[-1]) for c in chunks], np.int64).reshape(-1, 2)
        sentence_vectors = _vectors(index_dir / "sentences.npy", len(sentences), dimension)
        if ANN_FILES["chunks.faiss"] in (manifest.get("sizes") or {}):
            chunk_index = None
            chunk_ann = _ann_index(index_dir / ANN_FILES["chunks.faiss"], len(chunks), dimension)
        else:
            chunk_index = _flat_index(index_dir / "chunks.faiss", len(chunks), dimension)
            chunk_ann = None
        glossary = json.loads((index_dir / "glossary.json").read_text(encoding="utf-8"))
        tables = _bm25_tables(index_dir)
        corpus = _facts(index_dir, large)
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        raise IndexLoadError(f"index at {str(index_dir)!r} cannot be read ({type(e).__name__}: {e}); {REBUILD}") from None
    if tables["sentences"].size != len(sentences) or tables["chunks"].size != len(chunks) \
            or len(corpus.document) != len(sentences) or len(corpus.squashed) != len(sentences):
        raise IndexLoadError(f"index at {str(index_dir)!r} has tables that do not match its records; {REBUILD}")
    return StoredIndex(index_dir, manifest, documents, pages, sentences, chunks, chunk_index, sentence_vectors,
                       glossary, tables["sentences"], tables["chunks"], tables["documents"], corpus, quotable,
                       chunk_ranges, chunk_ann)


def _sentence(r: dict) -> Sentence:
    return Sentence(r["source"], r["start"], r["end"], r["text"], r["header"], r["quotable"], r["heading"])


def _chunk(r: dict) -> Chunk:
    return Chunk(r["source"], r["start"], r["end"], r["text"], tuple(r["sentences"]))


class Lines(Sequence):
    """The records of a JSONL file, each read (pread) and parsed when asked for: a large index is not turned into
    a Python object per line at load. `offsets` (saved by the build) are where each line starts, and the file's
    end."""

    def __init__(self, path: Path, offsets: np.ndarray, parse: Callable[[object], object]):
        self._offsets, self._parse = offsets, parse
        if path.stat().st_size != (int(offsets[-1]) if len(offsets) else -1):
            raise ValueError(f"{path.name} does not end where its line offsets say")
        self._file = open(path, "rb", buffering=0)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i = int(i) % len(self)
        start = int(self._offsets[i])
        return self._parse(orjson.loads(os.pread(self._file.fileno(), int(self._offsets[i + 1]) - start, start)))
