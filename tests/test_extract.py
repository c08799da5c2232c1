"""PDF, Word and HTML documents: extracted text, headings, tables, pages, and answers quoting them exactly."""
import bisect

import pytest

import rag
from rag.chunking import split_sentences
from rag.extract import ExtractError, extract

from conftest import build_index
from documents import (HTML_NOISE, PDF_TITLE, REPORT_LINES, RUNNING_HEADER, article_sections, encrypted_pdf,
                       image_only_pdf, make_docx, make_html, make_pdf, make_table_pdf)


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    return make_pdf(tmp_path_factory.mktemp("pdf") / "article.pdf")


@pytest.fixture(scope="module")
def pdf_engine(pdf, tmp_path_factory):
    return rag.load(build_index(tmp_path_factory.mktemp("pdf-index"), {"article.pdf": pdf.path.read_bytes()}))


@pytest.fixture(scope="module")
def mixed_engine(tmp_path_factory):
    """A Word report and the article as a web page, side by side."""
    made = tmp_path_factory.mktemp("made")
    make_docx(made / "report.docx")
    make_html(made / "article.html")
    files = {name: (made / name).read_bytes() for name in ("report.docx", "article.html")}
    return rag.load(build_index(tmp_path_factory.mktemp("mixed-index"), files))


def test_pdf_paragraphs_come_back_whole_without_running_headers_or_page_numbers(pdf):
    extracted = extract(".pdf", pdf.path.read_bytes())
    lines = extracted.text.split("\n")
    # Every paragraph, broken over several printed lines and pages, is one line again, joined exactly.
    assert [p for p in pdf.paragraphs if p not in lines] == []
    assert lines[0] == f"# {PDF_TITLE}"  # outline level 0 and the largest font
    assert [line for line in lines if line.startswith("#")] == [f"# {PDF_TITLE}"] + [f"## {h}" for h in pdf.headings]
    assert RUNNING_HEADER not in extracted.text
    assert not any(line.startswith("- ") and line.endswith(" -") for line in lines)
    assert len(lines) == 1 + len(pdf.headings) + len(pdf.paragraphs)  # nothing else
    assert extracted.pages[0] == 0 and len(extracted.pages) == max(pdf.page_of.values())
    for paragraph, page in pdf.page_of.items():
        assert bisect.bisect_right(extracted.pages, extracted.text.index(paragraph)) == page, paragraph


@pytest.mark.parametrize("question, quote, page", [
    ("文章开头提到了哪个城市的天气？", "2026 年 3 月的第一个星期,旧金山的天气阴晴不定,恰如此刻人工智能赛道上的风云变幻。", 1),
    ("Anthropic 在企业 LLM API 市场的份额是多少？",
     "根据最新数据,Anthropic 在企业 LLM API 市场的份额已达 32%,而 OpenAI 滑落至 25%。", 3),
    ("Palantir 去年有多少收入来自政府合同？",
     "这家软件巨头为美国政府提供基于 Claude 的机密数据分析服务,其去年 42% 的收入来自政府合同。", 5),
])
def test_pdf_answers_quote_the_extracted_text_with_its_page(pdf_engine, question, quote, page):
    answer = pdf_engine.ask(question)
    assert answer.answerable
    cited = next(c for c in answer.citations if quote in c.quote)
    text = pdf_engine.document_text("article.pdf")
    assert text[cited.start : cited.end] == cited.quote
    assert (cited.source, cited.page) == ("article.pdf", page)
    assert answer.to_json()["citations"][0]["page"] == answer.citations[0].page


def test_pdf_search_passages_carry_the_page_they_start_on(pdf, pdf_engine):
    [passage] = pdf_engine.search("供应链风险 国防部长", k=1)
    text = pdf_engine.document_text("article.pdf")
    assert text[passage.start : passage.end] == passage.text and "供应链风险" in passage.text
    first = next(p for p in pdf.page_of if text.index(p) <= passage.start < text.index(p) + len(p))
    assert passage.page == pdf.page_of[first]


def test_pdf_ruled_tables_become_one_line_per_row_and_rules_alone_are_no_table(tmp_path):
    expected = make_table_pdf(tmp_path / "products.pdf")
    extracted = extract(".pdf", (tmp_path / "products.pdf").read_bytes())
    # A cell wrapped over three printed lines is one cell again; the rows of both tables are lines of their own,
    # and the sentence between two horizontal rules stays a sentence.
    assert extracted.text == expected and extracted.pages == (0,)
    assert "星河 R1 | 2023 年 | 12800 | 六轴协作机器人，负载五公斤，适合电子装配与精密检测" in expected.split("\n")


@pytest.mark.parametrize("question, header, row", [
    ("星河 R2 的价格是多少？", "型号 | 上市时间 | 价格（元） | 说明", "星河 R2 | 2024 年 | 18600 | 负载 10 公斤"),
    # "生产 | 472" says nothing of 人数 but under its header row
    ("生产部门有多少人？", "部门 | 人数", "生产 | 472"),
])
def test_pdf_table_row_is_quoted_whole_after_its_header_row_with_its_page(tmp_path, question, header, row):
    make_table_pdf(tmp_path / "products.pdf")
    engine = rag.load(build_index(tmp_path, {"products.pdf": (tmp_path / "products.pdf").read_bytes()}))
    answer = engine.ask(question)
    # the row, whole, after its header row; a runner-up the ranker rates close enough may follow it ("公司计划在 2026
    # 年于成都建设第二个生产基地。" for 生产部门, at 0.14 of the row's share, where `second_quote` is 0.1)
    assert [(c.quote, c.page) for c in answer.citations][:2] == [(header, 1), (row, 1)]


