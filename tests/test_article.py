"""End to end on the real article and the committed index, held to the dev-set thresholds of the issue."""
from dataclasses import replace

import opencc
import pytest

from rag.evaluation import evaluate, read_cases
from rag.sources import decode

from conftest import ARTICLE, DEV_SET, REPO

EXTRA_SET = REPO / "tests" / "data" / "extra.jsonl"  # 40 questions written apart from the dev set
# 56 questions in English: the dev set's, the paraphrases' and extra.jsonl's, translated; never trained on
ENGLISH_SET = REPO / "tests" / "data" / "english.jsonl"
EVERYDAY_SET = REPO / "tests" / "data" / "everyday.jsonl"
PARAPHRASE_SET = REPO.parent / "shared" / "eval" / "paraphrase.jsonl"

TEXT = decode((REPO / "seeds" / ARTICLE).read_bytes())[0]


def test_dev_set_meets_the_thresholds(article_engine):
    report = evaluate(article_engine, read_cases(DEV_SET), REPO / "index", repeat=1)
    assert report.hit_at_1 >= 0.90
    assert report.hit_at_5 == 1.0
    assert report.answer_accuracy >= 0.85
    assert report.citation_support >= 0.90
    assert report.citation_validity == 1.0
    assert report.refusals >= 4 and report.false_refusals <= 1


def test_paraphrases_of_the_article_questions(article_engine):
    # ../shared/eval/paraphrase.jsonl, 20 questions in other words (值多少钱 for 估值, 一天 for 单日), never trained on.
    # 0.40 when issue 6 was filed, 0.750 with 4 false refusals from stop 19 to 25; 0.800, 3 at stop 26, "多少钱"
    # found in an amount the sentence writes. The 0.85 is not reached: a floor, not a goal.
    report = evaluate(article_engine, read_cases(PARAPHRASE_SET), REPO / "index", repeat=1)
    assert report.hit_at_5 >= 0.95 and report.citation_validity == 1.0
    assert report.answer_accuracy >= 0.80 and report.false_refusals <= 3


def test_questions_written_apart_from_the_dev_set(article_engine):
    report = evaluate(article_engine, read_cases(EXTRA_SET), REPO / "index", repeat=1)
    assert report.hit_at_5 == 1.0 and report.citation_validity == 1.0
    assert report.answer_accuracy >= 0.9 and report.refusals >= 9 and report.false_refusals <= 1


def test_english_translations_of_the_questions(article_engine):
    # Measured at stop 17: accuracy 0.844, 6 of 11 refused, 7 false refusals (0.822, 5 and 8 before English
    # questions asked for kinds and words in parentheses stopped counting as translations); stop 18, numbers in
    # words, retrained: 0.822, 7 of 11, 8 (threshold 0.283 -> 0.300: one answer at 0.28 refused, one unanswerable
    # question at 0.28 too); stop 19, the index's size a fact of the model: 0.889, 6 of 11, 5; stop 21, a name
    # CC-CEDICT writes in Chinese that the article lacks (Apple, Google): 0.889, 8 of 11, 5; stop 26, take, give and
    # thing light words like have and get ("How long did it take…" looked for 先发, 占, 号): 0.933, 8 of 11, 3.
    # English is barely in the training data: these figures are a floor, not a goal.
    report = evaluate(article_engine, read_cases(ENGLISH_SET), REPO / "index", repeat=1)
    assert report.hit_at_5 >= 0.95 and report.citation_validity == 1.0
    assert report.answer_accuracy >= 0.93 and report.refusals >= 8 and report.false_refusals <= 3


def test_questions_in_everyday_words(article_engine):
    # tests/data/everyday.jsonl: 30 questions about the article in a reader's own words (值多少钱 for 估值, 打听 for
    # 联系, 一天 for 单日) and 10 on its topics that it does not answer, written at stop 22 by a helper who never saw
    # the engine nor the other question files. As first measured: accuracy 0.200, 7 of 10 refused, 23 false
    # refusals, though the right passage came first for 23 of the 30 and the right quote would be given for 22
    # with no threshold: the answerability model leans on the question's words being in the text, which these
    # questions avoid (benchmarks/RESULTS.md, stop 22). Stop 22's fixes (a weekday is no name, 百分之 and 几成 ask
    # for a share, 稿子 names the document): 0.267, 7 of 10, 21; stop 23's (这条, 哪位, 几个 are grammar): 0.300,
    # 7 of 10, 20. A floor, not a goal.
    report = evaluate(article_engine, read_cases(EVERYDAY_SET), REPO / "index", repeat=1)
    assert report.hit_at_5 >= 0.9 and report.citation_validity == 1.0
    assert report.answer_accuracy >= 0.29 and report.refusals >= 7 and report.false_refusals <= 20


