import pytest

from rag.chunking import ChunkingConfig, make_chunks, split_sentences

from conftest import TINY


def spans(text):
    return [(s.start, s.end, s.text) for s in split_sentences(text)]


def test_tiny_text_sentences_and_offsets():
    assert spans(TINY) == [
        (0, 10, "小明在北京大学读书。"),
        (10, 20, "他每天骑自行车上学！"),
        (20, 32, "学校的食堂有二十个窗口？"),
    ]


def test_closing_quotes_and_brackets_stay_with_their_sentence():
    text = "他说:“吃相太难看。”随后离开（并未回应！）接着呢?"
    assert [s for _, _, s in spans(text)] == ["他说:“吃相太难看。”", "随后离开（并未回应！）", "接着呢?"]


def test_half_width_marks_end_sentences_but_not_numbers_or_versions():
    text = "OpenAI 发布 GPT-5.4,成绩 72.7%!下载量 10.2 万次?Claude wins. Next one"
    assert [s for _, _, s in spans(text)] == ["OpenAI 发布 GPT-5.4,成绩 72.7%!", "下载量 10.2 万次?", "Claude wins.", "Next one"]


@pytest.mark.parametrize("text, sentences", [
    ("汤玛斯·霍尔兹（Thomas R. Holtz）建立了鸟兽脚类。下一句。", ["汤玛斯·霍尔兹（Thomas R. Holtz）建立了鸟兽脚类。", "下一句。"]),
    ("英文名S.K. To，自幼在温室长大。", ["英文名S.K. To，自幼在温室长大。"]),
    ("由Dr. Virginia Apgar提出。St. John 的雕像。", ["由Dr. Virginia Apgar提出。", "St. John 的雕像。"]),
    ("模式种（\"U. itemirensis\"）于2007年命名。", ["模式种（\"U. itemirensis\"）于2007年命名。"]),
    ("He left. Then she came.", ["He left.", "Then she came."]),
])
def test_a_period_inside_a_latin_name_ends_no_sentence(text, sentences):
    assert [s for _, _, s in spans(text)] == sentences


def test_headings_and_lines_stay_separate_and_whitespace_is_not_part_of_a_sentence():
    text = "  第一章 开端\n\n正文第一句。 正文第二句\r\n"
    assert spans(text) == [(2, 8, "第一章 开端"), (10, 16, "正文第一句。"), (17, 22, "正文第二句")]


def test_offsets_hold_on_the_article(article_engine):
    from conftest import ARTICLE, REPO

    text = (REPO / "seeds" / ARTICLE).read_text(encoding="utf-8")
    sentences = split_sentences(text, ARTICLE)
    assert all(text[s.start : s.end] == s.text for s in sentences)
    assert sentences[0].text == "HelloKitty • 2026-03-17 15:42" and sentences[0].header
    assert [s.text for s in sentences if s.header][-1] == "编辑:大风"
    assert [s.text for s in sentences if not s.quotable] == ["扫码关注公众号", "获取更多技术资讯"]


def test_chunks_are_overlapping_windows_of_whole_sentences():
    text = "一。二。三。四。五。"
    sentences = split_sentences(text)
    chunks = make_chunks(text, sentences, 0, ChunkingConfig(sentences=3, overlap=1))
    assert [(c.text, c.sentence_ids) for c in chunks] == [("一。二。三。", (0, 1, 2)), ("三。四。五。", (2, 3, 4))]
    assert all(text[c.start : c.end] == c.text for c in chunks)


def test_chunks_close_early_rather_than_exceed_max_chars():
    text = "甲" * 10 + "。" + "乙" * 10 + "。"
    chunks = make_chunks(text, split_sentences(text), 0, ChunkingConfig(sentences=4, overlap=1, max_chars=15))
    assert [c.sentence_ids for c in chunks] == [(0,), (1,)]


def test_a_short_line_that_ends_as_a_sentence_is_content_even_among_the_header_lines():
    text = "中国经济概况\n\n2023年，中国国内生产总值达到126万亿元。\n作者：张三\n本文转载自新华网。\n" + "正文" * 20 + "。\n"
    assert [(s.text, s.header) for s in split_sentences(text)] == [
        ("中国经济概况", True),
        ("2023年，中国国内生产总值达到126万亿元。", False),  # was a header line, never quoted for a question
        ("作者：张三", True),
        ("本文转载自新华网。", True),  # it ends as a sentence does, but it is about the document
        ("正文" * 20 + "。", False),
    ]


