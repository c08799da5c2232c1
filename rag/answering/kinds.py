"""Kinds of answer: what a question asks for (a time, a quantity, a person, a place, a named work, a reason, a
manner), and patterns for the facts of each kind in a sentence. The ranker's features and the answer
highlighting use the same patterns, so "holds a date" means one thing everywhere (where a quote holds none, the
highlighting also reads a time written in words, by jieba's tags: rag/answering/span.py). Patterns run on
normalised text (Simplified, lower case, half-width)."""
from __future__ import annotations

import re
from functools import lru_cache

WORKS = (r"(?:作品|著作|书|小说|诗集|文集|电影|影片|电视剧|剧目|戏剧|歌曲?|曲目|专辑|唱片|杂志|期刊|报纸|报刊|条约|协定|法案|"
         r"法典|节目|游戏|动画|漫画|论文|画作)")
ASKS = {
    "time": re.compile(r"什么时候|何时|哪天|哪一天|哪年|哪一年|几月|几号|日期|时间|年代|时期|哪个朝代|多久以前|when\b|(?:what|which) (?:date|day|year|month|time|decade|century|period)s?\b|how long ago"),
    "quantity": re.compile(r"多少|多久|多长时间|几[个家次倍年天人位名座种条项届岁]|多大|多高|多长|多重|多远|比例|份额|百分之|几成|"
                           r"how (?:many|much|long|big|large|old|far|high|tall|fast|often)|(?:what|which) (?:percentage|percent|share|proportion|number|amount|price|size|rate)\b"
                           r"|what (?:is|are|was|were) [^?]{0,60}?\b(?:price|cost|value|valuation|worth|revenue|salary|income|population|share|rate|percentage|size|length|height|area|age)s?\b"),
    "person": re.compile(r"谁|哪位|哪一位|什么人|何人|哪些人|作者|编辑|\bwho\b|\bwhom\b|\bwhose\b"),
    "place": re.compile(r"哪里|哪儿|何处|何地|什么地方|哪所|哪家|哪个国家|哪国|哪座|哪个城市|哪个地区|\bwhere\b|(?:which|what) (?:city|country|place|province|state|region|town|university|school|island|river|mountain|company)\b"),
    # a named work: a book, film, song, album, periodical, treaty, programme... (its title is in 《》)
    "work": re.compile(r"哪一?[部本首篇张份幅出]|(?:什么|哪个|哪一个)" + WORKS + "|" + WORKS + r"(?:是|叫|名为|称为)?(?:什么|哪)"
                       r"|(?:发表|出版|主演|出演|创作|撰写|执导|演唱|收录)(?:了|过|在)?(?:什么|哪)"
                       r"|(?:which|what) (?:book|film|movie|song|album|novel|poem|magazine|newspaper|treaty|programme|program|show|game)s?\b"),
    "reason": re.compile(r"为什么|为何|原因|因为什么|\bwhy\b"),
    "manner": re.compile(r"如何|怎么|怎样|方式|方法|\bhow\b"),
}

TIME = re.compile(
    r"(?:公元前|西元前|公元|西元)?\d{1,4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?)?(?:代|初|末|底|中|间)?"
    r"|\d{1,2}\s*月\s*\d{1,2}\s*[日号]|\d{1,2}\s*月(?:[初底中末])?|\d{1,2}\s*世纪(?:\s*\d{1,2}\s*年代)?(?:[初中末]期?)?"
    r"|\d{4}-\d{1,2}-\d{1,2}|[一二三四五六七八九十〇零两]{2,4}年|[一二三四五六七八九十]{1,3}世纪|上周|去年|今年|明年|年初|年底|[春夏秋冬]天")
COUNTERS = "个家次倍年天人位名座种条项届岁元米克吨亩秒度号层部首本张只匹头辆艘架所间场"  # units of one character
UNITS = COUNTERS + "美元公里千米厘米毫米公斤千克英里英尺公顷分钟小时"
# What a marked quantity may end in: more counting words than UNITS, which also decides the index's has_number.
MORE_COUNTERS = "册套件台份枚颗株棵篇章卷集期户处起"
MEASURES = UNITS + MORE_COUNTERS
# Every currency a sum is written in, as one unit (10.2亿美金, not 10.2亿美), and the units "多少钱" asks in.
CURRENCIES = "元|美元|美金|英镑|欧元|日元|港元|港币|韩元|卢布|法郎|新台币|台币|人民币"
# The unit a quantity question counts in ("有多少人" -> 人, "几年" -> 年, "多高" -> 米): the answer mark takes a number
# in that unit before any other (a year, a count of schools nearer the question's words). As a ranker feature it
# changed nothing (DRCD cross-validated gold sentence first 0.838 with and without it).
LONG_UNITS = ("平方公里|平方公尺|平方米|公尺|公分|公升|公克|毫升|" + CURRENCIES + "|"
              "公里|千米|厘米|毫米|公斤|千克|英里|英尺|公顷|分钟|小时|个月|星期")
