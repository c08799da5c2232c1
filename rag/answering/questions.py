"""Checking a question and reading what it asks for."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rag.errors import QuestionError
from rag.answering.kinds import asked_kinds
from rag.tokens import normalize, squash

MAX_CHARS = 1000
HTML_TAG = re.compile(r"<[^<>]{0,200}>")
CJK = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
# An English question may name what it asks about as the documents write it ("Where was Lin Yanqiu (林砚秋) sent?",
# "How many people work at 青苔工作室 now?"), and a Chinese one may name an English title or firm ("《This Is Where I
# Came In》是Bee Gees的第几张专辑？"). Outside brackets and quotes, the one with more English words than Chinese
# characters is English, and so is one opening with an English question word and another English word ("Who founded
# 青苔工作室?").
ENGLISH_OPENING = re.compile(r"\s*(?:who|whom|whose|what|when|where|which|why|how|is|are|was|were|do|does|did|can)\s+[a-z]",
                             re.IGNORECASE)
QUOTED = re.compile(r"\([^()]*\)|（[^（）]*）|《[^《》]*》|「[^「」]*」|“[^“”]*”|\"[^\"]*\"")
LATIN_WORDS = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")

DEFINITION = re.compile(r"^(?:什么是|何为)?\s*(.{1,30}?)\s*(?:是什么意思|是什么|指什么|是指什么|是啥)[?？]?$"
                        r"|^(?:什么是|什么叫|何为|何谓)\s*(.{1,30}?)\s*[?？]?$"
                        r"|^what (?:is|are|does) (.{1,30}?)(?: mean| stand for)?\s*\??$", re.I)
QUOTES = "“”\"「」『』‘’'"  # around the word defined ("什么是“乡里制”？"); the text defining it may not quote it
# Questions about the document itself (its author, editor, source, date) are answered from its header.
ABOUT_DOCUMENT = re.compile(r"文章|本文|这篇|原文|稿子|稿件|作者|编辑|来源|出处|这[条则]新闻|记者(?!会)|article|author|editor|\bsource\b|"
                            r"published|written|\bwrote\b|\breporter\b", re.I)


@dataclass(frozen=True)
class Question:
    text: str  # as asked, stripped
    search_text: str  # HTML tags removed
    language: str  # "zh-Hans", "zh-Hant" or "en"
    kinds: frozenset[str]  # what it asks for: "time", "quantity", "person", "place", "work", "reason", "manner"
    about_document: bool
    defines: str  # X of "X 是什么" / "what is X", normalised without spaces; "" for other questions


def check_question(question: object) -> str:
    """The question stripped of surrounding space, or QuestionError with a message that says what to fix."""
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, got {type(question).__name__}")
    text = question.strip()
    if not text:
        raise QuestionError("the question is empty; type a question about the documents")
    if len(text) > MAX_CHARS:
        raise QuestionError(f"the question is {len(text)} characters long; the limit is {MAX_CHARS}, so shorten it")
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc" and ch not in "\n\t\r":
            raise QuestionError(f"the question contains the control character U+{ord(ch):04X}; remove it and ask again")
        if category == "Cs":  # what invalid UTF-8 bytes become when decoded with surrogateescape
            raise QuestionError(f"the question contains U+{ord(ch):04X}, a lone surrogate, which is not a character "
                                "(invalid UTF-8 input?); type the question again")
    return text


def _english_naming_chinese(text: str) -> bool:
    unquoted = QUOTED.sub(" ", text)
    return bool(ENGLISH_OPENING.match(text)) or len(LATIN_WORDS.findall(unquoted)) > max(2, len(CJK.findall(unquoted)))


def read_question(question: object, simplified: str) -> Question:
    """`simplified` is the question converted to Simplified script, used to tell Traditional questions apart."""
    text = check_question(question)
    # Tags are not words anyone asks about; they are dropped for the search and never rendered as HTML.
    search_text = HTML_TAG.sub(" ", text).strip()
    if not re.search(r"\w", search_text):
        raise QuestionError("the question has no words in it (only HTML or symbols); ask in words about the documents")
    if CJK.search(search_text) and not _english_naming_chinese(search_text):
        language = "zh-Hant" if simplified != text else "zh-Hans"
    else:
        language = "en" if LATIN.search(search_text) else "zh-Hans"
    normalised = normalize(search_text)  # Simplified, lower case: the patterns are written for it
    definition = DEFINITION.match(normalised)
    defines = squash(next(g for g in definition.groups() if g)).strip(QUOTES) if definition else ""
    return Question(text, search_text, language, asked_kinds(normalised), bool(ABOUT_DOCUMENT.search(normalised)), defines)
