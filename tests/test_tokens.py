import re

import pytest

from rag.retrieval.glossary import english_stem
from rag.retrieval.numbers import NumberWord, number_value, number_word
from rag.retrieval.query import make_query, question_terms
from rag.tokens import tokenize


def test_model_names_and_numbers_stay_whole():
    assert "gpt-5.4" in tokenize("OpenAI 发布 GPT-5.4 模型")
    assert "osworld-verified" in tokenize("在 OSWorld-Verified 测试中")
    assert "10.2万" in tokenize("单日下载量突破 10.2 万次")
    assert "72.7%" in tokenize("Claude Opus 4.6 的 72.7%")
    assert "2026-03-17" in tokenize("HelloKitty • 2026-03-17 15:42")


def test_multi_word_names_also_match_as_a_phrase():
    terms = tokenize("工程师借助 Claude Code 完成")
    assert {"claude", "code", "claude code"} <= set(terms)


def test_question_and_document_forms_meet():
    # full-width, spacing and Traditional script all fold to the document's terms
    assert tokenize("１.７万") == tokenize("1.7 万") == ["1.7万"]
    assert tokenize("奧特曼希望讓") == tokenize("奥特曼希望让")
    assert tokenize("ＧＰＴ－５.４") == ["gpt-5.4"]


def test_skipping_opencc_for_text_it_would_not_change_gives_its_conversion():
    import json

    import opencc

    from conftest import ARTICLE, REPO
    from rag.tokens import to_simplified

    drcd = json.loads((REPO.parent / "shared" / "qa" / "drcd_dev.json").read_text(encoding="utf-8"))["data"]
    article = (REPO / "seeds" / ARTICLE).read_text(encoding="utf-8")
    texts = [p["context"] for a in drcd[:20] for p in a["paragraphs"]] + article.split("\n")
    texts += ["乾隆皇帝", "沈先生", "覆盖", "么", "干杯", "後來", "頭髮", "一天"]
    convert = opencc.OpenCC("t2s").convert
    assert [to_simplified(t) for t in texts] == [convert(t) for t in texts]
    assert to_simplified("頭髮") == "头发"


@pytest.mark.parametrize("word, dictionary_word", [
    ("companies", "company"), ("using", "use"), ("quitting", "quit"), ("biggest", "big"), ("applied", "apply"),
    ("said", "say"), ("publicly", "public"), ("widely", "wide"),
])
def test_an_inflected_english_word_finds_the_word_its_definition_uses(word, dictionary_word):
    # the glossary is keyed by the stems of CC-CEDICT's definitions ("using" and "use" stem apart)
    glossary = {english_stem(dictionary_word): ["译文"]}
    query = make_query(tokenize(f"claude {word}"), lambda t: 2.0, lambda t: t == "claude", glossary, False)
    assert [c.alternatives for c in query.concepts] == [("claude",), (word, "译文")]


