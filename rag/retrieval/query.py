"""What a question searches for: its terms (with English words bridged to Chinese) and its topic concepts.

A concept is one topic word of the question, with the corpus terms that count as finding it, and a
weight: how rare the word is in the documents (BM25 idf; a word found nowhere weighs the most). The
word right after a question word ("哪个城市", "什么场合") names the kind of answer rather than the topic,
so it weighs half. A word Taiwan writes otherwise than the mainland is found written either way, and a number
written in words is found written in digits (rag/retrieval/numbers.py).
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from rag.retrieval.glossary import english_stem
from rag.retrieval.numbers import english_numbers, number_word, numbers_in_words
from rag.tokens import LATIN_WORD, STOPWORDS, normalize, opencc_dictionary, squash, to_simplified, tokenize

# A name with a digit in it (gpt-6, r3, 5g) or a number of three digits or more (a year, a code): never an English
# word that the glossary could carry to Chinese, and not written otherwise by documents that hold it.
IDENTIFIER = re.compile(r"(?=[a-z0-9._+-]*[a-z])(?=[a-z0-9._+-]*\d)[a-z0-9][a-z0-9._+-]*|\d{3,}")
ANSWER_KIND_AFTER = frozenset("哪个 哪些 什么 哪家 哪种 哪位 哪类 何种 怎样 which what".split())
ANSWER_KIND_WEIGHT = 0.5
# "多少钱" asks for a sum of money, which the documents write as one ("5000 亿美元", "3999 元"), not as 钱: after
# 多少 or 几, 钱 is found in a sentence only where it writes an amount in a currency (`Concept.in_sentence`). These
# forms leave out a bare 元 (公元, 单元); the answer marks' currencies are `rag.answering.kinds.CURRENCIES`.
MONEY_WORD = "钱"
CURRENCY_FORMS = (*(f"{d}元" for d in "0123456789"), "十元", "百元", "千元", "万元", "亿元", "块钱", "美元", "欧元",
                  "日元", "英镑", "港元", "港币", "人民币", "新台币", "韩元", "卢布", "法郎")
ASKS_AMOUNT = frozenset(("多少", "几"))
# Words that ask for a share ("涨了百分之多少", "有几成"): the kind of answer (rag/answering/kinds.py), not a topic
# word, as the documents write the share in digits ("600%").
ASKS_SHARE = frozenset("百分之 百分 几成".split())
# A pointing word (这条, 那场, 哪位) or a count or time asked (几个, 几位, 几点), jieba's one word of 这/那/哪/几 and
# a classifier: grammar, which the documents never write where they answer ("共设12座车站" for "这条路线有几个站",
# "编辑：大风" for "编辑是哪位"); as topic words found nowhere they weighed the most of all.
CLASSIFIERS = "个些条座所位种次场部本首篇款支只名项件批片张家间台辆架艘棵块层段份届期处门样"
POINTING_OR_COUNTING = re.compile(f"[这那哪][{CLASSIFIERS}]|几[{CLASSIFIERS}人年天岁倍号点月周日]")
# "How long", "how far", "how old": the word after "how" asks for a quantity, as 多久, 多远 and 多大 do (stopwords),
# and the documents never write it where they answer ("long" was a topic word found nowhere in the answer).
ASKED_AFTER_HOW = frozenset("long far old big large high tall fast often soon early late wide deep heavy".split())
# In a question about the document itself, words naming the document or its publication say nothing about
# which header line answers ("这篇文章是哪天发布的" -> the date line has neither 文章 nor 发布): they are
# dropped, or replaced by the header word they point at.
DOCUMENT_WORDS = frozenset("""作者 记者 发 发布 发表 刊登 刊发 出版 撰写 写 文章 本文 新闻 报道 稿子 稿件 出自
    published publish posted post released release article story piece news report wrote written write""".split())
# A news report names its writer 记者 ("新华社北京3月5日电（记者王磊）"), an article 作者.
BYLINE = ("作者", "记者")
HEADER_SYNONYMS = {"作者": BYLINE, "记者": BYLINE, "wrote": BYLINE, "written": BYLINE, "write": BYLINE,
                   "writer": BYLINE, "author": BYLINE, "reporter": BYLINE, "editor": ("编辑",), "edited": ("编辑",),
                   "写": BYLINE, "撰写": BYLINE, "出自": ("来源", "出处")}


@dataclass(frozen=True)
class Concept:
    word: str
    weight: float
    alternatives: tuple[str, ...]  # corpus terms any of which counts as this word being found; empty = unfindable
    # When set, the forms that find the word in a candidate sentence and its window, instead of `alternatives`,
    # and nowhere else in a sentence's context: an amount ("5000 亿美元") for the 钱 of "多少钱", never 钱 itself
    # (钱包). Documents are still found by `alternatives`: one about anything that costs money writes amounts.
    in_sentence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Query:
    terms: tuple[str, ...]  # for BM25
    concepts: tuple[Concept, ...]
    # Names in Latin script that the documents contain (anthropic, gpt-5.4): a quote about another name is
    # no answer ("Anthropic's valuation" is not answered by OpenAI's), so they must be in it or just before it.
    names: tuple[str, ...]
    # Models, versions, codes and years the documents never contain (gpt-6, r3, 2022), and in a Chinese question
    # any word in Latin script they hold in no form (Gemini, DeepSeek, CFO): a question naming one is about
    # something they do not hold, however well its other words match ("GPT-6" is not "GPT-5.4").
    unknown_names: tuple[str, ...] = ()


# CC-CEDICT spells English the American way: a British spelling it lacks is looked up as the American one.
BRITISH_ENDINGS = (
    (re.compile(r"(?<=\w{2})is(e|es|ed|ing|ation|ations)$"), r"iz\1"),  # criticise, organisation
    (re.compile(r"(?<=\w{2})ys(e|es|ed|ing)$"), r"yz\1"),  # analyse
    (re.compile(r"(?<=\w{3})our(s|ed|ing|ite|ites)?$"), r"or\1"),  # colour, behaviour, favourite (not hour, four)
    (re.compile(r"(?<=\w{3})tre(s)?$"), r"ter\1"),  # centre, theatre
    (re.compile(r"(?<=\w{3})ogue(s)?$"), r"og\1"),  # catalogue
    (re.compile(r"(?<=\w{3})mme(s)?$"), r"m\1"),  # programme
)


def american_spelling(word: str) -> str:
    for pattern, replacement in BRITISH_ENDINGS:
        word = pattern.sub(replacement, word)
    return word


# Past forms the suffix stripper cannot bring back to the word a dictionary definition uses.
IRREGULAR = {
    "said": "say", "says": "say", "came": "come", "took": "take", "taken": "take", "gave": "give", "given": "give",
    "went": "go", "gone": "go", "bought": "buy", "sold": "sell", "told": "tell", "began": "begin", "begun": "begin",
    "won": "win", "lost": "lose", "left": "leave", "built": "build", "grew": "grow", "grown": "grow", "fell": "fall",
    "rose": "rise", "risen": "rise", "led": "lead", "paid": "pay", "spent": "spend", "found": "find", "held": "hold",
    "brought": "bring", "became": "become", "ran": "run", "wrote": "write", "written": "write", "knew": "know",
    "known": "know", "thought": "think", "saw": "see", "seen": "see", "met": "meet", "sent": "send", "kept": "keep",
    "chose": "choose", "chosen": "choose", "drove": "drive", "driven": "drive", "fought": "fight", "struck": "strike",
    "broke": "break", "broken": "break", "spoke": "speak", "spoken": "speak", "stood": "stand", "taught": "teach",
    "caught": "catch", "meant": "mean", "felt": "feel", "lent": "lend", "sought": "seek", "shot": "shoot",
    "people": "person", "children": "child", "men": "man", "women": "woman", "better": "good", "best": "good",
    "worse": "bad", "worst": "bad",
}


def _base_forms(word: str) -> list[str]:
    """Other spellings of an inflected English word to look up when its own stem is not in the glossary:
    companies -> company, using -> use, quitting -> quit, biggest -> big, said -> say."""
    forms = [IRREGULAR[word]] if word in IRREGULAR else []
    if word.endswith("ies") and len(word) > 4:
        forms.append(word[:-3] + "y")
    for suffix in ("ing", "ed", "est", "er"):
        base = word[: -len(suffix)]
        if word.endswith(suffix) and len(base) >= 2:
            forms.append(base + "e")  # using -> use, largest -> large
            if len(base) >= 3 and base[-1] == base[-2]:
                forms.append(base[:-1])  # quitting -> quit, biggest -> big
            if base.endswith("i"):
                forms.append(base[:-1] + "y")  # applied -> apply, earliest -> early
            forms.append(base)
    if word.endswith("ly") and len(word) > 4:
        forms.append(word[:-2])  # publicly -> public
        forms.append(word[:-2] + "e")  # widely -> wide
    return forms


def _renderings(word: str, glossary: dict[str, list[str]]) -> list[str]:
    """The corpus words the glossary gives for an English word; for one who does something ("subscribers"), also
    those of what is done ("subscribe": 订阅 besides 用户)."""
    stems = [english_stem(w) for w in (word, american_spelling(word), *_base_forms(word))]
    stem = next((s for s in stems if s in glossary), stems[1])
    agent = stem[:-2] if stem.endswith(("er", "or")) and len(stem) >= 6 else ""
    return [*glossary.get(stem, ()), *(glossary.get(agent, ()) if agent else ())]


@functools.cache
def regional_words() -> dict[str, dict[str, tuple[str, ...]]]:
    """Words Taiwan and the mainland write differently (OpenCC's TWPhrasesRev: 使用者 ~ 用户, 软体 ~ 软件, 释出 ~
    发布, 矽 ~ 硅), both sides in Simplified script, each way, by first character: a question in one's words finds
    the other's. Made once per process, ~10 ms."""
    pairs: dict[str, list[str]] = {}
    for key, values in opencc_dictionary("TWPhrasesRev.txt"):
        taiwan = to_simplified(key)
        for value in values.split():
            mainland = to_simplified(value)
            if taiwan != mainland:
                pairs.setdefault(taiwan, []).append(mainland)
                pairs.setdefault(mainland, []).append(taiwan)
    by_first: dict[str, dict[str, tuple[str, ...]]] = {}
    for word, others in pairs.items():
        by_first.setdefault(word[0], {})[word] = tuple(dict.fromkeys(others))
    return by_first


