"""The part of a quote that answers the question, for highlighting: a date for "when", a number with its unit
for "how many", a person for "who", a place for "where", a title in 《》 for "which book, film or song".
Offsets are relative to the quote.

Candidates are found by patterns (titles, dates, numbers with units) and by jieba's part-of-speech tags (nr person,
ns place, nt organisation; for a "when" whose quote holds no date in digits, a time written in words: 东汉时期, 嘉禾二年);
what the question already names is never the answer. A range is one answer, and a
count in the unit the question asks for ("多少人") goes before other numbers. Among several, the one closest to
the question's words in the quote is taken; for "where" and "who", first what the question's own words frame in the
quote ("首都设在何处" against "首都设在波昂"). A question listing all but one item of a list the quote gives asks
for that one ("部曲、佃客以及哪种人": 奴隶), whatever it is. Other questions get no span: the whole quote answers.
A table row's answer is the cell under the header cell the question asks about, whatever the question's kind.
"""
from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Callable

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
# Parts of speech that end a name jieba has cut apart: prepositions, conjunctions, particles, adverbs, directions,
# pronouns, numerals, measure words, verbs, adjectives, times.
FUNCTION_TAGS = frozenset("p c d f r m q v vn vd a ad an t u uj ul uz ud ug uv".split())
CJK_CHARACTER = re.compile(r"[\u4E00-\u9FD5]")
YEAR = re.compile(r"(?:公元前?|西元前?)?\d{4}\s*年")
A_ONE = re.compile(r"一\s*[个家位名座种条项所间场只匹头辆艘架部首本张册套件台份枚颗株棵篇处起]")  # not 一年, 一次: counts
PLACE_NAME_PARTS = ("nr", "nrt", "nz")  # what jieba tags the 普鲁士 of 普鲁士王国, the 佛利 of 比佛利山庄
# A Latin-script name right after a Chinese one, in brackets.
SPELLED_OUT = re.compile(r"[\u4E00-\u9FD5]\s*[（(]\s*$")


def _tagged(run: re.Match) -> list[tuple[int, int, str, str]]:
    """jieba's words of one NAME_RUN, each with its start and end in the text, and its part-of-speech tag."""
    words, pos = [], run.start()
    for word, flag in _tags(run.group()):
        words.append((pos, pos + len(word), word, flag))
        pos += len(word)
    return words


@lru_cache(maxsize=1024)
def _tags(run: str) -> tuple[tuple[str, str], ...]:
    # a "who" tags a quote's runs again for places when it names no person
    return tuple((pair.word, pair.flag) for pair in pos_tagger().cut(run))


def _names(run: re.Match, text: str, wanted: tuple[str, ...]) -> list[tuple[int, int]]:
    """Spans of the names jieba tags `wanted` in one NAME_RUN of `text`; neighbouring name parts make one name."""
    words = [(a, b, flag) for a, b, _, flag in _tagged(run)]
    dotted = _dotted(words, text)
    spans, k = [], 0
    while k < len(words):
        a, b, flag = words[k]
        if flag in wanted:
            # a place jieba cuts after a name part ("普鲁士|王国", "比|佛利|山庄"): the name part is the place's too
            while ("ns" in wanted and k > 0 and words[k - 1][2] in PLACE_NAME_PARTS
                   and (not spans or spans[-1][1] <= words[k - 1][0])):
                k -= 1
                a = words[k][0]
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
            if b - a == 1 and k + 1 < len(words):
                # jieba cuts a rare given name into single characters ("赵|蕤", "朱|允|炆"): a surname alone takes
                # the one or two single characters after it that are no function word; followed by one, it is no
                # name (the 府 of a 市政府 cut apart). At the end of a run it stays: the run may end at a character
                # jieba does not read.
                while (k + 1 < len(words) and b - a < 3 and words[k + 1][1] - words[k + 1][0] == 1
                       and CJK_CHARACTER.match(text, words[k + 1][0]) and words[k + 1][2] not in FUNCTION_TAGS):
                    k += 1
                    b = words[k][1]
            if b - a > 1 or k + 1 == len(words):
                # a name that is part of a dotted one is the whole of it
                a, b = next(((min(a, s), max(b, e)) for s, e in dotted if s < b and a < e), (a, b))
                if (a, b) not in spans:
                    spans.append((a, b))
        k += 1
    return spans


