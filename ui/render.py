"""HTML for the chat: questions, answers, citation cards, refusals.

Every piece of text that comes from a person or a document goes through `_text`, which escapes it, so
a question like `<script>…</script>` is shown as typed and never run. Markers, copy buttons and the source
view are wired up by the page's script (ui/app.py JS) through data attributes, not inline handlers. Each fragment is one line: the
chat renders messages as Markdown, and a blank line (documents have them) would end the HTML block.
"""
from __future__ import annotations

import html
import re

from rag.answering.questions import MAX_CHARS, check_question
from rag.errors import QuestionError
from rag.types import Answer, Citation, IndexInfo

# The chat history travels with every turn, so an answer carries only its quotes with this much context;
# the source view is fetched when opened.
CONTEXT_CHARS = 40
SENTENCE_END = "。！？!?；;\n"

LABELS = {
    "zh": {
        "title": "中文文档问答",
        "indexed": "已索引 {documents} 篇文档（{names}） · {sentences} 个句子 · {chunks} 个片段 · 嵌入模型 {embedder}（{dimension} 维） · 构建于 {built_at}",
        "question": "问题",
        "placeholder": "输入问题，回车发送",
        "send": "发送",
        "clear": "清空对话",
        "examples": "示例问题（点击即问）：",
        "confidence": "置信度 {percent}%",
        "confidence_means": "置信度：模型估计文档确实回答了这个问题的概率；太低时不作答。",
        "open_doc": "打开原文（高亮所有引用）",
        "closest": "最接近的段落（不是答案）",
        "took": "用时 {ms:.0f} ms",
        "page": "第 {page} 页",
        "copy": "复制",
        "pending": "正在查找答案…",
        "understood": "理解为：",
        "empty": "请先输入问题。",
        "too_long": "问题太长：{length} 字，最多 {limit} 字。",
        "welcome": "你好！问我关于已索引文档的问题，答案全部摘自原文并注明出处。可以试试：",
        "sources": "来源",
    },
    "en": {
        "title": "Chinese document QA",
        "indexed": "Indexed {documents} document(s) ({names}) · {sentences} sentences · {chunks} chunks · embedder {embedder} ({dimension}-d) · built {built_at}",
        "question": "Question",
        "placeholder": "Ask a question, press Enter",
        "send": "Send",
        "clear": "Clear chat",
        "examples": "Example questions (click to ask):",
        "confidence": "confidence {percent}%",
        "confidence_means": "Confidence: the model's estimate of the probability that the documents answer this question; too low and it refuses.",
        "open_doc": "Open the source (all citations highlighted)",
        "closest": "Closest passages (not an answer)",
        "took": "took {ms:.0f} ms",
        "page": "page {page}",
        "copy": "Copy",
        "pending": "Looking for the answer…",
        "understood": "Understood as: ",
        "empty": "Type a question first.",
        "too_long": "Too long: {length} of {limit} characters.",
        "welcome": "Hello! Ask about the indexed documents; every answer is quoted from them, with its source. Try:",
        "sources": "Sources",
    },
}


def _text(s: str) -> str:
    return html.escape(s).replace("\n", "<br>")


def header(info: IndexInfo, lang: str) -> str:
    t = LABELS[lang]
    line = t["indexed"].format(
        documents=len(info.documents),
        names="、".join(info.documents),
        sentences=info.sentences,
        chunks=info.chunks,
        embedder=info.embedder,
        dimension=info.dimension,
        built_at=info.built_at.replace("T", " ").replace("+00:00", " UTC"),  # ISO 8601 from the manifest
    )
    return f'<div class="rag-header"><h1>{_text(t["title"])}</h1><p class="rag-indexed">{_text(line)}</p></div>'


def welcome(lang: str) -> str:
    return LABELS[lang]["welcome"]


def question(q: str) -> str:
    return f'<div class="rag-q">{_text(q)}</div>'


def notice(message: str) -> str:
    """A question the engine would not take (empty, too long, ...): said kindly, not as an error popup."""
    return f'<div class="rag-notice">{_text(message)}</div>'


def pending(lang: str) -> str:
    """The placeholder shown for a question until its answer arrives."""
    return f'<div class="rag-pending" role="status">{_text(LABELS[lang]["pending"])}</div>'


def understood(rewritten: str | None, lang: str) -> str:
    return f'<div class="rag-understood">{_text(LABELS[lang]["understood"])}{_text(rewritten)}</div>' if rewritten else ""


def confidence(a: Answer) -> float:
    """The engine's probability that the documents answer the question (0..1)."""
    return min(1.0, max(0.0, float(a.confidence)))


