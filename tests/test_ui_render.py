from rag.types import Citation
from ui import render


def test_source_view_marks_every_cited_span_and_escapes_text():
    text = "前言<b>。第一句。第二句。第三句。"
    first, second = Citation(1, "a.txt", "第一句。", 6, 10, 1.0), Citation(2, "a.txt", "第三句。", 14, 18, 0.9)
    assert text[6:10] == "第一句。" and text[14:18] == "第三句。"
    assert render._document(text, second, (first, second)) == (
        '前言&lt;b&gt;。<mark class="rag-cited">第一句。</mark>第二句。<mark class="rag-cited rag-current">第三句。</mark>'
    )


def test_a_long_document_is_shown_as_an_excerpt_around_the_quote():
    text = "甲" * 50000 + "要找的句子。" + "乙" * 50000
    quote = Citation(1, "long.txt", "要找的句子。", 50000, 50006, 1.0)
    shown = render._document(text, quote, (quote,))
    assert shown.startswith("…") and shown.endswith("…")
    assert '<mark class="rag-cited rag-current">要找的句子。</mark>' in shown
    assert len(shown) < render.DOCUMENT_CHARS + 100


def test_a_pdf_citation_card_shows_its_page_and_others_do_not():
    text = "第一句。第二句。"
    on_page = Citation(1, "a.pdf", "第二句。", 4, 8, 1.0, page=3)
    assert '<span class="rag-page">第 3 页</span>' in render._card(on_page, (on_page,), text, render.LABELS["zh"])
    assert '<span class="rag-page">page 3</span>' in render._card(on_page, (on_page,), text, render.LABELS["en"])
    plain = Citation(1, "a.txt", "第二句。", 4, 8, 1.0)
    assert "rag-page" not in render._card(plain, (plain,), text, render.LABELS["zh"])
