"""Question answering over Chinese documents, with answers made only of quoted, cited sentences.

    import rag
    engine = rag.load()                 # the index in ./index
    answer = engine.ask("问题")          # Answer: .text, .answerable, .citations
    engine.search("query", k=5)         # [Passage]
    rag.build("seeds", "index")
"""
from rag.errors import IndexLoadError, IndexStaleError, ModelError, QuestionError, RagError, SeedsError
from rag.types import Answer, Citation, IndexInfo, Passage, Timings, Turn

# The engine and the build are imported when first used, so that a process that only embeds (the helper
# process of `rag add`) does not import jieba, FAISS and the answering code first.
_LAZY = {"ArgumentError": "rag.engine", "Engine": "rag.engine", "load": "rag.engine",
         "BuildReport": "rag.index.build", "build": "rag.index.build"}


def __getattr__(name: str):
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in ("engine", "index"):  # submodules that importing rag used to import
        return importlib.import_module(f"rag.{name}")
    raise AttributeError(f"module 'rag' has no attribute {name!r}")


__version__ = "0.1.0"
__all__ = ["Answer", "ArgumentError", "BuildReport", "Citation", "Engine", "IndexInfo", "IndexLoadError",
           "IndexStaleError", "ModelError", "Passage", "QuestionError", "RagError", "SeedsError", "Timings", "Turn",
           "build", "load"]
