"""Follow-up questions in a conversation, rewritten into questions that stand on their own.

Rules, no model. Each earlier turn is first made standalone itself (oldest first), so that a chain of
follow-ups keeps its topic. Then, against the previous standalone question:

- "那 X 呢？" / "X 呢？" / "what about X?" / "and X?" (an ellipsis):
  X a name (OpenAI, Claude Opus 4.6) -> the previous question with its subject replaced by X;
  X a time (去年, 2025 年, last year) -> the previous question with its time replaced by X, or X put first;
  X anything else (输出价格) -> "subject 的 X" with the previous question's question words (是多少？).
- a pronoun near the start (它/他们/该公司, it/its/they/he; at most 3 characters or words in) -> replaced by the
  previous subject; 它/it by the product just named if there is one (GPT-5.4 rather than OpenAI); 他/她/he/she
  after a "who" question -> by the first new name in that question's answer ("Anthropic 的创始人是谁？" ->
  Dario Amodei).

The subject of a question is its first name: a run of Latin-script name words (GPT-5.4 Pro, Dario Amodei),
or else a Chinese proper noun by jieba's part of speech (nr person, ns place, nt organisation, nz other).
A question without these patterns, or whose pronoun already has its name in the question, is left alone
(None): a question that stands on its own is never rewritten.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from rag.tokens import pos_tagger
from rag.types import Turn

MAX_FOLLOW_UP_CHARS = 60  # longer questions say what they mean

ELLIPSIS_ZH = re.compile(r"^(?:那么|那麼|那(?![家个個位种種些])|还有|還有)?\s*(?P<x>[^，,。？?]{1,30}?)\s*(?:的)?呢\s*[?？]?\s*$")
ELLIPSIS_EN = re.compile(r"^(?:and\s+)?(?:(?:what|how)\s+about|and)\s+(?P<x>[^?]{1,40}?)\s*\??\s*$", re.I)
PRONOUN_ZH = re.compile(r"它们|它們|他们|他們|她们|她們|该公司|該公司|这家公司|這家公司|该模型|該模型|它|他|她")
PERSONAL_ZH = re.compile(r"^[他她]")
PRONOUN_EN = re.compile(r"\b(?:it|its|they|their|them|he|his|him|she|her|the company)\b", re.I)
PERSONAL_EN = re.compile(r"^(?:he|his|him|she|her)$", re.I)
THING = re.compile(r"^(?:它|it|its|该模型|該模型)$", re.I)  # most often the product just named: "GPT-5.4", not "OpenAI"
POSSESSIVE_EN = re.compile(r"^(?:its|their|his|her)$", re.I)
ASKING = re.compile(r"什么|什麼|多少|为什么|為什麼|怎么|怎麼|怎样|怎樣|如何|谁|誰|哪|几|幾|吗|嗎|是否"
                    r"|\b(?:what|how|when|who|which|where|why|is|are|does|did)\b", re.I)
ASKS_WHO = re.compile(r"谁|誰|\bwho\b", re.I)
TIME = re.compile(r"去年|今年|明年|前年|上周|上週|本周|本週|上个月|上個月|一年前|两年前|兩年前|\d{4}\s*年(?:初|底|末)?"
                  r"|\b(?:last|this|next) (?:year|month|week)\b|\bin \d{4}\b", re.I)
# The question words a rewritten "subject 的 X" borrows from the previous question.
QUESTION_TAIL = re.compile(r"(?:是多少|有多少|是什么|是什麼|是谁|是誰|是哪\w{0,2}|多少\w{0,2}|什么时候|什麼時候|何时|何時|"
                           r"有几\w{0,2}|有幾\w{0,2})\s*[?？]?\s*$")
# Latin name words: capitalised (Anthropic, Amodei), or holding a digit or a capital inside (GPT-5.4, vLLM, 4.6).
NAME_WORD = r"(?:[A-Z][\w.+-]*|[a-z]+[A-Z][\w.+-]*|\d+(?:\.\d+)+|\d+(?=\s*$))"
NAME = re.compile(rf"#?{NAME_WORD}(?:\s+{NAME_WORD})*")
NOT_NAMES = frozenset("""what when who whom whose which where why how and or the a an is are was were do does did can could
    should would will about in on at of for to from with by if llm api ai ceo app arr""".split())
PROPER_NOUN_FLAGS = ("nr", "ns", "nt", "nz")


def standalone_question(question: str, history: Sequence[Turn]) -> str | None:
    """The standalone question `question` stands for after `history` (oldest first), or None when it stands alone
    (or there is nothing to resolve it against)."""
    previous: str | None = None
    previous_answer: str | None = None
    for turn in history:
        if not isinstance(turn.question, str) or not turn.question.strip():
            continue
        resolved = _resolve(turn.question.strip(), previous, previous_answer) if previous else None
        previous, previous_answer = resolved or turn.question.strip(), turn.answer
    if previous is None or not isinstance(question, str):
        return None
    return _resolve(question.strip(), previous, previous_answer)


def _resolve(question: str, previous: str, previous_answer: str | None) -> str | None:
    if not question or len(question) > MAX_FOLLOW_UP_CHARS:
        return None
    english = not re.search(r"[\u3400-\u9fff]", question)
    ellipsis = (ELLIPSIS_EN if english else ELLIPSIS_ZH).match(question)
    if ellipsis and not ASKING.search(ellipsis.group("x")):  # "Claude 为什么登顶呢？" asks a whole question
        x = ellipsis.group("x").strip()
        return _fill_ellipsis(_replace_pronoun(x, previous, previous_answer, english) or x, previous, english)
    return _replace_pronoun(question, previous, previous_answer, english)


def _fill_ellipsis(x: str, previous: str, english: bool) -> str | None:
    subject = subject_of(previous)
    if TIME.fullmatch(x):
        found = TIME.search(previous)
        if found:
            return previous[:found.start()] + x + previous[found.end():]
        return f"{previous.rstrip('?？ ')} {x}?" if english else x + previous
    if names(x) == [x]:  # a name of its own: it takes the place of the previous subject
        if subject is None or subject == x:
            return None
        return previous.replace(subject, x, 1)
    if names(x) or subject is None:
        return f"{x}?" if english else x + _tail(previous)
    return f"{x} of {subject}?" if english else f"{subject} 的{x}{_tail(previous)}"


def _replace_pronoun(question: str, previous: str, previous_answer: str | None, english: bool) -> str | None:
    pronoun = (PRONOUN_EN if english else PRONOUN_ZH).search(question)
    # A pronoun late in a question points back inside it ("How many users announced they were leaving?").
    if pronoun is None or (len(question[:pronoun.start()].split()) > 3 if english else pronoun.start() > 3):
        return None
    word = pronoun.group(0)
    personal = PERSONAL_EN.match(word) if english else PERSONAL_ZH.match(word)
    referent = None
    if personal and ASKS_WHO.search(previous) and previous_answer:
        asked = set(names(previous))
        referent = next((n for n in names(previous_answer) if n not in asked and " " in n), None)
    if referent is None and THING.match(word):
        referent = next((n for n in names(previous) if re.search(r"\d", n)), None)
    referent = referent or subject_of(previous)
    if referent is None or referent in question:
        return None
    if english and POSSESSIVE_EN.match(word):
        referent += "'s"
    if not english and re.match(r"[A-Za-z0-9]", referent):
        referent = f" {referent} "  # a Latin name among Chinese words, spaced as the documents write it
    return re.sub(r"\s+", " ", question[:pronoun.start()] + referent + question[pronoun.end():]).strip()


def _tail(previous: str) -> str:
    tail = QUESTION_TAIL.search(previous)
    return tail.group(0).strip() if tail else "是什么？"


def names(text: str) -> list[str]:
    """Latin-script names in `text`, in order (question words and generic acronyms like API left out)."""
    out = []
    for match in NAME.finditer(text):
        words = match.group(0).split()
        while words and words[0].lower().strip("#") in NOT_NAMES:
            words = words[1:]
        while words and words[-1].lower() in NOT_NAMES:
            words = words[:-1]
        if words and not all(w.replace(".", "").isdigit() for w in words):
            out.append(" ".join(words))
    return out


def subject_of(question: str) -> str | None:
    """A question's subject: its first Latin-script name, else its first Chinese proper noun."""
    found = names(question)
    if found:
        return found[0]
    return next((w.word for w in pos_tagger().cut(question) if w.flag.startswith(PROPER_NOUN_FLAGS) and len(w.word) > 1), None)
