import pytest

import rag
from rag.answering.questions import read_question
from rag.chunking import split_sentences, table_line
from rag.errors import RagError
from rag.retrieval import glossary
from rag.retrieval.glossary import ABBREVIATIONS_PATH, abbreviated, write_abbreviations
from rag.retrieval.query import spelled_out
from rag.tokens import to_simplified

from conftest import REPO, TINY, build_index


def test_answer_quotes_the_sentence_with_exact_offsets(tiny_engine):
    answer = tiny_engine.ask("小明在哪所大学读书？")
    assert answer.answerable
    assert answer.text == "根据文档：\n小明在北京大学读书。 [1]"
    [c] = answer.citations
    assert (c.n, c.source, c.quote, c.start, c.end) == (1, "tiny.txt", "小明在北京大学读书。", 0, 10)
    assert TINY[c.start : c.end] == c.quote


def test_quantity_question_picks_the_sentence_with_the_number(tiny_engine):
    answer = tiny_engine.ask("食堂有多少个窗口？")
    assert answer.citations[0].quote == "学校的食堂有二十个窗口？"
    assert (answer.citations[0].start, answer.citations[0].end) == (20, 32)


def test_unrelated_question_is_refused_without_quotes(tiny_engine):
    answer = tiny_engine.ask("上海明天会下雨吗？")
    assert not answer.answerable
    assert answer.text == "文中没有提到这个问题的答案。"
    assert answer.citations == ()
    assert answer.passages  # the closest text is still offered, as context


def test_refusal_speaks_the_question_language(tiny_engine):
    assert tiny_engine.ask("What is the stock price of Apple?").text.startswith("The documents do not say.")
    assert tiny_engine.ask("上海明天會下雨嗎？").text == "文中沒有提到這個問題的答案。"


def test_search_returns_passages_with_exact_offsets(tiny_engine):
    [p] = tiny_engine.search("自行车", k=1)
    assert (p.source, p.start, p.end) == ("tiny.txt", 0, 32)
    assert TINY[p.start : p.end] == p.text


@pytest.mark.parametrize("question, message", [
    ("", "the question is empty; type a question about the documents"),
    ("   \n ", "the question is empty; type a question about the documents"),
    ("问" * 1001, "the question is 1001 characters long; the limit is 1000, so shorten it"),
    ("小明\x07在哪", "the question contains the control character U+0007; remove it and ask again"),
    ("a \ud800 b", "the question contains U+D800, a lone surrogate, which is not a character (invalid UTF-8 input?); "
                   "type the question again"),
    ("<script></script>", "the question has no words in it (only HTML or symbols); ask in words about the documents"),
    (None, "the question must be text, got NoneType"),
])
def test_bad_questions_get_one_clear_line(tiny_engine, question, message):
    with pytest.raises(rag.QuestionError) as e:
        tiny_engine.ask(question)
    assert str(e.value) == message


def test_a_huge_question_is_refused_before_any_conversion(tiny_engine, monkeypatch):
    """A 10 MB question used to go through OpenCC (15 s) before its length was checked."""
    import rag.engine

    converted, convert = [], rag.engine.to_simplified
    monkeypatch.setattr(rag.engine, "to_simplified", lambda text: converted.append(text) or convert(text))
    with pytest.raises(rag.QuestionError, match="the question is 10000000 characters long; the limit is 1000"):
        tiny_engine.ask("問" * 10_000_000)
    assert converted == []
    assert tiny_engine.ask("小明在哪所大學讀書？").citations[0].quote == "小明在北京大学读书。"
    assert converted[0] == "小明在哪所大學讀書？"


def test_html_in_a_question_is_searched_as_words(tiny_engine):
    answer = tiny_engine.ask("<b>小明在哪所大学读书？</b>")
    assert answer.question == "<b>小明在哪所大学读书？</b>"
    assert answer.citations[0].quote == "小明在北京大学读书。"


@pytest.mark.parametrize("k, message", [
    (0, "k must be a whole number of at least 1, got 0"),
    (-3, "k must be a whole number of at least 1, got -3"),
    (2, "k of 2 is larger than the 1 chunks in the index; pass a smaller k"),
])
def test_bad_k_is_refused(tiny_engine, k, message):
    with pytest.raises(rag.ArgumentError) as e:
        tiny_engine.search("小明", k=k)
    assert str(e.value) == message


def test_answer_json_has_the_documented_shape(tiny_engine):
    data = tiny_engine.ask("小明在哪所大学读书？").to_json()
    assert data["answerable"] is True
    assert data["citations"] == [{"n": 1, "source": "tiny.txt", "quote": "小明在北京大学读书。", "start": 0, "end": 10,
                                  "score": data["citations"][0]["score"], "answer_start": 3, "answer_end": 7,
                                  "page": None}]
    assert 0.0 < data["confidence"] <= 1.0
    assert set(data["timings"]) == {"normalize_ms", "lexical_ms", "dense_ms", "select_ms", "total_ms"}


GUIDE = "# 差旅制度\n## 住宿标准\n一线城市每晚不超过 600 元。其他城市每晚不超过 400 元。\n## 交通标准\n高铁可乘坐二等座。\n"


@pytest.fixture(scope="module")
def guide_engine(tmp_path_factory):
    return rag.load(build_index(tmp_path_factory.mktemp("guide"), {"guide.md": GUIDE}))


def test_a_section_heading_lends_its_words_to_the_sentences_under_it(guide_engine):
    # "住宿标准" is only in the heading; the answer is the sentence under it, not the heading.
    answer = guide_engine.ask("一线城市的住宿标准是多少？")
    assert answer.citations[0].quote == "一线城市每晚不超过 600 元。"
    assert GUIDE[answer.citations[0].start : answer.citations[0].end] == "一线城市每晚不超过 600 元。"


def test_a_heading_is_never_the_whole_answer(guide_engine):
    # The section's content answers; a heading, if quoted at all, comes with the first sentence under it.
    quotes = [c.quote for c in guide_engine.ask("交通标准是什么？").citations]
    assert "高铁可乘坐二等座。" in quotes and quotes[-1] != "## 交通标准"