def test_question_topic_drops_question_words_and_halves_the_answer_kind():
    query = make_query(tokenize("Anthropic 有多少名员工？"), lambda t: 2.0, lambda t: t == "anthropic", {}, False)
    assert [(c.word, c.weight) for c in query.concepts] == [("anthropic", 2.0), ("员工", 2.0)]
    assert query.names == ("anthropic",)
    query = make_query(tokenize("文章开头提到了哪个城市的天气？"), lambda t: 2.0, lambda t: True, {}, False)
    assert [(c.word, c.weight) for c in query.concepts] == [("城市", 1.0), ("天气", 2.0)]
    # asking for a share is the kind of answer, not a topic word: the documents write "600%", not 百分之
    query = make_query(tokenize("收入涨了百分之多少？"), lambda t: 2.0, lambda t: True, {}, False)
    assert [c.word for c in query.concepts] == ["收入", "涨"]
    query = make_query(tokenize("收入有几成来自企业？"), lambda t: 2.0, lambda t: True, {}, False)
    assert [c.word for c in query.concepts] == ["收入", "来自", "企业"]
    # a letter the documents never hold as a word would be found inside any word that has it ("o" in "openai")
    assert make_query(tokenize("o日"), lambda t: 2.0, lambda t: t == "openai", {}, False).concepts == ()
    assert [c.word for c in make_query(tokenize("c 语言"), lambda t: 2.0, lambda t: True, {}, False).concepts] == ["c", "语言"]
    # a pointing word or a count asked, jieba's one word of 这/那/几 and a classifier, is grammar: the documents
    # write "共设12座车站" for "这条路线有几个站"
    query = make_query(tokenize("這條路線有幾個車站？"), lambda t: 2.0, lambda t: True, {}, False)
    assert [c.word for c in query.concepts] == ["路线", "车站"]
    query = make_query(tokenize("那场比赛几点开始？"), lambda t: 2.0, lambda t: True, {}, False)
    assert [c.word for c in query.concepts] == ["比赛", "开始"]
    query = make_query(tokenize("编辑是哪位？"), lambda t: 2.0, lambda t: True, {}, False)
    assert [c.word for c in query.concepts] == ["编辑"]
    # "how long" asks for a duration as 多久 does: "long" is no topic word, a "long" elsewhere is
    query = make_query(tokenize("How long did the strike last?"), lambda t: 2.0, lambda t: False, {}, False)
    assert [c.word for c in query.concepts] == ["strike", "last"]
    query = make_query(tokenize("Why is the long march famous?"), lambda t: 2.0, lambda t: False, {}, False)
    assert [c.word for c in query.concepts] == ["long", "march", "famous"]
    # a number in words with 百分之 is still one topic word
    query = make_query(tokenize("谁的份额是百分之五十？"), lambda t: 2.0, lambda t: True, {}, False)
    assert "百分之五十" in [c.word for c in query.concepts]


def test_an_english_word_a_document_also_writes_is_found_in_chinese_and_is_no_name():
    # "海港大学（英文：Harbor University）": the English question's "harbor" is 海港 in the sentence that answers it,
    # which was never quoted while "harbor" was a name it must hold
    glossary = {"harbor": ["海港"], "university": ["大学"]}
    in_corpus = lambda t: t in {"harbor", "university", "karp"}
    query = make_query(tokenize("When did Karp found Harbor University?"), lambda t: 2.0, in_corpus,
                       glossary, False)
    assert [c.alternatives for c in query.concepts] == [("karp",), ("found",), ("harbor", "海港"), ("university", "大学")]
    assert query.names == ("karp",)
    # a Chinese question writes in Latin script what the documents write so: a name to hold
    query = make_query(tokenize("Harbor University 哪年改名？"), lambda t: 2.0, in_corpus, glossary, False, chinese=True)
    assert query.names == ("harbor", "university")


def test_a_chinese_question_naming_what_no_document_writes_in_latin_script_names_something_unknown():
    vocabulary = {"claude", "claude code", "gpt-5.4", "份额", "首席执行官"}
    glossary = {"ceo": ["首席执行官"]}
    written = lambda word: any(re.sub("[^a-z0-9]", "", word) in re.sub("[^a-z0-9]", "", t) for t in vocabulary)
    ask = lambda text, chinese: make_query(tokenize(text), lambda t: 2.0, vocabulary.__contains__, glossary, False,
                                           written=written, chinese=chinese).unknown_names
    assert ask("Gemini 和 Claude 的份额", True) == ("gemini",)
    # held inside a longer word, written with other separators, or by its dictionary rendering: known
    assert ask("GPT 的份额", True) == ()
    assert ask("GPT5.4 和 ClaudeCode 的份额", True) == ()
    assert ask("Claude 的 CEO", True) == ()
    assert ask("GPT-6 的份额", True) == ("gpt-6",)
    # in an English question a name may be written in Chinese by the documents (Altman: 奥特曼): only codes count
    assert ask("Gemini and GPT-6 market share", False) == ("gpt-6",)


