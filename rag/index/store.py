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

import ctypes
import errno
import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import orjson

from rag.chunking import Chunk, ChunkingConfig, Sentence
from rag.errors import IndexLoadError, IndexStaleError
from rag.sources import quote_name, scan_seeds, sha256_bytes

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


def _check_files(index_dir: Path, manifest: dict) -> None:
    for name in DATA_FILES:
        path = index_dir / name
        if not path.is_file():
            raise IndexLoadError(f"index file {quote_name(str(path))} is missing; {REBUILD}")
        if sha256_bytes(path.read_bytes()) != manifest["files"][name]:
            raise IndexLoadError(f"index file {quote_name(str(path))} is damaged (its sha256 differs from the manifest); {REBUILD}")


def seeds_dir_of(index_dir: Path, manifest: dict) -> Path:
    return (index_dir / manifest["seeds"]).resolve()


def stale_sources(index_dir: Path, manifest: dict) -> list[str]:
    """What changed in the seeds folder since the build: 'added x', 'changed y', 'removed z'.
    Empty when nothing changed or when the seeds folder is not there to compare (an index shipped alone)."""
    seeds = seeds_dir_of(index_dir, manifest)
    if not seeds.is_dir():
        return []
    built = {d["source"]: d["sha256"] for d in manifest["sources"]}
    files, refused = scan_seeds(seeds)
    now = {source: sha256_bytes(path.read_bytes()) for source, path in files} | {s.source: s.sha256 for s in refused}
    return ([f"added {quote_name(s)}" for s in sorted(now.keys() - built.keys())]
            + [f"changed {quote_name(s)}" for s in sorted(now.keys() & built.keys()) if now[s] != built[s]]
            + [f"removed {quote_name(s)}" for s in sorted(built.keys() - now.keys())])


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
