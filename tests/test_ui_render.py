from rag.types import Answer, Citation, Timings
from ui import render

TEXT = "前言<b>。" + "甲" * 5000 + "第一句。第二句。第三句。" + "乙" * 5000
FIRST, THIRD = TEXT.index("第一句。"), TEXT.index("第三句。")


def answer_with(*citations: Citation, confidence: float = 0.87) -> Answer:
    text = "根据文档：\n" + " ".join(f"{c.quote} [{c.n}]" for c in citations)
    return Answer("问题", text, True, confidence, citations, (), Timings(0, 0, 0, 0, 1.0))


def test_an_answer_carries_its_quotes_and_offsets_but_not_the_document():
    first = Citation(1, "a<1>.txt", "第一句。", FIRST, FIRST + 4, 0.9)
    third = Citation(2, "a<1>.txt", "第三句。", THIRD, THIRD + 4, 0.8)
    html = render.answer(answer_with(first, third), lambda source: TEXT, "zh")
    assert '<mark class="rag-quote">第一句。</mark>第二句。' in html
    assert f'<details class="rag-doc rag-at-{FIRST}-{FIRST + 4} rag-mark-{FIRST}-{FIRST + 4} rag-mark-{THIRD}-{THIRD + 4}">' in html
    assert '<a class="rag-marker rag-n-2" href="#">[2]</a>' in html
    assert "a&lt;1&gt;.txt" in html and "<1>" not in html
    assert "甲" * 50 not in html and len(html.encode()) < 2000


def test_a_pdf_citation_card_shows_its_page_and_others_do_not():
    on_page = Citation(1, "a.pdf", "第一句。", FIRST, FIRST + 4, 1.0, page=3)
    assert '<span class="rag-page">第 3 页</span>' in render.answer(answer_with(on_page), lambda source: TEXT, "zh")
    assert '<span class="rag-page">page 3</span>' in render.answer(answer_with(on_page), lambda source: TEXT, "en")
    plain = Citation(1, "a.txt", "第一句。", FIRST, FIRST + 4, 1.0)
    assert "rag-page" not in render.answer(answer_with(plain), lambda source: TEXT, "zh")


def test_a_card_shows_the_answers_confidence_as_a_percentage():
    cited = answer_with(Citation(1, "a.txt", "第一句。", FIRST, FIRST + 4, 0.3), confidence=0.4237)
    html = render.answer(cited, lambda source: TEXT, "zh")
    assert "置信度 42%" in html and "文档确实回答了这个问题的概率" in html


def test_the_part_that_answers_is_bold_inside_the_quote():
    marked = Citation(1, "a.txt", "第一句。", FIRST, FIRST + 4, 0.9, answer_start=FIRST + 1, answer_end=FIRST + 2)
    html = render.answer(answer_with(marked), lambda source: TEXT, "zh")
    assert '<mark class="rag-quote">第<strong class="rag-answer-part">一</strong>句。</mark>' in html


def test_validation_messages_are_in_the_page_language():
    assert render.validation("  ", "zh") == "请先输入问题。"
    assert render.validation("x" * 5000, "en") == "Too long: 5000 of 1000 characters."
    assert "U+0000" in render.validation("a\x00b", "en")
    assert render.validation("问题？", "zh") is None
