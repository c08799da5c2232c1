"""Reading the source folder: which files are documents, and how their bytes become text.

Offsets everywhere refer to the decoded text of the file exactly as on disk (no newline translation,
no normalisation), so `text[start:end]` can be checked against the file by anyone.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from rag.errors import SeedsError
from rag.extract import SUFFIXES, extract


@dataclass(frozen=True)
class Document:
    source: str  # path relative to the seeds folder, with forward slashes
    text: str
    encoding: str
    sha256: str
    pages: tuple[int, ...] | None = None  # PDF: offset in `text` where each page starts


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str
    sha256: str


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding) or raise ValueError saying why the bytes are not text.

    UTF-8 first; then GB18030 (a superset of GBK and GB2312, the usual legacy encodings of Chinese
    files), accepted only when most non-ASCII characters it yields are CJK, so that random bytes are
    not mistaken for Chinese.
    """
    if b"\x00" in data[:8192]:
        raise ValueError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise ValueError("neither UTF-8 nor GBK text; convert it to UTF-8") from None
    non_ascii = [ch for ch in text if ord(ch) > 127]
    cjk = sum(1 for ch in non_ascii if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef")
    if non_ascii and cjk / len(non_ascii) < 0.9:
        raise ValueError("neither UTF-8 nor GBK text; convert it to UTF-8")
    return text, "gbk"


def source_files(seeds_dir: Path) -> list[Path]:
    return sorted(p for p in seeds_dir.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES and not _hidden(p, seeds_dir))


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def read_document(path: Path, source: str) -> Document | Skipped:
    """One file as a document, or skipped with the reason."""
    data = path.read_bytes()
    try:
        extracted = extract(path.suffix, data)  # .txt/.md: decode(data); PDF, Word, HTML: rag/extract/
    except ValueError as e:
        return Skipped(source, str(e), sha256_bytes(data))
    if not extracted.text.strip():
        return Skipped(source, "empty file", sha256_bytes(data))
    return Document(source, extracted.text, extracted.encoding, sha256_bytes(data), extracted.pages)


def read_documents(seeds_dir: str | Path) -> tuple[list[Document], list[Skipped]]:
    """All readable documents under `seeds_dir`, and the files skipped with the reason."""
    seeds = Path(seeds_dir)
    if not seeds.is_dir():
        raise SeedsError(f"seeds folder {str(seeds)!r} does not exist; create it and put .txt or .md files in it")
    documents, skipped = [], []
    for path in source_files(seeds):
        read = read_document(path, path.relative_to(seeds).as_posix())
        (documents if isinstance(read, Document) else skipped).append(read)
    if not documents:
        why = "; ".join(f"{s.source}: {s.reason}" for s in skipped) or "no .txt or .md files"
        raise SeedsError(f"nothing to index in {str(seeds)!r} ({why}); add UTF-8 .txt or .md files")
    return documents, skipped