def test_word_headings_and_table_rows_become_lines(tmp_path):
    expected = make_docx(tmp_path / "report.docx")
    extracted = extract(".docx", (tmp_path / "report.docx").read_bytes())
    assert extracted.text == expected and extracted.pages is None
    assert "2024 | 15.2 | 2.3" in extracted.text.split("\n")


def test_web_page_keeps_the_article_and_drops_navigation_scripts_and_footer(tmp_path):
    paragraphs = make_html(tmp_path / "page.html")
    extracted = extract(".html", (tmp_path / "page.html").read_bytes())
    lines = extracted.text.split("\n")
    headings = [s[0] for s in article_sections()[1:]]
    assert lines[0] == f"# {PDF_TITLE}"
    assert [line for line in lines if line.startswith("#")] == [f"# {PDF_TITLE}"] + [f"## {h}" for h in headings]
    assert [p for p in paragraphs if p not in headings and p not in lines] == []
    assert [noise for noise in HTML_NOISE if noise in extracted.text] == []
    assert extracted.encoding == "html/utf-8"


def test_web_page_in_gbk_is_decoded_by_its_declared_charset():
    page = '<html><head><meta charset="gb2312"></head><body><p>杭州的西湖很美。</p></body></html>'.encode("gbk")
    extracted = extract(".htm", page)
    assert (extracted.text, extracted.encoding) == ("杭州的西湖很美。", "html/gb18030")


@pytest.mark.parametrize("question, source, quote", [
    ("星河科技的总部在哪里？", "report.docx", "星河科技成立于 2012 年，总部位于杭州。"),
    ("星河科技计划在哪里建设第二个生产基地？", "report.docx", "公司计划在 2026 年于成都建设第二个生产基地，预计投资 6 亿元。"),
    ("Claude 的服务为什么多次宕机？", "article.html", "另一边,Anthropic 的 Claude 却悄然登顶美国 App Store 下载榜首,甚至因用户激增导致服务多次宕机。"),
])
def test_word_and_web_answers_quote_the_extracted_text(mixed_engine, question, source, quote):
    answer = mixed_engine.ask(question)
    assert answer.answerable
    first = answer.citations[0]
    assert (first.source, first.quote, first.page) == (source, quote, None)
    assert mixed_engine.document_text(source)[first.start : first.end] == quote


def test_word_table_row_is_answered_under_its_header_row_and_no_other_row_with_it(mixed_engine):
    # the row holds the year, its header the 净利润; the neighbouring years' rows rank next and are not quoted
    answer = mixed_engine.ask("2024 年的净利润是多少？")
    text = mixed_engine.document_text("report.docx")
    assert [c.quote for c in answer.citations] == ["年份 | 营业收入（亿元） | 净利润（亿元）", "2024 | 15.2 | 2.3"]
    assert all(text[c.start : c.end] == c.quote for c in answer.citations)


def test_word_headings_are_heading_sentences_in_the_index(mixed_engine):
    text = mixed_engine.document_text("report.docx")
    assert text.split("\n") == list(REPORT_LINES)
    headings = [s.text for s in split_sentences(text, "report.docx") if s.heading]
    assert headings == [line for line in REPORT_LINES if line.startswith("#")]


def test_bad_files_are_skipped_with_one_line_and_the_build_goes_on(tmp_path, monkeypatch):
    made = tmp_path / "made"
    made.mkdir()
    files = {
        "scan.pdf": image_only_pdf(made / "scan.pdf").read_bytes(),
        "locked.pdf": encrypted_pdf(made / "locked.pdf").read_bytes(),
        "broken.pdf": b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage",
        "broken.docx": b"PK\x03\x04 not really a zip",
        "big.txt": "很长的文件。" * 100_000,  # 1.72 MB: over the limit set below
        "ok.txt": "小明在北京大学读书。",
    }
    monkeypatch.setenv("RAG_MAX_FILE_MB", "1.5")
    index = build_index(tmp_path, files)
    skipped = {s["source"]: s["skipped"] for s in _manifest(index)["sources"] if "skipped" in s}
    assert skipped == {
        "scan.pdf": "no text layer in its 1 page(s) (a scanned PDF?); OCR is not supported, so add a PDF with selectable text",
        "locked.pdf": "encrypted PDF (password protected); save a copy without a password",
        "broken.pdf": "damaged PDF (data format error); re-save it or export it again",
        "broken.docx": "damaged Word file (BadZipFile); open and save it again as .docx",
        "big.txt": "file is 1.72 MB, over the 1.5 MB limit; split it or raise RAG_MAX_FILE_MB",
    }
    assert rag.load(index).info.documents == ("ok.txt",)


def test_size_limit_must_be_a_number(monkeypatch):
    monkeypatch.setenv("RAG_MAX_FILE_MB", "lots")
    with pytest.raises(ExtractError, match="RAG_MAX_FILE_MB='lots' is not a number"):
        extract(".txt", b"abc")


def _manifest(index):
    import json

    return json.loads((index / "manifest.json").read_text(encoding="utf-8"))