def test_jieba_reading_its_table_from_disk_cuts_exactly_like_jieba_in_memory(tmp_path):
    import jieba

    from conftest import ARTICLE, DEV_SET, REPO
    from rag.jieba_on_disk import disk_tokenizer, write_table

    write_table(tmp_path / "dict.sqlite")
    on_disk = disk_tokenizer(tmp_path / "dict.sqlite")
    texts = (REPO / "seeds" / ARTICLE).read_text(encoding="utf-8").splitlines()
    texts += DEV_SET.read_text(encoding="utf-8").splitlines()
    texts += ["萨姆·奥特曼在旧金山", "苹果公司的市值是多少", "明天上海会下雨吗"]
    for text in texts:
        assert list(on_disk.cut_for_search(text)) == list(jieba.dt.cut_for_search(text))


def test_the_english_bridge_skips_names_a_definition_only_mentions():
    from rag.retrieval.glossary import build_glossary

    # 金山: "Jinshan suburban district of Shanghai" is no translation of "Shanghai"; 上海's own definition is.
    glossary = build_glossary({"金山", "上海", "首席执行官"})
    assert glossary["shanghai"] == ["上海"]
    assert glossary["jinshan"] == ["金山"]
    assert glossary["ceo"] == ["首席执行官"]


def test_an_english_word_behind_many_words_keeps_its_plainest_translations():
    from rag.retrieval.glossary import MAX_TERMS_PER_WORD, build_glossary

    # eight words whose CC-CEDICT definitions name "market"; 市场 is "marketplace/market", 深耕 only mentions one
    words = {"市场", "股市", "市值", "市场份额", "营销", "资本市场", "市场营销", "深耕"}
    market = build_glossary(words)["market"]
    assert len(market) == MAX_TERMS_PER_WORD and "市场" in market and "深耕" not in market
    assert build_glossary({"首席执行官"})["ceo"] == ["首席执行官"]  # an abbreviation in parentheses still counts


def test_a_word_a_definition_names_only_in_parentheses_is_no_translation():
    from rag.retrieval.glossary import build_glossary

    # 通用 "(of a language) widely used", 深耕 "to work hard on developing (a market etc)": before, "Which
    # programming languages does Claude support?" found its "languages" in any sentence holding 通用
    glossary = build_glossary({"通用", "深耕"})
    assert "languag" not in glossary and "market" not in glossary


def test_a_word_taiwan_writes_otherwise_is_found_written_either_way():
    from rag.retrieval.query import regional_variants

    assert regional_variants("使用者") == ["用户"] and regional_variants("用户") == ["使用者"]
    assert regional_variants("矽谷") == ["硅谷"]  # a part of the word: 矽 ~ 硅
    assert regional_variants("估值") == []


@pytest.mark.parametrize("words, number", [
    ("三千多万次", NumberWord(3e7, 3.999e7, "次")),  # more than 3000万, less than 4000万
    ("一千二百五十万", NumberWord(1.25e7, 1.25e7, "")),
    ("一亿三千万", NumberWord(1.3e8, 1.3e8, "")),
    ("十几家", NumberWord(11, 19, "家")),
    ("几十", NumberWord(10, 90, "")),
    ("十家", NumberWord(10, 10, "家")),
    ("八家", NumberWord(8, 8, "家")),  # small, but counted
    ("两千", NumberWord(2000, 2000, "")),
    ("二〇二五", NumberWord(2025, 2025, "")),
    ("百分之六百", NumberWord(600, 600, "", percent=True)),
    ("十", None),  # one numeral alone, as in 十分
    ("三", None),
    ("千万", None),  # "by all means"
    ("几家", None),  # a question word
    ("千米", None),  # a kilometre
    ("一一所", None),  # 唯一一所: two digits are no number
    ("三月", NumberWord(3, 3, "月")),
    ("万亿", NumberWord(1e12, 1e12, "")),
    ("一二三四五六七八九" * 40 + "家", None),  # no number: infinite as a float
])
def test_a_number_in_words_is_read_as_the_values_it_may_mean(words, number):
    assert number_word(words) == number