def test_a_bulleted_line_is_an_item_of_a_list_not_a_heading():
    text = "# 产品说明\n## 基本参数\n- 重量：约 198 克\n* 颜色：黑色\n• 产地 深圳\n"
    assert [(s.text, s.heading) for s in split_sentences(text)] == [
        ("# 产品说明", True), ("## 基本参数", True), ("- 重量：约 198 克", False), ("* 颜色：黑色", False), ("• 产地 深圳", False),
    ]
    # a full-width or symbol bullet needs no space after it: "－3月12日至13日：第一次段考" was a heading with nothing
    # under it, never quoted, so "第一次段考是什麼時候？" quoted another line; "-5度" is no bullet
    text = ("本校第二学期将于2025年2月11日正式开学，当天上午7时30分前请全体学生到校参加开学典礼。\n三、重要日期\n"
            "－3月12日至13日：第一次段考\n－6月27日：休業式\n※ 逾期不候\n-5度以下停课\n")
    assert [(s.text, s.heading) for s in split_sentences(text)][1:] == [
        ("三、重要日期", True), ("－3月12日至13日：第一次段考", False), ("－6月27日：休業式", False), ("※ 逾期不候", False),
        ("-5度以下停课", True),
    ]


def test_lines_of_a_field_list_and_items_ending_in_a_clause_mark_are_no_headings():
    # Written at stop 33 from a spec sheet, meeting minutes and leave rules a helper wrote: each of these lines was
    # a heading, and a heading followed by another heading is never quoted, so "水箱容量多大？" had no answer.
    text = ("除湿机说明书\n\n" + "正文" * 20 + "。\n二、主要技术参数\n型号：LX-D26\n水箱容量：4.5升\n\n净重：14.8千克\n"
            "三、年休假\n（一）司龄满1年不满3年的，每年5天；\n（二）司龄满3年及以上的，每年8天。\n"
            "安全观的分野:价值观红利与政治豪赌\n" + "正文" * 20 + "。\n")
    assert [(s.text, s.heading) for s in split_sentences(text)][2:] == [
        ("二、主要技术参数", True), ("型号：LX-D26", False), ("水箱容量：4.5升", False),
        ("净重：14.8千克", False),  # a blank line between two fields does not end their list
        ("三、年休假", True), ("（一）司龄满1年不满3年的，每年5天；", False), ("（二）司龄满3年及以上的，每年8天。", False),
        # a line of that form with no other next to it is a heading with its subtitle
        ("安全观的分野:价值观红利与政治豪赌", True), ("正文" * 20 + "。", False),
    ]
    # a Markdown heading is one, whatever it writes
    assert [s.heading for s in split_sentences("# 员工手册：2026版\n## 第一章：总则\n" + "正文" * 20 + "。\n")] == [True, True, False]


def test_a_numbered_section_heading_ends_the_header_and_a_field_naming_no_publication_detail_is_content():
    # Header lines are quoted only for a question about the document itself (its author, source, date). A spec
    # sheet's fields under its first section are content; so are a meeting's time and place above its minutes,
    # which were header lines before stop 33, while a byline, in either script, stays one.
    text = "除湿机说明书\n\n一、主要技术参数\n型号：LX-D26\n水箱容量：4.5升\n"
    assert [(s.text, s.header) for s in split_sentences(text)] == [
        ("除湿机说明书", True), ("一、主要技术参数", False), ("型号：LX-D26", False), ("水箱容量：4.5升", False),
    ]
    text = "居委会会议纪要\n\n会议时间：2023年9月14日\n会议地点：第一会议室\n记者：王磊\n來源：南方時報\n（一）上季度工作回顾\n"
    assert [s.header for s in split_sentences(text)] == [True, False, False, True, True, False]


def test_headings_are_marked_and_a_markdown_title_ends_the_header():
    text = "# 差旅制度\n## 住宿标准\n一线城市每晚不超过 600 元。\n消费级市场的岔路口:流量帝国与价值观迁徙\n"
    assert [(s.text, s.header, s.heading) for s in split_sentences(text)] == [
        ("# 差旅制度", False, True),
        ("## 住宿标准", False, True),
        ("一线城市每晚不超过 600 元。", False, False),
        ("消费级市场的岔路口:流量帝国与价值观迁徙", False, True),
    ]


def test_article_section_headings(article_engine):
    from conftest import ARTICLE, REPO

    text = (REPO / "seeds" / ARTICLE).read_text(encoding="utf-8")
    assert [s.text for s in split_sentences(text) if s.heading] == [
        "消费级市场的岔路口:流量帝国与价值观迁徙",
        "企业级市场的攻防战:API 份额的惊天逆转",
        "安全观的分野:价值观红利与政治豪赌",
    ]


def test_a_long_run_is_cut_after_a_comma_then_at_a_space_then_hard_with_exact_offsets():
    from rag.chunking.sentences import MAX_SENTENCE_CHARS as N

    commas = "甲" * 150 + "，" + "乙" * 150 + "，" + "丙" * 30 + "。"
    spaces = ("word " * 60).strip()
    hard = "一" * (2 * N + 50)
    for text in (commas, spaces, hard, "前言。" + hard + "\n" + commas):
        assert all(text[a:b] == s and 0 < len(s) <= N for a, b, s in spans(text))
    assert [s for _, _, s in spans(commas)] == ["甲" * 150 + "，", "乙" * 150 + "，" + "丙" * 30 + "。"]
    assert [(a, b) for a, b, _ in spans(spaces)] == [(0, 199), (200, 299)]  # no word is cut
    assert [(a, b) for a, b, _ in spans(hard)] == [(0, N), (N, 2 * N), (2 * N, 2 * N + 50)]