DOTTED_TAGS = frozenset(("nr", "nrt", "nrfg", "nz", "ns", "ng"))
DOTTED_PART = 4  # characters of a dotted name's first or last part, where jieba cut that part into words
JOINING_WORDS = frozenset("和 与 及 或 同 跟 的 是 在 为 以 由 被".split())


def _dotted(words: list[tuple[int, int, str]], text: str) -> list[tuple[int, int]]:
    """The names whose parts dots join, whole where jieba cut a part apart ("伊夫|林·比|阿特|丽斯·霍尔",
    "马科·哥伦部|罗"): from the words before the first dot to the words after the last one, each end up to a
    function word or DOTTED_PART characters."""
    dots = [k for k, (s, e, _) in enumerate(words) if text[s:e] in "·•"]

    def inner(word: tuple[int, int, str]) -> bool:
        # a word between two dots, or right after the last, whatever jieba tags it, but one joining two names
        # ("詹姆斯·霍本和班杰明·亨利")
        return word[2] != "x" and text[word[0]:word[1]] not in JOINING_WORDS

    def part(word: tuple[int, int, str]) -> bool:
        # a name, or one character that is no function word: not a title before the name (主角), nor a verb after it
        s, e, flag = word
        return flag in DOTTED_TAGS or (e - s == 1 and flag not in FUNCTION_TAGS and flag != "x")

    def next_dot(k: int) -> int | None:
        # the next dot of the same name: one to three words of a name after dot k
        return max((d for d in dots if k < d <= k + 4 and all(inner(words[j]) for j in range(k + 1, d))), default=None)

    names: list[tuple[int, int]] = []
    for first in dots:
        if names and words[first][0] < names[-1][1]:
            continue
        last = first
        while (following := next_dot(last)) is not None:
            last = following
        k = first
        while k > 0 and part(words[k - 1]) and (k == first or words[first][0] - words[k - 1][0] <= DOTTED_PART):
            k -= 1
        start = words[k][0]
        if words[k][1] - start > 2 and text[start] in NOT_A_SURNAME:  # "由威廉" as one word
            start += 1
        k = last
        while k + 1 < len(words) and (inner(words[k + 1]) if k == last else
                                      part(words[k + 1]) and words[k + 1][1] - words[last][1] <= DOTTED_PART):
            k += 1
        if start < words[first][0] and k > last:
            names.append((start, words[k][1]))
    return names


# A time written without digits (the fallback of a "when" question's mark): a word jieba tags as a time (清朝, 南北朝,
# 明末清初), a word before one of ERA_WORDS (文艺复兴|时期, 飞鸟|时代, 道光|年间), a name and a year in numerals (嘉禾|二年,
# 乾隆|十五年: a reign) or a year of the sixty-year cycle (庚申年). Not the words that only place a fact in its story.
ERA_WORDS = frozenset(("时期", "时代", "年间", "初期", "中期", "末期", "晚期", "早期"))
REIGN_YEAR = re.compile(r"(?:[一二三四五六七八九十]{1,3}|元)年")
CYCLE_YEAR = re.compile(r"[甲乙丙丁戊己庚辛壬癸][子丑寅卯辰巳午未申酉戌亥]年")
NAME_TAGS = frozenset(("nr", "nrt", "nrfg", "ns", "nz", "n", "t", "l", "j"))
ASKS_YEAR = re.compile(r"哪一?年|什么年份|哪个年份|(?:which|what)year")
RATIO_QUESTION = re.compile(r"比数|比分|比例|比率|几比几|多少比多少")
RATIO = re.compile(r"(?<![\d.])\d+\s*(?:比|:)\s*\d+(?![\d.])")
# What a time mark may be beyond the index's TIME (which the ranker's has_time reads): a range of months whose
# first end names no month ("2至4月"), a time of day ("上午11:00~12:00").
MARKED_TIME = re.compile(r"\d{1,2}\s*(?:至|到|-|–|~|～)\s*\d{1,2}\s*月|(?:上午|下午|早上|晚上|中午|凌晨)?\d{1,2}:\d{2}"
                         r"(?:\s*(?:至|到|-|–|~|～)\s*\d{1,2}:\d{2})?|" + TIME.pattern)
