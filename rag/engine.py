"""The query engine: a loaded index plus its embedder. `search` ranks chunks, `ask` answers with quotes.

Answering, in order: candidate sentences (the best by BM25, by embedding, and those of the best chunks),
their features (rag/answering/features.py), a learned ranker over them, a learned probability that the
documents answer the question at all (`Answer.confidence`), and the quotes: the best sentence with what it
needs to be read, plus the runner-up when the ranker rates it nearly as high. The models are in
rag/answering/model.json, retrained by benchmarks/train.py.
"""
from __future__ import annotations

import bisect
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from rag.answering.compose import answer_text, refusal_text
from rag.answering.features import (CANDIDATE_FEATURES, QuestionView, candidate_features, question_features,
                                    question_view)
from rag.answering.followup import standalone_question
from rag.answering.model import AnswerModel, read_model
from rag.answering.questions import Question, check_question, read_question
from rag.answering.span import answer_span, table_cell_span
from rag.chunking.sentences import CLOSERS
from rag.embedding import Embedder, open_embedder
from rag.errors import IndexLoadError, RagError
from rag.index.store import StoredIndex, read_index
from rag.retrieval.dense import VectorSearch
from rag.retrieval.dictionary_names import capitalised_runs, unwritten_names
from rag.retrieval.fusion import fused_order
from rag.retrieval.numbers import NUMBER_START, number_value
from rag.retrieval.glossary import abbreviated
from rag.retrieval.query import Query, make_query, question_terms, with_abbreviations
from rag.tokens import LATIN_WORD, in_jieba_dictionary, squash, to_simplified, tokenize
from rag.types import Answer, Citation, IndexInfo, Passage, Timings, Turn

PASSAGES_SHOWN = 3
# A sentence opening with one of these leans on the one before ("彼时" = "at that time"): quote both.
ANAPHORA = re.compile(r"^(?:彼时|此时|当时|那时|这时|此后|随后|对此|为此|因此|这一|这个|这些|该|其|它|他们)")
LEXICAL_CANDIDATES = 30  # sentences taken by BM25 ...
DENSE_CANDIDATES = 30  # ... and by embedding, among the sentences of the DENSE_CHUNKS nearest chunks
DENSE_CHUNKS = 20
CHUNK_CANDIDATES = 5  # every sentence of this many of the best chunks (BM25 and embedding fused)
NEIGHBOURED = 10  # the sentences around this many of the best BM25 sentences: the answer often follows them
CHUNK_DENSE_DEPTH = 100
# A number in words whose range holds more of the index's number terms than this ("几千年": 564 at DRCD) is too
# vague to be found by value: only as written.
MAX_NUMBER_TERMS = 50
NOT_LETTER_OR_DIGIT = re.compile(r"[^a-z0-9]")
CHINESE_WORD = re.compile(r"[\u4e00-\u9fff]+")
GLUED = 2  # characters of a name's neighbours that jieba's cut may take in with it
LARGE_CHUNK_DEPTH = 1000  # in a large index, the chunks ranked by BM25 for fusion


@dataclass(frozen=True)
class Analysis:
    """One question read against the index: its candidates, their features and scores. Training uses the same."""

    question: Question
    query: Query
    view: QuestionView
    candidates: np.ndarray  # sentence ids
    features: np.ndarray  # (candidates, CANDIDATE_FEATURES)
    raw_bm25: np.ndarray  # the candidates' BM25 scores
    findable: float  # share of the question's topic weight found anywhere in the documents
    chunk_order: np.ndarray  # chunks by fused BM25 and embedding rank, best first
    normalize_ms: float
    lexical_ms: float
    dense_ms: float


class ArgumentError(RagError, ValueError):
    """A bad argument to search, such as k out of range."""


