"""Incremental index updates on a corpus the size of the one in issue 8 (1.4 M characters).

    .venv/bin/python benchmarks/incremental.py [FOLDER=/tmp/rag-incremental]

FOLDER/seeds is the corpus: when missing, 1,868 made-up files of shuffled article sentences (numbers changed)
are written there; the README's figures use the CMRC/DRCD corpus of benchmarks/corpus.py (1,589 files) in a
copy of its folder. FOLDER/index is built once when missing (the full build takes minutes). Then times, as
commands (process start to exit, median of 5), each with the peak RSS of its largest process: `rag add` of a
new 5,000-character file (made-up sentences, so most are embedded afresh), `rag remove` of it, `rag build`
with nothing changed, and `rag build` after one file changed (a line appended). The updates change FOLDER.
tests/test_incremental.py checks on a small corpus that an update equals a full rebuild.
"""
import json
import os
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


def timed(*args: str) -> tuple[float, float]:
    """Seconds from start to exit, and the peak RSS in MB of the process or of its largest child process."""
    start = time.perf_counter()
    process = subprocess.Popen([RAG, *args], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, [RAG, *args])
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/rag-incremental")
    seeds, index = folder / "seeds", folder / "index"
    where = ("--seeds", str(seeds), "--index", str(index))
    if not seeds.is_dir():
        make_corpus(seeds)
    files = sorted(p for p in seeds.iterdir() if p.suffix == ".txt")
    chars = sum(len(p.read_text(encoding="utf-8")) for p in files)
    print(f"{len(files)} files, {chars:,} characters")
    if not index.is_dir():
        print(f"full build: {timed(*where, 'build')[0]:.1f} s")
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    if any("chunks" not in row and "skipped" not in row for row in manifest["sources"]):
        timed(*where, "build", "--full")  # written before the manifest counted each file's sentences and chunks
    new = folder / "new-report.txt"
    rng = random.Random(1)
    runs: dict[str, list[tuple[float, float]]] = {"add": [], "remove": [], "build, nothing changed": [],
                                                  "build, one file changed": []}
    for run in range(5):
        new.write_text(made_up_text(rng, article_sentences(), 5000), encoding="utf-8")
        runs["add"].append(timed(*where, "add", str(new)))
        runs["remove"].append(timed(*where, "remove", new.name))
        runs["build, nothing changed"].append(timed(*where, "build"))
        with files[run].open("a", encoding="utf-8") as changed:
            changed.write(made_up_text(rng, article_sentences(), 100))
        runs["build, one file changed"].append(timed(*where, "build"))
    for name, results in runs.items():
        seconds, rss = [r[0] for r in results], [r[1] for r in results]
        print(f"rag {name}: median {statistics.median(seconds):.2f} s, all {', '.join(f'{t:.2f}' for t in seconds)}; "
              f"peak RSS {max(rss):.0f} MB")
    # In a running process (the chat server) the embedder is loaded once: what an update itself costs.
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
    print(f"rag.build in process, embedder loaded, 5,000-character file added: median "
          f"{statistics.median(in_process):.2f} s, all {', '.join(f'{t:.2f}' for t in in_process)}")


if __name__ == "__main__":
    main()