ASKS_WHEN = re.compile(r"什么时候|何时|哪天|哪一天|哪一?年|几月|几号|什么(?:时期|时代|年代|日期|时间)|哪个(?:时期|时代|年代|朝代)|when|(?:what|which)(?:date|day|year|month|time)")
DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
GIVEN_NUMBER = re.compile(r"(?<![a-z\d/.,])\d+(?:[.,]\d+)*(?![\d/a-z])")  # not part of a code ("7/34P号决议")
DURATION_QUESTION = re.compile(r"多久(?!以前|之前|前)|多长时间|多少时间|多少(?:个)?(?:年|月|天|小时|分钟|星期|周)(?!前)|几(?:个)?(?:年|月|天|小时|分钟|星期|周)(?!前)")
ASKS_ERA = re.compile(r"(?:什么|哪个|哪一个?|何)(?:时期|时代|朝代|朝)")
RELATIVE_TIMES = frozenset("当时 现在 目前 同时 以前 以后 之前 之后 今天 今日 最近 此时 那时 其时 平时 随时 届时 以来 过去 未来 后来 "
                           "当初 起初 最初 最后 将来 如今 当年 早期 晚期 初期 中期 末期 近年 近期 长期 短期 期间 年代 时代 时期 近来 "
                           "向来 从来 历来 素来 周期 上一代 下一代 青年 少年 童年 中年 老年 中叶 初叶 末叶 世纪末 世纪初 上旬 中旬 下旬 "
                           "从前 以往 往昔 昔日 当今 今后 此后 日后 其后 早先 先前 事后 同年 次年 翌年 该年 是年 这年 那年 本年".split())


def _eras(run: re.Match) -> list[tuple[int, int]]:
    """Spans of the times written without digits in one NAME_RUN (see ERA_WORDS)."""
    words = _tagged(run)
    spans = []
    for k, (a, b, word, flag) in enumerate(words):
        previous = words[k - 1] if k else None
        if CYCLE_YEAR.fullmatch(word) or (flag == "t" and len(word) > 1 and word not in RELATIVE_TIMES):
            spans.append((a, b))
        elif (word in ERA_WORDS or REIGN_YEAR.fullmatch(word)) and previous and previous[3] in NAME_TAGS \
                and len(previous[2]) > 1 and previous[2] not in RELATIVE_TIMES:
            spans.append((previous[0], b))
        elif len(word) > 3 and word[-2:] in ERA_WORDS:  # 东汉时期 as one word (not 一时期)
            spans.append((a, b))
    return spans


# A named work written without 《》 (the fallback of a "which book, treaty, newspaper" question's mark): a word ending
# in what names a work (马关条约, 人民日报, 后汉书), or such a word after the names and nouns jieba cut from it (民权|法案,
# 旧金山|和约, 查士丁|尼|法典).
WORK_ENDINGS = ("条约", "和约", "协定", "公约", "法案", "法典", "宣言", "日报", "时报", "晚报", "周刊", "杂志", "书", "经")
WORK_NOUNS = frozenset(("条约", "和约", "协定", "公约", "法案", "法典", "宣言"))
WORK_NAME_PARTS = frozenset(("n", "nr", "nrt", "nz", "ns", "nt", "ng", "rg", "j"))


