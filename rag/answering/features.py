"""What the learned quote ranker and the answerability model see: one function per model computes the
features, used alike by training (`benchmarks/train.py`) and by answering (`rag/engine.py`).

A question is answered from candidate sentences (the best by BM25, by embedding, and from the best chunks).
Each candidate is described by how well it and its neighbours match the question (BM25, cosine, idf-weighted
coverage of the question's topic words, character bigrams), how its document matches, where it sits (title,
heading, header, position) and whether it holds the kind of fact asked for (a date for "when", a number for
"how many", a person for "who", ...) that the question does not already name. All values are relative to the
question's own candidates (gap to the best, rank), so that they mean the same on any corpus.
"""
from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass

import numpy as np

from rag.answering.kinds import HAS_NUMBER, PERSON, PLACE, REASON, TIME, WORK_TITLE, asked_units
from rag.answering.questions import Question
from rag.chunking import Sentence, table_line
from rag.retrieval.query import Concept, Query, share_found
from rag.tokens import normalize

DEFINITION_MARKS = ("(", "（", "是", "即", "指", ":", "：", ",即", ",是", "为")
CJK_OR_WORD = re.compile(r"[\u3400-\u9fff]|[a-z0-9]+")
LONG_WORD = re.compile(r"[a-z0-9]{2,}")  # the units of CJK_OR_WORD longer than one character


@dataclass(frozen=True)
class Corpus:
    """Per-sentence facts computed once per index, so that a question's features are a few array look-ups."""

    squashed: list[str]  # normalised text without spaces
    document: np.ndarray  # document number of each sentence
    first: np.ndarray  # id of the first sentence of its document
    last: np.ndarray  # id of the last sentence of its document
    heading_of: np.ndarray  # id of the section heading above it, -1 if none
    table_header: np.ndarray  # a table row's: id of its table's first row (the header), -1 if none or itself
    title: np.ndarray  # bool: the first line of its document
    header: np.ndarray
    heading: np.ndarray
    line_start: np.ndarray  # bool: begins a line (a paragraph)
    has_time: np.ndarray
    has_number: np.ndarray
    has_person: np.ndarray
    has_place: np.ndarray
    has_reason: np.ndarray
    length: np.ndarray  # characters


def corpus_facts(sentences: list[Sentence], documents: dict[str, str]) -> Corpus:
    n = len(sentences)
    normalised = [normalize(s.text) for s in sentences]
    squashed = ["".join(t.split()) for t in normalised]
    document = np.zeros(n, dtype=np.int64)
    first = np.zeros(n, dtype=np.int64)
    last = np.zeros(n, dtype=np.int64)
    heading_of = np.full(n, -1, dtype=np.int64)
    table_header = np.full(n, -1, dtype=np.int64)
    doc_ids: dict[str, int] = {}
    start, current_heading = 0, -1
    for i, s in enumerate(sentences):
        if i == 0 or sentences[i - 1].source != s.source:
            start, current_heading = i, -1
        document[i] = doc_ids.setdefault(s.source, len(doc_ids))
        first[i] = start
        heading_of[i] = current_heading
        if s.heading:
            current_heading = i
        if i > start and table_line(s.text) and table_line(sentences[i - 1].text):
            table_header[i] = table_header[i - 1] if table_header[i - 1] >= 0 else i - 1
    squashed = under_headers(squashed, table_header)  # what every feature reads of a sentence
    for i in range(n - 1, -1, -1):
        last[i] = i if i == n - 1 or sentences[i + 1].source != sentences[i].source else last[i + 1]
    flags = lambda pattern: np.array([bool(pattern.search(t)) for t in normalised], dtype=bool)
    return Corpus(
        squashed=squashed, document=document, first=first, last=last, heading_of=heading_of, table_header=table_header,
        # A title is a first sentence that is its line: "小明在北京大学读书。他…" opens with no title.
        title=(np.arange(n) == first) & np.array([_whole_line(s, documents[s.source]) for s in sentences], dtype=bool),
        header=np.array([s.header for s in sentences], dtype=bool),
        heading=np.array([s.heading for s in sentences], dtype=bool),
        line_start=np.array([s.start == 0 or documents[s.source][s.start - 1] == "\n" for s in sentences], dtype=bool),
        has_time=flags(TIME), has_number=flags(HAS_NUMBER), has_person=flags(PERSON), has_place=flags(PLACE),
        has_reason=flags(REASON),
        length=np.array([len(s.text) for s in sentences], dtype=np.float64),
    )


