"""The Documents tab as a person uses it, in headless Chromium: upload a PDF and a Word file, ask about each,
remove one and see its answers go."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from conftest import TINY, build_index
from documents import make_docx, make_pdf
from ui_server import CHROMIUM_FLAGS, ask, require_chromium, running_server

PDF_QUESTION = "Anthropic 在企业 LLM API 市场的份额是多少？"
PDF_QUOTE = "根据最新数据,Anthropic 在企业 LLM API 市场的份额已达 32%,而 OpenAI 滑落至 25%。"
DOCX_QUESTION = "星河科技计划在哪里建设第二个生产基地？"
DOCX_QUOTE = "公司计划在 2026 年于成都建设第二个生产基地，预计投资 6 亿元。"
UPDATE_TIMEOUT_MS = 180_000  # an update embeds the new files: slow on a loaded 2-core machine


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A server on an index of one tiny made-up text, and the PDF and Word files to upload to it."""
    root = tmp_path_factory.mktemp("managed")
    index = build_index(root, {"tiny.txt": TINY})
    (root / "uploads").mkdir()
    make_pdf(root / "uploads" / "文章.pdf")
    make_docx(root / "uploads" / "年报.docx")
    with running_server(index, root) as (url, _):
        yield url, root


@pytest.fixture
def page(served):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.set_default_timeout(30_000)
        page.goto(served[0])
        yield page
        browser.close()


def ask_in_chat_tab(page, question: str):
    page.get_by_role("tab", name="问答").click()
    return ask(page, question)


def test_upload_a_pdf_and_a_word_file_ask_each_then_remove_one(page, served):
    _, root = served
    page.get_by_role("tab", name="文档").click()
    rows = page.locator("#rag-docs tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("tiny.txt")

    page.locator("#rag-upload input[type=file]").set_input_files([root / "uploads" / "文章.pdf", root / "uploads" / "年报.docx"])
    expect(page.locator("#rag-docs-status .rag-done")).to_have_text("已加入索引：文章.pdf、年报.docx",
                                                                    timeout=UPDATE_TIMEOUT_MS)
    expect(rows).to_have_count(3)
    expect(page.locator("#rag-docs tbody tr", has_text="文章.pdf")).to_contain_text("pdf")
    expect(page.locator("#rag-docs tbody tr", has_text="文章.pdf")).to_contain_text("页")
    expect(page.locator("#rag-docs tbody tr", has_text="年报.docx")).to_contain_text("docx")
    assert sorted(p.name for p in (root / "seeds").iterdir()) == ["tiny.txt", "年报.docx", "文章.pdf"]

    answer = ask_in_chat_tab(page, PDF_QUESTION)
    expect(answer).to_have_class("rag-answer")
    card = answer.locator(".rag-card").first
    expect(card.locator(".rag-source")).to_have_text("文章.pdf")
    expect(card.locator(".rag-page")).to_have_text("第 3 页")
    expect(card.locator("mark.rag-quote")).to_have_text(PDF_QUOTE)

    answer = ask_in_chat_tab(page, DOCX_QUESTION)
    card = answer.locator(".rag-card").first
    expect(card.locator(".rag-source")).to_have_text("年报.docx")
    expect(card.locator("mark.rag-quote")).to_have_text(DOCX_QUOTE)
    expect(card.locator(".rag-page")).to_have_count(0)

    page.get_by_role("tab", name="文档").click()
    page.locator("#rag-remove-pick input").click()
    page.get_by_role("option", name="年报.docx").click()
    page.locator("#rag-remove").click()
    expect(page.locator("#rag-docs-status .rag-done")).to_have_text("已删除：年报.docx", timeout=UPDATE_TIMEOUT_MS)
    expect(rows).to_have_count(2)
    expect(page.locator("#rag-docs")).not_to_contain_text("年报.docx")
    assert not (root / "seeds" / "年报.docx").exists()

    expect(ask_in_chat_tab(page, DOCX_QUESTION)).to_have_class("rag-refusal")
    expect(ask_in_chat_tab(page, PDF_QUESTION).locator(".rag-card .rag-page").first).to_have_text("第 3 页")


def test_rejected_uploads_get_one_line_each_naming_the_file(page, served):
    _, root = served
    (root / "uploads" / "程序.exe").write_bytes(b"MZ")
    (root / "uploads" / ".hidden.txt").write_text("小明在北京。", encoding="utf-8")
    page.get_by_role("tab", name="文档").click()
    page.locator("#rag-upload input[type=file]").set_input_files([root / "uploads" / "程序.exe", root / "uploads" / ".hidden.txt"])
    lines = page.locator("#rag-docs-status .rag-rejected")
    expect(lines).to_have_count(2, timeout=UPDATE_TIMEOUT_MS)
    expect(lines.nth(0)).to_have_text("程序.exe: 不支持的文件类型“.exe”，只能上传 .txt .md .pdf .docx .html .htm")
    expect(lines.nth(1)).to_have_text(".hidden.txt: 文件名不安全（hidden file），请改名后再上传")
    assert not any(p.name in ("程序.exe", ".hidden.txt") for p in (root / "seeds").iterdir())
