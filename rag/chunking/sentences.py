"""Sentence splitting for Chinese (and mixed Chinese/English) text, keeping exact offsets.

Rules:
- A sentence ends at 。！？ or their half-width forms !?, at an ellipsis …, or at a half-width
  period followed by a space (English), but not at the period inside numbers and names
  ("GPT-5.4", "10.2 万", "Thomas R. Holtz", "Dr. Apgar", "U. itemirensis").
- Closing quotes and brackets right after the end mark stay with their sentence: `“吃相太难看”。`
- Every line is its own unit, so headings and header lines ("作者:川川") stay separate sentences.
  A heading is a line that is one short sentence without an end mark, or a Markdown `#` line.
- Leading and trailing whitespace is not part of a sentence; `text[start:end] == sentence.text`.
- No sentence is longer than MAX_SENTENCE_CHARS: a longer run is cut after its last comma that fits,
  else at its last space, else hard at the limit (a line of two million characters without punctuation
  must not become one text to embed).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

END_MARKS = "。！？!?…"
CLOSERS = "”’\"'」』）)】》〉]"
# Whitespace that str.strip() leaves alone but that never belongs to a sentence.
EXTRA_SPACE = "\ufeff\u200b"

# Page furniture that is never an answer: "scan to follow our account" footers and the like.
TABLE_CELLS = " | "  # how every extractor joins a table row's cells (rag/extract); Markdown rows have them too
MARKDOWN_TABLE_RULE = re.compile(r"\|?(\s*:?-+:?\s*\|)+\s*(:?-+:?)?\s*")  # "|---|:--:|" under a Markdown header row
BOILERPLATE = re.compile(r"扫码|二维码|关注公众号|关注我们|获取更多.{0,6}资讯|点击阅读原文|长按识别|点赞|点个在看")

# A document's header is the run of short lines before its first real paragraph, Markdown heading or numbered
# section heading (site, date, view count, source, author, editor in a news article): a spec sheet's lines under
# "一、主要技术参数" are its content.
OUTLINE_HEADING = re.compile(r"\s*(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[）)]|第[一二三四五六七八九十百零〇\d]{1,4}[章节条部篇])")
PARAGRAPH_CHARS = 40
MAX_HEADER_LINES = 12
# What a header line names, in both scripts (the text is split as written). A short line among them that ends as
# a sentence does and names none of these is content ("2023年，中国国内生产总值达到126万亿元。" under a title),
# though the header may go on after it.
HEADER_WORDS = re.compile(r"作者|编辑|編輯|责编|責編|记者|記者|来源|來源|出处|出處|转载|轉載|本文|标题|標題|撰写|撰寫|授权|授權"
                          r"|摄影|攝影|图片|圖片|通讯员|通訊員|发布|發布|阅读|閱讀|浏览|瀏覽")
HEADING_CHARS = 30
# A bulleted line ("- 重量：约 198 克", "－3月12日：第一次段考") is an item of a list, not a heading: a bullet of ASCII
# or a middle dot needs a space after it (not "-5度", "·" inside a name), a full-width or symbol bullet does not.
LIST_ITEM = re.compile(r"\s*(?:[-*+•·●○■□▪]\s|[－＊•●○■□▪◆◇★☆▶►※・])")
# A line naming a field and its value ("水箱容量：4.5升", "审核：蒋慧芳"). Next to another such line it is a row of a
# field list (a spec sheet, a contact block, the signatures under minutes), not a heading; alone it may be a
# heading with a subtitle ("安全观的分野:价值观红利与政治豪赌").
FIELD_LINE = re.compile(r"\s*([^：:，,。；;\s][^：:，,。；;]{0,11})[：:]\s*\S")

# Twice the longest sentence of the article (101); two of them fill a chunk (ChunkingConfig.max_chars 400).
MAX_SENTENCE_CHARS = 200
CLAUSE_ENDS = "，,；;、"


@dataclass(frozen=True)
class Sentence:
    source: str
    start: int
    end: int
    text: str
    header: bool  # in the short lines before the first paragraph: where dates, authors and sources live
    quotable: bool  # False for boilerplate, which must never be quoted as an answer
    heading: bool = False  # a section title: it names what the sentences under it are about


# A period and a space end an English sentence, but not after an initial ("Thomas R. Holtz", "S.G. To") or a
# title ("Dr. Virginia Apgar", "St. John"), nor before a lower-case word ("U. itemirensis", "var. megacephala"):
# in Chinese text such periods are nearly all inside names (34 of the 35 in CMRC trial and DRCD dev).
TITLES = frozenset("mr mrs ms dr prof st jr sr vs no vol fig gen col capt lt sgt rev mt ft".split())
LATIN_WORD_BEFORE = re.compile(r"[A-Za-z]+\Z")
LOWER_CASE_NEXT = re.compile(r"\s*[a-z]")


def _is_end(line: str, i: int) -> bool:
    ch = line[i]
    if ch in END_MARKS:
        return True
    if ch != ".":
        return False
    after, before = line[i + 1 : i + 2], line[i - 1 : i]
    if not (after == "" or after.isspace()) or before.isdigit() or before == ".":
        return False
    word = LATIN_WORD_BEFORE.search(line, max(0, i - 12), i)
    if word and (len(word.group()) == 1 or word.group().lower() in TITLES):
        return False
    return not LOWER_CASE_NEXT.match(line, i + 1)


def _split_line(line: str) -> list[tuple[int, int]]:
    """(start, end) pairs of the sentences in one line, relative to the line."""
    spans, start, i, n = [], 0, 0, len(line)
    while i < n:
        if _is_end(line, i):
            j = i + 1
            while j < n and (line[j] in END_MARKS or line[j] in CLOSERS):
                j += 1
            spans.append((start, j))
            start = i = j
        else:
            i += 1
    spans.append((start, n))
    stripped = [_strip(line, a, b) for a, b in spans if line[a:b].strip(" \t\r\u3000" + EXTRA_SPACE)]
    return [piece for a, b in stripped for piece in _cut_long(line, a, b)]


def _cut_long(line: str, a: int, b: int) -> list[tuple[int, int]]:
    """The sentence line[a:b] as pieces of at most MAX_SENTENCE_CHARS."""
    pieces = []
    while b - a > MAX_SENTENCE_CHARS:
        cut = a + _cut_point(line[a : a + MAX_SENTENCE_CHARS])
        pieces.append(_strip(line, a, cut))
        a = _strip(line, cut, b)[0]
    pieces.append((a, b))
    return pieces


def _cut_point(window: str) -> int:
    """Where to end a piece that must fit in `window`: after its last comma, else at its last space, else at its end."""
    comma = max(window.rfind(mark) for mark in CLAUSE_ENDS)
    if comma >= 0:
        return comma + 1
    space = max(window.rfind(ch) for ch in " \t\u3000")
    return space if space > 0 else len(window)


def _strip(line: str, a: int, b: int) -> tuple[int, int]:
    while a < b and (line[a].isspace() or line[a] in EXTRA_SPACE):
        a += 1
    while b > a and (line[b - 1].isspace() or line[b - 1] in EXTRA_SPACE):
        b -= 1
    return a, b


def table_line(text: str) -> bool:
    """A line of a table: a row of cells, or the rule under a Markdown table's header row."""
    return TABLE_CELLS in text or bool(MARKDOWN_TABLE_RULE.fullmatch(text))


