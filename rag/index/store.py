"""The on-disk index: a JSON manifest, JSONL records and FAISS files, written atomically and checked on load.

Layout of an index folder (FORMAT_VERSION 3):
    manifest.json     format version, embedder, chunking, tokenizer, sources with sha256, library
                      versions, build time, and the sha256 of every other file here
    documents.jsonl   one line per source: source, encoding, sha256, text (decoded as on disk, or extracted from
                      a PDF, Word or HTML file), words (its CC-CEDICT words, for the glossary), and for a
                      PDF pages: the offset in text where each page starts
    sentences.jsonl   one line per sentence: source, start, end, text, header, quotable, heading, tokens
    chunks.jsonl      one line per chunk: source, start, end, text, sentence ids
    chunks.faiss      FAISS IndexFlatIP of the chunk embeddings, row i = chunk i
    sentences.faiss   FAISS IndexFlatIP of the sentence embeddings, row i = sentence i
    glossary.json     English word stem -> Chinese terms of the corpus (from CC-CEDICT), for English questions
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import orjson

from rag.chunking import Chunk, Sentence
from rag.errors import IndexLoadError, IndexStaleError
from rag.sources import sha256_bytes, source_files

FORMAT_VERSION = 3
MANIFEST = "manifest.json"
DATA_FILES = ("documents.jsonl", "sentences.jsonl", "chunks.jsonl", "chunks.faiss", "sentences.faiss", "glossary.json")
REBUILD = "run `rag build` to rebuild it"


@dataclass(frozen=True)
class StoredIndex:
    """Everything an index folder holds, as read back."""

    manifest: dict
    documents: dict[str, str]  # source -> text
    pages: dict[str, tuple[int, ...]]  # PDF source -> offset in its text where each page starts
    words: dict[str, tuple[str, ...]]  # source -> its CC-CEDICT words (the glossary is made from them)
    sentences: list[Sentence]
    sentence_tokens: list[list[str]]
    chunks: list[Chunk]
    chunk_vectors: faiss.Index
    sentence_vectors: np.ndarray
    glossary: dict[str, list[str]]


def _write_jsonl(path: Path, rows) -> None:
    # orjson: UTF-8 JSON like json.dumps(ensure_ascii=False) without the spaces, several times faster both ways,
    # which is most of the time an update of one file in a large index takes.
    path.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))


def _flat_index(vectors: np.ndarray) -> faiss.Index:
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def write_index(folder: Path, manifest: dict, documents: list[dict], sentences: list[Sentence],
                sentence_tokens: list[list[str]], chunks: list[Chunk], chunk_vectors: np.ndarray,
                sentence_vectors: np.ndarray, glossary: dict[str, list[str]]) -> None:
    """Write a complete index into an empty `folder`; the manifest goes last and lists every file's hash."""
    _write_jsonl(folder / "documents.jsonl", documents)
    _write_jsonl(folder / "sentences.jsonl", (
        {"id": i, "source": s.source, "start": s.start, "end": s.end, "text": s.text,
         "header": s.header, "quotable": s.quotable, "heading": s.heading, "tokens": tokens}
        for i, (s, tokens) in enumerate(zip(sentences, sentence_tokens))
    ))
    _write_jsonl(folder / "chunks.jsonl", (
        {"id": i, "source": c.source, "start": c.start, "end": c.end, "text": c.text, "sentences": list(c.sentence_ids)}
        for i, c in enumerate(chunks)
    ))
    (folder / "glossary.json").write_text(json.dumps(glossary, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    faiss.write_index(_flat_index(chunk_vectors), str(folder / "chunks.faiss"))
    faiss.write_index(_flat_index(sentence_vectors), str(folder / "sentences.faiss"))
    manifest = {**manifest, "files": {name: sha256_bytes((folder / name).read_bytes()) for name in DATA_FILES}}
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def new_build_folder(index_dir: Path) -> Path:
    """An empty folder beside `index_dir`, on the same file system so the final rename is atomic."""
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{index_dir.name}.building-", dir=index_dir.parent))
    folder.chmod(0o755)  # mkdtemp makes it private; the index is meant to be shared and committed
    return folder


def swap_in(built: Path, index_dir: Path) -> None:
    """Replace `index_dir` by `built`. Until the first rename the old index is untouched; the second
    rename follows at once, and a leftover `.old` folder is only removed after it."""
    old = None
    if index_dir.exists():
        old = index_dir.with_name(f".{index_dir.name}.old-{os.getpid()}")
        os.rename(index_dir, old)
    os.rename(built, index_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_manifest(index_dir: Path) -> dict:
    path = index_dir / MANIFEST
    if not path.is_file():
        raise IndexLoadError(f"no index at {str(index_dir)!r} (missing {MANIFEST}); {REBUILD}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise IndexLoadError(f"{path} is not valid JSON ({e.__class__.__name__}); {REBUILD}") from None
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    if version != FORMAT_VERSION:
        raise IndexLoadError(f"{path} has format version {version!r}, this program reads {FORMAT_VERSION}; {REBUILD}")
    return manifest


def _check_files(index_dir: Path, manifest: dict) -> None:
    for name in DATA_FILES:
        path = index_dir / name
        if not path.is_file():
            raise IndexLoadError(f"index file {path} is missing; {REBUILD}")
        if sha256_bytes(path.read_bytes()) != manifest.get("files", {}).get(name):
            raise IndexLoadError(f"index file {path} is damaged (its sha256 differs from the manifest); {REBUILD}")


def seeds_dir_of(index_dir: Path, manifest: dict) -> Path:
    return (index_dir / manifest["seeds"]).resolve()


def stale_sources(index_dir: Path, manifest: dict) -> list[str]:
    """What changed in the seeds folder since the build: 'added x', 'changed y', 'removed z'.
    Empty when nothing changed or when the seeds folder is not there to compare (an index shipped alone)."""
    seeds = seeds_dir_of(index_dir, manifest)
    if not seeds.is_dir():
        return []
    built = {d["source"]: d["sha256"] for d in manifest["sources"]}
    now = {p.relative_to(seeds).as_posix(): sha256_bytes(p.read_bytes()) for p in source_files(seeds)}
    return ([f"added {s}" for s in sorted(now.keys() - built.keys())]
            + [f"changed {s}" for s in sorted(now.keys() & built.keys()) if now[s] != built[s]]
            + [f"removed {s}" for s in sorted(built.keys() - now.keys())])


def _read_jsonl(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def read_index(index_dir: str | Path, check_seeds: bool = True) -> StoredIndex:
    """Read and verify an index folder; every problem is an IndexLoadError that says to run `rag build`."""
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    _check_files(index_dir, manifest)
    if check_seeds and (changes := stale_sources(index_dir, manifest)):
        raise IndexStaleError(f"seeds changed since the index was built ({'; '.join(changes[:3])}); {REBUILD}")
    try:
        document_rows = _read_jsonl(index_dir / "documents.jsonl")
        documents = {row["source"]: row["text"] for row in document_rows}
        pages = {row["source"]: tuple(row["pages"]) for row in document_rows if row.get("pages") is not None}
        words = {row["source"]: tuple(row["words"]) for row in document_rows}
        rows = _read_jsonl(index_dir / "sentences.jsonl")
        sentences = [Sentence(r["source"], r["start"], r["end"], r["text"], r["header"], r["quotable"], r["heading"])
                     for r in rows]
        tokens = [r["tokens"] for r in rows]
        chunks = [Chunk(r["source"], r["start"], r["end"], r["text"], tuple(r["sentences"]))
                  for r in _read_jsonl(index_dir / "chunks.jsonl")]
        chunk_vectors = faiss.read_index(str(index_dir / "chunks.faiss"))
        sentence_index = faiss.read_index(str(index_dir / "sentences.faiss"))
        glossary = json.loads((index_dir / "glossary.json").read_text(encoding="utf-8"))
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        raise IndexLoadError(f"index at {str(index_dir)!r} cannot be read ({type(e).__name__}: {e}); {REBUILD}") from None
    dimension = manifest["embedder"]["dimension"]
    if (chunk_vectors.ntotal, chunk_vectors.d) != (len(chunks), dimension) or \
            (sentence_index.ntotal, sentence_index.d) != (len(sentences), dimension):
        raise IndexLoadError(f"index at {str(index_dir)!r} has vectors that do not match its records; {REBUILD}")
    return StoredIndex(manifest, documents, pages, words, sentences, tokens, chunks, chunk_vectors,
                       sentence_index.reconstruct_n(0, sentence_index.ntotal), glossary)