def _works(run: re.Match) -> list[tuple[int, int]]:
    """Spans of the works named without 《》 in one NAME_RUN (see WORK_ENDINGS)."""
    words = _tagged(run)
    spans = []
    for k, (a, b, word, flag) in enumerate(words):
        if word in WORK_NOUNS:
            first = k
            while first > 0 and k - first < 3 and words[first - 1][3] in WORK_NAME_PARTS:
                first -= 1
            if first < k:
                spans.append((words[first][0], b))
        elif len(word) > 2 and word.endswith(WORK_ENDINGS) and flag in WORK_NAME_PARTS:
            spans.append((a, b))
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

    def nearest(found_in: Callable[[re.Match], list[tuple[int, int]]]) -> list[tuple[int, int]]:
        """The span `found_in` a run that is nearest the question's words, alone in a list; none: empty."""
        found = _nearest(found_in, normalised, asked, distance)
        return [] if found is None else [found[1:]]

    left_out = _left_out_of_list(normalised, view.squashed, asked)
    if left_out is not None:
        return left_out
    spans: list[tuple[int, int]] = []
    if "place" in kinds and SOURCE_QUESTION.search(view.squashed):
        spans += [m.span() for m in WORK_TITLE.finditer(normalised)]
    if "work" in kinds and not spans:
        spans += [m.span() for m in WORK_TITLE.finditer(normalised)] or nearest(_works)
    # A length of time is a count ("持续多久", "花多少时间": 50年, 三个月), not the date beside it, and a count asked
    # in its unit comes before a time the question only names ("英宗时期总共设置多少个行省": 十一个, not 1321年).
    count_first = "quantity" in kinds and (DURATION_QUESTION.search(view.squashed)
                                        or (view.units and not ASKS_WHEN.search(view.squashed)))
    dates = lambda: _joined([m.span() for m in MARKED_TIME.finditer(normalised)], normalised)
    if "time" in kinds and not spans and not count_first:
        eras = cache(lambda: nearest(_eras))  # sought at most once, for up to three rules below
        if ASKS_ERA.search(view.squashed):  # "哪一个时期的风格": 文艺复兴时期 before 16世纪
            spans += eras()
        if not spans:
            spans += dates()
        if ASKS_YEAR.search(view.squashed):  # "哪一年宣布辞职": 1974年 or 昭和四十九年, not the 10月 beside it
            with_year = lambda found: [s for s in found if "年" in normalised[s[0]:s[1]]]
            spans = with_year(spans) or with_year(eras()) or spans
        if not spans and not kinds & {"person", "place", "quantity"}:  # "哪位皇帝在位时期" asks for the emperor
            spans += eras()
    if "quantity" in kinds and not spans and RATIO_QUESTION.search(view.squashed):  # "以多少比数输给": 1比3
        spans += [m.span() for m in RATIO.finditer(normalised)]
    if "quantity" in kinds and not spans:
        spans += _joined([m.span() for m in QUANTITY.finditer(normalised) if re.search(r"[\d一二两三四五六七八九十百千万亿]", m.group())],
                         normalised, brackets=False)
        # a number the question itself gives is not its answer ("百分之32" against "成长了32%")
        given = set(GIVEN_NUMBER.findall(view.squashed))
        spans = [s for s in spans if not given.intersection(DIGITS.findall(normalised, *s))]
        if view.units:  # "有多少人": a count of people before a year or a page count, however near
            counted = count_in(view.units)
            spans = [s for s in spans if counted.search(normalised, *s)] or spans
        # a year is a date, not a count ("维持了多少年": 149年, not the 1185年 it began); "一家公司" is "a company"
        spans = [s for s in spans if not (YEAR.fullmatch(normalised, *s) or A_ONE.fullmatch(normalised, *s))] or spans
    if count_first and "time" in kinds and not spans:
        spans += dates()
    if spans or not ("person" in kinds or "place" in kinds):
        return min(filter(asked, spans), key=lambda s: (distance(s[0], s[0]), s[0]), default=None)
    if PEOPLE_QUESTION.search(view.squashed):
        people = (_nearest(_peoples, normalised, asked, distance)
                  or _nearest_name(text, normalised, POS_KINDS["place"], False, asked, distance))
        if people is not None:
            return people[1:]
    if "place" in kinds:
        place = _framed(normalised, view.squashed, PLACE_QUESTION, asked)
        if place is not None:
            return _address(normalised, place, view.squashed)
    best = None
    if "person" in kinds:
        # a person's name inside the words the question frames, else the nearest name; where the quote names
        # none, those words ("主裁判", "百夫长")
        framed = _framed(normalised, view.squashed, PERSON_QUESTION, asked)
        named = None if framed is None else _name_within(normalised, framed, POS_KINDS["person"], asked)
        if named is not None:
            return named
        best = _nearest_name(text, normalised, POS_KINDS["person"], True, asked, distance)
        if best is None and framed is not None:
            return framed
    # "谁" is also answered by a people, a state or a body (突厥人, 西班牙, 清朝): a place or organisation when the
    # quote names no person
    if best is None:
        best = _nearest_name(text, normalised, POS_KINDS["place"] + POS_KINDS["organisation"], False, asked, distance)
        if best is not None and "place" in kinds:
            return _address(normalised, best[1:], view.squashed)
    return None if best is None else best[1:]


