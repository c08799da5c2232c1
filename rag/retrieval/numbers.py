"""Numbers written in words and in digits, as values: a question asking about "三千多万次" or "十家公司" finds the
document's "3600 万次" and "10 强", and "八家" finds "8 家".

A question's number in Chinese numerals is read as a range of values ("三千多万": from 3000万 up to 4000万,
"几十": 10 to 90, "十": exactly 10); the index's number terms ("3600万", "10", "1,000", "百万") are read as
values, and those in the range count as finding the question's word. A smaller number is found only with its
counting word, in digits ("八家" -> "8家").
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from rag.answering.kinds import COUNTERS, MORE_COUNTERS

DIGIT_VALUES = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
LARGE_UNITS = {"万": 10_000, "亿": 100_000_000}
# A number in Chinese numerals, approximate ones included ("三千多万", "十余", "几十"), decimals ("十六点六七").
CHINESE_NUMBER = re.compile(r"[零〇一二两三四五六七八九几十百千万亿][零〇一二两三四五六七八九几十百千万亿多余]*(?:点[零〇一二三四五六七八九]+)?")
# Counting words, and months and weeks ("三月" is "3 月" in a date).
NUMBER_COUNTERS = COUNTERS + MORE_COUNTERS + "月周"
# In a question: a percentage or a number in words, with the counting word after it. jieba cuts such a number
# in pieces ("一千二百五十万" -> 一千, 二百, 五十万, ...), none of which is the number. Not after 第 (第十三 is an
# order) nor after a digit (the 千 of "1亿7千5百万").
NUMBER_IN_WORDS = re.compile(f"(?<![第\\d])(百分之)?({CHINESE_NUMBER.pattern})([{NUMBER_COUNTERS}]?)")
# Words of numerals that are seldom numbers: 千万 ("by all means"), 万一 ("in case")
NOT_NUMBERS = frozenset({"千万", "万一", "一一", "万千"})
DIGIT_NUMBER = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)([万亿千百]*)(%?)")
# the first character of a term that may be a number
NUMBER_START = frozenset("0123456789").union(DIGIT_VALUES, SMALL_UNITS, LARGE_UNITS)
# A number in words below this is a word as often as a number (一, 三 in 三国): never read as one.
SMALLEST = 10


# A number an English question writes with its scale word or thousands separators ("more than 30 million",
# "$100,000"), which documents in Chinese write in 万 and 亿 ("3600 万", "10 万美元"): one term, read as a value.
# "more than" and "over" read as 多 does ("三千多万": 3000万 up to 4000万), "nearly" and "almost" as 近.
ENGLISH_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
ABOVE, NEARLY = ("more than", "over", "above"), ("nearly", "almost")
_DIGITS = r"\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?"
_SCALE = "|".join(ENGLISH_SCALES)
ENGLISH_NUMBER = re.compile(rf"(?:\b({'|'.join(ABOVE + NEARLY)})\s+)?\$?(?<![\d.,])({_DIGITS})(?:\s*({_SCALE})\b)?")
# the term `english_numbers` makes of one: its bound without spaces, its digits and its scale ("morethan30million")
ENGLISH_NUMBER_TERM = re.compile(rf"({'|'.join(b.replace(' ', '') for b in ABOVE + NEARLY)})?({_DIGITS})({_SCALE})?")


@dataclass(frozen=True)
class NumberWord:
    low: float  # the lowest and highest value it may mean, both included
    high: float
    counter: str  # its counting word ("家" of "十家"), else ""
    percent: bool = False  # 百分之...

    @property
    def found_by_value(self) -> bool:
        """Whether the index's numbers of its value find it: a smaller one is found only with its counting word,
        in digits (`in_digits`)."""
        return self.high >= SMALLEST or self.percent

    def in_digits(self) -> str:
        """"8家" for 八家; "" for a range, a number without a counting word, or one of 10,000 or more (documents
        write "250 万人", which the index's number terms find)."""
        exact = self.counter and self.low == self.high and self.low < 10_000 and self.low == int(self.low)
        return f"{int(self.low)}{self.counter}" if exact else ""


def numbers_in_words(text: str) -> list[str]:
    """The numbers in words of a (normalised) question, each as one term with its counting word or 百分之."""
    return [m.group() for m in NUMBER_IN_WORDS.finditer(text) if number_word(m.group())]


def english_numbers(text: str) -> list[str]:
    """The numbers of 10,000 or more that a (lowercased) question writes in English, each as one term
    ("morethan30million", "2.5billion"; `number_word` reads them). One in digits alone ("100,000") is a term
    already."""
    terms = []
    for m in ENGLISH_NUMBER.finditer(text):
        bound, digits, scale = m.groups()
        term = (bound or "").replace(" ", "") + digits + (scale or "")
        if term != digits and english_number(term):
            terms.append(term)
    return terms


def english_number(term: str) -> NumberWord | None:
    m = ENGLISH_NUMBER_TERM.fullmatch(term)
    if not m:
        return None
    bound, digits, scale = m.groups()
    if not (scale or "," in digits):
        return None
    unit = ENGLISH_SCALES.get(scale or "", 1.0)
    value = float(digits.replace(",", "")) * unit
    if value < 10_000 or not math.isfinite(value):
        return None
    if bound in [b.replace(" ", "") for b in ABOVE]:
        # up to the next step of its last significant digit, as 多 reads: "30 million" steps by ten million
        whole, _, decimals = digits.replace(",", "").partition(".")
        decimals = decimals.rstrip("0")
        step = (10.0 ** -len(decimals) if decimals else 10.0 ** (len(whole) - len(whole.rstrip("0")))) * unit
        return NumberWord(value, value + step * 0.999, "")
    if bound in NEARLY:
        return NumberWord(value * 0.9, value, "")
    return NumberWord(value, value, "")


def number_word(term: str) -> NumberWord | None:
    """`term` read as a number in Chinese numerals, with or without its counting word or 百分之, or as one of
    `english_numbers`; None if it is none, or is one numeral alone ("十" of 十分) or a number below SMALLEST,
    without either."""
    if term[:1].isascii():
        return english_number(term) if term[:1].isalnum() else None
    m = NUMBER_IN_WORDS.fullmatch(term)
    found = chinese_number(m.group(2)) if m else None
    bare = m and not m.group(1) and not m.group(3)
    # a run of hundreds of digits is no number a document holds (as a float it is infinite)
    if found is None or not math.isfinite(found[1]) or (bare and (found[1] < SMALLEST or len(m.group(2)) < 2 or term in NOT_NUMBERS)):
        return None
    return NumberWord(*found, m.group(3), bool(m.group(1)))


def chinese_number(text: str) -> tuple[float, float] | None:
    """(lowest, highest) value of a number in Chinese numerals, both included; None if `text` is not one."""
    # a unit alone is a word (千米, 百姓, 万人), except 十
    if not CHINESE_NUMBER.fullmatch(text) or (len(text) == 1 and text not in DIGIT_VALUES and text != "十"):
        return None
    whole, _, decimals = text.partition("点")
    if decimals:
        found = chinese_number(whole)
        fraction = float("0." + "".join(str(DIGIT_VALUES[c]) for c in decimals))
        return (found[0] + fraction, found[1] + fraction) if found else None
    if all(c in DIGIT_VALUES for c in text):
        # 二〇二五 is read digit by digit; two digits are no number (一一 of 唯一一所, 九四 of 西九四小龙)
        if len(text) == 2:
            return None
        value = float("".join(str(DIGIT_VALUES[c]) for c in text))
        return value, value
    total_low = total_high = 0.0  # of the part read up to the last 万 or 亿
    low = high = 0.0  # below it
    digit: tuple[float, float] | None = None  # the digit waiting for its unit
    last_unit = 1
    largest = 0
    for c in text:
        if c in DIGIT_VALUES or c == "几":
            digit = (1, 9) if c == "几" else (DIGIT_VALUES[c],) * 2
        elif c in SMALL_UNITS:
            unit = last_unit = SMALL_UNITS[c]
            d = digit or (1, 1)
            low, high, digit = low + d[0] * unit, high + d[1] * unit, None
        elif c in LARGE_UNITS:
            unit = last_unit = LARGE_UNITS[c]
            d = digit or (0, 0)
            low, high, digit = low + d[0], high + d[1], None
            if low == high == 0:  # 万亿: ten thousand of 亿; 万 alone (or first) is one of it
                total_low, total_high = (total_low or 1) * unit, (total_high or 1) * unit
                largest = max(largest, unit)
            elif unit > largest:  # 三千万: all before is counted in 万
                total_low, total_high = (total_low + low) * unit, (total_high + high) * unit
                largest = unit
            else:  # 一亿三千万: the part after 亿 is counted in 万
                total_low, total_high = total_low + low * unit, total_high + high * unit
            low = high = 0.0
        else:  # 多, 余: "三千多" is more than 3000 and less than 4000; "十三多" less than 14
            step = 1 if digit else last_unit
            d = digit or (0, 0)
            low, high, digit = low + d[0], high + d[1] + step * 0.999, None
    d = digit or (0, 0)
    return total_low + low + d[0], total_high + high + d[1]



def number_value(term: str) -> tuple[bool, float] | None:
    """(is a percentage, value) of an index term that is one number: digits with their scale ("3600万", "1,000",
    "10.2万", "72.7%") or Chinese numerals with an exact value ("百万", "三十")."""
    m = DIGIT_NUMBER.fullmatch(term)
    if m:
        value = float(m.group(1).replace(",", ""))
        for c in m.group(2):
            value *= SMALL_UNITS.get(c) or LARGE_UNITS[c]
        return bool(m.group(3)), value
    if not CHINESE_NUMBER.fullmatch(term) or any(c in term for c in "多余几"):
        return None
    found = chinese_number(term)
    return (False, found[0]) if found and found[0] >= SMALLEST else None