def regional_variants(word: str) -> list[str]:
    """`word` with one of its parts written the other region's way ("矽谷" -> "硅谷", "使用者" -> "用户")."""
    table = regional_words()
    out = []
    for i, ch in enumerate(word):
        for part, others in table.get(ch, {}).items():
            if word.startswith(part, i):
                out += [word[:i] + other + word[i + len(part):] for other in others]
    return out


def spelled_out(terms: list[str], in_corpus: Callable[[str], bool]) -> dict[str, str]:
    """Each English word of a phrase whose initials are an acronym the documents write, with that acronym: "annual
    recurring revenue" -> arr where a document writes ARR (as "large language model" LLM, "initial public offering"
    IPO). Three to five words in a row, the longest first: two initials would too often spell a word by chance."""
    words = [t for t in terms if " " not in t]
    out: dict[str, str] = {}
    start = 0
    while start < len(words):
        for size in range(5, 2, -1):
            run = words[start : start + size]
            if len(run) == size and all(LATIN_WORD.fullmatch(w) and w.isalpha() and w not in STOPWORDS for w in run):
                acronym = "".join(w[0] for w in run)
                if acronym not in run and in_corpus(acronym):
                    out.update(dict.fromkeys(run, acronym))
                    start += size - 1
                    break
        start += 1
    return out