def test_a_short_first_paragraph_under_the_title_is_quoted(tmp_path):
    # Before, a short paragraph right under the title was read as a header line (a date, an author), and the
    # next paragraph, about something else, was quoted instead at 0.96.
    text = ("中国经济概况\n\n2023年，中国国内生产总值达到126万亿元，比上年增长5.2%。\n\n"
            "华为总裁任正非表示，公司将继续加大研发投入。华为的首席财务官孟晚舟负责公司财务。\n")
    engine = rag.load(build_index(tmp_path, {"economy.txt": text}))
    assert engine.ask("2023年中国的国内生产总值是多少？").citations[0].quote == "2023年，中国国内生产总值达到126万亿元，比上年增长5.2%。"


FAQ = ("常见问题\n\n问：如何修改登录密码？\n答：登录后进入“个人中心-安全设置”，点击“修改密码”，输入旧密码和新密码即可。\n\n"
       "问：忘记密码怎么办？\n答：在登录页点击“忘记密码”，通过绑定的手机号接收验证码后重设密码。\n")


def test_a_question_in_the_documents_is_no_answer(tmp_path):
    # Before, the line asking it came first ("问：忘记密码怎么办？"): it holds every word of the question.
    engine = rag.load(build_index(tmp_path, {"faq.txt": FAQ}))
    quotes = [c.quote for c in engine.ask("忘记密码怎么办？").citations]
    assert quotes[0] == "答：在登录页点击“忘记密码”，通过绑定的手机号接收验证码后重设密码。"
    assert not any(q.endswith("？") for q in quotes)


RESTAURANT_FAQ = ("老城巷川味小馆 常见问题\n\n问：餐厅的营业时间是什么时候？\n答：午市11:00至14:30，晚市17:00至22:00，每周一店休。\n"
                  "问：可以带宠物进店吗？\n答：导盲犬以外的动物暂不能进入店内。\n问：餐厅有没有停车位？\n答：门口有8个免费车位，先到先得。\n")


def test_the_line_asking_the_question_gives_way_to_its_answer_and_a_bare_title_to_both(tmp_path):
    # Before stop 22 "老城巷川味小馆 常见问题" was quoted: the title is ranked by the window under it, and the line
    # asking the question, ranked next, was skipped for lines further down. The title holds none of the
    # question's words; the line after the one asking the question answers it.
    engine = rag.load(build_index(tmp_path, {"faq.txt": RESTAURANT_FAQ}))
    quotes = [c.quote for c in engine.ask("餐厅的营业时间是什么时候？").citations]
    assert quotes == ["答：午市11:00至14:30，晚市17:00至22:00，每周一店休。"]


NEWS = ("新华社北京3月5日电（记者王磊）\n\n国家统计局5日发布数据显示，2月份全国居民消费价格指数（CPI）同比上涨0.7%，"
        "环比上涨1.0%。\n\n其中，食品价格同比上涨0.9%，非食品价格同比上涨0.6%。\n")


@pytest.mark.parametrize("question", ["这条新闻是谁写的？", "这篇报道的记者是谁？", "Who wrote this news report?"])
def test_a_news_report_names_its_writer_as_reporter(tmp_path_factory, question):
    engine = rag.load(build_index(tmp_path_factory.mktemp("news"), {"news.txt": NEWS}))
    answer = engine.ask(question)
    assert answer.answerable and answer.citations[0].quote == "新华社北京3月5日电（记者王磊）"


SPECS = ("# 云帆 X5 手机产品说明\n\n## 基本参数\n- 屏幕：6.7英寸 OLED，分辨率 2778×1284\n- 处理器：天枢 9000 芯片\n"
         "- 重量：约 198 克\n\n## 保修\n整机保修一年，电池保修两年。\n")


@pytest.mark.parametrize("question, quote", [
    ("手机多重？", "- 重量：约 198 克"), ("屏幕多大？", "- 屏幕：6.7英寸 OLED，分辨率 2778×1284"),
    ("云帆 X5 的屏幕多大？", "- 屏幕：6.7英寸 OLED，分辨率 2778×1284"),  # the name is in the document's title only
])
def test_an_item_of_a_list_is_quoted_and_a_title_over_a_heading_is_not(tmp_path_factory, question, quote):
    # Before, a short bulleted line was read as a heading, and the document's title was quoted first; a line
    # lacking the question's Latin-script name (X5) was never quoted, though the title above it names it.
    engine = rag.load(build_index(tmp_path_factory.mktemp("specs"), {"specs.md": SPECS}))
    quotes = [c.quote for c in engine.ask(question).citations]
    assert quotes[0] == quote and "# 云帆 X5 手机产品说明" not in quotes


# Written at stop 33 after a helper's meeting minutes and appliance manual: a spec sheet's lines under its first
# section were read as header lines and as headings, never quoted; a meeting's time, place and chair were header
# lines, quoted only for a question about the document itself.
RECORDS = {
    "minutes.txt": "柳溪社区居委会第三季度工作会议纪要\n\n会议时间：2023年9月14日下午2:30\n会议地点：党群服务中心二楼第一会议室\n"
                   "主持人：居委会主任 蒋慧芳\n\n一、上季度工作回顾\n程立军副主任通报了第二季度重点工作完成情况，社区共完成"
                   "老旧楼道照明改造17个单元，更换感应灯具204盏。\n",
    "manual.txt": "澜溪 LX-D26 除湿机使用说明书\n\n一、主要技术参数\n型号：LX-D26\n额定输入功率：320W\n除湿量：26升/天\n"
                  "水箱容量：4.5升\n\n二、使用步骤\n按“电源”键开机，机器默认以“自动”模式运行，目标湿度为55%；水箱满时满水指示灯亮起，"
                  "机器自动停止运行。\n",
}


@pytest.fixture(scope="module")
def records_engine(tmp_path_factory):
    return rag.load(build_index(tmp_path_factory.mktemp("records"), RECORDS))


@pytest.mark.parametrize("question, quote", [
    ("会议地点在哪里？", "会议地点：党群服务中心二楼第一会议室"), ("会议是谁主持的？", "主持人：居委会主任 蒋慧芳"),
    ("会议什么时候开的？", "会议时间：2023年9月14日下午2:30"), ("除湿机的功率是多少？", "额定输入功率：320W"),
    ("水箱容量多大？", "水箱容量：4.5升"),
])
def test_a_field_line_is_quoted_for_its_field(records_engine, question, quote):
    answer = records_engine.ask(question)
    assert answer.answerable and answer.citations[0].quote == quote


