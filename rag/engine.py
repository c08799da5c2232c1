"""The query engine: a loaded index plus its embedder. `search` ranks chunks, `ask` answers with quotes."""
from __future__ import annotations

import bisect
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from rag.answering.compose import answer_text, refusal_text
from rag.answering.followup import standalone_question
from rag.answering.questions import Question, check_question, read_question
from rag.answering.select import (ANAPHORA, MIN_COVERAGE, MIN_DENSE_ALONE, SECOND_QUOTE_RATIO,
                                  SentenceFeatures, refine_scores, score_sentences)
from rag.chunking import Sentence
from rag.embedding import Embedder, load_embedder
from rag.errors import IndexLoadError, RagError
from rag.index.store import StoredIndex, read_index
from rag.retrieval.bm25 import BM25
from rag.retrieval.fusion import ranks, reciprocal_rank_fusion
from rag.retrieval.query import Query, coverage, make_query
from rag.tokens import squash, to_simplified, tokenize
from rag.types import Answer, Citation, IndexInfo, Passage, Timings, Turn

CHUNKS_TO_READ = 5  # sentences to quote are looked for in this many of the best chunks
PASSAGES_SHOWN = 3
DENSE_CANDIDATES = 100
ANSWER_CANDIDATES = 3  # the best sentences tried, in order, until one answers
REFINED_SENTENCES = 50  # the kind bonus is checked clause by clause for this many of the best sentences
CHUNK_FUSION_WEIGHT = 0.1


@dataclass(frozen=True)
class _Ranking:
    query: Query
    sentence_scores: np.ndarray
    cosine: np.ndarray
    chunk_scores: np.ndarray
    chunk_order: list[int]
    normalize_ms: float
    lexical_ms: float
    dense_ms: float
    fuse_ms: float


class ArgumentError(RagError, ValueError):
    """A bad argument to search, such as k out of range."""