def test_a_number_in_words_is_one_question_term():
    # jieba cuts it in pieces, none of which is the number
    assert tokenize("有一千二百五十万行代码") == ["有", "一千", "二百", "一千二", "一千二百", "五十", "十万", "五十万", "行", "代码"]
    assert question_terms("有一千二百五十万行代码")[-1] == "一千二百五十万"
    assert question_terms("第十三航空队十分重要") == tokenize("第十三航空队十分重要")  # an order; "very"
    assert question_terms("捐款是1亿7千5百万美元") == tokenize("捐款是1亿7千5百万美元")  # digits' scales


@pytest.mark.parametrize("term, value", [
    ("3600万", (False, 3.6e7)), ("10.2万", (False, 102000.0)), ("1,000", (False, 1000.0)), ("72.7%", (True, 72.7)),
    ("百万", (False, 1e6)), ("三十", (False, 30.0)), ("三", None), ("三千多", None), ("gpt-5.4", None),
])
def test_the_index_number_terms_have_values(term, value):
    assert number_value(term) == value


def test_a_number_in_words_is_found_as_the_index_writes_it():
    terms = question_terms("哪个话题在 Ins 上被播放了三千多万次？")
    in_index = {(False, 3.6e7): "3600万", (False, 5e7): "5000万"}
    between = lambda low, high, percent: [t for (p, v), t in in_index.items() if p == percent and low <= v <= high]
    query = make_query(terms, lambda t: 2.0, lambda t: True, {}, False, numbers_between=between)
    # one topic word, not its pieces (三千, 千多, 多万, 三千多: each would weigh as a word never found)
    assert [c.word for c in query.concepts] == ["话题", "ins", "播放", "三千多万次"]
    assert query.concepts[-1].alternatives == ("三千多万次", "3600万")
    query = make_query(question_terms("财富十强里有八家用 Claude"), lambda t: 2.0, lambda t: True, {}, False)
    assert [(c.word, c.alternatives) for c in query.concepts if c.word in ("八家", "十")] == [("八家", ("八家", "8家"))]


@pytest.mark.parametrize("words, number", [
    ("30million", NumberWord(3e7, 3e7, "")),
    ("morethan30million", NumberWord(3e7, 3e7 + 0.999e7, "")),  # as 多 reads "三千多万": up to 4000万
    ("over2.5billion", NumberWord(2.5e9, 2.5e9 + 0.999e8, "")),
    ("nearly1trillion", NumberWord(0.9e12, 1e12, "")),
    ("100,000", NumberWord(1e5, 1e5, "")),
    ("1,000", None),  # below 10,000: a count the documents write in digits too
    ("12000", None),  # digits alone are a term as written
    ("30", None),
    ("gpt5million", None),
])
def test_an_english_number_with_its_scale_is_read_as_its_value(words, number):
    assert number_word(words) == number


def test_an_english_number_is_found_as_the_index_writes_it():
    # documents in Chinese write "3600 万": "30 million" and "million" itself were words found nowhere
    terms = question_terms("Which hashtag was viewed more than 30 million times on Instagram?")
    assert "morethan30million" in terms
    in_index = {(False, 3.6e7): "3600万", (False, 5e7): "5000万"}
    between = lambda low, high, percent: [t for (p, v), t in in_index.items() if p == percent and low <= v <= high]
    query = make_query(terms, lambda t: 2.0, lambda t: False, {}, False, numbers_between=between)
    assert [c.word for c in query.concepts] == ["hashtag", "viewed", "times", "instagram", "morethan30million"]
    assert query.concepts[-1].alternatives == ("morethan30million", "3600万")
    assert query.unknown_names == ()  # a number, not a code the documents lack
    assert "morethan2.5billion" in question_terms("Who spent more than $2.5 billion?")
    assert "100,000" in question_terms("Who spent $100,000?")