def answer(a: Answer, document_text, lang: str) -> str:
    """`document_text(source)` gives the full text that citation offsets index into. Only the quote and a little
    context go into the chat; the source view is fetched from /api/document when opened (see ui/app.py JS)."""
    t = LABELS[lang]
    meta = (f'<div class="rag-meta"><span>{_text(t["took"].format(ms=a.timings.total_ms))}</span>'
            f'<button type="button" class="rag-copy">{_text(t["copy"])}</button></div>')
    said = understood(a.rewritten, lang)
    if not a.answerable:
        return f'<div class="rag-refusal">{said}<div class="rag-text">{_text(a.text)}</div>{_closest(a, t)}{meta}</div>'
    body = re.sub(r"\[(\d+)\]", r'<a class="rag-marker rag-n-\1" href="#">[\1]</a>', _text(a.text))
    percent = round(100 * confidence(a))
    cards = "".join(_card(c, a.citations, document_text(c.source), percent, t) for c in a.citations)
    explain = f'<div class="rag-explain">{_text(t["confidence_means"])}</div>'
    return f'<div class="rag-answer">{said}<div class="rag-text">{body}</div><div class="rag-cards">{cards}</div>{explain}{meta}</div>'


def _closest(a: Answer, t: dict) -> str:
    if not a.passages:
        return ""
    items = "".join(
        f'<div class="rag-passage"><div class="rag-card-head"><span class="rag-source">{_text(p.source)}</span></div>'
        f'{_text(p.text)}</div>'
        for p in a.passages
    )
    return f'<details class="rag-closest"><summary>{_text(t["closest"])}</summary>{items}</details>'


def _card(c: Citation, citations: tuple[Citation, ...], text: str, percent: int, t: dict) -> str:
    before, after = context(text, c.start, c.end)
    # Gradio's sanitizer drops data attributes, so the page script reads offsets from class names.
    marks = " ".join(f"rag-mark-{o.start}-{o.end}" for o in citations if o.source == c.source)
    return (
        f'<div class="rag-card rag-n-{c.n}"><div class="rag-card-head"><span class="rag-marker">[{c.n}]</span>'
        f'<span class="rag-source">{_text(c.source)}</span>'
        + ("" if c.page is None else f'<span class="rag-page">{_text(t["page"].format(page=c.page))}</span>')
        + f'<span class="rag-confidence">{_text(t["confidence"].format(percent=percent))}</span></div>'
        f'<div class="rag-context">{_text(before)}<mark class="rag-quote">{_quote(c)}</mark>{_text(after)}</div>'
        f'<details class="rag-doc rag-at-{c.start}-{c.end} {marks}">'
        f'<summary>{_text(t["open_doc"])}</summary><div class="rag-doc-text"></div></details></div>'
    )


def _quote(c: Citation) -> str:
    """The quote, with the part that answers (a date, a number, a name) in bold where the engine marked one."""
    if c.answer_start is None or c.answer_end is None:
        return _text(c.quote)
    a, b = c.answer_start - c.start, c.answer_end - c.start
    return f'{_text(c.quote[:a])}<strong class="rag-answer-part">{_text(c.quote[a:b])}</strong>{_text(c.quote[b:])}'


def context(text: str, start: int, end: int) -> tuple[str, str]:
    """About CONTEXT_CHARS of text either side of a quote, cut at a sentence end when there is one."""
    lo = max(0, start - CONTEXT_CHARS)
    before = text[lo:start]
    if lo > 0:
        previous = before.rstrip()[:-1]  # the end of the sentence just before the quote does not count
        cut = max(previous.rfind(ch) for ch in SENTENCE_END)
        before = before[cut + 1 :] if cut >= 0 else "…" + before
    hi = min(len(text), end + CONTEXT_CHARS)
    after = text[end:hi]
    if hi < len(text):
        cut = max(after.rfind(ch) for ch in SENTENCE_END)
        after = after[: cut + 1] if cut > 0 else after + "…"
    return before.lstrip("\n"), after.rstrip("\n")


def validation(question: str, lang: str) -> str | None:
    """What is wrong with a question, in the page's language, before it is sent; None when it may be sent."""
    t = LABELS[lang]
    text = question.strip()
    if not text:
        return t["empty"]
    if len(text) > MAX_CHARS:
        return t["too_long"].format(length=len(text), limit=MAX_CHARS)
    try:
        check_question(text)
    except QuestionError as e:
        return str(e)
    return None


def hint(message: str | None) -> str:
    return f'<div class="rag-hint" role="alert">{_text(message)}</div>' if message else ""