@pytest.mark.parametrize("name, floor", [("english_readers", (0.93, 4, 2, 1.0)), ("taiwan_readers", (0.86, 8, 4, 1.0)),
                                         ("plain_readers", (0.70, 6, 8, 0.96)), ("swapped", (1.0, 6, 0, 1.0))])
def test_questions_readers_of_english_and_of_taiwan_would_ask(article_engine, name, floor):
    # tests/data/english_readers.jsonl and taiwan_readers.jsonl: 30 questions the article answers and 10 on its
    # topics that it does not, asked as an English reader and as a reader from Taiwan (Traditional script, Taiwan's
    # words) would type them, written at stop 23 by helpers who saw only the article. As first measured: English
    # 0.933, 4 of 10 refused, 2 false refusals; Taiwan 0.800, 8 of 10, 6 ("編輯是哪位" and "文章什麼時候發的？" refused:
    # 哪位 and 发 were topic words), 0.867, 8 of 10, 4 with stop 23's fixes. plain_readers.jsonl, the same in a
    # mainland reader's everyday words ("OpenAI 最近一次融资后值多少钱"), written at stop 24 by a helper who saw only
    # the article: 0.633, 6 of 10, 9 (the right passage first for 25 of 30); 0.700, 6 of 10, 8 with the header
    # lines under the title read as part of it (rag/answering/features.py). swapped.jsonl, written at stop 31 by a
    # helper who saw only the article: 15 questions asking of one name a fact the article gives only for another
    # ("Claude 的周活跃用户有多少？": only ChatGPT's are given) and 15 it answers; as first measured 1.000, 6 of 15
    # refused, 0 false refusals. Floors, not goals.
    report = evaluate(article_engine, read_cases(REPO / "tests" / "data" / f"{name}.jsonl"), REPO / "index", repeat=1)
    accuracy, refusals, false_refusals, hit_at_5 = floor
    assert report.hit_at_5 >= hit_at_5 and report.citation_validity == 1.0
    assert report.answer_accuracy >= accuracy and report.refusals >= refusals and report.false_refusals <= false_refusals


def test_the_dev_set_asked_in_taiwan_words(article_engine):
    # OpenCC's s2twp writes the questions as Taiwan does (使用者 for 用户, 釋出 for 发布, 矽谷 for 硅谷, 程式碼 for
    # 代码). Before a word was found written either way: 0.885, 3 false refusals ("這篇文章是哪天釋出的？" refused).
    to_taiwan = opencc.OpenCC("s2twp")
    cases = [replace(c, question=to_taiwan.convert(c.question)) for c in read_cases(DEV_SET)]
    assert "這篇文章是哪天釋出的？" in [c.question for c in cases]
    report = evaluate(article_engine, cases, REPO / "index", repeat=1)
    assert report.answer_accuracy >= 0.92 and report.refusals == 5 and report.false_refusals <= 2


def test_a_quote_about_another_name_is_no_answer(article_engine):
    # The article gives OpenAI's valuation, never Anthropic's.
    assert not article_engine.ask("What is Anthropic's valuation?").answerable
    assert "5000 亿美元" in article_engine.ask("What is OpenAI's valuation?").citations[0].quote


@pytest.mark.parametrize("question, refusal", [
    ("GPT-6 是什么时候发布的？", "文中没有提到这个问题的答案。"),
    ("GPT-5.5 的价格是多少？", "文中没有提到这个问题的答案。"),
    ("When was GPT-6 released?", "The documents do not say."),
    ("2019 年 OpenAI 的估值是多少？", "文中没有提到这个问题的答案。"),
    # in Latin script in a Chinese question, any name the article never writes; before, 0.82 and 0.93
    ("DeepSeek 的市场份额是多少？", "文中没有提到这个问题的答案。"),
    ("Anthropic 的 CEO 是谁？", "文中没有提到这个问题的答案。"),
    ("Gemini 的市場份額是多少？", "文中沒有提到這個問題的答案。"),
    # a name CC-CEDICT gives in Chinese (谷歌 "Google"), which the article never writes; before, 0.51, 0.59, 0.63
    ("谷歌的市场份额是多少？", "文中没有提到这个问题的答案。"),
    ("What is Apple's market value?", "The documents do not say."),
    ("What is Google Gemini's market share?", "The documents do not say."),
])
def test_a_model_version_year_or_latin_name_the_article_never_writes_is_refused(article_engine, question, refusal):
    # Before: "GPT-6" quoted GPT-5.4's release and "GPT-5.5" GPT-5.4 Pro's price, the other words matching well.
    answer = article_engine.ask(question)
    assert (answer.answerable, answer.confidence, answer.citations) == (False, 0.0, ())
    assert answer.text.startswith(refusal)