class Engine:
    def __init__(self, stored: StoredIndex, embedder: Embedder):
        built_with = stored.manifest["embedder"]
        if (embedder.name, embedder.dimension) != (built_with["name"], built_with["dimension"]):
            raise IndexLoadError(f"the index was built with embedder {built_with['name']!r} ({built_with['dimension']} "
                                 f"dimensions), not {embedder.name!r} ({embedder.dimension}); "
                                 f"run `rag build --model {embedder.name}` to rebuild it for this one")
        self._stored = stored
        self._embedder = embedder
        self._sentences = stored.sentences
        self._chunks = stored.chunks
        # Sentences are short: a term said twice in one is barely more relevant, so term frequency saturates fast.
        self._sentence_bm25 = BM25(stored.sentence_tokens, k1=0.5)
        self._chunk_bm25 = BM25([[t for i in c.sentence_ids for t in stored.sentence_tokens[i]] for c in stored.chunks])
        self._squashed = [squash(s.text) for s in stored.sentences]
        self._features = SentenceFeatures(stored.sentences)
        self._section_heading = _section_headings(stored.sentences)
        # Each chunk's sentence ids as a row, padded by repeating its last one, so that the best sentence score
        # of every chunk is one numpy max over the rows.
        width = max(len(c.sentence_ids) for c in stored.chunks)
        self._chunk_sentences = np.array([c.sentence_ids + c.sentence_ids[-1:] * (width - len(c.sentence_ids))
                                          for c in stored.chunks])

    @classmethod
    def load(cls, index_dir: str | Path = "index", check_seeds: bool = True) -> "Engine":
        stored = read_index(index_dir, check_seeds=check_seeds)
        return cls(stored, load_embedder(stored.manifest["embedder"]["name"]))

    @property
    def info(self) -> IndexInfo:
        m = self._stored.manifest
        return IndexInfo(tuple(self._stored.documents), len(self._sentences), len(self._chunks),
                         m["embedder"]["name"], m["embedder"]["dimension"], m["built_at"])

    def document_text(self, source: str) -> str:
        try:
            return self._stored.documents[source]
        except KeyError:
            raise ArgumentError(f"no document {source!r} in the index; known: {', '.join(self._stored.documents)}") from None

    def page_of(self, source: str, offset: int) -> int | None:
        """The 1-based page of a PDF holding character `offset` of its text; None for other formats."""
        starts = self._stored.pages.get(source)
        return None if starts is None else max(1, bisect.bisect_right(starts, offset))

    def search(self, query: str, k: int = 5) -> list[Passage]:
        """The k best chunks for `query`, best first."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ArgumentError(f"k must be a whole number of at least 1, got {k!r}")
        if k > len(self._chunks):
            raise ArgumentError(f"k of {k} is larger than the {len(self._chunks)} chunks in the index; pass a smaller k")
        ranking = self._rank(self._read(query))
        return [self._passage(int(i), float(ranking.chunk_scores[i])) for i in ranking.chunk_order[:k]]

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """`history`: earlier turns, oldest first; a follow-up ("那 OpenAI 呢？") is answered as the standalone
        question it stands for (rag/answering/followup.py), which the answer carries as `rewritten`."""
        rewritten = standalone_question(question, history) if history else None
        if rewritten is not None:
            return replace(self.ask(rewritten), question=check_question(question), rewritten=rewritten)
        t0 = time.perf_counter()
        q = self._read(question)
        ranking = self._rank(q)
        t1 = time.perf_counter()
        best_chunks = ranking.chunk_order[:CHUNKS_TO_READ]
        candidates = dict.fromkeys(i for c in best_chunks for i in self._chunks[c].sentence_ids)
        scores = ranking.sentence_scores
        ranked = sorted((i for i in candidates if np.isfinite(scores[i])), key=lambda i: -scores[i])
        passages = tuple(self._passage(c, float(ranking.chunk_scores[c])) for c in best_chunks[:PASSAGES_SHOWN])
        quotes = self._quotes(ranked, scores, ranking.cosine, ranking.query)
        if quotes:
            citations = [Citation(n, self._sentences[i].source, self._sentences[i].text, self._sentences[i].start,
                                  self._sentences[i].end, round(score, 4),
                                  self.page_of(self._sentences[i].source, self._sentences[i].start))
                         for n, (i, score) in enumerate(quotes, 1)]
            text, answerable = answer_text(citations, q.language), True
        else:
            citations, text, answerable = [], refusal_text(q.language), False
        t2 = time.perf_counter()
        timings = Timings(round(ranking.normalize_ms, 3), round(ranking.lexical_ms, 3), round(ranking.dense_ms, 3),
                          round((t2 - t1) * 1000 + ranking.fuse_ms, 3), round((t2 - t0) * 1000, 3))
        return Answer(q.text, text, answerable, tuple(citations), passages, timings)

    def _rank(self, q: Question) -> _Ranking:
        """Scores of every sentence and every chunk for one question; shared by `search` and `ask`."""
        t0 = time.perf_counter()
        query = self._query(q)
        t1 = time.perf_counter()
        lexical = self._sentence_bm25.scores(list(query.terms))
        chunk_lexical = self._chunk_bm25.scores(list(query.terms))
        t2 = time.perf_counter()
        vector = self._embedder.embed_query(to_simplified(q.search_text))
        cosine = self._stored.sentence_vectors @ vector
        n = len(self._chunks)
        chunk_dense = np.full(n, -np.inf, dtype=np.float32)
        sims, ids = self._stored.chunk_vectors.search(vector[None, :].astype(np.float32), min(n, DENSE_CANDIDATES))
        chunk_dense[ids[0]] = sims[0]
        t3 = time.perf_counter()
        scores = score_sentences(self._features, lexical, cosine, q)
        top = [int(i) for i in np.argsort(-scores, kind="stable")[:REFINED_SENTENCES]]
        scores = refine_scores(scores, top, self._squashed, query.concepts, q, self._features)
        # Chunks rank by the best sentence they hold; BM25 and embedding over whole chunks break ties.
        best_sentence = scores[self._chunk_sentences].max(axis=1)
        fused = reciprocal_rank_fusion(ranks(chunk_lexical, chunk_lexical > 0), ranks(chunk_dense, np.isfinite(chunk_dense)))
        chunk_scores = np.where(np.isfinite(best_sentence), best_sentence, -1.0) + CHUNK_FUSION_WEIGHT * fused / fused.max()
        t4 = time.perf_counter()
        return _Ranking(query, scores, cosine, chunk_scores, [int(i) for i in np.argsort(-chunk_scores, kind="stable")],
                        (t1 - t0) * 1000, (t2 - t1) * 1000, (t3 - t2) * 1000, (t4 - t3) * 1000)

    @staticmethod
    def _read(question: object) -> Question:
        text = check_question(question)  # before any conversion: a 10 MB question is refused at once
        return read_question(text, to_simplified(text))

    def _query(self, question: Question) -> Query:
        bm25 = self._sentence_bm25
        return make_query(tokenize(question.search_text), bm25.idf, lambda t: bm25.document_frequency(t) > 0,
                          self._stored.glossary, question.about_document, tokenize)

    def _quotes(self, ranked: list[int], scores: np.ndarray, cosine: np.ndarray, query: Query) -> list[tuple[int, float]]:
        """(sentence id, score) of the sentences to quote: the first of the best candidates that answers, with
        its context, then the runner-up if close; empty when none of the candidates answers."""
        for rank, best in enumerate(ranked[:ANSWER_CANDIDATES]):
            chosen = self._with_context(best)
            if self._answers(chosen, cosine, query):
                break
        else:
            return []
        runner_up = next((i for i in ranked[rank + 1:] if i not in chosen and not self._sentences[i].heading), None)
        if runner_up is not None and scores[runner_up] >= SECOND_QUOTE_RATIO * scores[best] and \
                self._answers([runner_up], cosine, query):
            chosen.append(runner_up)
        return [(i, float(scores[i])) for i in chosen]

    def _previous(self, i: int) -> int | None:
        """The sentence before `i` in the same document."""
        return i - 1 if i > 0 and self._sentences[i - 1].source == self._sentences[i].source else None

    def _next(self, i: int) -> int | None:
        """The sentence after `i` in the same document."""
        j = i + 1
        return j if j < len(self._sentences) and self._sentences[j].source == self._sentences[i].source else None

    def _with_context(self, i: int) -> list[int]:
        """A sentence with what it needs to be read: a heading with the first sentence under it, a sentence
        leaning on the one before ("彼时…") with that one."""
        if self._sentences[i].heading:
            following = self._next(i)
            return [i, following] if following is not None and not self._sentences[following].heading else [i]
        previous = self._previous(i)
        return [previous, i] if previous is not None and ANAPHORA.match(self._sentences[i].text) else [i]

    def _answers(self, group: list[int], cosine: np.ndarray, query: Query) -> bool:
        """The refusal rule (see rag/answering/select.py): names present, enough of the topic words found."""
        heading = self._section_heading[group[0]]
        text = "".join(self._squashed[i] for i in group) + ("" if heading is None else self._squashed[heading])
        previous = self._previous(group[0])
        context = text if previous is None else self._squashed[previous] + text
        if any(name not in context for name in query.names):
            return False
        return coverage(query.concepts, text) >= MIN_COVERAGE or cosine[group[-1]] >= MIN_DENSE_ALONE

    def _passage(self, chunk_id: int, score: float) -> Passage:
        c = self._chunks[chunk_id]
        return Passage(c.source, c.text, c.start, c.end, round(score, 6), self.page_of(c.source, c.start))


def _section_headings(sentences: list[Sentence]) -> list[int | None]:
    """For each sentence, the heading of its section (the last heading before it in its document)."""
    out: list[int | None] = []
    current = None
    for i, s in enumerate(sentences):
        if i == 0 or sentences[i - 1].source != s.source:
            current = None
        out.append(current)
        if s.heading:
            current = i
    return out


def load(index_dir: str | Path = "index", check_seeds: bool = True) -> Engine:
    """The engine for the index in `index_dir`; IndexLoadError (saying to run `rag build`) if it is missing,
    damaged, built with another embedder, or older than the seeds."""
    return Engine.load(index_dir, check_seeds=check_seeds)
