"""The part of a quote that answers the question, for highlighting: a date for "when", a number with its unit
for "how many", a person for "who", a place for "where", a title in 《》 for "which book, film or song".
Offsets are relative to the quote.

Candidates are found by patterns (titles, dates, numbers with units) and by jieba's part-of-speech tags (nr person,
ns place, nt organisation); what the question already names is never the answer. A range is one answer, and a
count in the unit the question asks for ("多少人") goes before other numbers. Among several, the one closest to
the question's words in the quote is taken. Other questions get no span: the whole quote answers.
A table row's answer is the cell under the header cell the question asks about, whatever the question's kind.
"""
from __future__ import annotations

import re

from rag.answering.features import QuestionView
from rag.answering.kinds import QUANTITY, TIME, WORK_TITLE, count_in
from rag.retrieval.query import Query
from rag.tokens import normalize, pos_tagger, squash

POS_KINDS = {"person": ("nr", "nrt", "nrfg"), "place": ("ns",), "organisation": ("nt",)}

# A person named in Latin script: two or more capitalised words ("Alex Karp", "Thomas R. Holtz").
LATIN_NAME = re.compile(r"\b[A-Z][a-z]+(?:[-'][A-Za-z][a-z]+)?(?:\s+(?:[A-Z]\.\s*)*[A-Z][a-z]+(?:[-'][A-Za-z][a-z]+)?)+\b")

# jieba tags each run of these characters on its own (jieba.posseg's re_han_internal), and "·" or "•" join the
# parts of one name ("弗朗西斯科·佩尔萨特"): a run of them with those dots is tagged alone as it is in the quote.
NAME_RUN = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._·•]+")


# Words that open a phrase and are no (common) surname.
NOT_A_SURNAME = frozenset("由被与在把对给跟是让请叫从据")
# A Latin-script name right after a Chinese one, in brackets.
SPELLED_OUT = re.compile(r"[\u4E00-\u9FD5]\s*[（(]\s*$")


def _names(run: re.Match, text: str, wanted: tuple[str, ...]) -> list[tuple[int, int]]:
    """Spans of the names jieba tags `wanted` in one NAME_RUN of `text`; neighbouring name parts make one name."""
    words, pos = [], run.start()
    for pair in pos_tagger().cut(run.group()):
        words.append((pos, pos + len(pair.word), pair.flag))
        pos += len(pair.word)
    spans, k = [], 0
    while k < len(words):
        a, b, flag = words[k]
        if flag in wanted:
            while k + 1 < len(words) and (words[k + 1][2] in wanted or text[words[k + 1][0]:words[k + 1][1]] in "·•"):
                k += 1
                b = words[k][1]
                # a name goes on after its dot, whatever jieba tags the next part ("约翰·海克特·麦克阿瑟")
                if text[words[k][0]:b] in "·•" and k + 1 < len(words) and words[k + 1][2] != "x":
                    k += 1
                    b = words[k][1]
            # jieba's HMM takes a preposition before a name into it ("由威廉"): it is no part of the name
            if b - a > 2 and text[a] in NOT_A_SURNAME:
                a += 1
            spans.append((a, b))
        k += 1
    return spans


# Two matches that make one answer: a range ("1984年10月7日至1985年9月29日", "100米至2,800米") or a year of another
# calendar with its Gregorian one in brackets ("天正16年（1588年）", dates only).
RANGE = re.compile(r"\s*(?:至|到|-|–|—|~|～)\s*")
RANGE_OR_BRACKET = re.compile(RANGE.pattern + r"|\s*[（(]\s*")
CLOSING = re.compile(r"\s*[）)]")