@pytest.mark.parametrize("question, quoted", [
    ("GPT 的价格是多少？", "GPT-5.4 Pro 的输入价格高达 30 美元/百万 token"),  # "GPT" alone is never written
    ("GPT5.4 的价格是多少？", "GPT-5.4 Pro 的输入价格高达 30 美元/百万 token"),  # refused before stop 20
    ("Chat-GPT 的周活跃用户有多少？", "ChatGPT 的周活跃用户在 2026 年初突破 9 亿"),
])
def test_a_latin_name_written_inside_a_longer_one_or_otherwise_joined_is_known(article_engine, question, quoted):
    assert quoted in article_engine.ask(question).citations[0].quote


def test_english_words_reach_chinese_terms_through_the_dictionary(article_engine):
    assert "Alex Karp" in article_engine.ask("Who is the CEO of Palantir?").citations[0].quote
    assert "超过 1.7 万人在官网签署抵制协议" in article_engine.ask("How many people signed the boycott?").text


def test_a_british_spelling_is_looked_up_as_the_american_one(article_engine):
    # CC-CEDICT writes "criticize": "criticise" found no Chinese word and the question was refused (0.14)
    for question in ("What did Palantir's CEO criticise?", "What did Palantir's CEO criticize?"):
        assert "在国防科技峰会上痛批硅谷" in article_engine.ask(question).citations[0].quote


def test_english_light_words_are_no_topic_words(article_engine):
    # "did", "go", "have": a question's words the documents can never hold must not count as missing
    assert "因用户激增导致服务多次宕机" in article_engine.ask("Why did Claude's service go down?").citations[0].quote
    assert "9 亿" in article_engine.ask("How many weekly active users did ChatGPT have in early 2026?").citations[0].quote


def test_one_who_does_something_reaches_what_is_done(article_engine):
    # "subscribers": CC-CEDICT gives 用户 for "subscriber" and 订阅 for "subscribe"; the sentence holds 订阅用户
    assert "个人订阅用户超过 5000 万" in article_engine.ask("How many paid subscribers does ChatGPT have?").citations[0].quote


def test_definition_questions_quote_the_definition(article_engine):
    assert "RLVR(可验证强化学习)" in article_engine.ask("RLVR 是什么？").citations[0].quote


@pytest.mark.parametrize("question, quote", [
    ("这篇文章的作者是谁？", "作者:川川"),
    ("这篇文章的编辑是谁？", "编辑:大风"),
    ("这篇文章来源于哪里？", "以下文章来源于:锌财经"),
    ("这篇文章是哪天发布的？", "HelloKitty • 2026-03-17 15:42"),
    # 稿件 names the document and 出自 asks its source (both refused before stop 22, at 0.05 and 0.004)
    ("这篇稿件是谁写的？", "作者:川川"),
    ("这篇文章出自哪里？", "本文由 锌财经 撰写/授权提供,转载请注明原出处。"),
    ("Who wrote this article?", "作者:川川"),
    # 哪位 asks for a person and 发 for publishing, as 谁 and 发布 do (refused before stop 23, at 0.20 and 0.02,
    # in Taiwan's script as a reader from Taiwan asked them); 记者 is the byline's other name
    ("編輯是哪位", "编辑:大风"),
    ("文章什麼時候發的？", "HelloKitty • 2026-03-17 15:42"),
    ("这篇文章是哪位记者写的？", "作者:川川"),
    ("Anthropic 在企业 LLM API 市场的份额是多少？", "根据最新数据,Anthropic 在企业 LLM API 市场的份额已达 32%,而 OpenAI 滑落至 25%。"),
    ("Claude Opus 4.6 的成绩是多少？", "新模型在 OSWorld-Verified 测试中以 75% 的成绩超越 Claude Opus 4.6 的 72.7%。"),
])
def test_exact_quotes_with_offsets_into_the_file(article_engine, question, quote):
    answer = article_engine.ask(question)
    assert answer.answerable and answer.citations[0].quote == quote
    for c in answer.citations:
        assert TEXT[c.start : c.end] == c.quote


