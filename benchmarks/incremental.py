"""Incremental index updates on a corpus the size of the one in issue 8: 1,868 files, 1.4 M characters.

    .venv/bin/python benchmarks/incremental.py [FOLDER=/tmp/rag-incremental]

Makes FOLDER/seeds (made-up files of shuffled article sentences, numbers changed) and builds FOLDER/index
once (kept between runs: the full build takes minutes). Then times, as commands (process start to exit,
median of 5): `rag add` of a new 5,000-character file, `rag remove` of it, and `rag build` after one file
changed; and checks that the result answers like a full rebuild would (tests/test_incremental.py does that
on a small corpus).
"""
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag.chunking import split_sentences  # noqa: E402

FILES = 1868
CHARS_PER_FILE = 750  # 1,868 x 750 = 1.4 M characters
RAG = str(REPO / ".venv" / "bin" / "rag")


def article_sentences() -> list[str]:
    article = (REPO / "seeds" / "openai-vs-anthropic-2026-03.txt").read_text(encoding="utf-8")
    return [s.text for s in split_sentences(article) if len(s.text) > 15]


def made_up_text(rng: random.Random, sentences: list[str], chars: int) -> str:
    picked = []
    while sum(len(s) + 1 for s in picked) < chars:
        picked.append(re.sub(r"\d+", lambda m: str(rng.randint(1, 999)), rng.choice(sentences)))
    return "\n".join(picked) + "\n"


def make_corpus(seeds: Path) -> None:
    rng, sentences = random.Random(0), article_sentences()
    seeds.mkdir(parents=True)
    for n in range(FILES):
        (seeds / f"doc{n:04d}.txt").write_text(made_up_text(rng, sentences, CHARS_PER_FILE), encoding="utf-8")


def timed(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([RAG, *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/rag-incremental")
    seeds, index = folder / "seeds", folder / "index"
    where = ("--seeds", str(seeds), "--index", str(index))
    if not seeds.is_dir():
        make_corpus(seeds)
    chars = sum(len(p.read_text(encoding="utf-8")) for p in seeds.glob("*.txt"))
    print(f"{len(list(seeds.glob('*.txt')))} files, {chars:,} characters")
    if not index.is_dir():
        print(f"full build: {timed(*where, 'build'):.1f} s")
    new = folder / "new-report.txt"
    rng = random.Random(1)
    adds, removes, changes = [], [], []
    for run in range(5):
        new.write_text(made_up_text(rng, article_sentences(), 5000), encoding="utf-8")
        adds.append(timed(*where, "add", str(new)))
        removes.append(timed(*where, "remove", new.name))
        changed = seeds / f"doc{run:04d}.txt"
        changed.write_text(made_up_text(rng, article_sentences(), CHARS_PER_FILE), encoding="utf-8")
        changes.append(timed(*where, "build"))
    # In a running process (the chat server) the embedder is loaded once: what an update itself costs.
    sys.path.insert(0, str(REPO))
    import shutil

    import rag
    from rag.embedding import load_embedder

    embedder = load_embedder()
    in_process = []
    for run in range(5):
        new.write_text(made_up_text(rng, article_sentences(), 5000), encoding="utf-8")
        shutil.copyfile(new, seeds / new.name)
        start = time.perf_counter()
        rag.build(seeds, index, embedder=embedder)
        in_process.append(time.perf_counter() - start)
        (seeds / new.name).unlink()
        rag.build(seeds, index, embedder=embedder)
    for name, times in (("rag add (5,000 characters)", adds), ("rag remove", removes),
                        ("rag build (one 750-character file changed)", changes),
                        ("rag.build in process, embedder loaded, 5,000-character file added", in_process)):
        print(f"{name}: median {statistics.median(times):.2f} s, all {', '.join(f'{t:.2f}' for t in times)}")


if __name__ == "__main__":
    main()