# Written at stop 34: jieba guesses where a name it does not know ends from the characters around it, so the
# documents' "梁雨菲于2019年" gives the term 梁雨菲于 and a question's "冯丽君于哪年" gives 冯丽君于. The name was then a
# word found nowhere: its sentence had no BM25 score for it, and the question was refused (梁雨菲 at 0.12).
COLLEGE = ("青岚理工学院简介\n\n青岚理工学院创办于1987年，位于湄川县城东。梁雨菲于2019年出任院长，推动了新工科建设。"
           "学院现有教职工612人。\n\n冯丽君，1975年生于岚水市，1998年到学院任教，现任图书馆馆长。\n")


@pytest.fixture(scope="module")
def college_engine(tmp_path_factory):
    return rag.load(build_index(tmp_path_factory.mktemp("college"), {"college.txt": COLLEGE}))


@pytest.mark.parametrize("question, name, found_as, quote", [
    ("梁雨菲担任什么职务？", "梁雨菲", ("梁雨菲", "梁雨菲于"), "梁雨菲于2019年出任院长，推动了新工科建设。"),
    ("冯丽君于哪年到学院任教？", "冯丽君于", ("冯丽君于", "冯丽君"), "冯丽君，1975年生于岚水市，1998年到学院任教，现任图书馆馆长。"),
])
def test_a_name_jieba_cut_with_its_neighbour_is_found(college_engine, question, name, found_as, quote):
    concepts = {c.word: c.alternatives for c in college_engine._query(college_engine._read(question)).concepts}
    assert concepts[name] == found_as
    answer = college_engine.ask(question)
    assert answer.answerable and answer.citations[0].quote == quote


# The sentence naming the word twice is not the one that says what it is.
ROBOTS = ("协作机器人的价格和协作机器人的维护成本都在下降。许多工厂开始采购协作机器人。"
          "协作机器人，是一种可以与工人在同一空间安全工作的机器人。它们通常配有力传感器。\n")


@pytest.mark.parametrize("question, defined", [
    ("什么是协作机器人？", "协作机器人"), ("什么是“协作机器人”？", "协作机器人"), ("协作机器人是什么？", "协作机器人"),
    ("何谓协作机器人", "协作机器人"), ("What is a cobot?", "acobot"), ("协作机器人有什么用？", ""),
])
def test_definition_questions_name_what_they_define(question, defined):
    assert read_question(question, to_simplified(question)).defines == defined


@pytest.mark.parametrize("question, kinds", [
    ("In which year was Dario Amodei born?", {"time"}), ("What month did the war end?", {"time"}),
    ("What is Apple's market value?", {"quantity"}), ("What share of the market does it hold?", {"quantity"}),
    ("How fast is revenue growing?", {"quantity", "manner"}), ("Whose idea was it?", {"person"}),
    ("Which city hosted the games?", {"place"}), ("What is a cobot?", set()),
])
def test_english_questions_ask_for_the_kinds_chinese_ones_do(question, kinds):
    # Before, "which year" (哪一年) asked for no time and "what is ... market value" (市值是多少) for no quantity:
    # the answer features that favour a date or a number stayed off for English questions.
    assert read_question(question, to_simplified(question)).kinds == kinds


@pytest.mark.parametrize("question", ["什么是协作机器人？", "什么是“协作机器人”？"])
def test_a_what_is_question_quotes_the_sentence_that_defines_it(tmp_path_factory, question):
    engine = rag.load(build_index(tmp_path_factory.mktemp("robots"), {"robots.txt": ROBOTS}))
    assert [c.quote for c in engine.ask(question).citations] == ["协作机器人，是一种可以与工人在同一空间安全工作的机器人。"]


# A Markdown table: the rule under the header row is part of the table, and no sentence to quote.
FINANCES = ("# 财务摘要\n\n下表列出了近三年的主要财务数据。\n\n| 年份 | 营业收入（亿元） | 净利润（亿元） |\n|------|:----:|------|\n"
            "| 2023 | 12.5 | 1.8 |\n| 2024 | 15.2 | 2.3 |\n| 2025 | 18.9 | 3.1 |\n\n公司计划在 2026 年于成都建设第二个生产基地。\n")


@pytest.fixture(scope="module")
def finances_engine(tmp_path_factory):
    return rag.load(build_index(tmp_path_factory.mktemp("finances"), {"finances.md": FINANCES}))


@pytest.mark.parametrize("question, row, cell", [
    ("2024 年的净利润是多少？", "| 2024 | 15.2 | 2.3 |", "2.3"),
    ("2023 年营业收入是多少？", "| 2023 | 12.5 | 1.8 |", "12.5"),
])
def test_a_table_row_is_read_under_its_header_row_and_quoted_after_it(finances_engine, question, row, cell):
    # the row holds the year, only its header the kind of figure: the row alone, or the header alone, is no answer;
    # the answer is the cell under the header cell asked about
    header, quoted = finances_engine.ask(question).citations
    assert (header.quote, header.answer_start, quoted.quote) == ("| 年份 | 营业收入（亿元） | 净利润（亿元） |", None, row)
    assert [FINANCES[c.start : c.end] for c in (header, quoted)] == [header.quote, row]
    assert FINANCES[quoted.answer_start : quoted.answer_end] == cell


def test_a_markdown_table_rule_is_no_sentence_to_quote_and_no_heading():
    [rule] = [s for s in split_sentences(FINANCES) if "---" in s.text]
    assert (rule.text, rule.quotable, rule.heading) == ("|------|:----:|------|", False, False)
    assert [table_line(s.text) for s in split_sentences(FINANCES)] == [False, False, True, True, True, True, True, False]


def test_a_row_the_table_lacks_is_no_answer(finances_engine):
    # no 2022 row: another year's row is not quoted in its place
    answer = finances_engine.ask("2022 年的净利润是多少？")
    assert (answer.answerable, answer.citations) == (False, ())


