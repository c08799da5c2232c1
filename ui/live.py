"""The engine a running server answers with, replaced when the index on disk is rebuilt.

A watcher thread reads `manifest.json` every POLL_S seconds; when its bytes change (a `rag build` renames a
complete new index into place, manifest last), it loads the new index (reusing the loaded embedder) and
swaps it in with one assignment. A request takes `current()` once, so an answer in flight finishes on the
engine it started with. A new index that fails to load leaves the old engine serving, and the failure is
kept in `error`. Each index is named by a build id (the first 12 hex digits of its manifest's sha256) and
its build time, which every answer carries, and what it holds per document (for the Documents tab).
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import rag
from rag.embedding import load_embedder
from rag.index.store import MANIFEST, StoredIndex, read_index, seeds_dir_of

POLL_S = 0.5


@dataclass(frozen=True)
class IndexedDocument:
    """One source file as the index holds it; `skipped` is the reason when it could not be read."""

    source: str
    characters: int = 0
    pages: int | None = None  # PDF only
    sentences: int = 0
    skipped: str | None = None


@dataclass(frozen=True)
class Build:
    id: str
    built_at: str
    seeds: Path | None = None  # the folder it was built from
    documents: tuple[IndexedDocument, ...] = field(default=(), compare=False)

    def to_json(self) -> dict:
        return {"build_id": self.id, "built_at": self.built_at}


class NoIndexError(rag.RagError):
    """The server has no index to answer from yet."""


class LiveEngine:
    def __init__(self, index_dir: str | Path, poll_s: float = POLL_S):
        self.index_dir = Path(index_dir)
        self.started = time.time()
        self.error: str | None = None
        self._current: tuple[rag.Engine, Build] | None = None
        self._seen: bytes | None = None  # the manifest last tried, loaded or not
        self._embedders: dict[str, object] = {}
        self._poll_s = poll_s
        self._loading = threading.Lock()  # the watcher and an update that just finished may both look
        self.refresh()
        threading.Thread(target=self._watch, name="index-watcher", daemon=True).start()

    def current(self) -> tuple[rag.Engine, Build]:
        """The engine and its build, as one pair; NoIndexError when no index has loaded yet."""
        current = self._current
        if current is None:
            raise NoIndexError(self.error or f"no index in {self.index_dir}; run `rag build`")
        return current

    def embedder(self):
        """The embedder the current index is answered with, or None before one loads: an update embeds with it
        rather than loading the model again (about a second and 120 MB)."""
        current = self._current
        return None if current is None else self._embedders.get(current[0].info.embedder)

    def refresh(self) -> None:
        """Load the index if its manifest changed since the last look."""
        with self._loading:
            self._refresh()

    def _refresh(self) -> None:
        try:
            manifest = (self.index_dir / MANIFEST).read_bytes()
        except OSError:
            manifest = None
        if manifest == self._seen:
            return
        self._seen = manifest
        if manifest is None:
            self.error = f"no index in {self.index_dir}; run `rag build`"
            return
        try:
            stored = read_index(self.index_dir)
            name = stored.manifest["embedder"]["name"]
            if name not in self._embedders:
                self._embedders[name] = load_embedder(name)
            engine = rag.Engine(stored, self._embedders[name])
        except rag.RagError as e:
            self.error = str(e)
            return
        build = Build(hashlib.sha256(manifest).hexdigest()[:12], stored.manifest["built_at"],
                      seeds_dir_of(self.index_dir, stored.manifest), _documents(stored))
        self._current, self.error = (engine, build), None

    def _watch(self) -> None:
        while True:
            time.sleep(self._poll_s)
            try:
                self.refresh()
            except Exception as e:  # the watcher must outlive any one bad index
                self.error = f"reading {self.index_dir} failed: {type(e).__name__}: {e}"


def _documents(stored: StoredIndex) -> tuple[IndexedDocument, ...]:
    sentences = Counter(s.source for s in stored.sentences)
    out = []
    for row in stored.manifest["sources"]:
        source = row["source"]
        if "skipped" in row:
            out.append(IndexedDocument(source, skipped=row["skipped"]))
            continue
        pages = stored.pages.get(source)
        out.append(IndexedDocument(source, len(stored.documents[source]), None if pages is None else len(pages),
                                   sentences[source]))
    return tuple(out)
