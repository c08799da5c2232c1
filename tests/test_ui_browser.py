"""The chat as a person uses it, in headless Chromium against the real index."""
from __future__ import annotations

import json
import re
import statistics

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright

import rag
from ui_server import CHROMIUM_FLAGS, INDEX, REPLIES, ask, require_chromium, ui_url  # noqa: F401  (ui_url is a fixture)

PHONE = dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)

QUESTION = "Claude 单日下载量较前一周增长了多少？"
FOLLOW_UP = "这篇文章的作者是谁？"
REFUSED = "谁赢得了2022年世界杯？"
PAYLOADS = ("<img src=x onerror=alert(1)>", "<script>alert(1)</script>")
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
            args=CHROMIUM_FLAGS,
        )
        yield b
        b.close()


@pytest.fixture
def dialogs():
    return []


@pytest.fixture
def page(browser, ui_url, dialogs):  # noqa: F811
    context = browser.new_context(viewport={"width": 1366, "height": 900}, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(ui_url)
    yield page
    context.close()


def test_header_names_the_index(page, engine):
    info = engine.info
    header = page.locator(".rag-indexed")
    # the build time as a person reads it: "2026-11-26 00:53:56 UTC"
    built = info.built_at.replace("T", " ").replace("+00:00", " UTC")
    for part in (*info.documents, str(info.chunks), info.embedder, built):
        expect(header).to_contain_text(part)


def test_example_answer_cites_and_opens_the_source(page, engine, tmp_path):
    expected = engine.ask(QUESTION).citations[0]
    page.locator(".rag-examples").get_by_role("button", name=QUESTION).click()
    answer = page.locator(".rag-answer").last
    expect(answer.locator(".rag-text .rag-marker").first).to_have_text("[1]")
    card = answer.locator(".rag-card").first
    expect(card.locator(".rag-card-head .rag-marker")).to_have_text("[1]")
    expect(card.locator(".rag-source")).to_have_text(expected.source)
    expect(card.locator("mark.rag-quote")).to_have_text(expected.quote)
    expect(answer.locator(".rag-meta")).to_contain_text("ms")
    expect(card.locator(".rag-confidence")).to_have_text(re.compile(r"置信度 \d{1,3}%"))
    expect(answer.locator(".rag-explain")).to_have_text("置信度：模型估计文档确实回答了这个问题的概率；太低时不作答。")
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


@pytest.mark.parametrize("lang,question,hint", [
    ("中文", "", "请先输入问题。"),
    ("中文", "问" * 1001, "问题太长：1001 字，最多 1000 字。"),
    ("English", "   ", "Type a question first."),
    ("English", "q" * 5000, "Too long: 5000 of 1000 characters."),
])
def test_bad_question_gets_a_message_in_the_page_language_and_stays_in_the_box(page, lang, question, hint):
    page.get_by_label(lang).check()
    box = page.locator("#rag-question textarea")
    expect(box).to_have_attribute("maxlength", "1000")
    # typing stops at maxlength; a longer text can still arrive by script or paste, so it is set directly
    box.evaluate("(el, text) => { el.value = text; el.dispatchEvent(new Event('input', {bubbles: true})); }", question)
    page.locator("#rag-send").click()
    expect(page.locator("#rag-hint .rag-hint")).to_have_text(hint)
    expect(box).to_have_value(question)
    expect(page.locator(".rag-q")).to_have_count(0)
    expect(page.locator(".toast-body")).to_have_count(0)
    box.fill("这篇文章的作者是谁？")
    box.press("Enter")
    expect(page.locator("#rag-hint .rag-hint")).to_have_count(0)


def test_follow_up_and_clear(page):
    ask(page, QUESTION)
    ask(page, FOLLOW_UP)
    expect(page.locator(".rag-answer")).to_have_count(2)
    expect(page.locator(".rag-q")).to_have_text([QUESTION, FOLLOW_UP])
    page.locator("#rag-clear").click()
    expect(page.locator(".rag-q")).to_have_count(0)
    expect(page.locator(REPLIES)).to_have_count(0)


def test_a_follow_up_says_how_it_was_understood(page):
    ask(page, "Anthropic 在企业 LLM API 市场的份额是多少？")
    reply = ask(page, "那 OpenAI 呢？")
    expect(reply.locator(".rag-understood")).to_have_text("理解为：OpenAI 在企业 LLM API 市场的份额是多少？")
    expect(reply.locator("mark.rag-quote").first).to_contain_text("OpenAI 滑落至 25%")
    standalone = ask(page, FOLLOW_UP)
    expect(standalone.locator(".rag-understood")).to_have_count(0)


def test_english_labels_and_examples_kept_after_reload(page):
    expect(page.locator("#rag-chat")).to_contain_text("你好！")
    page.get_by_label("English").check()
    expect(page.locator("#rag-send")).to_have_text("Send")
    chat = page.locator("#rag-chat")
    expect(chat).to_contain_text("Hello! Ask about the indexed documents")
    expect(chat.get_by_role("button", name="When did OpenAI release GPT-5.4?")).to_be_visible()
    page.reload()
    expect(page.get_by_label("English")).to_be_checked()
    expect(page.locator("#rag-send")).to_have_text("Send")
    reply = ask(page, QUESTION)
    expect(reply.locator(".rag-meta")).to_contain_text("took")


def test_phone_width_has_no_horizontal_overflow(browser, ui_url, tmp_path):  # noqa: F811
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(ui_url)
    welcome_examples = page.locator("#rag-chat").get_by_role("button", name=QUESTION)
    expect(welcome_examples).to_be_in_viewport(ratio=1)  # on the first screen, whole
    box = page.locator("#rag-question textarea")
    clipped = box.evaluate("el => { const s = getComputedStyle(el); const c = document.createElement('canvas').getContext('2d');"
                           " c.font = `${s.fontSize} ${s.fontFamily}`; "
                           " return c.measureText(el.placeholder).width > el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight); }")
    assert not clipped, "the question box's placeholder is cut off at 390 px"
    reply = ask(page, QUESTION)
    reply.locator(".rag-doc summary").first.click()
    expect(reply.locator(".rag-doc mark.rag-current")).to_be_visible()
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    page.screenshot(path=tmp_path / "phone.png")
    context.close()
    assert widths[0] <= widths[1], f"page is {widths[0]} px wide in a {widths[1]} px window"


def test_question_shows_at_once_as_pending_and_a_queued_one_is_not_lost(page):
    # hold every answer back a little, as a slow link would, so the pending state can be seen
    page.route("**/gradio_api/queue/join*", lambda route: (page.wait_for_timeout(800), route.continue_()))
    box = page.locator("#rag-question textarea")
    box.fill(QUESTION)
    box.press("Enter")
    expect(page.locator(".rag-q")).to_have_text([QUESTION])
    expect(page.locator(".rag-pending")).to_have_count(1)
    box.fill(FOLLOW_UP)
    box.press("Enter")
    expect(page.locator(".rag-q")).to_have_text([QUESTION, FOLLOW_UP])
    expect(page.locator(".rag-answer")).to_have_count(2)
    expect(page.locator(".rag-pending")).to_have_count(0)


def test_rapid_example_clicks_each_get_their_answer(page):
    buttons = page.locator(".rag-examples button")
    labels = buttons.all_inner_texts()
    for i in range(len(labels)):
        buttons.nth(i).click()
    expect(page.locator(".rag-q")).to_have_text(labels)
    expect(page.locator(REPLIES)).to_have_count(len(labels))
    expect(page.locator(".rag-pending")).to_have_count(0)


def test_copy_gives_plain_text_and_markers_lead_to_their_card(page, engine):
    expected = engine.ask(QUESTION)
    reply = ask(page, QUESTION)
    plain = expected.text + "\n\n" + "\n".join(f"[{c.n}] {c.source}: {c.quote}" for c in expected.citations)
    reply.locator(".rag-copy").click()
    expect(reply.locator(".rag-copy")).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == plain
    message = page.locator("#rag-chat [data-testid=bot]").filter(has=reply)
    assert message.get_attribute("aria-label") == plain  # named by its text, not its HTML

    last = expected.citations[-1].n
    reply.locator(f".rag-text a.rag-marker").last.click()
    card = reply.locator(f".rag-card.rag-n-{last}")
    expect(card).to_have_class(re.compile("rag-flash"))
    expect(card).to_be_in_viewport()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violations(browser, ui_url, scheme, record_property):  # noqa: F811
    context = browser.new_context(viewport={"width": 1366, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{ui_url}?__theme={scheme}")
    ask(page, QUESTION)
    ask(page, REFUSED)
    page.locator("#rag-send").click()  # an empty question: a hint
    expect(page.locator("#rag-hint .rag-hint")).to_be_visible()
    page.locator(".rag-closest summary").first.click()
    page.locator(".rag-doc summary").first.click()
    expect(page.locator(".rag-doc mark.rag-current").first).to_be_visible()
    # axe reads colours at one instant: twice this stop, in the whole suite only, the quote's <strong> answer mark
    # was measured with too little contrast in the dark scheme, and never when the file ran alone (7 runs, also
    # with both cores busy). The resting colours are what must contrast: transitions off, and a violation must
    # still be there a second later.
    page.add_style_tag(content="*, *::before, *::after { transition: none !important; animation: none !important; }")

    def serious() -> list[str]:
        results = Axe().run(page)
        record_property(f"axe_{scheme}", json.dumps([v["id"] for v in results.response["violations"]]))
        return [f"{v['id']} ({v['impact']}): {[(n['target'], n.get('failureSummary')) for n in v['nodes']]}"
                for v in results.response["violations"] if v["impact"] in ("serious", "critical")]

    violations = serious()
    if violations:
        print(f"axe-core {scheme}, first reading: {violations}")
        page.wait_for_timeout(1000)
        violations = serious()
    context.close()
    print(f"axe-core {scheme}: serious or critical: {violations}")
    assert violations == []


def test_chat_state_per_turn_stays_small(page, record_property):
    """What travels per turn: the request the browser sends, and the chat's messages as rendered."""
    sent = []
    page.on("request", lambda r: sent.append(len(r.post_data_buffer or b"")) if "queue/join" in r.url else None)
    questions = ["Anthropic 在企业 LLM API 市场的份额是多少？", "Claude 单日下载量较前一周增长了多少？",
                 "When did OpenAI release GPT-5.4?", "谁赢得了2022年世界杯？", "这篇文章的作者是谁？"]
    sizes = {}
    for turn in range(1, 31):
        ask(page, questions[turn % len(questions)])
        if turn in (1, 10, 30):
            sizes[turn] = page.evaluate("new Blob([JSON.stringify(Array.from("
                                        "document.querySelectorAll('#rag-chat .rag-q, #rag-chat .rag-answer, #rag-chat .rag-refusal'),"
                                        " e => e.outerHTML))]).size")
    growth = (sizes[30] - sizes[1]) / 29
    summary = f"chat bytes at turns 1/10/30: {sizes[1]}/{sizes[10]}/{sizes[30]} ({growth:.0f} per turn); " \
              f"request bytes at turns 1/10/30: {sent[0]}/{sent[9]}/{sent[29]}"
    print(summary)
    record_property("state", summary)
    assert len(sent) == 30 and max(sent) - min(sent) < 200, sent
    assert growth <= 2048, summary


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_latency_click_to_answer(browser, ui_url, device, record_property):  # noqa: F811
    """Perceived latency, from the click on 发送 to the answer on screen, over 20 questions (measured, not judged)."""
    size = PHONE if device == "phone" else dict(viewport={"width": 1366, "height": 900})
    context = browser.new_context(**size)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(ui_url)
    expect(page.locator("#rag-chat")).to_be_visible()
    questions = [QUESTION, FOLLOW_UP, REFUSED, "When did OpenAI release GPT-5.4?", "Anthropic 在企业 LLM API 市场的份额是多少？"]
    times = [page.evaluate(CLICK_TO_ANSWER, questions[i % len(questions)]) for i in range(20)]
    context.close()
    summary = f"{device}: click to answer over {len(times)} questions: median {statistics.median(times):.0f} ms, max {max(times):.0f} ms"
    print(summary)
    record_property("latency", summary)
    assert len(times) == 20


# Gradio may still be mounting the page, or re-rendering the box after the last reply: wait for it (up to 10 s)
# rather than failing on a null element; a box that never comes back is still a failure.
CLICK_TO_ANSWER = """async (question) => {
  let box = null;
  for (let waited = 0; !(box = document.querySelector('#rag-question textarea')) || box.disabled; waited += 50) {
    if (waited > 10000) throw new Error('the question box did not appear within 10 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  box.value = question;
  box.dispatchEvent(new Event('input', {bubbles: true}));
  await new Promise((r) => setTimeout(r, 100));
  const replies = () => document.querySelectorAll('.rag-answer, .rag-refusal, .rag-notice').length;
  const before = replies();
  const start = performance.now();
  document.querySelector('#rag-send').click();
  await new Promise((resolve) => {
    const observer = new MutationObserver(() => { if (replies() > before) { observer.disconnect(); resolve(); } });
    observer.observe(document.body, {childList: true, subtree: true});
  });
  await new Promise((r) => requestAnimationFrame(() => r()));
  return performance.now() - start;
}"""
