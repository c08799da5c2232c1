"""The values the engine returns. Frozen, so a result never changes shape after it is made."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk: `source_text[start:end] == text`."""

    source: str
    text: str
    start: int
    end: int
    score: float
    page: int | None = None  # 1-based page of `start` in a PDF; None for other formats


@dataclass(frozen=True)
class Citation:
    """A quoted sentence: `source_text[start:end] == quote`; `n` is its [n] marker in the answer. `score` is the
    ranker's share for this sentence among the candidates (0..1). Where the question asks for a date, number,
    person, place or name and the quote holds one, `source_text[answer_start:answer_end]` is that part."""

    n: int
    source: str
    quote: str
    start: int
    end: int
    score: float
    answer_start: int | None = None
    answer_end: int | None = None
    page: int | None = None  # 1-based page of `start` in a PDF; None for other formats


@dataclass(frozen=True)
class Timings:
    """Milliseconds spent in each stage of one `ask`."""

    normalize_ms: float
    lexical_ms: float
    dense_ms: float
    select_ms: float
    total_ms: float


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    answerable: bool
    # The probability (0..1) that the documents answer the question, from a calibrated model; below the
    # model's threshold the answer is a refusal.
    confidence: float
    citations: tuple[Citation, ...]
    # The closest passages. For a refusal they are only context, never an answer.
    passages: tuple[Passage, ...]
    timings: Timings
    # The standalone question actually answered when `question` was a follow-up ("那 OpenAI 呢？"); else None.
    rewritten: str | None = None

    def to_json(self) -> dict:
        """The JSON shape used by `rag ask --json` and the chat's /ask endpoint."""
        return {
            "question": self.question,
            "text": self.text,
            "answerable": self.answerable,
            "confidence": self.confidence,
            "citations": [asdict(c) for c in self.citations],
            "passages": [asdict(p) for p in self.passages],
            "timings": asdict(self.timings),
            "rewritten": self.rewritten,
        }


@dataclass(frozen=True)
class Turn:
    """An earlier turn of a conversation, for `engine.ask(question, history=...)`."""

    question: str
    answer: str | None = None


@dataclass(frozen=True)
class IndexInfo:
    """What an index holds, for headers and `rag info`."""

    documents: tuple[str, ...]
    sentences: int
    chunks: int
    embedder: str
    dimension: int
    built_at: str