# The part of the quote that answers: a title in 《》 for "which novel / film", a count with its counting word,
# a year, a person, a place; never a title the question itself names, never an order ("第一部") as a count.
NOVEL = ("林小雨，作家，1971 年出生于杭州。1998 年，她出版了第一部小说《山河故人》，首印三万册。"
         "2005 年，导演周远把这部小说改编成电影《故人归》，在西安拍摄。\n")


@pytest.fixture(scope="module")
def novel_engine(tmp_path_factory):
    return rag.load(build_index(tmp_path_factory.mktemp("novel"), {"novel.txt": NOVEL}))


@pytest.mark.parametrize("question, marked", [
    ("林小雨的第一部小说叫什么？", "《山河故人》"),
    ("林小雨出版的第一部小说是哪一部？", "《山河故人》"),
    ("《山河故人》被改编成了哪部电影？", "《故人归》"),
    ("Which novel did Lin Xiaoyu publish first?", "《山河故人》"),
    ("《山河故人》首印多少册？", "三万册"),
    ("林小雨是哪一年出生的？", "1971 年"),
    ("谁把《山河故人》改编成了电影？", "周远"),
    ("电影《故人归》在哪里拍摄？", "西安"),
])
def test_the_answer_is_marked_inside_the_quote(novel_engine, question, marked):
    c = novel_engine.ask(question).citations[0]
    assert c.start <= c.answer_start < c.answer_end <= c.end
    assert NOVEL[c.answer_start : c.answer_end] == marked


# A range is one answer, a year of another calendar keeps its Gregorian year, a count is in the unit asked for
# even when another number stands nearer the question's words (a sum of money asked by what it pays for, 经费, too),
# a name runs on past its dots, keeps no preposition jieba joined to it, and is given in Chinese when its Latin
# spelling follows in brackets. Since stop 29: a time written without digits is marked when the quote holds none in
# digits (a dynasty, a reign year, a year of the sixty-year cycle), and first when the question asks which period;
# "which year" is a year, not the season or month beside it; a treaty, newspaper or book is marked without 《》;
# a name jieba cuts into single characters is marked whole (a place too: 普鲁士|王国), and "who" is answered by a
# state or a body where the quote names no person; a count's unit is one unit, not every unit character after the
# number, and a year or "一家" ("a company") is no count; a duration in numerals ends in its unit, and an English
# question asks its unit too ("how long": a duration). A "where" is the place the question's own words frame in the
# quote (迁到了|河东街, 在|苏州|长大), "哪国人" asks a people, and "出自何处" a book; a "who" whose quote names no
# person is the words the question frames too (裁判长|拥有最终); a question listing all but one item of a list asks
# for that one, whatever its kind. A number inside a code counts nothing (XT-78), a unit may be Latin (30km), a share
# a fraction (三分之一) and a score a ratio (1比3); a number the question gives is not its answer; a count asked in
# its unit or a length of time comes before a date; a time may be a range of months or of the clock. A "where" is
# the whole address written after its first place (美国|明尼亚波利斯), a "which country" the country alone; a name
# whose parts dots join is whole where jieba cuts a part apart (伊夫|林·比|阿特|丽斯·霍尔); "多少钱" is asked in
# every currency (美金 too).
TOWN = ("青石镇位于海拔1200米至1500米的山谷中。镇上的老桥建于明朝崇祯十六年（1643年），1998 年的洪水后重修。"
        "2010 年，镇上的 3 所学校共有学生三千二百人。镇上的钟楼由英国工程师约翰·海克特·麦克阿瑟设计。"
        "图书馆由威廉·史密斯（William Smith）建造。工程师马克·吐温（Mark Twain）修好了镇上的水车。"
        "2016 年，镇上 2 座石桥的修缮经费为 360 万元。镇上的青瓷窑在东汉时期已能烧出成熟的青瓷。嘉禾二年，太守周钟瑄修筑了"
        "镇外的石堤。庚申年三月，镇上的文庙落成。青石镇2011年人口为6,054,191。从镇上坐船到青岛，票价350元，航程大约两小时。"
        "16世纪文艺复兴时期，镇上修建了戏台。清朝末年，镇上的盐井由西班牙经营。"
        "那年普鲁士王国的使者到过镇上。镇上的集市从1185年维持到1334年，共149年。茶叶生意每年为镇上带来数十亿元收入。"
        "一家药厂把同镇上的合同缩短了10个月。那年夏天镇长周明宣布辞职，那是1974年。"
        "清廷签订了马关条约，镇上的商路因此断绝。"
        "镇上的第一所中学后来从青岛迁到了河东街。画家李青生于杭州，在苏州长大。镇上的面馆是一个荷兰人开的。"
        "“青石不语”这句话出自《青石镇志》。镇上的比赛中，裁判长拥有最终决定权。"
        "镇上的三种特产是青瓷、茶叶和竹编。镇口的XT-78型信号塔覆盖距离为30km。镇上三分之一的居民以种茶为生。"
        "清朝时期，镇上总共设了十一个驿站，1821年全部裁撤。镇上的龙舟队以1比3输给了邻镇。"
        "镇上的茶叶产量去年增长了15%，达到了300吨。镇上的荷花在6至8月开放。镇上的夜市在晚上19:00～23:00营业。"
        "镇上茶馆去年的营业额约为1.2亿美金。1938年3月，镇上的学堂停课长达三个月。"
        "镇上的老邮局旧址位于浙江省杭州市西湖区南山路12号。镇上的姐妹城市广场位于美国明尼亚波利斯。"
        "镇上的医院由英国医生伊夫林·比阿特丽斯·霍尔创办。镇上的老戏院去年接待游客2万人，门票收入共计50万美金。\n")


@pytest.fixture(scope="module")
def town_engine(tmp_path_factory):
    return rag.load(build_index(tmp_path_factory.mktemp("town"), {"town.txt": TOWN}))