# What ends the parts of an address jieba cuts into words it does not tag as places (西湖区 is, 仙女山镇 and 郡 are not).
ADDRESS_PARTS = tuple("省市县区郡府州镇乡村路街道巷号")
# One character jieba cuts off a transliterated place ("明|尼亚|波利斯", 明 an adjective) joins the place after it;
# a function word (的, 是, 和) does not.
BRIDGE_STOPS = FUNCTION_TAGS - {"a"}
COUNTRY_QUESTION = re.compile(r"哪一?个?国家?")


def _address(normalised: str, span: tuple[int, int], question: str) -> tuple[int, int]:
    """A place mark (`span`) with the smaller places written right after it: "位于哪里" is answered by
    美国明尼亚波利斯 or 浙江省杭州市西湖区南山路12号, not by its first word; "哪个国家" by the country alone. A word
    the question says ends it ("在哪里长大": not 苏州长大)."""
    if COUNTRY_QUESTION.search(question):
        return span
    run = next((r for r in NAME_RUN.finditer(normalised) if r.start() <= span[0] and span[1] <= r.end()), None)
    if run is None:
        return span
    words = [w for w in _tagged(run) if w[0] >= span[1]]
    b, k = span[1], 0
    while k < len(words) and words[k][0] == b:
        _, e, word, flag = words[k]
        if word in question:
            break
        if flag == "ns" or (len(word) > 1 and word.endswith(ADDRESS_PARTS) and flag in FRAMED_TAGS):
            b, k = e, k + 1
        elif k + 1 < len(words) and len(word) == 1 and flag not in BRIDGE_STOPS and words[k + 1][3] == "ns":
            b, k = words[k + 1][1], k + 2
        elif word.isdigit() and k + 1 < len(words) and words[k + 1][2] == "号":
            b, k = words[k + 1][1], k + 2
        else:
            break
    return (span[0], b)


def _nearest_name(text: str, normalised: str, wanted: tuple[str, ...], latin_people: bool,
                  asked: Callable[[tuple[int, int]], bool], distance: Callable[[int, int], float]) -> tuple[float, int, int] | None:
    """The name jieba tags `wanted` (and, with `latin_people`, a person named in Latin script) nearest the question's
    words, as (distance, start, end)."""
    best: tuple[float, int, int] | None = None
    if latin_people:
        # jieba tags a name in Latin script as a foreign word, not as a person; in brackets after a Chinese name
        # it only spells that name ("保罗·塞里诺（Paul Sereno）")
        latin = [m.span() for m in LATIN_NAME.finditer(text) if not SPELLED_OUT.search(text, 0, m.start())]
        best = min(((distance(a, a), a, b) for a, b in filter(asked, latin)), default=None)
    return _nearest(lambda run: _names(run, text, wanted), normalised, asked, distance, best)


def _nearest(found_in: Callable[[re.Match], list[tuple[int, int]]], normalised: str,
             asked: Callable[[tuple[int, int]], bool], distance: Callable[[int, int], float],
             best: tuple[float, int, int] | None = None) -> tuple[float, int, int] | None:
    """The span `found_in` a NAME_RUN that is nearest the question's words, as (distance, start, end); `best`, one
    found otherwise. Tagging is the slow part of an answer: the runs are tagged nearest first, until the next one is
    further away than the best found (the same span as tagging the whole quote gives)."""
    for run in sorted(NAME_RUN.finditer(normalised), key=lambda m: distance(m.start(), m.end() - 1)):
        if best is not None and distance(run.start(), run.end() - 1) > best[0]:
            break
        for a, b in filter(asked, found_in(run)):
            best = min(best or (distance(a, a), a, b), (distance(a, a), a, b))
    return best


