"""The chat as a person uses it, in headless Chromium against the real index."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

import rag
from ui_server import INDEX, require_chromium, ui_url  # noqa: F401  (ui_url is a fixture)

QUESTION = "Claude 单日下载量较前一周增长了多少？"
FOLLOW_UP = "这篇文章的作者是谁？"
REFUSED = "谁赢得了2022年世界杯？"
PAYLOADS = ("<img src=x onerror=alert(1)>", "<script>alert(1)</script>")
REPLIES = ".rag-answer, .rag-refusal, .rag-notice"
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def engine():
    return rag.load(INDEX)


@pytest.fixture(scope="module")
def browser():
    executable = require_chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=executable,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


@pytest.fixture
def dialogs():
    return []


@pytest.fixture
def page(browser, ui_url, dialogs):  # noqa: F811
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(ui_url)
    yield page
    context.close()


def ask(page, question: str):
    """Type a question, press Enter and return the bot's reply to it."""
    replies = page.locator(REPLIES)
    before = replies.count()
    box = page.locator("#rag-question textarea")
    box.fill(question)
    box.press("Enter")
    expect(replies).to_have_count(before + 1)
    return replies.last


def test_header_names_the_index(page, engine):
    info = engine.info
    header = page.locator(".rag-indexed")
    # the build time as a person reads it: "2026-11-26 00:53:56 UTC"
    built = info.built_at.replace("T", " ").replace("+00:00", " UTC")
    for part in (*info.documents, str(info.chunks), info.embedder, built):
        expect(header).to_contain_text(part)


def test_example_answer_cites_and_opens_the_source(page, engine, tmp_path):
    expected = engine.ask(QUESTION).citations[0]
    page.get_by_role("button", name=QUESTION).click()
    answer = page.locator(".rag-answer").last
    expect(answer.locator(".rag-text .rag-marker").first).to_have_text("[1]")
    card = answer.locator(".rag-card").first
    expect(card.locator(".rag-card-head .rag-marker")).to_have_text("[1]")
    expect(card.locator(".rag-source")).to_have_text(expected.source)
    expect(card.locator("mark.rag-quote")).to_have_text(expected.quote)
    expect(answer.locator(".rag-meta")).to_contain_text("ms")
    page.screenshot(path=tmp_path / "answer.png")

    card.locator(".rag-doc summary").click()
    cited = card.locator(".rag-doc mark.rag-current")
    expect(cited).to_have_text(expected.quote)
    expect(cited).to_be_in_viewport()
    page.screenshot(path=tmp_path / "source.png")


def test_refusal_looks_different_and_shows_closest_passages(page, engine):
    expected = engine.ask(REFUSED)
    assert not expected.answerable, f"the engine now answers {REFUSED!r}; pick a question it refuses"
    reply = ask(page, REFUSED)
    expect(reply).to_have_class("rag-refusal")
    expect(reply.locator(".rag-text")).to_have_text(expected.text)
    expect(reply.locator(".rag-card")).to_have_count(0)
    expect(reply).to_have_css("border-left-color", "rgb(245, 158, 11)")
    expect(reply.locator(".rag-closest summary")).to_have_text("最接近的段落（不是答案）")


def test_html_in_questions_is_shown_as_text_and_never_runs(page, dialogs):
    for payload in PAYLOADS:
        ask(page, payload)
        expect(page.locator(".rag-q").last).to_have_text(payload)
    page.wait_for_timeout(500)  # give an injected onerror handler the chance to fire
    assert dialogs == []
    assert page.locator("#rag-chat img[src='x'], #rag-chat script").count() == 0


@pytest.mark.parametrize("question", ["", "问" * 1001])
def test_bad_question_gets_a_friendly_message(page, engine, question):
    with pytest.raises(rag.QuestionError) as error:
        engine.ask(question)
    reply = ask(page, question)
    expect(reply).to_have_class("rag-notice")
    expect(reply).to_have_text(str(error.value))
    expect(page.locator(".toast-body")).to_have_count(0)


def test_follow_up_and_clear(page):
    ask(page, QUESTION)
    ask(page, FOLLOW_UP)
    expect(page.locator(".rag-answer")).to_have_count(2)
    expect(page.locator(".rag-q")).to_have_text([QUESTION, FOLLOW_UP])
    page.locator("#rag-clear").click()
    expect(page.locator(".rag-q")).to_have_count(0)
    expect(page.locator(REPLIES)).to_have_count(0)


def test_english_labels(page):
    page.get_by_label("English").check()
    expect(page.locator("#rag-send")).to_have_text("Send")
    reply = ask(page, QUESTION)
    expect(reply.locator(".rag-meta")).to_contain_text("took")


def test_phone_width_has_no_horizontal_overflow(browser, ui_url, tmp_path):  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(ui_url)
    reply = ask(page, QUESTION)
    reply.locator(".rag-doc summary").first.click()
    expect(page.locator("#rag-chat")).to_be_visible()
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    page.screenshot(path=tmp_path / "phone.png")
    context.close()
    assert widths[0] <= widths[1], f"page is {widths[0]} px wide in a {widths[1]} px window"