@pytest.mark.parametrize("question, marked, before", [
    ("青石镇的海拔是多少米？", "1200米至1500米", "1200米"),
    ("青石镇的海拔有多高？", "1200米至1500米", "1200米"),
    ("老桥建于哪一年？", "十六年（1643年）", "十六年"),
    ("镇上的学校共有学生多少人？", "三千二百人", "3 所"),
    ("钟楼是谁设计的？", "约翰·海克特·麦克阿瑟", "克特·麦克阿瑟"),
    ("图书馆是谁建造的？", "威廉·史密斯", "由威廉·史密斯"),
    ("谁修好了镇上的水车？", "马克·吐温", "Mark Twain"),
    ("石桥的修缮经费是多少？", "360 万元", "2 座"),
    ("青石镇什么时候能烧出成熟的青瓷？", "东汉时期", None),
    ("石堤是何时修筑的？", "嘉禾二年", None),
    ("文庙在哪一年落成？", "庚申年", None),
    ("谁修筑了镇外的石堤？", "周钟瑄", "周"),
    ("2011年青石镇有多少人？", "6,054,191", "2011年人"),
    ("坐船到青岛要花多少时间？", "两小时", "350元"),
    ("戏台修建于哪一个时期？", "文艺复兴时期", "16世纪"),
    ("镇上的盐井由谁经营？", "西班牙", None),
    ("哪个国家的使者到过镇上？", "普鲁士王国", "王国"),
    ("镇上的集市维持了多少年？", "149年", "1185年"),
    ("茶叶生意每年为镇上带来多少收入？", "数十亿元", "十亿元"),
    ("How long does the boat to Qingdao take?", "两小时", "350元"),
    ("By how much did a pharmaceutical company shorten its contract with the town?", "10个月", "一家"),
    ("镇长周明在哪一年宣布辞职？", "1974年", "夏天"),
    ("镇上的商路因为哪一个条约断绝？", "马关条约", None),
    ("镇上的第一所中学迁到了哪里？", "河东街", "青岛"),
    ("画家李青是在哪里长大的？", "苏州", "苏州长大"),
    ("镇上的面馆是哪国人开的？", "荷兰人", None),
    ("“青石不语”这句话出自何处？", "《青石镇志》", "镇志"),
    ("镇上的比赛中谁拥有最终决定权？", "裁判长", None),
    ("镇上的特产有青瓷、茶叶以及什么？", "竹编", None),
    ("除了青瓷、竹编，镇上还有哪一种特产？", "茶叶", None),
    ("信号塔的覆盖距离是多少？", "30km", "78"),
    ("镇上多少比例的居民以种茶为生？", "三分之一", "三分"),
    ("清朝时期镇上总共设了多少个驿站？", "十一个", "1821年"),
    ("镇上的龙舟队以多少比数输给了邻镇？", "1比3", "3"),
    ("镇上的茶叶产量去年增长了百分之15，达到了多少？", "300吨", "15%"),
    ("镇上的荷花什么时候开放？", "6至8月", "8月"),
    ("镇上的夜市什么时候营业？", "晚上19:00～23:00", "晚上"),
    ("镇上茶馆去年的营业额是多少？", "1.2亿美金", "1.2亿美"),
    ("镇上的学堂停课了多少时间？", "三个月", "1938年3月"),
    ("老邮局旧址位于什么地方？", "浙江省杭州市西湖区南山路12号", "浙江省杭州市西湖区南山路"),
    ("姐妹城市广场位于哪里？", "美国明尼亚波利斯", "美国"),
    ("镇上的医院是谁创办的？", "伊夫林·比阿特丽斯·霍尔", "霍尔"),
    ("老戏院去年的门票收入是多少钱？", "50万美金", "2万人"),
])
def test_the_mark_holds_the_whole_answer(town_engine, question, marked, before):
    c = town_engine.ask(question).citations[0]
    assert c.start <= c.answer_start < c.answer_end <= c.end
    assert TOWN[c.answer_start : c.answer_end] == marked != before


def test_a_country_question_marks_the_country_alone(town_engine):
    c = town_engine.ask("姐妹城市广场位于哪个国家？").citations[0]
    assert TOWN[c.answer_start : c.answer_end] == "美国"


ROOMS = "".join(f"{n} 号房间有 {n} 把椅子。" for n in range(11, 80)) + "\n"


def test_a_number_in_words_too_vague_for_the_index_is_found_only_as_written(tmp_path):
    # 几十 (10 to 90) fits 69 of this index's numbers: it is found by none of them, not by the first 50 by value;
    # 四十二 fits one.
    engine = rag.load(build_index(tmp_path, {"rooms.txt": ROOMS}))
    concepts = {c.word: c.alternatives for c in engine._query(engine._read("哪个房间有几十把椅子？")).concepts}
    assert concepts["几十"] == ("几十",)
    concepts = {c.word: c.alternatives for c in engine._query(engine._read("哪个房间有四十二把椅子？")).concepts}
    assert concepts["四十二"] == ("四十二", "42")


def evaluate_folder(tmp_path, name: str, hit_at_5: float = 0.95, questions: tuple[str, ...] = ()):
    """The report of tests/data/NAME.jsonl over an index built from the documents in tests/data/NAME/; with
    `questions`, a list of it and of the reports of those files in tests/data over the same index."""
    from rag.evaluation import evaluate, read_cases

    folder = REPO / "tests" / "data" / name
    index = build_index(tmp_path, {f.name: f.read_bytes() for f in sorted(folder.iterdir())})
    engine = rag.load(index)
    reports = [evaluate(engine, read_cases(REPO / "tests" / "data" / f"{q}.jsonl"), index, repeat=1) for q in (name, *questions)]
    for report in reports:
        assert report.citation_validity == 1.0 and report.hit_at_5 >= hit_at_5
    return reports if questions else reports[0]


def test_documents_full_of_made_up_names(tmp_path):
    # tests/data/people (a staff-change notice, a village festival report, a 19th-century scholar's biography, a
    # Taiwan school's award notice in Traditional script, a research group's yearly summary), written at stop 34 by
    # a helper who never saw the engine, after names jieba cuts with a neighbouring character were found: most
    # names are written once or twice, next to 于, 由, 在, 及 (祁牧云 only as 祁牧云为, 祁牧云于 and 祁牧云任). 45
    # questions they answer (five in English) and 15 about the same people that they do not. Stop 33's code:
    # 0.889, 4 of 15 refused, 5 false refusals, hit@1 0.889, hit@5 1.000; stop 34's: 0.911, 3 of 15, 4, 0.911
    # ("祁牧云现在担任什么职务？" answered, and "祁牧云的年薪是多少？" too, as for a name jieba cuts whole). Floors.
    report = evaluate_folder(tmp_path, "people", hit_at_5=1.0)
    assert report.answer_accuracy >= 0.91 and report.refusals >= 3 and report.false_refusals <= 4
    assert report.hit_at_1 >= 0.91