def make_query(terms: list[str], idf: Callable[[str], float], in_corpus: Callable[[str], bool],
               glossary: dict[str, list[str]], about_document: bool,
               cut: Callable[[str], list[str]] = lambda text: [text],
               numbers_between: Callable[[float, float, bool], list[str]] = lambda low, high, percent: [],
               written: Callable[[str], bool] = lambda word: False, chinese: bool = False,
               glued: Callable[[str], tuple[str, ...]] = lambda word: ()) -> Query:
    """`cut` splits a glossary term into index terms, for BM25 ("首席执行官" -> 首席, 执行官); `numbers_between`
    gives the index's number terms with a value in a range ("3600万" for 3000万 to 4000万), percentages or not.
    `written` tells whether the documents write a word in Latin script somewhere, also inside a longer one or
    with other separators ("gpt" in "gpt-5.4", "gpt5.4", "claudecode" for "claude code"); `chinese`: the
    question is in Chinese, so a word in Latin script in it is a name or a term. `glued` gives the index's
    terms that hold a name the index lacks as a term, cut with a neighbouring character or without one
    ("梁雨菲于" for 梁雨菲): they find it as the documents' cut has it."""
    concepts: dict[str, Concept] = {}
    search_terms: list[str] = []
    previous = ""
    # A number in words is one topic word: jieba's search mode also cuts "三千多万" into 三千, 千多, 多万, 三千多,
    # which would weigh as four more words found nowhere.
    numbers = {t: n for t in terms if (n := number_word(t)) is not None}
    acronym_of = spelled_out(terms, in_corpus)
    for term in terms:
        if term in acronym_of:
            if acronym_of[term] in concepts:  # the phrase's first word stood for it
                continue
            term = acronym_of[term]
        if " " in term:  # a phrase term ("claude code") only searches; its words are concepts of their own
            search_terms.append(term)
        part_of_number = any(term != n and term in n for n in numbers)
        # a letter the documents never hold as a word is found only inside other words ("o" in "openai"): the
        # question "o" was answered at 0.84 with any sentence near a name
        stray_letter = len(term) == 1 and LATIN_WORD.fullmatch(term) is not None and not in_corpus(term)
        asks_measure = previous == "how" and term in ASKED_AFTER_HOW
        grammar = term in STOPWORDS or term in ASKS_SHARE or POINTING_OR_COUNTING.fullmatch(term) is not None
        if " " in term or grammar or part_of_number or stray_letter or asks_measure:
            if part_of_number:
                search_terms.append(term)
            previous = term
            continue
        alternatives: tuple[str, ...] = (term,)
        forms: tuple[str, ...] = ()
        if about_document and term in DOCUMENT_WORDS:
            alternatives = HEADER_SYNONYMS.get(term, ())
            if not alternatives:
                continue
        elif number := numbers.get(term):  # in words, or in English with its scale ("morethan30million")
            in_range = numbers_between(number.low, number.high, number.percent) if number.found_by_value else []
            alternatives = tuple(dict.fromkeys(a for a in (term, number.in_digits(), *in_range) if a))
        elif LATIN_WORD.fullmatch(term) and not (chinese and in_corpus(term)):
            # kept itself too: as a substring it still finds its inflections ("sleep" in "sleeps"). An English
            # word the documents also hold (a name's "Harbor University" after 海港大学) is found in Chinese too.
            renderings = _renderings(term, glossary)
            if renderings or not in_corpus(term):
                alternatives = tuple(dict.fromkeys((term, *renderings, *HEADER_SYNONYMS.get(term, ()))))
        elif not LATIN_WORD.fullmatch(term) and (variants := regional_variants(term)):
            alternatives = tuple(dict.fromkeys((term, *variants)))
        elif forms := glued(term):
            alternatives = (term, *forms)
        # a name the documents write only glued ("梁雨菲于") is as rare as that term, not found nowhere
        weight = (min(map(idf, alternatives)) if forms else idf(term)) * (
            ANSWER_KIND_WEIGHT if previous in ANSWER_KIND_AFTER else 1.0)
        in_sentence = CURRENCY_FORMS if term == MONEY_WORD and previous in ASKS_AMOUNT else ()
        concepts.setdefault(term, Concept(term, weight, alternatives, in_sentence))
        search_terms.extend(t for a in alternatives or (term,) for t in (cut(a) if a != term and a not in forms else (a,)))
        previous = term
    if not concepts:  # a question made only of stopwords still searches with them
        search_terms = list(terms)
    # An English word with Chinese renderings is a word, not a name, even where a document writes it ("harbor"):
    # a quote need not hold it in Latin script.
    names = tuple(c.word for c in concepts.values() if LATIN_WORD.fullmatch(c.word) and in_corpus(c.word)
                  and (chinese or c.alternatives == (c.word,)))
    # A question in Chinese writes a name in Latin script as the documents would; one in English names people
    # and firms the documents write in Chinese (Altman: 奥特曼, which no glossary holds), so only its codes count.
    unknown = tuple(c.word for c in concepts.values()
                    if (IDENTIFIER.fullmatch(c.word) or (chinese and LATIN_WORD.fullmatch(c.word)))
                    and c.word not in numbers and not any(map(in_corpus, c.alternatives)) and not written(c.word))
    return Query(tuple(search_terms), tuple(concepts.values()), names, unknown)