def under_headers(texts: list[str], table_header: np.ndarray, joiner: str = "") -> list[str]:
    """Each sentence's text as it is read: a table row's with its header row's before it (joined by `joiner`),
    as a row's cells mean what its header names ("2024 | 15.2 | 2.3" under "年份 | 营业收入 | 净利润")."""
    return [texts[h] + joiner + t if h >= 0 else t for h, t in zip(table_header.tolist(), texts)]


def _title_block(corpus: Corpus, first: int) -> str:
    """The document's title (its `first` sentence) and the header lines right under it, as one text."""
    end = first + 1
    while end <= corpus.last[first] and corpus.header[end]:
        end += 1
    return "".join(corpus.squashed[first:end])


def _whole_line(s: Sentence, text: str) -> bool:
    return text[s.end : s.end + 1] in ("", "\n", "\r") and (s.start == 0 or text[s.start - 1] == "\n")


def _bigrams(text: str) -> set[str]:
    """Neighbouring units (a Chinese character, a run of letters and digits) joined, and the runs of two or more."""
    units = CJK_OR_WORD.findall(text)
    return set(map(operator.add, units, units[1:])).union(LONG_WORD.findall(text))


def _substrings(text: str) -> set[str]:
    return {text[a:b] for a in range(len(text)) for b in range(a + 1, len(text) + 1)}


