"""Documents in, text out: one module per format and `extract`, which picks by file suffix.

The text an extractor returns is what the index stores and citations point into (`text[start:end] == quote`).
Headings come out as Markdown `#` lines (the sentence splitter treats those as headings) and table rows as
single lines, whatever the format. Every failure is an ExtractError whose message is the reason the file
is skipped; a build goes on with the other files.
"""
from __future__ import annotations

import os

from rag.extract.result import ExtractError, Extracted

SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")
DEFAULT_MAX_MB = 50


def max_file_bytes() -> int:
    """The size limit of one document: RAG_MAX_FILE_MB megabytes (default 50)."""
    value = os.environ.get("RAG_MAX_FILE_MB", str(DEFAULT_MAX_MB))
    try:
        return int(float(value) * 1024 * 1024)
    except ValueError:
        raise ExtractError(f"RAG_MAX_FILE_MB={value!r} is not a number; set it to a size in MB such as 50") from None


def extract(suffix: str, data: bytes) -> Extracted:
    """The text of a file's bytes, read as the format its suffix (".pdf", ".docx"...) names."""
    limit = max_file_bytes()
    if len(data) > limit:
        raise ExtractError(f"file is {len(data) / 2**20:.3g} MB, over the {limit / 2**20:.3g} MB limit; "
                           "split it or raise RAG_MAX_FILE_MB")
    suffix = suffix.lower()
    if suffix == ".pdf":
        from rag.extract.pdf import extract_pdf
        return extract_pdf(data)
    if suffix == ".docx":
        from rag.extract.docx import extract_docx
        return extract_docx(data)
    if suffix in (".html", ".htm"):
        from rag.extract.html import extract_html
        return extract_html(data)
    from rag.sources import decode  # imported here: rag.sources imports this package

    return Extracted(*decode(data))


__all__ = ["SUFFIXES", "ExtractError", "Extracted", "extract", "max_file_bytes"]