def with_abbreviations(query: Query, abbreviations: dict[str, tuple[str, ...]]) -> Query:
    """`query` with each topic word inside a Chinese term also found by that term's abbreviations, which the
    documents write (`abbreviations`: {"应用程序接口": ("api",)}, from `glossary.abbreviated`): a question asking
    about 应用程序接口 (cut 应用程序, 接口) or 人工智能 is answered by a text that writes API or AI."""
    concepts, added = [], []
    for c in query.concepts:
        more = tuple(a for term, found in abbreviations.items() if c.word in term for a in found if a not in c.alternatives)
        concepts.append(replace(c, alternatives=c.alternatives + more) if more and c.alternatives else c)
        added += more
    return replace(query, terms=query.terms + tuple(dict.fromkeys(added)), concepts=tuple(concepts))


def question_terms(text: str) -> list[str]:
    """A question's search terms: the document's (`tokenize`), and each number it writes in words, or in English
    with its scale word ("30 million"), as one."""
    return [*tokenize(text), *numbers_in_words(squash(text)), *english_numbers(normalize(text))]


def share_found(concepts: tuple[Concept, ...], found: Sequence[bool]) -> float:
    """Share of the concepts' weight whose `found` is true (a concept is found in a text, normalised and without
    spaces, when one of its alternatives is a substring of it: a jieba cut that differs between question and
    document, "市值" inside "股市值", still counts). 1.0 when the concepts weigh nothing."""
    total = sum(c.weight for c in concepts)
    if total == 0:
        return 1.0
    return sum(c.weight for c, f in zip(concepts, found) if f) / total
