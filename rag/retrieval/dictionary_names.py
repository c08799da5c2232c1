"""Names the dictionary knows how Chinese writes, for a question about a name the documents never mention.

CC-CEDICT capitalises the pinyin of a proper name: 谷歌 [Gu3 ge1] "Google", 微软 [Wei1 ruan3] "Microsoft
Corporation", 苹果公司 [Ping2 guo3 Gong1 si1] "Apple Inc.", but 苹果 [ping2 guo3] "apple". A question naming
such a name that the documents lack asks about something they do not cover ("微软投资了 OpenAI 多少钱？" of an
article that never writes 微软), as one naming a model or year they lack does (`Query.unknown_names`). An
English question's capitalised word ("What is Apple's market value?") is such a name when a CC-CEDICT name
gives it and the documents hold none of the Chinese it gives; a name no entry gives (Altman, which the article
writes 奥特曼) tells nothing, so it is never held against the question. Capitalised neighbours are one name
("Silicon Valley": 硅谷), and an adjective of a place is written where the place is ("Japanese": 日本).

A headword that is also a common word (成功 "success", and a town in Taiwan) is no name; a name that
abbreviates a longer one (文革: 文化大革命) is written when the longer one is; an English word that reads as
pinyin (Lin, Xiaoyu) is a Chinese name romanised, whose namesakes say nothing of the one asked about.

Measured on the annotated sets (`benchmarks/RESULTS.md`, stop 21): over `open_qa.py`'s index of all but the
held-out articles, none of CMRC trial's 903 answerable questions and 8 of DRCD dev's 3,111 (2 a year, before
too; 满州 where the article writes 满洲, 舟山群岛, 辽金) name what the index lacks; of the unanswerable, 23 of 97
and 94 of 413. Against its own article alone, as in a folder of one document: 1 of CMRC's 1,000 questions
(奥运会, the article giving no 奥林匹克运动会 either) and 26 of DRCD's 3,524 (二战 for 第二次世界大战, 中共 and 人大
that jieba cuts from 视网膜中共有 and 卡尔梅克人大多).
"""
from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

from rag.retrieval.glossary import LONGEST_RUN, cedict_entries, cedict_table_path
from rag.retrieval.query import Concept