def test_documents_of_other_kinds(tmp_path):
    # tests/data/other_kinds: eight short documents made up at stop 20 to ask what no corpus here holds (a staff
    # handbook, an FAQ, a news report with a dateline, a spec sheet with bulleted lines, library rules, a sales
    # table, a bridge's encyclopedia page, a Taiwan zoo page), with 44 questions they answer and 10 on their topics
    # that they do not. Stop 19's code: accuracy 0.818, 4 of 10 refused, 3 false refusals; stop 20's, whose fixes
    # they prompted (so they are no longer data nobody tuned for): 1.000, 4 of 10 (the rest answered with a
    # sentence about something else), 0; stop 21's (a name CC-CEDICT writes, 卢沟桥): 5 of 10. A floor, not a goal.
    report = evaluate_folder(tmp_path, "other_kinds")
    assert report.answer_accuracy >= 0.95 and report.refusals >= 4 and report.false_refusals <= 1


def test_a_small_folder_asked_in_everyday_words(tmp_path):
    # tests/data/small_folder: six short made-up documents (a travel-expense policy, a coffee machine manual, a
    # Taipei school notice in Traditional script, a local news report, a restaurant FAQ, a park page) with 42
    # questions they answer, asked in everyday words, and 18 on their topics that they do not answer, written at
    # stop 22 by a helper who never saw the engine. As first measured (stop 22): accuracy 0.619, 11 of 18
    # refused, 12 false refusals, the right passage first for 38 of 42; with stop 22's fixes (a full-width bullet
    # "－" makes a list item, the line after one asking the question is quoted): 0.690, 10 of 18, 12. A floor, not
    # a goal. Stop 23's retraining (grammar words no topic words): one more refused at the threshold's edge, 13.
    report = evaluate_folder(tmp_path, "small_folder")
    assert report.answer_accuracy >= 0.68 and report.refusals >= 10 and report.false_refusals <= 13


def test_news_reports_and_encyclopedia_pages_nobody_tuned_for(tmp_path):
    # tests/data/news (four made-up news reports: a battery maker's results with a header block, a flood with a
    # dateline, a Taipei-style metro opening in Traditional script, a football final) and tests/data/encyclopedia
    # (five made-up encyclopedia pages: a bridge, a Qing painter, a Taiwan lake in Traditional script, a moth, a
    # university), written at stop 23 by helpers who never saw the engine: questions in the text's words, in a
    # reader's own words and in English, and on-topic questions the pages do not answer. As first measured:
    # news 0.477, 5 of 16 refused, 22 false refusals; encyclopedia 0.625, 1 of 20, 13. An English word a page
    # also writes ("Harbor University") found in Chinese: encyclopedia 0.650; "European" and "Blue Line" no longer
    # names the documents lack (dictionary_names.py): news 0.545, 4 of 16, 19. The confidence does not tell their
    # answerable questions from the others (README, "What is left"). Floors, not goals.
    # tests/data/swapped_news.jsonl, written at stop 31 by a helper who saw only the reports: 15 questions asking of
    # one company, team or place a fact the report gives only for another it names ("北川队的主教练是谁？" where only
    # 临江联's coach is named), and 15 it answers. As first measured: 0.933, 1 of 15 refused, 0 false refusals.
    news, swapped = evaluate_folder(tmp_path / "news", "news", questions=("swapped_news",))
    assert news.answer_accuracy >= 0.54 and news.refusals >= 4 and news.false_refusals <= 19
    assert swapped.answer_accuracy >= 0.93 and swapped.refusals >= 1 and swapped.false_refusals == 0
    pages = evaluate_folder(tmp_path / "encyclopedia", "encyclopedia")
    assert pages.answer_accuracy >= 0.65 and pages.refusals >= 1 and pages.false_refusals <= 13


def test_notices_and_profiles_nobody_tuned_for(tmp_path):
    # tests/data/notices (a city's subsidy notice with numbered clauses, a company's leave rules, a Taiwan hospital's
    # outpatient guide in Traditional script, an appliance recall) and tests/data/profiles (a scientist's
    # biography, an interview transcript, a Taiwan township's page in Traditional script, a 19th-century shipwreck),
    # written at stop 24 by helpers who never saw the engine: 48 questions each in the text's words, in a reader's
    # own words and in English, and 16 on their topics that they do not answer. As first measured (stop 23's code):
    # notices 0.583, 10 of 16 refused, 12 false refusals, the right passage in the first five for only 0.81 (a
    # sentence repeating the notice's subject, "现就开展2026年度居家适老化改造补贴工作", outranks the one that
    # answers); profiles 0.479, 7 of 16, 18, 0.92 (English questions naming a person with the Chinese in brackets
    # were read as Chinese, so each English word the pages lack was a name they lack: all refused); with such a
    # question read as English, 0.667, 4 of 16 (three refused before only for that), 7. Floors, not goals.
    # With the header lines under a title read as part of it (below): notices 0.646, 10 of 16, 10, 0.875. With an
    # amount found as the 钱 of "多少钱" in the sentence writing it (stop 26): 0.688, 10 of 16, 8. With a hospital's
    # floor list ("2F：眼科、耳鼻喉科") and leave rules' items ending in "；" no longer headings (stop 33): 0.708, 10 of
    # 16, 8, 0.896.
    notices = evaluate_folder(tmp_path / "notices", "notices", hit_at_5=0.89)
    assert notices.answer_accuracy >= 0.70 and notices.refusals >= 10 and notices.false_refusals <= 8
    profiles = evaluate_folder(tmp_path / "profiles", "profiles", hit_at_5=0.9)
    assert profiles.answer_accuracy >= 0.66 and profiles.refusals >= 4 and profiles.false_refusals <= 7


