"""Large real-text corpora for benchmarks/scale.py: CMRC 2018 trial + DRCD dev Wikipedia articles, one file per
article (title line, blank line, paragraphs separated by blank lines, as ../shared/tools/open_qa.py lays them
out), topped up to the wanted size with edited copies of them.

The two files hold 639 articles, 582,597 characters. Above that, copy k of an article has about 1 character
in 20 replaced by another character of the corpus and every digit changed (seeded), so that nearly every
sentence of a copy is new text to split, cut and embed, while the copies read like the real ones.

With `--light` (the 50 M-character corpus of the README), a copy has 1 character in 500 replaced, digits
included, and the rest as it is: about 92% of a copy's sentences are the real ones again, which the build
still splits, cuts, indexes and stores (a row of vectors each), but embeds once (the embedding cache is keyed
by text). Building 50 M characters of fully new text takes hours on the shared 2-core machine.

    .venv/bin/python benchmarks/corpus.py CHARS FOLDER [--light]
"""
import json
import random
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QA = REPO.parent / "shared" / "qa"
FILES = ("cmrc2018_trial.json", "drcd_dev.json")
EDIT_RATE = 0.05
LIGHT_EDIT_RATE = 0.002


def articles() -> list[tuple[str, str]]:
    """(file name, text) of every article, as open_qa.py lays them out."""
    out = []
    for file in FILES:
        for art in json.loads((QA / file).read_text(encoding="utf-8"))["data"]:
            text = (art.get("title") or "").strip().replace("\n", " ")
            for p in art["paragraphs"]:
                text += "\n\n" + p["context"].replace("\n", " ")
            name = re.sub(r"[^\w-]", "_", str(art.get("id") or art.get("title")))[:60]
            out.append((f"{name}.txt", text + "\n"))
    return out


def edited(text: str, rng: random.Random, alphabet: str) -> str:
    chars = [rng.choice(alphabet) if "\u4e00" <= c <= "\u9fff" and rng.random() < EDIT_RATE
             else str(rng.randint(0, 9)) if c.isdigit() else c for c in text]
    return "".join(chars)


def lightly_edited(text: str, rng: random.Random, alphabet: str) -> str:
    chars = list(text)
    for i in range(len(chars)):
        if rng.random() < LIGHT_EDIT_RATE:
            c = chars[i]
            chars[i] = str(rng.randint(0, 9)) if c.isdigit() else rng.choice(alphabet) if "\u4e00" <= c <= "\u9fff" else c
    return "".join(chars)


def make_corpus(folder: Path, chars: int, seed: int = 0, light: bool = False) -> tuple[int, int]:
    """Write about `chars` characters of articles into `folder`; returns (files, characters) written."""
    folder.mkdir(parents=True, exist_ok=True)
    real = articles()
    alphabet = "".join(sorted({c for _, t in real for c in t if "\u4e00" <= c <= "\u9fff"}))
    rng = random.Random(seed)
    files = written = 0
    copy = 0
    while written < chars:
        for name, text in real:
            if written >= chars:
                break
            if copy:
                name, text = f"{Path(name).stem}__{copy}.txt", (lightly_edited if light else edited)(text, rng, alphabet)
            (folder / name).write_text(text, encoding="utf-8")
            files += 1
            written += len(text)
        copy += 1
    return files, written


if __name__ == "__main__":
    print(make_corpus(Path(sys.argv[2]), int(float(sys.argv[1])), light="--light" in sys.argv[3:]))
