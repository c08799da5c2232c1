"""The words of an answer: quotes with [n] markers, or a refusal in the question's language."""
from __future__ import annotations

from rag.types import Citation

REFUSALS = {
    "zh-Hans": "文中没有提到这个问题的答案。",
    "zh-Hant": "文中沒有提到這個問題的答案。",
    "en": "The documents do not say. (文中没有提到这个问题的答案。)",
}
INTRO = {"zh-Hans": "根据文档：", "zh-Hant": "根據文件：", "en": "From the documents (quoted in Chinese):"}


def answer_text(citations: list[Citation], language: str) -> str:
    lines = [INTRO[language]] + [f"{c.quote} [{c.n}]" for c in citations]
    return "\n".join(lines)


def refusal_text(language: str) -> str:
    return REFUSALS[language]
