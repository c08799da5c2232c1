"""Errors whose message is one line that names the value and the fix. The CLI prints them without a traceback."""


class RagError(Exception):
    """Base class: anything the user can fix."""


class QuestionError(RagError, ValueError):
    """The question cannot be asked as it is (empty, too long, ...)."""


class SeedsError(RagError):
    """The source folder cannot be indexed."""


class ModelError(RagError):
    """The embedding model cannot be loaded."""


class IndexLoadError(RagError):
    """The index on disk is missing, damaged, or does not match the seeds or the embedder."""


class IndexStaleError(IndexLoadError):
    """The seeds changed since the index was built."""