def _in_field_list(lines: list[str], fields: list[re.Match | None]) -> list[bool]:
    """Per line: it names a field and its value (`fields`: FIELD_LINE's match of each line), and so does the
    nearest non-blank line before or after it."""
    out = [False] * len(lines)
    previous = None  # the nearest non-blank line's index
    for i, (line, field) in enumerate(zip(lines, fields)):
        if not line.strip():
            continue
        if field and previous is not None and fields[previous]:
            out[i] = out[previous] = True
        previous = i
    return out


def split_sentences(text: str, source: str = "") -> list[Sentence]:
    sentences: list[Sentence] = []
    offset = 0
    in_header = True
    lines = text.split("\n")
    fields = [FIELD_LINE.match(line) for line in lines]
    in_field_list = _in_field_list(lines, fields)
    for line_no, line in enumerate(lines):
        if in_header and (len(line.strip()) >= PARAGRAPH_CHARS or line_no >= MAX_HEADER_LINES
                          or line.lstrip().startswith("#")  # a Markdown document opens with its title
                          or OUTLINE_HEADING.match(line)):
            in_header = False
        # A field naming no publication detail is the document's content, though it comes first: a meeting's time,
        # place and chair above its minutes ("会议地点：第一会议室"), an event's fee.
        field = fields[line_no]
        header = in_header and not (line.strip().rstrip(CLOSERS)[-1:] in END_MARKS and not HEADER_WORDS.search(line)
                                    or field and not HEADER_WORDS.search(field.group(1)))
        spans = _split_line(line)
        for a, b in spans:
            quote = line[a:b]
            quotable = not BOILERPLATE.search(quote) and not MARKDOWN_TABLE_RULE.fullmatch(quote)
            # A short line ending in a clause mark is an item of a list that one sentence runs through ("（三）司龄满6年
            # 不满10年的，每年12天；"), not a heading.
            heading = (quotable and not in_header and len(spans) == 1 and not table_line(quote)
                       and not LIST_ITEM.match(line) and (quote.startswith("#") or (
                           not in_field_list[line_no] and len(quote) <= HEADING_CHARS
                           and quote.rstrip(CLOSERS)[-1:] not in END_MARKS + "." + CLAUSE_ENDS)))
            sentences.append(Sentence(source, offset + a, offset + b, quote, header, quotable, heading))
        offset += len(line) + 1
    if in_header:
        # A document made only of short lines has no header: all of it is content.
        sentences = [Sentence(s.source, s.start, s.end, s.text, False, s.quotable, s.heading) for s in sentences]
    return sentences