def test_minutes_a_manual_a_school_notice_and_a_local_history_nobody_tuned_for(tmp_path):
    # tests/data/records (a neighbourhood committee's meeting minutes with a header block, a dehumidifier manual
    # with a spec list and a troubleshooting table, a Taiwan school's notice to parents in Traditional script, an
    # encyclopedia page on a made-up Qing scholar), written at stop 33 by a helper who never saw the engine: 48
    # questions in the text's words, in a reader's own words, in Traditional script and in English, and 16 on
    # their topics that they do not answer. As first measured (stop 32's code): 0.625, 4 of 16 refused, 13 false
    # refusals, the right passage first for 0.688 and in the first five for 0.896. With a list of "field：value"
    # lines and items ending in "；" no longer headings, a numbered section ending the header and a header line
    # naming the asked field quoted: 0.625, 4 of 16, 13, 0.750, 0.979. With a people or nationality written where
    # its place is (英国人, 英国): 0.646, 4 of 16, 12. With a field naming no publication detail (会议地点：…) as
    # content, not a header line: 0.688, 4 of 16, 12, 0.771, 1.000. Floors, not goals.
    report = evaluate_folder(tmp_path, "records", hit_at_5=0.97)
    assert report.answer_accuracy >= 0.68 and report.refusals >= 4 and report.false_refusals <= 12
    assert report.hit_at_1 >= 0.77


def test_office_documents_written_after_the_change_that_they_measure(tmp_path):
    # tests/data/office (a scooter's spec sheet with one "参数：值" line per parameter, a project meeting's minutes
    # with header and signature lines, a company's leave regulation in 第X条 articles with "（一）…；" items, a
    # clinic's visitor guide in Traditional script with a floor list, a biography), written at stop 33 by a helper
    # who never saw the engine, after the change to headings and header lines was made on tests/data/records: a
    # held-out measure of it. 50 questions they answer (half asking a "名称：值" or header line; three in English,
    # the clinic's in Traditional script) and 15 on their topics that they do not. Stop 32's code: 0.520, 9 of 15
    # refused, 8 false refusals, hit@1 0.700, hit@5 0.820; stop 33's: 0.740, 8 of 15, 7, 0.760, 0.940; with a
    # meeting's time, place and chair as content, not header lines: 0.740, 8, 7, 0.820, 0.980. Floors.
    report = evaluate_folder(tmp_path, "office", hit_at_5=0.97)
    assert report.answer_accuracy >= 0.74 and report.refusals >= 8 and report.false_refusals <= 7
    assert report.hit_at_1 >= 0.82


def test_documents_opening_with_fields_written_after_the_change_that_they_measure(tmp_path):
    # tests/data/opening_fields (two meetings' minutes, a notice with its 文号 and contact lines, an event
    # announcement in Traditional script, a work report), written at stop 33 by a third helper who never saw the
    # engine, after a meeting's time, place and chair stopped being header lines: each opens with a block of
    # "名称：值" lines, and half of its 40 answerable questions ask for one, in the field's words or a reader's
    # ("会是在哪儿开的？"); 15 it does not answer. Stop 32's code: 0.500, 3 of 15 refused, 8 false refusals,
    # hit@1 0.575, hit@5 0.675; with stop 33's headings alone: 0.550, 3, 8, 0.625, 0.750; with fields naming no
    # publication detail as content: 0.650, 3, 8, 0.725, 0.925. Floors, not goals.
    report = evaluate_folder(tmp_path, "opening_fields", hit_at_5=0.92)
    assert report.answer_accuracy >= 0.65 and report.refusals >= 3 and report.false_refusals <= 8
    assert report.hit_at_1 >= 0.72


@pytest.mark.parametrize("question, language", [
    ("Where was Lin Yanqiu (林砚秋) sent to do labour from 1968 to 1972?", "en"),
    ("How many people work at 青苔工作室 now?", "en"),
    ("Who founded 青苔工作室?", "en"),
    ("GPT-5.4 Pro 每生成一百万个 token 要花多少钱？", "zh-Hans"),
    ("Claude Code 的用户有多少？", "zh-Hans"),
    ("《This Is Where I Came In》是Bee Gees的第几张原创专辑？", "zh-Hans"),
    ("「Early cultivators of science in Japan」是誰的論文作品?", "zh-Hant"),
])
def test_a_question_is_in_the_language_of_its_words_outside_brackets(question, language):
    assert read_question(question, to_simplified(question)).language == language


def test_an_english_question_naming_a_chinese_name_in_brackets_is_answered_in_english(tmp_path):
    # Helpers' English questions wrote the name as the document does, in brackets ("Lin Yanqiu (林砚秋)"): read as
    # Chinese, every English word the document lacks ("labour", "sent") was a name it lacks, so all were refused,
    # and in Chinese (tests/data/profiles: 0.479 -> 0.667).
    text = ("林砚秋（1924年3月17日—2009年11月2日），材料科学家，生于梧溪县。\n\n"
            "1968年至1972年，林砚秋被下放到北沙农场劳动，其间仍坚持阅读专业文献。\n\n"
            "1979年，林砚秋出任雁川材料研究所所长，任职至1990年。\n")
    engine = rag.load(build_index(tmp_path, {"lin.txt": text}))
    answer = engine.ask("Where was Lin Yanqiu (林砚秋) sent to do labour from 1968 to 1972?")
    assert answer.answerable and any("北沙农场" in c.quote for c in answer.citations)
    assert answer.text.startswith("From the documents (quoted in Chinese):")
    refused = engine.ask("Which prize did Wang Fang (王芳) win in 2001?")
    assert not refused.answerable and refused.text == "The documents do not say. (文中没有提到这个问题的答案。)"


CITIES = ("# 三座城市\n\n甲市位于河流北岸，常住人口约 250 万，以纺织业闻名。乙市位于山区，常住人口约 80 万，以茶叶闻名。"
          "丙市是港口城市，年吞吐量超过 3000 万吨，常住人口约 120 万。\n")


