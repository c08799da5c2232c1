"""Reading the source folder: which files are documents, and how their bytes become text.

Offsets everywhere refer to the decoded text of the file exactly as on disk (no newline translation,
no normalisation), so `text[start:end]` can be checked against the file by anyone: for a .txt/.md file
`data.decode(encoding)` with the encoding recorded for the file gives that text; PDF, Word and HTML files
are read by rag/extract/.

Nothing outside the seeds folder is read: a symbolic link (to a file or a folder) that resolves outside it
is skipped with the reason, like a binary file, and so is anything that is not a regular file.
"""
from __future__ import annotations

import codecs
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from rag.errors import SeedsError
from rag.extract import SUFFIXES, extract

NOT_TEXT = "neither UTF-8, UTF-16 with a BOM, nor GBK/GB18030 text; convert it to UTF-8"


@dataclass(frozen=True)
class Document:
    source: str  # path relative to the seeds folder, with forward slashes
    text: str
    encoding: str  # .txt/.md: "utf-8", "utf-16", "gbk" or "gb18030" (data.decode(encoding) == text); else "pdf"...
    sha256: str
    pages: tuple[int, ...] | None = None  # PDF: offset in `text` where each page starts


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str
    sha256: str  # of the bytes; for a file that is not read (a link leading outside), of what it is instead


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def quote_name(name: str) -> str:
    """A file name or path for a one-line message: as it is when plain, else quoted like a Python string,
    so that a newline or a control character in a name cannot break the line."""
    return name if name and name.isprintable() and name == name.strip() else repr(name)


def _is_cjk(ch: str) -> bool:
    return ("\u3400" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
            or "\U00020000" <= ch <= "\U0003134f")


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding) or raise ValueError saying why the bytes are not text.

    UTF-16 when the file starts with its byte order mark (the BOM is not part of the text, as for any
    reader that decodes "utf-16"); UTF-8 (a UTF-8 BOM stays in the text); then GBK, else GB18030 (its
    superset: €, emoji, rare CJK), the usual legacy encodings of Chinese files, accepted only when most
    non-ASCII characters they yield are CJK, so that random bytes are not mistaken for Chinese. The
    encoding returned is the one actually needed, so that `data.decode(encoding)` gives the text back.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ValueError(f"starts with a UTF-16 byte order mark but is not UTF-16 text; {NOT_TEXT}") from None
    if b"\x00" in data[:8192]:
        raise ValueError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for encoding in ("gbk", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError(NOT_TEXT)
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if non_ascii and sum(map(_is_cjk, non_ascii)) / len(non_ascii) < 0.9:
        raise ValueError(NOT_TEXT)
    return text, encoding


def scan_seeds(seeds_dir: Path) -> tuple[list[tuple[str, Path]], list[Skipped]]:
    """The documents (SUFFIXES: .txt, .md, .pdf, .docx, .html) to read under `seeds_dir` as (source, path), sorted, and those refused unread.

    Hidden files and folders are ignored. Linked folders are never entered: one that leads outside is
    refused, one that leads inside holds files that are read where they are. A linked file is read only
    when it resolves inside the folder.
    """
    root = seeds_dir.resolve()
    files: list[tuple[str, Path]] = []
    refused: list[Skipped] = []

    def refuse(source: str, reason: str, what: str) -> None:
        refused.append(Skipped(source, reason, sha256_bytes(what.encode("utf-8", "surrogateescape"))))

    def outside(path: Path) -> bool:
        try:
            return not path.resolve().is_relative_to(root)
        except (OSError, RuntimeError):  # a loop of links leads nowhere inside
            return True

    for folder, dirs, names in os.walk(seeds_dir):  # followlinks=False: a linked folder is listed, not entered
        here = Path(folder)
        for name in [d for d in dirs if not d.startswith(".") and (here / d).is_symlink()]:
            path = here / name
            where = "outside the seeds folder; not followed" if outside(path) else \
                "inside the seeds folder; its files are read where they are"
            refuse(_source(path.relative_to(seeds_dir).as_posix()), f"symbolic link to a folder {where}", os.readlink(path))
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (here / d).is_symlink())
        for name in sorted(names):
            path = here / name
            if name.startswith(".") or path.suffix.lower() not in SUFFIXES:
                continue
            name = path.relative_to(seeds_dir).as_posix()
            source = _source(name)
            if source != name:
                refuse(source, "file name is not valid UTF-8; rename it", source)
            elif path.is_symlink() and outside(path):
                refuse(source, "symbolic link to a file outside the seeds folder; not followed", os.readlink(path))
            elif not path.is_file():
                refuse(source, "not a regular file" if path.exists() else "broken symbolic link", source)
            else:
                files.append((source, path))
    return sorted(files, key=lambda f: f[1]), sorted(refused, key=lambda s: s.source)


def _source(name: str) -> str:
    """`name` as it can be written into the manifest: the bytes of a name that is not UTF-8 as \\xNN."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


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


KINDS = " ".join(SUFFIXES)  # for messages: ".txt .md .pdf .docx .html .htm"


def read_documents(seeds_dir: str | Path) -> tuple[list[Document], list[Skipped]]:
    """All readable documents under `seeds_dir`, and the files skipped with the reason."""
    seeds = Path(seeds_dir)
    if not seeds.is_dir():
        raise SeedsError(f"seeds folder {str(seeds)!r} does not exist; create it and put documents in it ({KINDS})")
    files, skipped = scan_seeds(seeds)
    documents = []
    for source, path in files:
        read = read_document(path, source)
        (documents if isinstance(read, Document) else skipped).append(read)
    skipped.sort(key=lambda s: s.source)
    if not documents:
        why = "; ".join(f"{quote_name(s.source)}: {s.reason}" for s in skipped) or f"no {KINDS} files"
        raise SeedsError(f"nothing to index in {str(seeds)!r} ({why}); add documents ({KINDS})")
    return documents, skipped
