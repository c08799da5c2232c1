"""Turning text into search terms. Documents and questions go through the same function.

- NFKC folds full-width forms (`ＧＰＴ`, `％`, `，`) into half-width, then lower case, then
  Traditional -> Simplified Chinese, so a Traditional question matches a Simplified document
  (and the other way round: both sides are converted).
- Names, model names and numbers are cut out before jieba sees them, so "GPT-5.4", "OSWorld-Verified",
  "10.2 万", "72.7%" and "2026-03-17" each stay one term. Adjacent Latin words also give a
  phrase term ("claude code"), so multi-word names match as a whole.
- The rest goes to jieba in search mode, which also yields the parts of long words
  ("编程语言" -> 编程, 语言, 编程语言). jieba's table is read from disk for single questions
  (rag/jieba_on_disk.py) and from memory for bulk work; the cuts are the same.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import jieba
import opencc

jieba.setLogLevel(60)  # jieba prints its dictionary loading to stderr otherwise

_T2S = opencc.OpenCC("t2s")


def _t2s(text: str) -> str:
    """OpenCC's Traditional->Simplified conversion, skipped for a text that holds no character any of its entries
    changes: such a text converts to itself (every entry it could match maps to itself), and the converter is
    pure Python (~0.5 ms a sentence), so this spares nearly all of it on Simplified text."""
    return text if _changing_characters().isdisjoint(text) else _converted(text)


@functools.lru_cache(maxsize=512)
def _converted(text: str) -> str:
    """A Traditional question is converted several times as it is read (its script, its terms, its view, its
    embedding)."""
    return _T2S.convert(text)


def opencc_dictionary(name: str) -> Iterator[tuple[str, str]]:
    """(entry, its values as written) of each line of one of OpenCC's dictionary files ("TSPhrases.txt")."""
    for line in (Path(opencc.__file__).parent / "dictionary" / name).read_text(encoding="utf-8").splitlines():
        key, _, values = line.partition("\t")
        yield key, values


@functools.cache
def _changing_characters() -> frozenset[str]:
    """The characters of OpenCC's t2s dictionaries (config/t2s.json: TSPhrases, then TSCharacters) that an entry
    changes: where an entry and its first value differ, or all of an entry whose value has another length."""
    changing: set[str] = set()
    for name in ("TSPhrases.txt", "TSCharacters.txt"):
        for key, values in opencc_dictionary(name):
            value = values.split(" ")[0]
            if key != value:
                changing.update((a for a, b in zip(key, value) if a != b) if len(key) == len(value) else key)
    return frozenset(changing)

PROTECTED = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}"  # dates 2026-03-17
    r"|\d{1,2}:\d{2}"  # times 15:42
    r"|\d+(?:[.,]\d+)*(?:\s?[万亿千百]+)?%?"  # numbers with their scale: 10.2 万, 72.7%, 1,000
    r"|[a-z][a-z0-9]*(?:[-_.+][a-z0-9]+)*"  # names and versions: gpt-5.4, osworld-verified, vllm
)
LATIN_WORD = re.compile(r"[a-z][a-z0-9]*(?:[-_.+][a-z0-9]+)*")
HAS_WORD_CHAR = re.compile(r"\w")
POSSESSIVE = re.compile(r"(?<=[a-z])['’]s\b")

# Words that say nothing about the topic of a question: function words and question words.
STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 或 有 吗 呢 吧 啊 呀 么 什么 多少 哪 哪些 哪个 哪家 哪里 哪天 哪年 怎么 怎样 怎么样 如何 为什么 为何
    谁 几 是否 是不是 这 那 这个 那个 这些 那些 个 把 被 对 从 到 给 也 都 就 而 之 其 该 为 以 于 上 下 中 里 会 能 可以 要 让
    并 又 还 等 做 说 它 他 她 它们 他们 我 我们 你 您 请问 一下 一个 时候 什么样 多 少 怎 年 月 日 名 位 种 项 些 家 那家 这家 一家 条 件
    多久 多长 多大 多高 多远 多快 几时 何时 何地 哪儿 啥 为啥 咋 能否 可否 有没有
    文章 本文 文中 原文 这篇 该文 篇文章 这篇文章 开头 结尾 提到 提及 讲 介绍 描述 表示
    a an the of to in on at for by with from as is are was were be been being do does did what which who whom whose
    when where why how much many it its this that these those and or but not no can could should would will
    about into than then there their they them he she his her you your we our i me my
    have has had having get gets got go goes going went make makes made doing done out up over also all any both each
    few more most other some such only own same so too very just now here again once
    take takes took taken taking give gives gave given giving thing things""".split()
)


def normalize(text: str) -> str:
    return _t2s(unicodedata.normalize("NFKC", text).lower())


_disk_tokenizer = None


def segmenter() -> jieba.Tokenizer:
    """jieba's own tokenizer when its table is in memory already (bulk work: `rag build`); otherwise the one
    reading the table from disk, which answers a first question without loading it. Both cut the same."""
    global _disk_tokenizer
    if jieba.dt.initialized:
        return jieba.dt
    if _disk_tokenizer is None:
        from rag.jieba_on_disk import disk_tokenizer

        _disk_tokenizer = disk_tokenizer()
    return _disk_tokenizer


_pos_tagger = None


def pos_tagger():
    """jieba's part-of-speech tagger over `segmenter()`. Importing jieba.posseg reads jieba's word-tag table
    (about 0.5 s) for its own tagger, whose tokenizer would then load jieba's whole table too; ours shares that
    word-tag table and cuts with `segmenter()`, so the first answer pays the table once."""
    global _pos_tagger
    if _pos_tagger is None:
        import jieba.posseg

        class SharedTags(jieba.posseg.POSTokenizer):
            def load_word_tag(self, f):
                f.close()
                self.word_tag_tab = jieba.posseg.dt.word_tag_tab

        _pos_tagger = SharedTags(segmenter())
    return _pos_tagger


def in_jieba_dictionary(word: str) -> bool:
    """Whether jieba's table holds `word` as a word (its prefixes of longer words are held with frequency 0)."""
    return bool(segmenter().FREQ.get(word))


def _jieba_terms(segment: str) -> list[str]:
    return [w for w in segmenter().cut_for_search(segment) if HAS_WORD_CHAR.search(w)] if segment.strip() else []


def tokenize(text: str) -> list[str]:
    """Search terms of `text`, in order."""
    text = POSSESSIVE.sub("", normalize(text))
    terms: list[str] = []
    pos = 0
    previous_latin_end, previous_latin = -2, ""
    for m in PROTECTED.finditer(text):
        terms.extend(_jieba_terms(text[pos : m.start()]))
        term = re.sub(r"\s", "", m.group())
        terms.append(term)
        if LATIN_WORD.fullmatch(term):
            if previous_latin and text[previous_latin_end : m.start()] == " ":
                terms.append(previous_latin + " " + term)
            previous_latin_end, previous_latin = m.end(), term
        pos = m.end()
    terms.extend(_jieba_terms(text[pos:]))
    return terms


def to_simplified(text: str) -> str:
    """What the embedder sees: the text in Simplified script, otherwise unchanged."""
    return _t2s(text)


def squash(text: str) -> str:
    """Normalised text without whitespace, for substring tests: "1.7 万" and "1.7万" become the same."""
    return "".join(normalize(text).split())