@pytest.mark.parametrize("question, quotes", [
    # "2.5 million", "1.2 million" and "800,000" were words found nowhere: the city of 120 万 was quoted first for
    # the first, and another city's sentence came second for the other two
    ("Which city has a population of about 2.5 million?",
     ["甲市位于河流北岸，常住人口约 250 万，以纺织业闻名。", "丙市是港口城市，年吞吐量超过 3000 万吨，常住人口约 120 万。"]),
    ("Which city has 1.2 million residents?", ["丙市是港口城市，年吞吐量超过 3000 万吨，常住人口约 120 万。"]),
    ("Which city is known for tea, with 800,000 residents?", ["乙市位于山区，常住人口约 80 万，以茶叶闻名。"]),
])
def test_an_english_number_finds_the_number_chinese_writes_in_wan(tmp_path_factory, question, quotes):
    engine = rag.load(build_index(tmp_path_factory.mktemp("cities"), {"cities.md": CITIES}))
    answer = engine.ask(question)
    assert answer.answerable and [c.quote for c in answer.citations] == quotes
    assert all(CITIES[c.start:c.end] == c.quote for c in answer.citations)


NOTICE = ("江屿市人民政府办公室\n关于开展2026年度居家适老化改造补贴工作的通知\n江屿府办发〔2026〕12号\n\n"
          "为积极应对人口老龄化，经市政府同意，现就开展2026年度居家适老化改造补贴工作有关事项通知如下。\n\n"
          "一、补贴标准\n\n基础类改造每户补贴不超过8000元，由区民政局直接拨付给施工企业。\n\n"
          "二、申请程序\n\n申请人于2026年3月1日至2026年8月31日期间，向户籍所在地街道提出书面申请。\n\n"
          "街道应在收到申请后10个工作日内完成入户评估。\n")


def test_the_header_lines_under_a_title_say_what_the_document_is_about(tmp_path):
    # The notice's subject is in the line under its title (the issuing office): the sentence that repeats it
    # ("现就开展2026年度居家适老化改造补贴工作…") was quoted alone for both questions, as what the question's words
    # the title lacks are found in. Read with the header lines under the title, those words are the subject, and
    # the sentences that answer win on the rest.
    engine = rag.load(build_index(tmp_path, {"notice.txt": NOTICE}))
    answer = engine.ask("江屿市2026年度居家适老化改造补贴的申请受理时间是什么？")
    assert answer.citations[0].quote == "申请人于2026年3月1日至2026年8月31日期间，向户籍所在地街道提出书面申请。"
    answer = engine.ask("居家适老化改造补贴每户最多补多少钱？")
    assert "基础类改造每户补贴不超过8000元，由区民政局直接拨付给施工企业。" in [c.quote for c in answer.citations]


REPORT = ("# 星河科技年报摘要\n\n星河科技的 ARR 在 2025 年达到 12 亿元，同比增长 85%。公司全年收入中，海外业务占 30%。"
          "星河科技自研的 LLM 已接入 40 家银行。公司计划于 2027 年启动 IPO，地点为香港。\n")
ECONOMY = ("# 海州经济简报\n\n2025 年海州 GDP 达到 8200 亿元，同比增长 5.1%。全市常住人口 960 万，城镇化率 71%。"
           "海州港的集装箱吞吐量为 1500 万标箱。多家银行开放了 API，供企业查询账户。\n")


@pytest.mark.parametrize("text, question, quote", [
    # an English phrase spelled out for the acronym the documents write (the first was refused before)
    (REPORT, "What was Xinghe's annual recurring revenue in 2025?", "星河科技的 ARR 在 2025 年达到 12 亿元，同比增长 85%。"),
    (REPORT, "How many banks use the company's large language model?", "星河科技自研的 LLM 已接入 40 家银行。"),
    (REPORT, "When does the company plan its initial public offering?", "公司计划于 2027 年启动 IPO，地点为香港。"),
    # CC-CEDICT's Chinese term for the abbreviation the documents write (the second was refused before)
    (ECONOMY, "2025 年海州的国内生产总值是多少？", "2025 年海州 GDP 达到 8200 亿元，同比增长 5.1%。"),
    (ECONOMY, "哪些机构开放了应用程序接口？", "多家银行开放了 API，供企业查询账户。"),
])
def test_a_question_finds_the_abbreviation_the_documents_write(tmp_path_factory, text, question, quote):
    engine = rag.load(build_index(tmp_path_factory.mktemp("abbreviated"), {"brief.md": text}))
    answer = engine.ask(question)
    assert answer.answerable and answer.citations[0].quote == quote
    assert text[answer.citations[0].start:answer.citations[0].end] == quote


def test_only_a_run_of_three_or_more_words_is_read_as_an_acronym():
    written = {"arr", "llm", "ai", "tr"}.__contains__
    assert spelled_out(["annual", "annual recurring", "recurring", "revenue"], written) == dict.fromkeys(
        ["annual", "recurring", "revenue"], "arr")
    assert spelled_out(["the", "large", "language", "model"], written) == dict.fromkeys(["large", "language", "model"], "llm")
    # two initials spell a word by chance too often; a stopword breaks the run; an acronym the documents lack is none
    assert spelled_out(["artificial", "intelligence"], written) == {}
    assert spelled_out(["annual", "and", "recurring", "revenue"], written) == {}
    assert spelled_out(["gross", "domestic", "product"], written) == {}


def test_the_shipped_abbreviations_are_cc_cedicts_as_the_script_writes_them(tmp_path):
    write_abbreviations(tmp_path / "abbreviations.json")
    assert (tmp_path / "abbreviations.json").read_text(encoding="utf-8") == ABBREVIATIONS_PATH.read_text(encoding="utf-8")


def test_a_damaged_abbreviations_file_is_refused_with_the_fix(tmp_path, monkeypatch):
    damaged = tmp_path / "abbreviations.json"
    damaged.write_text('{"format": 0, "abbreviations": {}}', encoding="utf-8")
    monkeypatch.setattr(glossary, "ABBREVIATIONS_PATH", damaged)
    glossary._abbreviations.cache_clear()
    try:
        with pytest.raises(RagError, match=r"format 0, this program reads 1\); run `\.venv/bin/python benchmarks/abbreviations\.py` to write it again"):
            glossary.abbreviated("应用程序接口")
    finally:
        glossary._abbreviations.cache_clear()


def test_cc_cedict_abbreviations_are_names_not_labels():
    assert abbreviated("应用程序接口和国内生产总值") == {"应用程序接口": ("api",), "生产总值": ("gdp",), "国内生产总值": ("gdp",)}
    # (TCM) and (PRC) label many entries of a field or a place: no abbreviation of 三焦 or 七号电池
    assert abbreviated("三焦和七号电池") == {}