ASKED_UNIT = re.compile(r"(?:多少|几)\s*(" + LONG_UNITS + "|[" + COUNTERS + MORE_COUNTERS + "周月日])")
WEIGHTS = "克|公斤|千克|吨|磅"
DURATIONS = "年|个月|月|周|星期|天|日|小时|分钟|秒"
LENGTHS = "米|公里|千米|英里|英尺|厘米|毫米|公尺|公分"
UNITS_OF_MEASURE = {"多少钱": CURRENCIES, "多高": LENGTHS, "多长": LENGTHS, "多远": LENGTHS, "多深": LENGTHS, "多宽": LENGTHS,
                    "多重": WEIGHTS, "多久": DURATIONS, "多长时间": DURATIONS, "多少时间": DURATIONS,
                    "多大": "岁|平方公里|平方米|公顷|亩", "多少岁": "岁", "体重": WEIGHTS, "重量": WEIGHTS,
                    "比例": "%", "百分": "%", "份额": "%", "占比": "%", "几成": "%|成",
                    # an English question, as the marks read it (without spaces)
                    "howlong": DURATIONS, "howmanypeople": "人", "howold": "岁", "howtall": LENGTHS, "howhigh": LENGTHS,
                    "howfar": LENGTHS}
ENGLISH_MONEY = re.compile(r"howmuch.*(?:cost|price|pay|spend|spent|revenue|income|worth|valu|salar|fund|money|earn)")


# A count of money asked by what it pays for ("总经费为多少", "学费是多少"), not by 多少钱.
MONEY = re.compile(r"钱|经费|费用|报酬|学费|价格|售价|票价|定价|工资|薪水|薪资|收入|营收|营业额|利润|成本|预算|补助|补贴|"
                   r"资金|金额|花费|造价|市值|估值|罚款|赔偿|奖金|捐款")


def asked_units(normalised_question: str) -> str:
    """The units the question's count is asked in, as a regex alternation ("" when it names none)."""
    units = [m.group(1) for m in ASKED_UNIT.finditer(normalised_question)]
    units += [u for phrase, u in UNITS_OF_MEASURE.items() if phrase in normalised_question]
    if (MONEY.search(normalised_question) and ("多少" in normalised_question or "几" in normalised_question)
            or ENGLISH_MONEY.search(normalised_question)):
        units.append(CURRENCIES)
    return "|".join(dict.fromkeys(units))


@lru_cache(maxsize=64)
def count_in(units: str) -> re.Pattern:
    """A number followed by one of `units` ("3600 万人", "十余家", "2.5 倍")."""
    return re.compile(r"(?:\d+(?:[.,]\d+)*|[一二两三四五六七八九十百千万亿几数]+)\s*[万亿千百十]*\s*[多余来]?\s*(?:" + units + ")")


# Units written in Latin letters after a number ("30km", "4.7 GHz", "512 MB"), not followed by another letter.
LATIN_UNITS = (r"(?:km/h|kwh|mah|ghz|mhz|khz|hz|kbps|mbps|gbps|tb|gb|mb|kb|km|cm|mm|nm|μm|kg|mg|kw|mw|kv|ml|mph|rpm|"
               r"dpi|ft|m|g|t|w|v|l)(?![a-z])")
QUANTITY = re.compile(
    # a share: 三分之一, 1/3, 三成 (not 成员, 成为, 一成不变...), before 三分 is read as a count of minutes
    r"[一二两三四五六七八九十百千万\d]+分之[一二两三四五六七八九十百千万\d.]+|(?<![\d/])\d+/\d+(?![\d/])"
    r"|(?<![一二两三四五六七八九十])[二两三四五六七八九]成(?![员为功立绩果本长熟年就了])|"
    # digits inside a Latin word name a thing ("POWER5", "A380", "GPT-4") and count nothing; "4x200米" counts
    r"(?<![a-wyz\d])(?<![a-z]x)(?<!\d[.,])(?<![a-z]-)(?:约|大约|超过|近|逾|达|仅|多达)?[±]?\d+(?:[.,]\d+)*\s*(?:[万亿千百十]+)?\s*(?:%|多)?\s*(?:平方)?(?:"
    + LONG_UNITS + "|" + LATIN_UNITS + "|[" + MEASURES + r"])?"
    r"|(?<!第)[数几]?[一二两三四五六七八九十百千万亿]+(?:" + LONG_UNITS + "|[" + MEASURES + r"])")  # "第一部" is an order, not a count
# "一家公司" is "a company", not a count: a Chinese numeral counts only when it is not a lone 一.
HAS_NUMBER = re.compile(r"\d|[两二三四五六七八九十百千万亿][一二三四五六七八九十两百千万亿几]*\s*[" + UNITS + r"%]")
PERSON = re.compile(r"[\u3400-\u9fff]{1,4}[·•][\u3400-\u9fff]{1,6}|[a-z]+ [a-z]+|先生|女士|教授|博士|总统|国王|皇帝|首相|"
                    r"主席|创始人|作者|编辑|导演|演员|歌手|将军")
PLACE = re.compile(r"[\u3400-\u9fff]{1,6}(?:省|市|县|区|州|国|岛|山|河|江|湖|海|洋|镇|村|乡|路|街|洲|半岛|群岛|盆地|平原|高原)")
REASON = re.compile(r"因为|由于|因此|所以|导致|原因|为了|以便|因而|以致|because|due to")


# The title of a named work, as Chinese writes it: in 《》 (or 〈〉 inside them).
WORK_TITLE = re.compile(r"《[^《》\n]{1,60}》|〈[^〈〉\n]{1,60}〉")


def asked_kinds(normalised_question: str) -> frozenset[str]:
    return frozenset(kind for kind, pattern in ASKS.items() if pattern.search(normalised_question))