class Engine:
    def __init__(self, stored: StoredIndex, embedder: Embedder, model: AnswerModel | None = None):
        built_with = stored.manifest["embedder"]
        if (embedder.name, embedder.dimension) != (built_with["name"], built_with["dimension"]):
            raise IndexLoadError(f"the index was built with embedder {built_with['name']!r} ({built_with['dimension']} "
                                 f"dimensions), not {embedder.name!r} ({embedder.dimension}); "
                                 f"run `rag build --model {embedder.name}` to rebuild it for this one")
        self._stored = stored
        self._embedder = embedder
        self._given_model = model
        self._sentences = stored.sentences
        self._chunks = stored.chunks
        # Made at build time (rag/index/store.py): loading reads them instead of computing them.
        self._sentence_bm25 = stored.sentence_bm25
        self._chunk_bm25 = stored.chunk_bm25
        self._document_bm25 = stored.document_bm25
        self._corpus = stored.corpus
        # A large index (searched approximately) also skips two passes over every sentence or chunk per question.
        self._large = stored.chunk_ann is not None
        # never searched (a question scores the sentences of its nearest chunks): rows scored, through `pread` in a
        # large index
        self._sentence_rows = VectorSearch(stored.sentence_vectors, read_rows=self._large)
        self._chunk_search = (VectorSearch(index=stored.chunk_index) if stored.chunk_ann is None
                              else VectorSearch(stored.chunk_vectors, approximate=stored.chunk_ann))
        self._chunk_ranges = stored.chunk_ranges  # (chunks, 2): each chunk's first and last sentence
        self._quotable = stored.quotable
        # the first chunk holding each sentence: chunks are runs of sentences in order, so the first whose last
        # sentence is not before it (0 for a sentence in no chunk)
        held = np.arange(len(stored.sentences))
        chunk_of = np.searchsorted(stored.chunk_ranges[:, 1], held)
        inside = chunk_of < len(stored.chunk_ranges)
        inside[inside] = stored.chunk_ranges[chunk_of[inside], 0] <= held[inside]
        self._chunk_of = np.where(inside, chunk_of, 0)

    @cached_property
    def _numbers(self) -> dict[bool, tuple[list[float], list[str]]]:
        """The index's number terms ("3600万", "10", "百万"; percentages apart) by value, for a question's number
        in words. Made at the first such question: one pass over the vocabulary (23 ms at 1.4 M characters)."""
        valued = sorted((v, t) for t in self._sentence_bm25.terms() if t[0] in NUMBER_START
                        and (v := number_value(t)) is not None)
        return {percent: ([v for (p, v), _ in valued if p == percent], [t for (p, _), t in valued if p == percent])
                for percent in (False, True)}

    def _numbers_between(self, low: float, high: float, percent: bool) -> list[str]:
        values, terms = self._numbers[percent]
        # 十六点六七 adds up to 16.670000000000002
        first, last = bisect.bisect_left(values, low - 1e-9 * low), bisect.bisect_right(values, high + 1e-9 * high)
        return terms[first:last] if last - first <= MAX_NUMBER_TERMS else []

    def _latin_written(self, word: str) -> bool:
        return NOT_LETTER_OR_DIGIT.sub("", word) in self._latin_terms

    @cached_property
    def _latin_terms(self) -> str:
        """The index's terms in Latin script, letters and digits only, one a line, so that a word is found inside
        longer ones and whatever joins its parts ("gpt" in "gpt-5.4"; "gpt5.4", "chat-gpt"). Read from the
        vocabulary at the first question that names a word the index lacks (9 ms at 1.4 M characters, 19 ms at
        50 M)."""
        return "\n".join(NOT_LETTER_OR_DIGIT.sub("", t) for t in self._sentence_bm25.terms() if LATIN_WORD.search(t))

    def _glued(self, word: str) -> tuple[str, ...]:
        """For `word`, a name jieba does not know (three Chinese characters or more) that is no term of the index:
        the index's terms holding it with up to GLUED characters of its neighbours ("梁雨菲于", "由莫瓦桑于"), and
        `word` without the first or last character the question's cut took in ("冯丽君" for "冯丽君于"). jieba
        guesses an unknown name's ends from the characters around it, so a name the documents write once could be
        found nowhere. A name that is a term somewhere is left as it is: adding its glued forms moved the answer
        model's weights by 0.044 on retraining, for no better figure on CMRC or DRCD."""
        bm25 = self._sentence_bm25
        if len(word) < 3 or not CHINESE_WORD.fullmatch(word) or bm25.document_frequency(word) or in_jieba_dictionary(word):
            return ()
        terms, found = self._term_lines, []
        at = terms.find(word)
        while at >= 0:
            start, end = terms.rfind("\n", 0, at) + 1, terms.find("\n", at)
            if end - start <= len(word) + GLUED:
                found.append(terms[start:end])
            at = terms.find(word, end)
        found += [part for part in (word[:-1], word[1:]) if len(part) >= 3 and bm25.document_frequency(part)]
        return tuple(dict.fromkeys(found))

    @cached_property
    def _term_lines(self) -> str:
        """The index's terms, one a line, joined at the first question naming a word jieba does not know (6 ms at
        1.4 M characters): a word is found inside them by one scan of the string."""
        return "\n" + "\n".join(self._sentence_bm25.terms()) + "\n"

    @cached_property
    def _model(self) -> AnswerModel:
        """Read at the first answer, so that `analyse` (what training uses) works before any model exists."""
        return self._given_model or read_model()

    @classmethod
    def load(cls, index_dir: str | Path = "index", check_seeds: bool = True) -> "Engine":
        stored = read_index(index_dir, check_seeds=check_seeds)
        return cls(stored, open_embedder(stored.manifest["embedder"]["name"]))

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
        """The k best chunks for `query`, best first: chunks holding the best-ranked candidate sentences first."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ArgumentError(f"k must be a whole number of at least 1, got {k!r}")
        if k > len(self._chunks):
            raise ArgumentError(f"k of {k} is larger than the {len(self._chunks)} chunks in the index; pass a smaller k")
        analysis = self.analyse(self._read(query))
        logits = self._model.ranker.logits(analysis.features)
        return self._passages(analysis, logits, k)

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """`history`: earlier turns, oldest first; a follow-up ("那 OpenAI 呢？") is answered as the standalone
        question it stands for (rag/answering/followup.py), which the answer carries as `rewritten`."""
        rewritten = standalone_question(question, history) if history else None
        if rewritten is not None:
            return replace(self.ask(rewritten), question=check_question(question), rewritten=rewritten)
        t0 = time.perf_counter()
        analysis = self.analyse(self._read(question))
        t1 = time.perf_counter()
        q, candidates = analysis.question, analysis.candidates
        logits = self._model.ranker.logits(analysis.features)
        confidence = 0.0
        # A question with no content word ("a", "是什么？") asks about nothing the documents could answer, nor one
        # naming a model, version or year they never mention (`Query.unknown_names`); one about the document
        # itself ("这篇文章是哪天发布的？") asks about its header, whose words it need not share.
        if len(candidates) and (analysis.query.concepts or q.about_document) and not analysis.query.unknown_names:
            confidence = self._model.probability(question_features(
                analysis.view, analysis.query, analysis.features, logits, analysis.raw_bm25, analysis.findable))
        passages = tuple(self._passages(analysis, logits, PASSAGES_SHOWN))
        names_missing = analysis.features[:, CANDIDATE_FEATURES.index("names_missing")]
        # A document's title that holds none of the question's words is ranked for the line under it ("老城巷川味小馆
        # 常见问题" over "问：餐厅的营业时间是什么时候？"): a name, not an answer, unless the document itself is asked about.
        title_alone = (self._corpus.title[candidates] & (analysis.features[:, CANDIDATE_FEATURES.index("cover")] == 0)
                       & (not q.about_document))
        quotes = self._quotes(candidates, logits, names_missing, title_alone) if confidence >= self._model.threshold else []
        if quotes:
            citations = [self._citation(n, i, score, analysis) for n, (i, score) in enumerate(quotes, 1)]
            text, answerable = answer_text(citations, q.language), True
        else:
            citations, text, answerable = [], refusal_text(q.language), False
        t2 = time.perf_counter()
        timings = Timings(round(analysis.normalize_ms, 3), round(analysis.lexical_ms, 3), round(analysis.dense_ms, 3),
                          round((t2 - t1) * 1000, 3), round((t2 - t0) * 1000, 3))
        return Answer(q.text, text, answerable, round(confidence, 4), tuple(citations), passages, timings)

    def analyse(self, q: Question, exclude_source: str | None = None) -> Analysis:
        """Candidates and their features for one question. `exclude_source` leaves one document out, as if it
        were not indexed (training uses it to make questions the documents cannot answer)."""
        t0 = time.perf_counter()
        query = self._query(q)
        t1 = time.perf_counter()
        terms = list(query.terms)
        lexical = self._sentence_bm25.scores(terms)
        chunk_lexical = self._chunk_bm25.scores(terms)
        document_scores = self._document_bm25.scores(terms)
        t2 = time.perf_counter()
        vector = self._embedder.embed_query(to_simplified(q.search_text))
        chunk_sims, chunk_ids = self._chunk_search.search(vector, CHUNK_DENSE_DEPTH)
        allowed = self._quotable
        excluded = None if exclude_source is None else self._document_number(exclude_source)
        if excluded is not None:
            left_out = self._corpus.document == excluded
            allowed = allowed & ~left_out
            lexical = np.where(left_out, 0.0, lexical)
            document_scores = document_scores.copy()
            document_scores[excluded] = 0.0
            chunk_left_out = left_out[self._chunk_ranges[:, 0]]
            chunk_lexical = np.where(chunk_left_out, 0.0, chunk_lexical)
            kept = ~chunk_left_out[chunk_ids]
            chunk_sims, chunk_ids = chunk_sims[kept], chunk_ids[kept]
        by_dense = self._nearest_sentences(vector, chunk_ids, allowed)
        t3 = time.perf_counter()
        lexical_chunks = np.flatnonzero(chunk_lexical > 0)
        if self._large and len(lexical_chunks) > LARGE_CHUNK_DEPTH:
            # only the best by BM25 are fused: one ranked below this adds less than 1 / (60 + 1000) to its score
            lexical_chunks = lexical_chunks[_top(chunk_lexical[lexical_chunks], LARGE_CHUNK_DEPTH)]
        chunk_order = fused_order(len(self._chunks), (lexical_chunks, chunk_lexical[lexical_chunks]), (chunk_ids, chunk_sims))
        candidates = self._candidates(lexical, by_dense, chunk_order, allowed)
        cosine = self._sentence_rows.scores(vector, candidates)
        view = question_view(q, query, squash(q.search_text), len(self._sentences))
        concept_documents = self._concept_documents(query, excluded)
        features = candidate_features(self._corpus, view, query, candidates, lexical[candidates], cosine,
                                      document_scores, self._document_cover(query, concept_documents, candidates))
        total = sum(c.weight for c in query.concepts)
        findable = sum(c.weight for c, d in zip(query.concepts, concept_documents) if len(d)) / total if total else 0.0
        return Analysis(q, query, view, candidates, features, lexical[candidates].astype(np.float64), findable,
                        chunk_order, (t1 - t0) * 1000, (t2 - t1) * 1000, (t3 - t2) * 1000)

    def _nearest_sentences(self, vector: np.ndarray, nearest_chunks: np.ndarray, allowed: np.ndarray) -> np.ndarray:
        """The DENSE_CANDIDATES sentences nearest the question (ties: the lower id first) among those of the
        DENSE_CHUNKS nearest chunks. A chunk's vector is the normalised sum of its sentences', so a sentence near the
        question draws its chunk near too: searching the chunks (a quarter as many rows) and scoring only their
        sentences spares a search of every sentence (1.2 ms of 7 at 1.4 M characters), for the same answers (CMRC
        2018 trial and DRCD cross-validated within 0.002, the article's eval files the same)."""
        ranges = self._chunk_ranges[nearest_chunks[:DENSE_CHUNKS]]
        if not len(ranges):
            return np.zeros(0, np.int64)
        rows = np.unique(np.concatenate([np.arange(first, last + 1) for first, last in ranges.tolist()]))
        rows = rows[allowed[rows]]
        cosine = self._sentence_rows.scores(vector, rows)
        return rows[np.lexsort((rows, -cosine))][:DENSE_CANDIDATES]

    def _candidates(self, lexical: np.ndarray, by_dense: np.ndarray, chunk_order: np.ndarray, allowed: np.ndarray) -> np.ndarray:
        ids: dict[int, None] = {}
        if self._large:  # the best among the sentences with a score: not a partition of a million
            scored = np.flatnonzero(lexical > 0)
            scored = scored[allowed[scored]]
            by_lexical = scored[_top(lexical[scored], LEXICAL_CANDIDATES)]
        else:
            lexical = np.where(allowed, lexical, 0.0)
            by_lexical = _top(lexical, LEXICAL_CANDIDATES)
            by_lexical = by_lexical[lexical[by_lexical] > 0]
        ids.update(dict.fromkeys(int(i) for i in by_lexical))
        ids.update(dict.fromkeys(int(i) for i in by_dense))
        for c in chunk_order[:CHUNK_CANDIDATES]:
            ids.update(dict.fromkeys(self._chunks[int(c)].sentence_ids))
        first, last = self._corpus.first, self._corpus.last
        for i in by_lexical[:NEIGHBOURED]:
            ids.update(dict.fromkeys(j for j in (int(i) - 1, int(i) + 1) if first[i] <= j <= last[i]))
        out = np.array(sorted(ids), dtype=np.int64)
        return out[allowed[out]] if len(out) else out

    def _concept_documents(self, query: Query, excluded: int | None) -> list[np.ndarray]:
        """For each topic word of the question, the documents holding one of its terms (not `excluded`)."""
        out = []
        for concept in query.concepts:
            # the document table holds a term for a document where one of its sentences does
            postings = [p for p in map(self._document_bm25.postings, concept.alternatives) if p is not None]
            if len(postings) > 1:
                documents = np.unique(np.concatenate(postings)).astype(np.int64)
            else:  # one posting is increasing already
                documents = postings[0].astype(np.int64) if postings else np.zeros(0, np.int64)
            out.append(documents[documents != excluded] if excluded is not None else documents)
        return out

    def _document_cover(self, query: Query, concept_documents: list[np.ndarray], candidates: np.ndarray) -> np.ndarray:
        """Per candidate, the share of the question's topic weight found somewhere in its document."""
        documents = self._corpus.document[candidates]
        found = np.zeros(len(candidates))
        for concept, holding in zip(query.concepts, concept_documents):
            found += concept.weight * _in_sorted(documents, holding)
        total = sum(c.weight for c in query.concepts)
        return found / total if total else found

    def _document_number(self, source: str) -> int:
        return list(self._stored.documents).index(source)

    def _passages(self, analysis: Analysis, logits: np.ndarray, k: int) -> list[Passage]:
        """Chunks holding the best-ranked candidates first (by their best candidate), then the rest by fusion."""
        best: dict[int, float] = {}
        for i, score in sorted(zip(analysis.candidates.tolist(), logits.tolist()), key=lambda p: -p[1]):
            for c in self._chunks_holding(i):
                best.setdefault(c, score)
            if len(best) >= k:  # the candidates come best first: the chunks met later would come after these
                break
        ordered = sorted(best, key=lambda c: -best[c])
        seen = set(ordered)
        for c in analysis.chunk_order:  # only as far as k: the order holds every chunk of the index
            if len(ordered) >= k:
                break
            if int(c) not in seen:
                ordered.append(int(c))
        top = max(best.values()) if best else 0.0
        scores = {c: float(np.exp(best[c] - top)) if c in best else 0.0 for c in ordered[:k]}
        return [self._passage(c, scores[c]) for c in ordered[:k]]

    def _chunks_holding(self, i: int) -> list[int]:
        """The chunks holding sentence i, the one that also holds its neighbours first (an answer can run on)."""
        first = int(self._chunk_of[i])
        holding = [c for c in range(first, min(first + 3, len(self._chunks))) if i in self._chunks[c].sentence_ids]
        return sorted(holding, key=lambda c: -sum(j in self._chunks[c].sentence_ids for j in (i - 1, i + 1)))

    @staticmethod
    def _read(question: object) -> Question:
        text = check_question(question)  # before any conversion: a 10 MB question is refused at once
        return read_question(text, to_simplified(text))

    def _query(self, question: Question) -> Query:
        bm25 = self._sentence_bm25
        query = make_query(question_terms(question.search_text), bm25.idf, lambda t: bm25.document_frequency(t) > 0,
                           self._stored.glossary, question.about_document, tokenize, self._numbers_between,
                           self._latin_written, question.language != "en", self._glued)
        if question.language != "en":
            abbreviations = {term: kept for term, found in abbreviated(question.search_text).items()
                             if (kept := tuple(a for a in found if len(a) >= 3 and bm25.document_frequency(a) > 0))}
            query = with_abbreviations(query, abbreviations) if abbreviations else query
        unwritten = unwritten_names(query.concepts, capitalised_runs(question.search_text), question.language == "en",
                                    self._has_word)
        return replace(query, unknown_names=query.unknown_names + unwritten) if unwritten else query

    def _has_word(self, word: str) -> bool:
        """Whether the documents write `word`: as a search term, a CC-CEDICT word inside their text, or letters
        and digits inside a longer Latin-script term."""
        if self._sentence_bm25.document_frequency(word) > 0:
            return True
        return self._latin_written(word) if LATIN_WORD.fullmatch(word) else word in self._dictionary_words

    @cached_property
    def _dictionary_words(self) -> frozenset[str]:
        """Read at the first question naming a CC-CEDICT name that no search term is (`words.jsonl`)."""
        return self._stored.read_dictionary_words()

    def _quotes(self, candidates: np.ndarray, logits: np.ndarray, names_missing: np.ndarray,
                title_alone: np.ndarray) -> list[tuple[int, float]]:
        """(sentence id, share of the ranker's softmax) of the sentences to quote: the best with its context,
        then the runner-up if the ranker rates it at least `second_quote` as high. A candidate lacking a
        Latin-script name of the question (`names_missing`) is never quoted, nor a line that is a question ("问：忘记
        密码怎么办？" in a list of questions and answers: it repeats the question's words, and the answer is the line
        after, quoted in its place when it is the best), nor a heading with nothing under it (a document's title
        over the first section's heading), nor a title marked in `title_alone`."""
        order = np.argsort(-logits, kind="stable")
        shares = np.exp(logits - logits.max())
        shares /= shares.sum()
        order = order[~title_alone[order]]
        if not len(order):
            return []
        first = order[0]
        # A quote about another name is no answer: "What is Anthropic's valuation?" is not answered by OpenAI's.
        unquotable = np.array([self._asking_line(int(i)) or self._bare_heading(int(i)) for i in candidates[order]],
                              dtype=bool)
        order = order[(names_missing[order] == 0) & ~unquotable]
        header = self._corpus.table_header
        answer = self._answer_after(int(candidates[first])) if names_missing[first] == 0 else None
        if answer is not None:  # the line after the one asking, with the asking line's share
            best, top = answer, first
        elif not len(order):
            return []
        else:
            first_quotable = int(candidates[order[0]])
            if self._heads_table(first_quotable):
                # A table's header row answers nothing alone: its best-ranked row is quoted, after it.
                rows = [r for r in order if header[candidates[r]] == first_quotable]
                if rows:
                    order = np.concatenate([rows[:1], order[order != rows[0]]])
            top = order[0]
            best = int(candidates[top])
        runners = [r for r in order if int(candidates[r]) != best][:1]
        chosen = self._with_context(best)
        score = {i: float(shares[top]) for i in chosen}
        for r in runners:
            runner_up = int(candidates[r])
            # another row of the best's table is the answer to another question ("2023 年" for "2024 年")
            same_table = header[best] >= 0 and header[runner_up] == header[best]
            if runner_up not in chosen and not same_table and shares[r] >= self._model.second_quote * shares[top]:
                chosen.append(runner_up)
                score[runner_up] = float(shares[r])
        return [(i, score[i]) for i in chosen]

    # Both read the per-sentence arrays of the corpus facts, not the sentence records: in a large index a record
    # is read from disk and parsed when asked for, and these run for every candidate of every question.
    def _asking_line(self, i: int) -> bool:
        """Sentence i is a line of its own that ends in a question mark (normalised text: "？" is "?")."""
        if not self._corpus.squashed[i].rstrip(CLOSERS).endswith("?"):
            return False
        line_start = self._corpus.line_start
        return bool(line_start[i] and (i == self._corpus.last[i] or line_start[i + 1]))

    def _answer_after(self, i: int) -> int | None:
        """The line after sentence i when i is a line asking a question and that line answers it, as in a list of
        questions and answers ("问：忘记密码怎么办？" then "答：点击登录页的…"); None otherwise."""
        if not self._asking_line(i) or i == self._corpus.last[i]:
            return None
        after = i + 1
        if self._asking_line(after) or self._corpus.heading[after] or not self._quotable[after]:
            return None
        return after

    def _bare_heading(self, i: int) -> bool:
        heading = self._corpus.heading
        return bool(heading[i] and (i == self._corpus.last[i] or heading[i + 1]))

    def _with_context(self, i: int) -> list[int]:
        """A sentence with what it needs to be read: a heading with the first sentence under it, a table row
        with its table's header row, a sentence leaning on the one before ("彼时…") with that one."""
        first, last = int(self._corpus.first[i]), int(self._corpus.last[i])
        header = int(self._corpus.table_header[i])
        if header >= 0:
            return [header, i]
        if self._sentences[i].heading:
            return [i, i + 1] if i < last and not self._sentences[i + 1].heading else [i]
        return [i - 1, i] if i > first and ANAPHORA.match(self._sentences[i].text) else [i]

    def _heads_table(self, i: int) -> bool:
        header = self._corpus.table_header
        return i + 1 < len(header) and header[i + 1] == i

    def _citation(self, n: int, i: int, score: float, analysis: Analysis) -> Citation:
        s = self._sentences[i]
        header = int(self._corpus.table_header[i])
        if header >= 0:
            span = table_cell_span(s.text, self._sentences[header].text, analysis.query) or answer_span(s.text, analysis.view)
        else:  # a table's header row, quoted before a row, answers nothing itself
            span = None if self._heads_table(i) else answer_span(s.text, analysis.view)
        answer_start, answer_end = (None, None) if span is None else (s.start + span[0], s.start + span[1])
        return Citation(n, s.source, s.text, s.start, s.end, round(score, 4), answer_start, answer_end,
                        self.page_of(s.source, s.start))

    def _passage(self, chunk_id: int, score: float) -> Passage:
        c = self._chunks[chunk_id]
        return Passage(c.source, c.text, c.start, c.end, round(score, 6), self.page_of(c.source, c.start))


def _in_sorted(values: np.ndarray, increasing: np.ndarray) -> np.ndarray:
    """np.isin(values, increasing) by binary search: a few microseconds instead of tens."""
    if not len(increasing):
        return np.zeros(len(values), dtype=bool)
    return increasing[np.minimum(np.searchsorted(increasing, values), len(increasing) - 1)] == values


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """Ids of the k largest values, largest first."""
    if len(values) <= k:
        return np.argsort(-values, kind="stable")
    part = np.argpartition(-values, k)[:k]
    return part[np.argsort(-values[part], kind="stable")]


def load(index_dir: str | Path = "index", check_seeds: bool = True) -> Engine:
    """The engine for the index in `index_dir`; IndexLoadError (saying to run `rag build`) if it is missing,
    damaged, built with another embedder, or older than the seeds."""
    return Engine.load(index_dir, check_seeds=check_seeds)