def _coverages(concepts: tuple[Concept, ...], found: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Per row, the share of the weight of the concepts marked in `among` (rows x concepts) that `found` marks:
    `share_found` once per distinct row, so the same sums in the same order, the same floats."""
    k = len(concepts)
    if not k or not len(found):
        return np.ones(len(found))
    keys = np.concatenate([found & among, among], axis=1)
    if 2 * k < 63:  # each row as the bits of one integer: unique over integers is much quicker than over rows
        codes, inverse = np.unique(keys @ (1 << np.arange(2 * k, dtype=np.int64)), return_inverse=True)
        patterns = [[bool(code >> j & 1) for j in range(2 * k)] for code in codes.tolist()]
    else:
        rows, inverse = np.unique(keys, axis=0, return_inverse=True)
        patterns = rows.tolist()
    shares = [share_found(tuple(c for c, a in zip(concepts, p[k:]) if a), [f for f, a in zip(p[:k], p[k:]) if a])
              for p in patterns]
    return np.array(shares, dtype=np.float64)[inverse.reshape(-1)]


def _relative_rank(values: np.ndarray) -> np.ndarray:
    """1 for the best, 1/2 for the second, ...: a rank that saturates, so the 30th and 60th look alike."""
    order = np.argsort(-values, kind="stable")
    rank = np.empty(len(values), dtype=np.float64)
    rank[order] = np.arange(len(values))
    return 1.0 / (1.0 + rank)


def _gap(values: np.ndarray) -> np.ndarray:
    return values - (values.max() if len(values) else 0.0)


def _share_of_best(values: np.ndarray) -> np.ndarray:
    top = values.max() if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values)


KINDS = ("time", "quantity", "person", "place", "reason")

CANDIDATE_FEATURES = (
    "bm25_share", "bm25_rank", "cosine", "cosine_gap", "cosine_rank", "document_share", "document_rank",
    "document_cover", "document_cover_gap",
    "cover", "cover_gap", "cover_window", "cover_window_gap", "cover_previous", "cover_next", "cover_title",
    "rest", "rest_gap", "rest_window", "rest_window_gap", "rest_previous", "rest_next",
    "bigram", "bigram_gap", "bigram_window", "novelty",
    "title", "heading", "header", "header_asked", "line_start", "position", "log_length",
    "time_match", "quantity_match", "person_match", "place_match", "reason_match",
    "time_near", "quantity_near", "names_missing", "defines", "previous_covers_more", "work_match",
)


@dataclass(frozen=True)
class QuestionView:
    """What the features need to know about one question, computed once."""

    kinds: frozenset[str]
    bigrams: frozenset[str]
    squashed: str
    about_document: bool
    defines: str
    names: tuple[str, ...]
    index_sentences: int  # in the index asked: a question's everyday words are missing from a small one
    units: str = ""  # the units a quantity question counts in, as a regex alternation (kinds.asked_units)


def question_view(question: Question, query: Query, squashed_question: str, index_sentences: int) -> QuestionView:
    units = asked_units(squashed_question) if "quantity" in question.kinds else ""
    return QuestionView(question.kinds, frozenset(_bigrams(squashed_question)), squashed_question,
                        question.about_document, question.defines, query.names, index_sentences, units)


def candidate_features(corpus: Corpus, view: QuestionView, query: Query, candidates: np.ndarray,
                       bm25: np.ndarray, cosine: np.ndarray, document_scores: np.ndarray,
                       document_cover: np.ndarray) -> np.ndarray:
    """(len(candidates), len(CANDIDATE_FEATURES)) features. `bm25`, `cosine` and `document_cover` (the share of
    the question's topic weight found in the candidate's document) hold the candidates' values, in order;
    `document_scores` every document's BM25."""
    n = len(candidates)
    ids = np.asarray(candidates, dtype=np.int64)
    sq = corpus.squashed
    first = corpus.first[ids]
    previous = np.where(ids > first, ids - 1, -1)
    following = np.where(ids < corpus.last[ids], ids + 1, -1)
    heading = corpus.heading_of[ids]
    titled = corpus.title[first]
    # Every text a feature reads, once: the candidates, their neighbours and titles, each window (the sentence
    # with both neighbours: a word can run across their boundary) and each title with the heading above.
    read = np.unique(np.concatenate([ids, previous, following]))
    read = read[read >= 0]
    column = {int(s): c for c, s in enumerate(read.tolist())}
    texts = [sq[s] for s in read.tolist()] + [""]
    empty = len(texts) - 1
    # Each text as its place in `texts`: the sentence, the one before and after ("" at the document's ends), its
    # document's title ("" if none), then the window and the title with heading, added below.
    own = [column[i] for i in ids.tolist()]
    before = [column[j] if j >= 0 else empty for j in previous.tolist()]
    after = [column[j] if j >= 0 else empty for j in following.tolist()]
    # A document's title with the header lines under it ("江屿市人民政府办公室" over "关于开展2026年度居家适老化改造
    # 补贴工作的通知"): what every sentence of it is about. Not for a question about the document itself, whose
    # answer is one of those header lines (its author, date, source).
    blocks = {f: sq[f] if view.about_document else _title_block(corpus, f) for f in dict.fromkeys(first[titled].tolist())}
    block_at = {f: len(texts) + k for k, f in enumerate(blocks)}
    texts += list(blocks.values())
    title = [block_at[f] if t else empty for f, t in zip(first.tolist(), titled.tolist())]
    windows = [texts[b] + texts[o] + texts[a] for b, o, a in zip(before, own, after)]
    headed = [texts[t] + (sq[h] if h >= 0 else "") for t, h in zip(title, heading.tolist())]
    distinct_headed = {t: len(texts) + n + c for c, t in enumerate(dict.fromkeys(headed))}
    window = list(range(len(texts), len(texts) + n))
    title_heading = [distinct_headed[t] for t in headed]
    texts += windows + list(distinct_headed)

    concepts = query.concepts
    found = np.zeros((len(texts), len(concepts)), dtype=bool)  # [t, k]: an alternative of concept k is in text t
    # The 钱 of "多少钱" is found only by an amount the candidate itself writes, for the candidate and its window:
    # a neighbour's price does not make a sentence about something else the answer, nor does 钱 itself ("用钱包投票").
    in_own = np.zeros((n, len(concepts)), dtype=bool)
    for k, c in enumerate(concepts):
        if c.in_sentence:
            for a in c.in_sentence:
                in_own[:, k] |= np.array([a in texts[o] for o in own], dtype=bool)
        else:
            for a in c.alternatives:
                found[:, k] |= np.array([a in t for t in texts], dtype=bool)
    own_found, window_found = found[own] | in_own, found[window] | in_own
    # Every sentence of an article is about its title's subject: the words that tell its sentences apart are
    # the question's other words ("伊丽莎白港机场有几条**跑道**"), the "rest".
    everything = np.ones((n, len(concepts)), dtype=bool)
    others = ~found[title]
    shares = _coverages(concepts, np.concatenate([own_found, found[before + after], window_found, found[title_heading],
                                                  own_found, window_found, found[before + after]]),
                        np.concatenate([everything] * 5 + [others] * 4)).reshape(9, n)
    cover, cover_previous, cover_next, cover_window, cover_title = shares[:5]
    cover_previous = np.where(previous >= 0, cover_previous, 0.0)
    cover_next = np.where(following >= 0, cover_next, 0.0)
    # coverage of the words its document's title lacks: sentence, window, previous, next
    rest = np.where(others.any(axis=1)[:, None], shares[5:].T, 0.0)

    bigrams = list(view.bigrams)
    bigram_hits = np.zeros(2 * n, dtype=np.int64)
    sentences_and_windows = [texts[o] for o in own] + windows
    for g in bigrams:
        bigram_hits += np.array([g in t for t in sentences_and_windows], dtype=bool)
    bigram, bigram_window = (bigram_hits[:n] / len(bigrams), bigram_hits[n:] / len(bigrams)) if bigrams else (np.zeros(n), np.zeros(n))
    novelty = np.empty(n)
    # a bigram is in the question when it is one of the question's substrings: one set difference per sentence
    inside = _substrings(view.squashed) if len(view.squashed) <= 64 else None
    for row, o in enumerate(own):
        own_bigrams = _bigrams(texts[o])
        novel = len(own_bigrams - inside) if inside is not None else sum(1 for g in own_bigrams if g not in view.squashed)
        novelty[row] = novel / len(own_bigrams) if own_bigrams else 0.0
    names_missing = np.zeros(n)
    if view.names:
        # A name counts in the sentence, its heading, the sentence before or its document's title: Chinese often
        # leaves the subject of a sentence to the one before ("OpenAI 在资本市场的表现依然亮眼。最新融资轮估值站上
        # 5000 亿美元"), and a spec sheet's lines to its title ("# 云帆 X5 手机产品说明" over "- 屏幕：6.7英寸").
        for row, (b, o, h, t) in enumerate(zip(before, own, heading.tolist(), title)):
            context = texts[b] + texts[o] + (sq[h] if h >= 0 else "") + texts[t]
            names_missing[row] = float(any(name not in context for name in view.names))
    # a question asking which book or film is answered by a title in 《》, not by one it names itself
    work_match = np.zeros(n)
    if "work" in view.kinds:
        for row, o in enumerate(own):
            work_match[row] = float(any(t not in view.squashed for t in WORK_TITLE.findall(texts[o])))
    defines = np.zeros(n)
    if view.defines:
        for row, o in enumerate(own):
            if any(view.defines + mark in texts[o] for mark in DEFINITION_MARKS):
                defines[row] = 1.0
    document_rank_all = _relative_rank(document_scores)
    top_document = document_scores.max() if len(document_scores) else 0.0
    document_share = document_scores[corpus.document[ids]] / top_document if top_document > 0 else np.zeros(n)
    k = view.kinds
    match = {
        "time": corpus.has_time[ids], "quantity": corpus.has_number[ids], "person": corpus.has_person[ids],
        "place": corpus.has_place[ids], "reason": corpus.has_reason[ids],
    }
    near = lambda flags: np.maximum(flags[ids], np.maximum(flags[np.maximum(ids - 1, corpus.first[ids])],
                                                           flags[np.minimum(ids + 1, corpus.last[ids])]))
    span = np.maximum(corpus.last[ids] - corpus.first[ids], 1)
    columns = {
        "bm25_share": _share_of_best(bm25), "bm25_rank": _relative_rank(bm25),
        "cosine": cosine, "cosine_gap": _gap(cosine), "cosine_rank": _relative_rank(cosine),
        "document_share": document_share, "document_rank": document_rank_all[corpus.document[ids]],
        "document_cover": document_cover, "document_cover_gap": _gap(document_cover),
        "cover": cover, "cover_gap": _gap(cover), "cover_window": cover_window, "cover_window_gap": _gap(cover_window),
        "cover_previous": cover_previous, "cover_next": cover_next, "cover_title": cover_title,
        "rest": rest[:, 0], "rest_gap": _gap(rest[:, 0]), "rest_window": rest[:, 1], "rest_window_gap": _gap(rest[:, 1]),
        "rest_previous": rest[:, 2], "rest_next": rest[:, 3],
        "bigram": bigram, "bigram_gap": _gap(bigram), "bigram_window": bigram_window, "novelty": novelty,
        "title": corpus.title[ids], "heading": corpus.heading[ids], "header": corpus.header[ids],
        "header_asked": corpus.header[ids] * view.about_document, "line_start": corpus.line_start[ids],
        "position": (ids - corpus.first[ids]) / span, "log_length": np.log1p(corpus.length[ids]),
        **{f"{kind}_match": match[kind] * (kind in k) for kind in KINDS},
        "time_near": near(corpus.has_time) * ("time" in k), "quantity_near": near(corpus.has_number) * ("quantity" in k),
        "names_missing": names_missing, "defines": defines,
        "previous_covers_more": (cover_previous > cover) * 1.0, "work_match": work_match,
    }
    return np.column_stack([np.asarray(columns[name], dtype=np.float64) for name in CANDIDATE_FEATURES])


# The answerability model learned from questions of at most 73 characters (DRCD's longest) that a longer question
# is likelier answered; read on beyond what it saw, that made "Claude " and 900 characters of nonsense an answer
# (0.97). A longer question counts as this long.
LONGEST_QUESTION = 80
# A question's words weigh by how rare they are in the index, and a small index (one article: 100 sentences) lacks
# everyday words (现在, 之后, 情况) that a large one holds: the same question looks less answerable in it. The model
# learns how much from DRCD articles indexed alone and all together (benchmarks/train.py). The largest index it
# learned from holds 10,397 sentences; a larger one counts as that large.
LARGEST_INDEX = 10_400
QUESTION_FEATURES = (
    "top_logit", "top_probability", "logit_margin", "top_cover", "top_cover_window", "max_cover",
    "top_cosine", "max_cosine", "top_bm25_per_idf", "findable", "concepts", "log_question_length",
    "top_names_missing", "top_bigram", "asks_time", "asks_quantity", "top_kind_match",
    "top_document_cover", "max_document_cover", "top_cover_title", "top_rest_window", "first_names_missing",
    "log_index_sentences",
)


def question_features(view: QuestionView, query: Query, features: np.ndarray, logits: np.ndarray,
                      raw_bm25: np.ndarray, findable: float) -> np.ndarray:
    """(len(QUESTION_FEATURES),) features of a question and its ranked candidates, for the answerability model.
    `raw_bm25` are the candidates' BM25 scores before normalisation, `findable` the share of the question's
    topic weight that occurs anywhere in the documents."""
    col = {name: i for i, name in enumerate(CANDIDATE_FEATURES)}
    if len(logits) == 0:
        return np.zeros(len(QUESTION_FEATURES))
    order = np.argsort(-logits, kind="stable")
    # the ranker's first choice is about another name ("Anthropic's valuation": only OpenAI's is given)
    first_names_missing = features[order[0], col["names_missing"]]
    # Judge the sentence that would be quoted: one lacking a name the question asks about never is.
    named = order[features[order, col["names_missing"]] == 0]
    if len(named):
        order = np.concatenate([named, order[features[order, col["names_missing"]] != 0]])
    best = order[0]
    probabilities = np.exp(logits - logits.max())
    probabilities /= probabilities.sum()
    idf_total = sum(c.weight for c in query.concepts) or 1.0
    kind_match = max(features[best, col[f"{k}_match"]] for k in KINDS)
    values = {
        "top_logit": logits[best], "top_probability": probabilities[best],
        "logit_margin": logits[best] - (logits[order[1]] if len(order) > 1 else logits[best] - 5.0),
        "top_cover": features[best, col["cover"]], "top_cover_window": features[best, col["cover_window"]],
        "max_cover": features[:, col["cover"]].max(),
        "top_cosine": features[best, col["cosine"]], "max_cosine": features[:, col["cosine"]].max(),
        "top_bm25_per_idf": raw_bm25[best] / idf_total, "findable": findable,
        "concepts": math.log1p(len(query.concepts)), "log_question_length": math.log1p(min(len(view.squashed), LONGEST_QUESTION)),
        "top_names_missing": features[best, col["names_missing"]], "top_bigram": features[best, col["bigram"]],
        "asks_time": float("time" in view.kinds), "asks_quantity": float("quantity" in view.kinds),
        "top_kind_match": kind_match,
        "top_document_cover": features[best, col["document_cover"]], "max_document_cover": features[:, col["document_cover"]].max(),
        "top_cover_title": features[best, col["cover_title"]], "top_rest_window": features[best, col["rest_window"]],
        "first_names_missing": first_names_missing,
        "log_index_sentences": math.log1p(min(view.index_sentences, LARGEST_INDEX)),
    }
    return np.array([float(values[name]) for name in QUESTION_FEATURES])
