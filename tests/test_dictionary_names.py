from rag.retrieval.dictionary_names import capitalised_runs, dictionary_names, unwritten_names
from rag.retrieval.query import Concept


def concepts(*words: str) -> list[Concept]:
    return [Concept(w, 1.0, (w,)) for w in words]


def test_cc_cedict_tells_names_by_their_capitalised_pinyin():
    # 苹果 [ping2 guo3] is a fruit; 成功 is "success" besides a town in Taiwan, so no name; 文革 abbreviates 文化大革命
    assert dictionary_names(["谷歌", "微软", "苹果公司", "苹果", "成功", "文革", "市场"], english=False) == {
        "谷歌": ("谷歌",), "微软": ("微软",), "苹果公司": ("苹果公司",), "文革": ("文化大革命", "文革")}
    # a people or nationality is written by its place or name too
    assert dictionary_names(["英国人", "客家人", "凯尔特人"], english=False) == {
        "英国人": ("英国", "英国人"), "客家人": ("客家", "客家人"), "凯尔特人": ("凯尔特", "凯尔特人")}
    # a day or a month is capitalised too (星期六 [Xing1 qi1 liu4] "Saturday", 一月 "January"), but it is a date the
    # documents may write otherwise (上周六, 1月): "上个星期六 Claude 一天被装了多少次?" was refused
    assert dictionary_names(["星期六", "礼拜六", "一月", "十二月", "春节", "十月革命", "五四运动"], english=False) == {
        "春节": ("春节",), "十月革命": ("十月革命",), "五四运动": ("五四运动",)}
    names = dictionary_names(["microsoft", "apple", "march", "altman", "lin", "xiaoyu"], english=True)
    assert "微软" in names["microsoft"] and "苹果公司" in names["apple"]
    # 三月 "March" is a date, not a name; no entry gives Altman (the article writes 奥特曼, "Ultraman" to CC-CEDICT);
    # Lin (林彪 "Lin Biao") reads as pinyin: a Chinese name in Latin script, whose namesakes say nothing of 林小雨
    assert names.keys() == {"microsoft", "apple"}


def test_a_chinese_question_naming_a_name_the_documents_never_write_names_something_unknown():
    documents = {"谷歌", "市场", "份额"}.__contains__
    assert unwritten_names(concepts("微软", "市场", "份额"), set(), False, documents) == ("微软",)
    assert unwritten_names(concepts("谷歌", "市场", "份额"), set(), False, documents) == ()
    # a word the documents lack that names nothing is the model's to weigh, not a refusal; nor is a name written in
    # its full form, or one jieba finds inside a longer word of the question (海地 "Haiti" in 青海地区)
    assert unwritten_names(concepts("文革", "工作"), set(), False, {"文化大革命", "工作"}.__contains__) == ()
    assert unwritten_names(concepts("青海", "海地", "地区", "青海地区"), set(), False, {"青海"}.__contains__) == ()
    assert unwritten_names(concepts("谷歌", "收入"), set(), False, documents) == ()
    # found through an alternative the documents write instead (a regional variant)
    assert unwritten_names([Concept("川普", 1.0, ("川普", "特朗普"))], set(), False, {"特朗普"}.__contains__) == ()
    # a people or nationality is written where its place is (stop 33: "是哪个英国人让西方学界知道了邵临溪？" was refused
    # at confidence 0 by a page writing "英国地理学者约翰·哈德威克"); of a place the documents lack it is unknown
    documents = {"英国", "西方", "学界"}.__contains__
    assert unwritten_names(concepts("英国人", "西方", "学界"), set(), False, documents) == ()
    assert unwritten_names(concepts("法国人", "西方", "学界"), set(), False, documents) == ("法国人",)


def test_an_english_question_naming_a_name_whose_chinese_the_documents_never_write_names_something_unknown():
    documents = {"谷歌", "市场", "份额", "奥特曼"}.__contains__
    question = "What are Microsoft's and Google's market shares, said Altman in March?"
    capitalised = capitalised_runs(question)
    assert capitalised == [("microsoft",), ("google",), ("altman",), ("march",)]
    words = concepts("microsoft", "google", "market", "share", "altman", "march")
    assert unwritten_names(words, capitalised, True, documents) == ("microsoft",)
    # the first word is capitalised whatever it is; a lower-case word is no name
    assert unwritten_names(concepts("apple"), capitalised_runs("Apple market value"), True, documents) == ()
    assert unwritten_names(concepts("apple"), capitalised_runs("an apple a day"), True, documents) == ()


def test_an_english_name_of_several_words_or_of_a_place_the_documents_write_is_no_unknown_name():
    # "Japanese" names only compounds in CC-CEDICT (日本人, 日本语): the documents writing 日本 write it
    question = "Which Japanese company used Claude?"
    assert unwritten_names(concepts("japanese", "company", "claude"), capitalised_runs(question), True,
                           {"日本", "claude"}.__contains__) == ()
    assert unwritten_names(concepts("japanese", "company", "claude"), capitalised_runs(question), True,
                           {"claude"}.__contains__) == ("japanese",)
    # a run of capitalised words is one name: "Blue Line" is no "Blue House" (青瓦台), which "blue" alone names
    question = "What is the fare on the Blue Line in Silicon Valley?"
    assert capitalised_runs(question) == [("blue", "line"), ("silicon", "valley")]
    words = concepts("fare", "blue", "line", "silicon", "valley")
    assert unwritten_names(words, capitalised_runs(question), True, {"硅谷", "票价"}.__contains__) == ()
    assert unwritten_names(words, capitalised_runs(question), True, {"票价"}.__contains__) == ("silicon", "valley")
    # in a run whose words name no one thing, a word that is a whole name is judged alone: Google is 谷歌
    question = "What is Google Gemini's market share?"
    assert capitalised_runs(question) == [("google", "gemini")]
    words = concepts("google", "gemini", "market", "share")
    assert unwritten_names(words, capitalised_runs(question), True, {"市场", "份额"}.__contains__) == ("google",)
    assert dictionary_names(["google", "blue", "microsoft"], english=True, whole=True) == {
        "google": ("谷歌",), "microsoft": ("微软", "微软公司")}