def test_quote_that_leans_on_the_previous_sentence_brings_it_along(article_engine):
    answer = article_engine.ask("Opus 4.5 是什么时候推出的？")
    assert [c.quote for c in answer.citations][0] == "故事要从 2024 年底说起。"
    assert answer.citations[1].quote.startswith("彼时,Anthropic 推出了 Opus 4.5 模型")


@pytest.mark.parametrize("question", ["扫码关注公众号", "怎么获取更多技术资讯？", "关注公众号"])
def test_footer_is_never_quoted(article_engine, question):
    assert all("扫码" not in c.quote and "获取更多" not in c.quote for c in article_engine.ask(question).citations)


@pytest.mark.parametrize("question", ["OpenAI 的 CEO 年薪是多少？", "特斯拉的股价是多少？", "明天上海会下雨吗？",
                                      "量子计算机的原理是什么？", "Will it rain in Shanghai tomorrow?"])
def test_questions_the_article_does_not_answer_are_refused(article_engine, question):
    answer = article_engine.ask(question)
    assert not answer.answerable and answer.citations == ()


def test_search_passages_point_at_the_file(article_engine):
    passages = article_engine.search("GPT-5.4 Pro 的价格", k=5)
    assert len(passages) == 5 and "GPT-5.4 Pro 的输入价格高达 30 美元/百万 token" in passages[0].text
    assert all(TEXT[p.start : p.end] == p.text for p in passages)
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


@pytest.mark.parametrize("question, name", [
    ("Palantir 的首席执行官是谁？", "Alex Karp"), ("Who is the CEO of Palantir?", "Alex Karp"),
    ("谁在纽约大学提出了论断？", "Scott Galloway"),
])
def test_a_person_named_in_latin_script_is_the_marked_answer(article_engine, question, name):
    # jieba tags "Alex" as a foreign word, not a person: without this the mark fell on "白领", which it tags nr
    c = article_engine.ask(question).citations[0]
    assert article_engine.document_text(c.source)[c.answer_start : c.answer_end] == name


@pytest.mark.parametrize("question, quoted", [
    ("有一千二百五十万行代码的是哪个开源库？", "1250 万行代码的 vLLM 开源库"),
    ("哪场运动有两百五十万人加入？", "超过 250 万人加入“QuitGPT”运动"),
    ("谁的年化收入有两百五十亿美元？", "维持着 250 亿美元的年化收入"),
    ("哪家公司的年增速是百分之六百？", "ARR 正以 600% 的年增速狂奔"),
    ("哪个模型的输入价格是每百万 token 三十美元？", "输入价格高达 30 美元/百万 token"),
    ("Which open-source library has 12.5 million lines of code?", "1250 万行代码的 vLLM 开源库"),
    ("Whose annualized revenue is $25 billion?", "维持着 250 亿美元的年化收入"),
    ("Which company's valuation reached $500 billion?", "最新融资轮估值站上 5000 亿美元"),
    ("Which app had over 100,000 downloads in a single day?", "Claude 单日下载量突破 10.2 万次"),
])
def test_a_number_written_in_words_finds_the_number_written_in_digits(article_engine, question, quoted):
    # Before, jieba's pieces of the number (一千, 二百, 五十万, ...) were each a topic word found nowhere: the first
    # four were refused (confidence 0.16, 0.10, 0.19, 0.02). Likewise "12.5", "million" and "billion" of an English
    # number (stop 27): the first English one was refused (0.18), the next two quoted 数十亿美元 first.
    answer = article_engine.ask(question)
    assert answer.answerable and quoted in answer.citations[0].quote


@pytest.mark.parametrize("question", [
    "Claude " + "一二三四五六七八九" * 100,
    "Claude 的" + "天地玄黄宇宙洪荒日月盈昃" * 75,
])
def test_a_long_question_is_no_likelier_answered_for_its_length_alone(article_engine, question):
    # Answered at 0.97 and 0.79 before: the model's question length was read beyond the longest it was trained on.
    assert not article_engine.ask(question).answerable