def _joined(spans: list[tuple[int, int]], text: str, brackets: bool = True) -> list[tuple[int, int]]:
    """`spans` (in text order) with each one that only a range word or an opening bracket parts from the one
    before joined to it, up to the closing bracket."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out and (RANGE_OR_BRACKET if brackets else RANGE).fullmatch(text, out[-1][1], a):
            closing = CLOSING.match(text, b) if text[out[-1][1]:a].strip() in "（(" else None
            out[-1] = (out[-1][0], closing.end() if closing else b)
        else:
            out.append((a, b))
    return out


def _occurrences(word: str, text: str) -> list[int]:
    """Where `word` starts in `text`, left to right, without overlaps (what re.finditer finds, without compiling
    a pattern for every word of every question: 0.4 ms an answer)."""
    found, at = [], text.find(word)
    while at >= 0:
        found.append(at)
        at = text.find(word, at + len(word))
    return found


def answer_span(text: str, view: QuestionView) -> tuple[int, int] | None:
    kinds = view.kinds
    # The patterns are written for normalised text; where normalising keeps every offset, match on it.
    normalised = normalize(text)
    squashed = "".join(normalised.split())  # squash(text), from the one conversion
    if len(normalised) != len(text):
        normalised = text.lower()
    # The answer sits next to the words the question shares with the quote: the candidate closest to them is
    # taken, the first of equals (the first of all when they share none).
    # sorted: a set's order changes with the hash seed, and only the first 50 anchors are kept
    anchors = [p for g in sorted(view.bigrams) for p in _occurrences(g, squashed)][:50]
    scale = len(squashed) / max(1, len(text))  # positions in the squashed text are roughly proportional

    def distance(a: int, b: int) -> float:
        """From the nearest anchor to the closest start in [a, b]."""
        if not anchors:
            return a
        return min(max(a * scale - p, p - b * scale, 0.0) for p in anchors)

    def asked(span: tuple[int, int]) -> bool:
        words = text[span[0]:span[1]]
        return bool(words.strip()) and squash(words) not in view.squashed

    spans: list[tuple[int, int]] = []
    if "work" in kinds:
        spans += [m.span() for m in WORK_TITLE.finditer(normalised)]
    if "time" in kinds and not spans:
        spans += _joined([m.span() for m in TIME.finditer(normalised)], normalised)
    if "quantity" in kinds and not spans:
        spans += _joined([m.span() for m in QUANTITY.finditer(normalised) if re.search(r"[\d一二两三四五六七八九十百千万亿]", m.group())],
                         normalised, brackets=False)
        if view.units:  # "有多少人": a count of people before a year or a page count, however near
            counted = count_in(view.units)
            spans = [s for s in spans if counted.search(normalised, *s)] or spans
    if spans or not ("person" in kinds or "place" in kinds):
        return min(filter(asked, spans), key=lambda s: (distance(s[0], s[0]), s[0]), default=None)
    # Tagging is the slow part of an answer: the runs are tagged nearest first, until the next one is further
    # away than the best name found (the same name as tagging the whole quote gives).
    wanted = POS_KINDS["person"] if "person" in kinds else POS_KINDS["place"] + POS_KINDS["organisation"]
    best: tuple[float, int, int] | None = None
    if "person" in kinds:
        # jieba tags a name in Latin script as a foreign word, not as a person; in brackets after a Chinese name
        # it only spells that name ("保罗·塞里诺（Paul Sereno）")
        latin = [m.span() for m in LATIN_NAME.finditer(text) if not SPELLED_OUT.search(text, 0, m.start())]
        best = min(((distance(a, a), a, b) for a, b in filter(asked, latin)), default=None)
    for run in sorted(NAME_RUN.finditer(normalised), key=lambda m: distance(m.start(), m.end() - 1)):
        if best is not None and distance(run.start(), run.end() - 1) > best[0]:
            break
        for a, b in filter(asked, _names(run, text, wanted)):
            best = min(best or (distance(a, a), a, b), (distance(a, a), a, b))
    return None if best is None else best[1:]


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
    found = lambda text: [c for c in query.concepts if any(a in text for a in (*c.alternatives, *c.in_sentence))]
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
