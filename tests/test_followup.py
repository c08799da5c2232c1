"""Follow-up questions: rewritten into standalone ones, answered from the article, never rewriting a standalone one."""
from __future__ import annotations

import json

import pytest

import rag
from conftest import DEV_SET, REPO
from rag.answering.followup import standalone_question
from rag.tokens import normalize
from rag.types import Turn

DIALOGUES = REPO / "tests" / "data" / "dialogues.jsonl"
EXTRA_SET = REPO / "tests" / "data" / "extra.jsonl"
MIN_SCORE = 0.8
SHARE = "Anthropic 在企业 LLM API 市场的份额是多少？"


def dialogues() -> list[dict]:
    return [json.loads(line) for line in DIALOGUES.read_text(encoding="utf-8").splitlines() if line.strip()]


def right(answer: rag.Answer, turn: dict) -> bool:
    if turn.get("refused"):
        return not answer.answerable
    quoted = normalize("".join(c.quote for c in answer.citations)).replace(" ", "")
    return answer.answerable and any(normalize(a).replace(" ", "") in quoted for a in turn["answers"])


def test_dialogues_about_the_article_are_answered(article_engine, record_property):
    assert len(dialogues()) >= 25
    results = []
    for dialogue in dialogues():
        history: list[Turn] = []
        for i, turn in enumerate(dialogue["turns"]):
            answer = article_engine.ask(turn["question"], history=history)
            if i:  # the follow-ups are what is scored
                results.append((dialogue["id"], turn["question"], answer.rewritten, right(answer, turn)))
            history.append(Turn(turn["question"], answer.text))
    score = sum(ok for *_, ok in results) / len(results)
    wrong = [r[:3] for r in results if not r[3]]
    print(f"follow-ups answered right: {score:.3f} ({len(results)} follow-ups in {len(dialogues())} dialogues); wrong: {wrong}")
    record_property("dialogue_score", score)
    assert score >= MIN_SCORE, wrong


@pytest.mark.parametrize("first,follow_up", [
    pytest.param("OpenAI 最新融资轮的估值是多少？", "那 Anthropic 呢？", marks=pytest.mark.xfail(strict=True, reason=(
        "known miss of the learned answerability (issue 6): 'Anthropic 最新融资轮的估值是多少？' is answered with confidence "
        "0.66 (0.68 at stop 19, 0.51 before): its valuation words are in the article's sentences about OpenAI, one of "
        "which names Anthropic"))),
    ("What is OpenAI's latest valuation?", "What about Anthropic?"),
])
def test_a_follow_up_the_article_does_not_answer_is_refused(article_engine, first, follow_up):
    assert article_engine.ask(first).answerable
    answer = article_engine.ask(follow_up, history=[Turn(first)])
    assert answer.rewritten is not None and "Anthropic" in answer.rewritten
    assert not answer.answerable and answer.citations == ()


@pytest.mark.parametrize("history,question,standalone", [
    ([SHARE], "那 OpenAI 呢？", "OpenAI 在企业 LLM API 市场的份额是多少？"),
    (["Anthropic 在企業 LLM API 市場的份額是多少？"], "那 OpenAI 呢？", "OpenAI 在企業 LLM API 市場的份額是多少？"),
    (["What is Anthropic's share of the enterprise LLM API market?"], "What about OpenAI?",
     "What is OpenAI's share of the enterprise LLM API market?"),
    ([SHARE, "那 OpenAI 呢？"], "它去年的份额是多少？", "OpenAI 去年的份额是多少？"),
    ([SHARE], "去年呢？", "去年Anthropic 在企业 LLM API 市场的份额是多少？"),
    (["Palantir 去年多少收入来自政府合同？"], "今年呢？", "Palantir 今年多少收入来自政府合同？"),
    (["GPT-5.4 Pro 的输入价格是多少？"], "输出价格呢？", "GPT-5.4 Pro 的输出价格是多少？"),
    (["Palantir 去年多少收入來自政府合同？"], "該公司的首席執行官是誰？", "Palantir 的首席執行官是誰？"),
    (["OpenAI 什么时候发布了 GPT-5.4？"], "它在 OSWorld-Verified 测试中的成绩是多少？",
     "GPT-5.4 在 OSWorld-Verified 测试中的成绩是多少？"),
    (["奥特曼承认与国防部合作的决策看起来怎样？"], "他在全员会议上坦言了什么？", "奥特曼在全员会议上坦言了什么？"),
])
def test_follow_ups_are_rewritten(history, question, standalone):
    assert standalone_question(question, [Turn(q) for q in history]) == standalone


def test_he_after_a_who_question_is_the_person_answered():
    history = [Turn("Anthropic 的创始人是谁？", "它们师出同门——Anthropic 的创始人 Dario Amodei 曾是 OpenAI 的研究高管")]
    assert standalone_question("他曾在 OpenAI 主导过哪个模型的训练？", history) == "Dario Amodei 曾在 OpenAI 主导过哪个模型的训练？"


@pytest.mark.parametrize("previous", [SHARE, "When did OpenAI release GPT-5.4?", "Palantir 的首席执行官是谁？"])
def test_a_standalone_question_is_never_rewritten(previous):
    questions = [json.loads(line)["question"] for path in (DEV_SET, EXTRA_SET)
                 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    history = [Turn(previous, "Alex Karp 在国防科技峰会上痛批硅谷")]
    assert [q for q in questions if standalone_question(q, history) is not None] == []


def test_without_history_nothing_changes(article_engine):
    answer = article_engine.ask("那 OpenAI 呢？")
    assert answer.rewritten is None and answer.to_json()["rewritten"] is None


def test_the_answer_keeps_the_question_asked_and_says_how_it_was_read(article_engine):
    answer = article_engine.ask("  那 OpenAI 呢？ ", history=[Turn(SHARE)])
    data = answer.to_json()
    assert data["question"] == "那 OpenAI 呢？"
    assert data["rewritten"] == "OpenAI 在企业 LLM API 市场的份额是多少？"
    assert "25%" in answer.citations[0].quote
    with pytest.raises(rag.QuestionError):
        article_engine.ask("", history=[Turn(SHARE)])
