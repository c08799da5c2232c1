"""The part of a quote that answers the question, for highlighting: a date for "when", a number with its unit
for "how many", a person for "who", a place for "where". Offsets are relative to the quote.

Candidates are found by patterns (dates, numbers with units) and by jieba's part-of-speech tags (nr person,
ns place, nt organisation); what the question already names is never the answer. Among several, the one
closest to the question's words in the quote is taken. Other questions get no span: the whole quote answers.
A table row's answer is the cell under the header cell the question asks about, whatever the question's kind.
"""
from __future__ import annotations

import re

from rag.answering.features import QuestionView
from rag.answering.kinds import QUANTITY, TIME
from rag.retrieval.query import Query
from rag.tokens import normalize, pos_tagger, squash

POS_KINDS = {"person": ("nr", "nrt", "nrfg"), "place": ("ns",), "organisation": ("nt",)}

def _tagged(text: str) -> list[tuple[int, int, str]]:
    """(start, end, flag) of jieba's words with part-of-speech tags."""
    out, pos = [], 0
    for pair in pos_tagger().cut(text):
        out.append((pos, pos + len(pair.word), pair.flag))
        pos += len(pair.word)
    return out


def _candidates(text: str, view: QuestionView) -> list[tuple[int, int]]:
    kinds = view.kinds
    # The patterns are written for normalised text; where normalising keeps every offset, match on it.
    normalised = normalize(text)
    if len(normalised) != len(text):
        normalised = text.lower()
    spans: list[tuple[int, int]] = []
    if "time" in kinds:
        spans += [m.span() for m in TIME.finditer(normalised)]
    if "quantity" in kinds and not spans:
        spans += [m.span() for m in QUANTITY.finditer(normalised) if re.search(r"[\d一二两三四五六七八九十百千万亿]", m.group())]
    if not spans and ("person" in kinds or "place" in kinds):
        wanted = POS_KINDS["person"] if "person" in kinds else POS_KINDS["place"] + POS_KINDS["organisation"]
        words = _tagged(normalised)
        k = 0
        while k < len(words):  # neighbouring name parts ("弗朗西斯科", "·", "佩尔萨特") make one name
            a, b, flag = words[k]
            if flag in wanted:
                while k + 1 < len(words) and (words[k + 1][2] in wanted or text[words[k + 1][0]:words[k + 1][1]] in "·•"):
                    k += 1
                    b = words[k][1]
                spans.append((a, b))
            k += 1
    return [(a, b) for a, b in spans if text[a:b].strip() and squash(text[a:b]) not in view.squashed]


def answer_span(text: str, view: QuestionView) -> tuple[int, int] | None:
    spans = _candidates(text, view)
    if not spans:
        return None
    # The answer sits next to the words the question shares with the quote: take the closest candidate.
    squashed = squash(text)
    # sorted: a set's order changes with the hash seed, and only the first 50 anchors are kept
    anchors = [m.start() for g in sorted(view.bigrams) for m in re.finditer(re.escape(g), squashed)][:50]
    if not anchors:
        return spans[0]
    scale = len(squashed) / max(1, len(text))  # positions in the squashed text are roughly proportional
    return min(spans, key=lambda s: min(abs(s[0] * scale - p) for p in anchors))


CELL = re.compile(r"[^|]+")


def table_cell_span(row: str, header: str, query: Query) -> tuple[int, int] | None:
    """In a table row, the cell under the header cell the question asks about ("2024 年的净利润是多少？" under
    "年份 | 营业收入 | 净利润": the third), offsets relative to the row; None when no header cell is asked about
    or the row has no such cell. A column whose cell in the row the question names (its "2024") is what the
    question asks about, not what it asks for."""
    cells = list(CELL.finditer(row))
    titles = [squash(m.group()) for m in CELL.finditer(header)]
    if not titles or len(cells) != len(titles):
        return None
    found = lambda text: [c for c in query.concepts if any(a in text for a in c.alternatives)]
    weights = [0.0 if found(squash(cell.group())) else sum(c.weight for c in found(title)) for cell, title in zip(cells, titles)]
    best = max(range(len(titles)), key=lambda k: weights[k])
    if weights[best] <= 0:
        return None
    cell = cells[best]
    a, b = cell.span()
    while a < b and row[a].isspace():
        a += 1
    while b > a and row[b - 1].isspace():
        b -= 1
    return (a, b) if b > a else None
