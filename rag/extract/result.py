"""What every extractor returns, and the one error they raise."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Extracted:
    text: str  # what the index stores and citations point into
    encoding: str  # how the text was obtained: "utf-8", "gbk", "pdf", "docx", "html/utf-8"...
    pages: tuple[int, ...] | None = None  # PDF: offset in `text` where each page starts (page 1 first)


class ExtractError(ValueError):
    """The file cannot be read as a document; the message is the one-line reason it is skipped."""
