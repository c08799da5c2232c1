"""jieba reading its word table from an SQLite file on demand, instead of loading it whole.

Before cutting its first word, jieba loads about 500,000 word and prefix frequencies (0.6 s here), which
is most of the time a one-question `rag ask` would spend. A question only ever looks up its own
substrings, so the table is copied once into SQLite (`~/.cache/rag-chat/`) and read a few dozen rows per
question. jieba's cutting reads nothing but this table and its total, so the cuts are the same as with the
table in memory: tests/test_tokens.py checks it on the whole article.
"""
from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
from pathlib import Path

import jieba

_MISSING = object()


def table_path() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "rag-chat" / f"jieba-{jieba.__version__}-dict.sqlite"


def write_sqlite(path: Path, fill) -> None:
    """Write an SQLite file at `path` through a temporary sibling renamed into place, so that a reader never
    sees half of it. `fill(db)` creates and fills the tables."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with sqlite3.connect(tmp) as db:
            fill(db)
        db.close()
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_table(path: Path) -> None:
    """Copy jieba's in-memory table (loading it if needed) into `path`, atomically."""
    jieba.dt.check_initialized()

    def fill(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE freq (word TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID")
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER)")
        db.executemany("INSERT INTO freq VALUES (?, ?)", jieba.dt.FREQ.items())
        db.execute("INSERT INTO meta VALUES ('total', ?)", (jieba.dt.total,))

    write_sqlite(path, fill)


class _Frequencies:
    """The read-only mapping jieba uses as FREQ (`in`, `[]`, `.get`), one SQLite row at a time, remembered."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db
        self._lock = threading.Lock()  # one connection shared by the chat server's threads
        self._seen: dict[str, object] = {}

    def _lookup(self, word: str):
        value = self._seen.get(word, None)
        if value is None:
            with self._lock:
                row = self._db.execute("SELECT n FROM freq WHERE word = ?", (word,)).fetchone()
            value = self._seen[word] = _MISSING if row is None else row[0]
        return value

    def __contains__(self, word: str) -> bool:
        return self._lookup(word) is not _MISSING

    def __getitem__(self, word: str) -> int:
        value = self._lookup(word)
        if value is _MISSING:
            raise KeyError(word)
        return value

    def get(self, word: str, default=None):
        value = self._lookup(word)
        return default if value is _MISSING else value


def ensure_table(path: Path | None = None) -> Path:
    """The on-disk table, written first if it is not there yet."""
    path = path or table_path()
    if not path.is_file():
        write_table(path)
    return path


def disk_tokenizer(path: Path | None = None) -> jieba.Tokenizer:
    """A jieba tokenizer over the on-disk table, writing the table first if it is not there yet."""
    path = ensure_table(path)
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ = _Frequencies(db)
    tokenizer.total = db.execute("SELECT value FROM meta WHERE key = 'total'").fetchone()[0]
    tokenizer.initialized = True
    return tokenizer