NAMES_RULES = 8  # in the cached table's file name: a change to what counts as a name makes a new table
CAPITALISED = re.compile(r"[A-Z][A-Za-z]+")
ABBREVIATES = re.compile(r"abbr\. for (?:[^|\[/]*\|)?([\u3400-\u9fff]+)")  # "abbr. for 文化大革命", "abbr. for 奧運會|奥运会"
PINYIN_SYLLABLE = re.compile(r"[bcdfghjklmnpqrstwxyz]{0,2}[aeiouv:]+(?:n|ng|r)?|[aeo]")
WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
# Capitalised in English and given by CC-CEDICT names (三月 "March"), but dates, not names of things.
CALENDAR = frozenset("""january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split())


def _name_senses(definition: str) -> list[set[str]]:
    """The capitalised words each sense of a definition names its headword by: those before its first comma,
    semicolon or parenthesis ("Donald Trump (1946-), American business magnate" -> donald, trump). A sense
    pointing at another entry ("variant of 谷歌", "see 腾讯控股有限公司") names nothing."""
    senses = []
    for sense in definition.split("/"):
        sense = sense.strip()
        if not sense.startswith(("see ", "variant of", "old variant", "abbr. ")):
            senses.append({w.lower() for w in CAPITALISED.findall(re.split(r"[,;(]", sense)[0])})
    return senses


# Words a firm's name ends in ("Microsoft Corporation", "Apple Inc."): the name is the word before them.
FIRM = frozenset("corporation inc company co ltd group".split())


def names_path() -> Path:
    return cedict_table_path("names", NAMES_RULES)


def _romanised(word: str, syllables: frozenset[str]) -> bool:
    """Whether a word reads as pinyin syllables run together (Lin, Xiaoyu, Huawei): a Chinese name written in
    Latin script, whose CC-CEDICT namesakes (林彪 "Lin Biao") say nothing of the one asked about (林小雨)."""
    reads = [True] + [False] * len(word)  # reads[i]: word[:i] splits into syllables
    for end in range(1, len(word) + 1):
        reads[end] = any(reads[start] and word[start:end] in syllables for start in range(max(0, end - 6), end))
    return reads[-1]


def _write_names(path: Path) -> None:
    """Two tables: each name's headword, and each capitalised English word -> the headwords it names. A
    headword that is also a common word (成功 "success" beside 成功 "Chenggong town"; 乐天 "carefree" beside
    "Lotte") is no name: asked about, it asks about the word."""
    entries = cedict_entries()
    # the syllables of the dictionary's readings; letters read as themselves (A型, T恤) are none
    syllables = frozenset(s for e in entries for r in e.reading.split()
                          if PINYIN_SYLLABLE.fullmatch(s := r.lower().rstrip("012345")))
    common = {e.headword for e in entries if not e.reading[:1].isupper()}
    english: dict[str, set[str]] = {}
    whole: dict[str, set[str]] = {}  # an English word -> the headwords it is the whole name of
    headwords: dict[str, set[str]] = {}  # a name -> itself and the full forms it abbreviates
    for e in entries:
        if not 2 <= len(e.headword) <= LONGEST_RUN or not e.reading[:1].isupper():
            continue
        # a day or a month (星期六 [Xing1 qi1 liu4] "Saturday", 一月 "January") is a date, which documents write
        # in other ways (周六, 1月), not a name; an event named by one is (十月革命 "October Revolution")
        senses = _name_senses(e.definition)
        named = set().union(*senses)
        if e.headword not in common and not (named and named <= CALENDAR):
            headwords.setdefault(e.headword, {e.headword}).update(ABBREVIATES.findall(e.definition))
            # a people or nationality is written where its place or name is (英国人: 英国, 客家人: 客家):
            # "是哪个英国人让西方学界知道了邵临溪？" asks about the "英国地理学者约翰·哈德威克" of a page never writing 英国人
            if len(e.headword) >= 3 and e.headword.endswith("人"):
                headwords[e.headword].add(e.headword[:-1])
        for w in named - CALENDAR:
            if not _romanised(w, syllables):
                english.setdefault(w, set()).add(e.headword)
        for sense in senses:  # a name of one word (Google, Gemini, Microsoft Corporation); not Blue (Blue House)
            name = sense - FIRM
            if len(name) == 1 and not sense & CALENDAR and not _romanised(word := next(iter(name)), syllables):
                whole.setdefault(word, set()).add(e.headword)
    from rag.jieba_on_disk import write_sqlite

    def fill(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE chinese (headword TEXT PRIMARY KEY, forms TEXT) WITHOUT ROWID")
        db.execute("CREATE TABLE english (word TEXT PRIMARY KEY, headwords TEXT) WITHOUT ROWID")
        db.executemany("INSERT INTO chinese VALUES (?, ?)", ((h, " ".join(sorted(f))) for h, f in sorted(headwords.items())))
        db.executemany("INSERT INTO english VALUES (?, ?)", ((w, " ".join(sorted(h))) for w, h in sorted(english.items())))
        db.execute("CREATE TABLE whole (word TEXT PRIMARY KEY, headwords TEXT) WITHOUT ROWID")
        db.executemany("INSERT INTO whole VALUES (?, ?)", ((w, " ".join(sorted(h))) for w, h in sorted(whole.items())))

    write_sqlite(path, fill)


@cache
def _names_db() -> tuple[sqlite3.Connection, threading.Lock]:
    path = names_path()
    if not path.is_file():
        _write_names(path)
    # one connection shared by the chat server's threads, as jieba's table is (rag/jieba_on_disk.py)
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False), threading.Lock()


def dictionary_names(words: Sequence[str], english: bool, whole: bool = False) -> dict[str, tuple[str, ...]]:
    """Of `words`, those CC-CEDICT calls a name, each with the Chinese that writes it: a Chinese name itself
    and the full forms it abbreviates (文革: 文化大革命), an English word the names it is capitalised in (with
    `whole`, those it is the whole name of: Google, not Blue for 青瓦台 "Blue House"). Parsed from the dictionary
    once into SQLite beside jieba's table (`~/.cache/rag-chat/`); a question reads only its own rows."""
    db, lock = _names_db()
    marks = ",".join("?" * len(words))
    if english:
        table, key, value = ("whole" if whole else "english"), "word", "headwords"
    else:
        table, key, value = "chinese", "headword", "forms"
    with lock:
        rows = db.execute(f"SELECT {key}, {value} FROM {table} WHERE {key} IN ({marks})", list(words)).fetchall()
    return {w: tuple(h.split()) for w, h in rows}


def capitalised_runs(question: str) -> list[tuple[str, ...]]:
    """The capitalised words of an English question, the first word aside (it always is), lower case and without
    "'s", in runs of neighbours: "Silicon Valley" and "Blue Line" are one name each, "Microsoft's CEO" two."""
    runs: list[list[str]] = []
    previous: re.Match | None = None
    for word in list(WORD.finditer(question))[1:]:
        if not word.group()[0].isupper():
            previous = None
            continue
        lower = word.group().lower().removesuffix("'s")
        if previous and question[previous.end():word.start()] == " " and not previous.group().endswith("'s"):
            runs[-1].append(lower)
        else:
            runs.append([lower])
        previous = word
    return [tuple(run) for run in runs]


def _places(demonym: str) -> list[str]:
    """The place an English adjective may be named after (Japanese: Japan, European: Europe, Italian: Italy,
    Canadian: Canada, German: Germany), for which CC-CEDICT writes the Chinese (日本) where the adjective names only
    compounds (日本人, 欧洲联盟)."""
    if not demonym.endswith(("an", "ese")):
        return []
    cut = [demonym[:-k] for k in (1, 2, 3)]
    return [w for w in dict.fromkeys((*cut, cut[2] + "a", cut[2] + "y", demonym + "y")) if len(w) >= 3]


def _english_names(runs: Sequence[tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """The capitalised words of an English question (`capitalised_runs`) that name something, each with the
    Chinese that writes it."""
    places = {run[0]: _places(run[0]) for run in runs if len(run) == 1}
    found = dictionary_names(sorted({w for run in runs for w in run} | {p for ps in places.values() for p in ps}),
                             english=True)
    names: dict[str, tuple[str, ...]] = {}
    for run in runs:
        if len(run) == 1:
            # an adjective of a place the documents write is written ("Japanese" where they write 日本)
            if run[0] in found:
                names[run[0]] = tuple(h for w in (run[0], *places[run[0]]) for h in found.get(w, ()))
            continue
        # a run names one thing, what all its words name ("Silicon Valley": 硅谷); in one whose words share none,
        # a word is judged alone if it is a whole name ("Google Gemini": Google, 谷歌), not if it is part of one
        # ("Blue Line": blue names 青瓦台 "Blue House"; "Dario Amodei" names nothing)
        shared = set.intersection(*(set(found.get(w, ())) for w in run))
        alone = {} if shared else dictionary_names(run, english=True, whole=True)
        names.update((w, tuple(sorted(shared)) or alone.get(w, ())) for w in run)
    return {w: h for w, h in names.items() if h}


def unwritten_names(concepts: Sequence[Concept], capitalised: Sequence[tuple[str, ...]], english: bool,
                    has_word: Callable[[str], bool]) -> tuple[str, ...]:
    """Of a question's topic words, those naming what CC-CEDICT calls a name and the documents never write, nor
    any alternative of it: a Chinese question's headword, an English question's capitalised word (`capitalised`:
    its runs, `capitalised_runs`) whose Chinese names are all absent. `has_word` tells whether the documents hold
    a word."""
    if english:
        in_runs = {w for run in capitalised for w in run}
        asked = [c for c in concepts if c.word in in_runs]
    else:
        # jieba's search terms include the dictionary words inside longer ones, also across their parts (海地
        # "Haiti" in 青海地区): a word inside a longer term of the question is judged as part of it
        words = [c.word for c in concepts]
        asked = [c for c in concepts
                 if 2 <= len(c.word) <= LONGEST_RUN and not any(c.word in w and c.word != w for w in words)]
    if not asked:
        return ()
    # the dictionary first (0.04 ms), so that only a name is looked for in the documents: `has_word` may have to
    # read the index's CC-CEDICT words (0.2 s at 1.4 M characters, once)
    names = _english_names(capitalised) if english else dictionary_names([c.word for c in asked], english=False)
    return tuple(c.word for c in asked if c.word in names
                 and not any(map(has_word, (*(c.alternatives or (c.word,)), *names[c.word]))))
