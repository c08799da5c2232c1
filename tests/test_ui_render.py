from rag.types import Answer, Citation, Timings
from ui import render

TEXT = "前言<b>。" + "甲" * 5000 + "第一句。第二句。第三句。" + "乙" * 5000
FIRST, THIRD = TEXT.index("第一句。"), TEXT.index("第三句。")


def answer_with(*citations: Citation) -> Answer:
    text = "根据文档：\n" + " ".join(f"{c.quote} [{c.n}]" for c in citations)
    return Answer("问题", text, True, citations, (), Timings(0, 0, 0, 0, 1.0))


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


def test_confidence_is_the_answers_own_when_it_has_one_else_the_best_score_capped():
    cited = answer_with(Citation(1, "a.txt", "第一句。", FIRST, FIRST + 4, 1.25))
    assert render.confidence(cited) == 1.0
    assert "置信度 100%" in render.answer(cited, lambda source: TEXT, "zh")

    class WithConfidence(Answer):
        confidence = 0.42

    assert render.confidence(WithConfidence(*(getattr(cited, f) for f in cited.__dataclass_fields__))) == 0.42


def test_validation_messages_are_in_the_page_language():
    assert render.validation("  ", "zh") == "请先输入问题。"
    assert render.validation("x" * 5000, "en") == "Too long: 5000 of 1000 characters."
    assert "U+0000" in render.validation("a\x00b", "en")
    assert render.validation("问题？", "zh") is None
