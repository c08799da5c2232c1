"""Scoring sentences as quotes, and deciding whether the best ones answer the question at all.

Every sentence gets
    0.5 * lexical + 0.5 * dense + bonus
where `lexical` is its BM25 score divided by the best sentence's, `dense` its cosine similarity to
the question rescaled so the best sentence is 1 and the median sentence 0, and `bonus` rewards a
sentence holding the kind of fact asked for (a date for "when", a number for "how many", the
document header for "who wrote this article"), less a penalty for a section heading.
Boilerplate scores minus infinity: never quoted.

Refusal, in plain words: every name in Latin script that the question shares with the documents
(Anthropic, GPT-5.4) must be in the quote, the sentence before it or its section heading; and the
question's topic words (stopwords and question words removed, each weighted by how rare it is in
the documents) must be found in the quoted sentences or their section heading for at least half of
their weight (MIN_COVERAGE); otherwise the documents are taken not to say. The only exception is a
sentence so close in meaning (cosine >= MIN_DENSE_ALONE) that the words cannot matter.
"""
from __future__ import annotations

import re

import numpy as np

from rag.answering.questions import HAS_NUMBER, HAS_TIME, Question
from rag.chunking import Sentence

LEXICAL_WEIGHT = 0.5
DENSE_WEIGHT = 0.5
KIND_BONUS = 0.25  # the sentence holds the kind of fact asked for
HEADER_BONUS = 0.5  # a question about the document itself, and the sentence is in its header
HEADING_PENALTY = 0.5  # a section title answers less than the sentences under it (their topic words count it)
DEFINITION_BONUS = 0.5  # "X 是什么": the sentence defines X
DEFINITION_MARKS = ("(", "（", "是", "即", "指", ":", "：", ",即")
MIN_COVERAGE = 0.5
MIN_DENSE_ALONE = 0.8
SECOND_QUOTE_RATIO = 0.75  # a second sentence is quoted when it scores at least this share of the first
# A sentence opening with one of these leans on the one before ("彼时" = "at that time"): quote both.
ANAPHORA = re.compile(r"^(?:彼时|此时|当时|那时|这时|此后|随后|对此|为此|因此|这一|这个|这些|该|其|它|他们)")


class SentenceFeatures:
    """Per-sentence flags computed once per index, so scoring a question is a few numpy operations."""

    def __init__(self, sentences: list[Sentence]):
        self.quotable = np.array([s.quotable for s in sentences], dtype=bool)
        self.header = np.array([s.header for s in sentences], dtype=bool)
        self.heading = np.array([s.heading for s in sentences], dtype=bool)
        self.has_time = np.array([bool(HAS_TIME.search(s.text)) for s in sentences], dtype=bool)
        self.has_number = np.array([bool(HAS_NUMBER.search(s.text)) for s in sentences], dtype=bool)


def score_sentences(features: SentenceFeatures, lexical: np.ndarray, dense: np.ndarray, question: Question) -> np.ndarray:
    """Scores of all sentences; the kind bonus here is provisional (see `refine_kind_bonus`)."""
    top = lexical.max()
    lex = lexical / top if top > 0 else lexical
    middle, best = float(np.median(dense)), float(dense.max())
    rescaled = (dense - middle) / (best - middle) if best > middle else np.zeros_like(dense)
    kind = np.zeros(len(dense), dtype=bool)
    if question.asks_time:
        kind |= features.has_time
    if question.asks_quantity:
        kind |= features.has_number
    bonus = KIND_BONUS * kind
    if question.about_document:
        # "When was this article published?": the header line with a date, above the header line without one.
        bonus += HEADER_BONUS * features.header * (1 + kind)
    score = LEXICAL_WEIGHT * lex + DENSE_WEIGHT * rescaled + bonus - HEADING_PENALTY * features.heading
    return np.where(features.quotable, score, -np.inf)


CLAUSE_BREAK = re.compile(r"[,，;；:：]")


def kind_in_best_clause(text: str, concepts, kind: re.Pattern) -> bool:
    """Whether the fact asked for sits in the clause that matches the question best. "一家金融科技公司将合同金额
    砍半" holds a number elsewhere in its sentence, but not in the clause about the cut, so it does not
    answer "砍到了多少"."""
    clauses = CLAUSE_BREAK.split(text)
    weights = [sum(c.weight for c in concepts if any(a in clause for a in c.alternatives)) for clause in clauses]
    top = max(weights)
    return any(kind.search(clause) for clause, w in zip(clauses, weights) if w == top)


def refine_scores(scores: np.ndarray, ids: list[int], squashed: list[str], concepts, question: Question,
                  features: SentenceFeatures) -> np.ndarray:
    """For the candidate sentences `ids`: take the kind bonus back where the number or date is not where the
    question matches, and give DEFINITION_BONUS where the term a "X 是什么" question asks about is defined
    ("RLVR(可验证强化学习)", "RLVR 是…")."""
    kinds = [(question.asks_time, HAS_TIME, features.has_time), (question.asks_quantity, HAS_NUMBER, features.has_number)]
    scores = scores.copy()
    if question.defines:
        for i in ids:
            if any(question.defines + mark in squashed[i] for mark in DEFINITION_MARKS):
                scores[i] += DEFINITION_BONUS
    for asked, pattern, flags in kinds:
        if not asked:
            continue
        for i in ids:
            if flags[i] and not kind_in_best_clause(squashed[i], concepts, pattern):
                scores[i] -= KIND_BONUS
    return scores
