"""HTML for the chat: questions, answers, citation cards, refusals.

Every piece of text that comes from a person or a document goes through `_text`, which escapes it, so
a question like `<script>…</script>` is shown as typed and never run. Each fragment is one line: the
chat renders messages as Markdown, and a blank line (documents have them) would end the HTML block.
"""
from __future__ import annotations

import html
import re

from rag.types import Answer, Citation, IndexInfo

CONTEXT_CHARS = 80
# Every answer carries its source view in the chat history, which the browser sends back on each turn:
# a long document is shown as this many characters around the quote, not whole.
DOCUMENT_CHARS = 20000
SENTENCE_END = "。！？!?；;\n"

LABELS = {
    "zh": {
        "title": "中文文档问答",
        "indexed": "已索引 {documents} 篇文档（{names}） · {sentences} 个句子 · {chunks} 个片段 · 嵌入模型 {embedder}（{dimension} 维） · 构建于 {built_at}",
        "question": "问题",
        "placeholder": "输入关于文档的问题，按回车发送",
        "send": "发送",
        "clear": "清空对话",
        "examples": "示例问题（点击即问）：",
        "score": "相关度",
        "open_doc": "打开原文（高亮所有引用）",
        "closest": "最接近的段落（不是答案）",
        "took": "用时 {ms:.0f} ms",
        "page": "第 {page} 页",
    },
    "en": {
        "title": "Chinese document QA",
        "indexed": "Indexed {documents} document(s) ({names}) · {sentences} sentences · {chunks} chunks · embedder {embedder} ({dimension}-d) · built {built_at}",
        "question": "Question",
        "placeholder": "Ask about the document, press Enter to send",
        "send": "Send",
        "clear": "Clear chat",
        "examples": "Example questions (click to ask):",
        "score": "score",
        "open_doc": "Open the source (all citations highlighted)",
        "closest": "Closest passages (not an answer)",
        "took": "took {ms:.0f} ms",
        "page": "page {page}",
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


def question(q: str) -> str:
    return f'<div class="rag-q">{_text(q)}</div>'


def notice(message: str) -> str:
    """A question the engine would not take (empty, too long, ...): said kindly, not as an error popup."""
    return f'<div class="rag-notice">{_text(message)}</div>'


def answer(a: Answer, document_text, lang: str) -> str:
    """`document_text(source)` gives the full text that citation offsets index into."""
    t = LABELS[lang]
    meta = f'<div class="rag-meta">{_text(t["took"].format(ms=a.timings.total_ms))}</div>'
    if not a.answerable:
        return f'<div class="rag-refusal"><div class="rag-text">{_text(a.text)}</div>{_closest(a, t)}{meta}</div>'
    body = re.sub(r"\[(\d+)\]", r'<span class="rag-marker">[\1]</span>', _text(a.text))
    documents = {c.source: document_text(c.source) for c in a.citations}
    cards = "".join(_card(c, a.citations, documents[c.source], t) for c in a.citations)
    return f'<div class="rag-answer"><div class="rag-text">{body}</div><div class="rag-cards">{cards}</div>{meta}</div>'


def _closest(a: Answer, t: dict) -> str:
    if not a.passages:
        return ""
    items = "".join(
        f'<div class="rag-passage"><div class="rag-card-head"><span class="rag-source">{_text(p.source)}</span>'
        f'<span class="rag-score">{_text(t["score"])} {p.score:.3f}</span></div>{_text(p.text)}</div>'
        for p in a.passages
    )
    return f'<details class="rag-closest"><summary>{_text(t["closest"])}</summary>{items}</details>'


def _card(c: Citation, citations: tuple[Citation, ...], text: str, t: dict) -> str:
    before, after = context(text, c.start, c.end)
    return (
        f'<div class="rag-card"><div class="rag-card-head"><span class="rag-marker">[{c.n}]</span>'
        f'<span class="rag-source">{_text(c.source)}</span>'
        + ("" if c.page is None else f'<span class="rag-page">{_text(t["page"].format(page=c.page))}</span>')
        + f'<span class="rag-score">{_text(t["score"])} {c.score:.3f}</span></div>'
        f'<div class="rag-context">{_text(before)}<mark class="rag-quote">{_text(c.quote)}</mark>{_text(after)}</div>'
        f'<details class="rag-doc"><summary>{_text(t["open_doc"])}</summary>'
        f'<div class="rag-doc-text">{_document(text, c, citations)}</div></details></div>'
    )


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


def _document(text: str, current: Citation, citations: tuple[Citation, ...]) -> str:
    """The document with every span cited from it marked; `current` is the one to scroll to. A document longer
    than DOCUMENT_CHARS is cut to that many characters around `current`, with "…" where it is cut."""
    lo = max(0, min(current.start - DOCUMENT_CHARS // 2, len(text) - DOCUMENT_CHARS))
    hi = min(len(text), lo + DOCUMENT_CHARS)
    parts, pos = ["…" if lo > 0 else ""], lo
    for c in sorted((c for c in citations if c.source == current.source), key=lambda c: c.start):
        if c.start < pos or c.end > hi:  # overlapping an earlier mark, or outside the excerpt
            continue
        cls = "rag-cited rag-current" if c is current else "rag-cited"
        parts.append(f'{_text(text[pos:c.start])}<mark class="{cls}">{_text(text[c.start:c.end])}</mark>')
        pos = c.end
    parts.append(_text(text[pos:hi]) + ("…" if hi < len(text) else ""))
    return "".join(parts)
