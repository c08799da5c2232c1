"""Question answering over Chinese documents, with answers made only of quoted, cited sentences.

    import rag
    engine = rag.load()                 # the index in ./index
    answer = engine.ask("问题")          # Answer: .text, .answerable, .citations
    engine.search("query", k=5)         # [Passage]
    rag.build("seeds", "index")
"""
from rag.engine import ArgumentError, Engine, load
from rag.errors import IndexLoadError, IndexStaleError, ModelError, QuestionError, RagError, SeedsError
from rag.index.build import BuildReport, build
from rag.types import Answer, Citation, IndexInfo, Passage, Timings, Turn

__version__ = "0.1.0"
__all__ = ["Answer", "ArgumentError", "BuildReport", "Citation", "Engine", "IndexInfo", "IndexLoadError",
           "IndexStaleError", "ModelError", "Passage", "QuestionError", "RagError", "SeedsError", "Timings", "Turn",
           "build", "load"]
