"""Adding and removing documents: what `rag add`, `rag remove` and the chat's Documents tab (ui/documents.py) do.

Both change the seeds folder the index was built from (recorded in its manifest) and then bring the index up
to date with it as it was built (embedder, chunking), file by file (rag.index.build): only the added files are
read and embedded, and the new index is swapped in whole, so a failed update leaves the old one.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from rag.errors import IndexLoadError, SeedsError
from rag.extract import SUFFIXES

if TYPE_CHECKING:
    from rag.embedding import Embedder
    from rag.index.store import BuildSettings


def _settings(index: Path, fallback_seeds: Path) -> BuildSettings:
    """How the index was built (seeds folder, embedder, chunking: `rag.index.store.build_settings`), or the
    defaults over `fallback_seeds` when there is no index yet to say."""
    from rag.chunking import ChunkingConfig
    from rag.embedding import DEFAULT_MODEL
    from rag.index.store import BuildSettings, build_settings

    try:
        return build_settings(index)
    except IndexLoadError:
        return BuildSettings(fallback_seeds, DEFAULT_MODEL, ChunkingConfig())


def _update(index: Path, settings: BuildSettings, progress: Callable[[str], None], embedder: Embedder | None = None):
    """Bring the index up to date with its seeds folder, as it was built; returns the BuildReport. `embedder`: one
    already loaded (the chat server's), used when it is the index's model."""
    import rag

    if embedder is not None and embedder.name != settings.model:
        embedder = None
    return rag.build(settings.seeds, index, model=settings.model, chunking=settings.chunking, progress=progress,
                     embedder=embedder,
                     spawn_embedder=True)  # without a loaded embedder, one loads in another process meanwhile


def add_documents(index: Path, files: list[Path], fallback_seeds: Path,
                  progress: Callable[[str], None] = lambda message: None, embedder: Embedder | None = None):
    """Copy `files` into the seeds folder (a file of the same name is replaced) and update the index, embedding
    with `embedder` if it is loaded already and the index's model."""
    settings = _settings(index, fallback_seeds)
    seeds = settings.seeds
    for f in files:
        if not f.is_file():
            raise SeedsError(f"{str(f)!r} is not a file; give the path of a document to add")
        if f.suffix.lower() not in SUFFIXES:
            raise SeedsError(f"{str(f)!r} is not a kind of document rag reads; use {', '.join(SUFFIXES)}")
    seeds.mkdir(parents=True, exist_ok=True)
    for f in files:
        target = seeds / f.name
        if f.resolve() != target.resolve():
            shutil.copyfile(f, target)  # a file of the same name is replaced: the index then updates it
    return _update(index, settings, progress, embedder)


def remove_documents(index: Path, names: list[str], fallback_seeds: Path,
                     progress: Callable[[str], None] = lambda message: None):
    """Delete the documents named (as in the index) from the seeds folder and update the index."""
    from rag.sources import scan_seeds

    settings = _settings(index, fallback_seeds)
    seeds = settings.seeds
    present = dict(scan_seeds(seeds)[0]) if seeds.is_dir() else {}
    unknown = [name for name in names if name not in present]
    if unknown:
        raise SeedsError(f"no document {unknown[0]!r} in {str(seeds)!r}; known: {', '.join(sorted(present)) or 'none'}")
    if not set(present) - set(names):
        raise SeedsError("that would remove every document; an index needs at least one, so add another first")
    for name in dict.fromkeys(names):
        present[name].unlink()
    return _update(index, settings, progress)