# A question asking where a saying or a word comes from is answered by the book it is in (出自何处: 《庄子》).
SOURCE_QUESTION = re.compile(r"(?:出自|来自|源自|源于|出于|引自|出现在|出现于|记载于|记载在|见于)(?:哪|何)")
# "哪国人" asks for a people (荷兰人, 西班牙人) or a country (德国), even where the question names a person (作者是哪国人).
PEOPLE_QUESTION = re.compile(r"(?:哪一?个?国家?|哪里|何处|何地|哪个地方|什么地方)的?人")
PERSON_QUESTION = re.compile(r"谁|哪一?位|何人|什么人")
PLACE_QUESTION = re.compile(r"哪里|哪儿|何处|何地|什么地方|哪一?个?(?:国家|城市|地区|地方|省|州|县|区|岛|国)|哪一?[国座所家]")
# What a place or person the question frames is cut into, where jieba tags no ns or nr for it all (耳廓, 信义|计划区,
# 匹兹堡|市中心, 主裁判): nouns, names, places, directions.
FRAMED_TAGS = frozenset(("ns", "n", "nr", "nrt", "nz", "nt", "ng", "s", "j", "f"))
FRAMED_LENGTH = 8
# Words jieba's dictionary tags as nouns that name no one and nowhere ("OpenAI 无法决定": not 无法).
UNNAMING_NOUNS = frozenset("无法 坦言 无权 有权 大家 双方 对方 部分 全部".split())
CLASSIFIERS = tuple("座所家位")  # counting words the noun asked for follows: 哪所|大学, 哪家|公司, 哪位|校长
CJK_RUN = re.compile(r"[\u4E00-\u9FD5]+")


def _peoples(run: re.Match) -> list[tuple[int, int]]:
    """Spans of the peoples in one NAME_RUN: a word of a place and 人 (荷兰人, 西班牙人), or a place and 人 cut apart."""
    words = _tagged(run)
    spans = []
    for k, (a, b, word, flag) in enumerate(words):
        if len(word) > 2 and word.endswith("人") and flag in NAME_TAGS:
            spans.append((a, b))
        elif flag == "ns" and k + 1 < len(words) and words[k + 1][2] == "人":
            spans.append((a, words[k + 1][1]))
    return spans


def _framed(normalised: str, question: str, asking: re.Pattern,
            asked: Callable[[tuple[int, int]], bool]) -> tuple[int, int] | None:
    """The words the question's own words frame in the quote, around the question word `asking` finds (a place's
    or a person's): the question's 2 to 4 characters before its question word found in the quote with nouns or names
    right after them ("首都设在何处" against "首都设在波昂"), or its characters after it with nouns or names right
    before them ("在哪里长大" against "在比佛利山庄长大", "是谁发布的" against "X发布"); longest first."""
    m = asking.search(question)
    if not m:
        return None
    runs = list(NAME_RUN.finditer(normalised))
    after = question[m.end():]
    # What the question says after its question word ends the answer ("小明在哪里读书" against "小明在北京大学读书",
    # jieba's 读书 a noun); after a counting word, it is the noun the answer ends in ("哪所大学读书": 北京大学).
    counted = m.group().endswith(CLASSIFIERS)
    follows = after[:2] if CJK_RUN.fullmatch(after[:2]) else ""
    for n in (4, 3, 2):
        before = question[max(0, m.start() - n):m.start()]
        if len(before) == n and CJK_RUN.fullmatch(before):
            for at in _occurrences(before, normalised):
                span = _nouns_after(runs, normalised, at, at + n)
                if span is not None and follows:
                    cut = normalised.find(follows, span[0] + 1, span[1])
                    span = span if cut < 0 else (span[0], cut + len(follows) if counted else cut)
                if span is not None and asked(span):
                    return span
    for n in (4, 3, 2):
        # "哪国的丞相" against "南宋的丞相" or "南宋丞相"
        for anchor in dict.fromkeys((after[:n], after[1:n + 1] if after.startswith("的") else "")):
            if len(anchor) == n and CJK_RUN.fullmatch(anchor):
                for at in _occurrences(anchor, normalised):
                    span = _nouns_before(runs, at)
                    if span is not None and asked(span):
                        return span
    return None


# "A、B以及什么", "除了A、B，还有哪一个": the question lists all but one of a list the quote gives.
LISTING_QUESTION = re.compile(r"(?:以及|还有|和|与|及|、)(?:哪|谁|何处|什么)")
CLAUSE = re.compile(r"[^，,。；;：:！？!?（）()]+")
LAST_ITEM = re.compile(r"以及|还有|和|与|及|或")
LIST_ITEM_LENGTH = 12


def _left_out_of_list(normalised: str, question: str, asked: Callable[[tuple[int, int]], bool]) -> tuple[int, int] | None:
    """The item of a list in the quote that a question listing the others asks for ("部曲、佃客以及哪种人" against
    "部曲、佃客和奴隶": 奴隶), whatever its kind: a list of one clause, items parted by 、 and the last by 和, 以及…,
    at least two of which the question names. An item is the nouns and names at its start (the first item's at its
    end, after what leads into the list)."""
    m = LISTING_QUESTION.search(question)
    if not m or "、" not in question[:m.start()]:
        return None
    runs = list(NAME_RUN.finditer(normalised))
    for clause in CLAUSE.finditer(normalised):
        c0, c1 = clause.span()
        commas = [c0 + k for k, c in enumerate(clause.group()) if c == "、"]
        if not commas:
            continue
        items = list(zip([c0] + [k + 1 for k in commas], commas + [c1]))
        a, b = items[-1]
        last = LAST_ITEM.search(normalised, a, b)
        if last and last.start() > a:
            items[-1:] = [(a, last.start()), (last.end(), b)]
        words = []
        for k, (a, b) in enumerate(items):
            core = _nouns_before(runs, b) if k == 0 else _nouns_after(runs, normalised, a, a)
            words.append(core if core is not None and a <= core[0] and core[1] <= b else (None if k == 0 else (a, b)))
        named = [w is not None and normalised[w[0]:w[1]] in question for w in words]
        if sum(named) < 2:
            continue
        for w, n in zip(words[1:], named[1:]):
            if not n and asked(w) and w[1] - w[0] <= LIST_ITEM_LENGTH:
                return w
    return None


def _name_within(normalised: str, span: tuple[int, int], wanted: tuple[str, ...],
                 asked: Callable[[tuple[int, int]], bool]) -> tuple[int, int] | None:
    """The first name jieba tags `wanted` that overlaps `span` (a name may run on past it: "约翰·海克特")."""
    a, b = span
    return next((s for run in NAME_RUN.finditer(normalised) if run.start() < b and a < run.end()
                 for s in _names(run, normalised, wanted) if s[0] < b and a < s[1] and asked(s)), None)


def _nouns_after(runs: list[re.Match], normalised: str, anchor: int, end: int) -> tuple[int, int] | None:
    """The nouns and names that start at `end`, right after the question's words at `anchor` (at most FRAMED_LENGTH
    characters), and at least the whole of a place jieba tags there."""
    run = next((r for r in runs if r.start() <= anchor and end + 1 <= r.end()), None)
    if run is None:
        return None
    words = [w for w in _tagged(run) if w[0] >= end]
    if not words or words[0][0] != end:
        return None
    b = end
    for _, e, word, flag in words:
        if flag not in FRAMED_TAGS or word in UNNAMING_NOUNS or e - end > FRAMED_LENGTH:
            break
        b = e
    place = next((s for s in _names(run, normalised, POS_KINDS["place"]) if s[0] == end), None)
    if place is not None:
        b = max(b, place[1])
    return (end, b) if b > end else None


def _nouns_before(runs: list[re.Match], at: int) -> tuple[int, int] | None:
    """The nouns and names that end at `at` (or at a 的 before it), right before the question's words there."""
    run = next((r for r in runs if r.start() < at <= r.end()), None)
    if run is None:
        return None
    words = [w for w in _tagged(run) if w[1] <= at]
    if not words or words[-1][1] != at:
        return None
    if words[-1][2] == "的":
        words.pop()
        at -= 1
    a = at
    for start, _, word, flag in reversed(words):
        if flag not in FRAMED_TAGS or word in UNNAMING_NOUNS or at - start > FRAMED_LENGTH:
            break
        a = start
    return (a, at) if a < at else None


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
