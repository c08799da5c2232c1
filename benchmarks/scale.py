"""Build, load and ask on a large real-text corpus, beside bm25s and FAISS flat vs HNSW on the same corpus.

    .venv/bin/python benchmarks/scale.py [--chars 1.4e6] [--work /tmp/rag-scale] [--runs 5] [--questions 300]
                                         [--skip-cold] [--busy]

The corpus is benchmarks/corpus.py's (CMRC 2018 trial + DRCD dev articles, one file per article, topped up with
edited copies). Each command is timed from process start to exit, median of `--runs`; peak memory is the
child's high-water mark (`wait4`). `engine.ask` runs in process over CMRC questions (p50/p95, each the median of
`--runs` runs), with `--busy` also while two other processes keep both cores busy. Prints Markdown tables.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import numpy as np  # noqa: E402

from corpus import QA, make_corpus  # noqa: E402

PYTHON = sys.executable
QUESTION = "南京长江大桥是哪一年建成的？"


def timed(args: list[str]) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, stdout) of a child process."""
    start = time.perf_counter()
    child = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{args} failed with exit code {child.returncode}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024, out


def rag_cli(*args: str) -> list[str]:
    return [PYTHON, "-m", "rag.cli", *args]


LOAD = """
import sys, time
t = time.perf_counter()
import rag
import rag.engine  # `import rag` imports the engine lazily: its modules' import is not the index's load
imported = time.perf_counter()
engine = rag.load(sys.argv[1])
loaded = time.perf_counter()
rss = lambda: int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
after_load = rss()
engine.ask("测试")
print(loaded - imported, after_load, rss(), time.perf_counter() - loaded)
"""


def questions(n: int) -> list[str]:
    data = json.loads((QA / "cmrc2018_trial.json").read_text(encoding="utf-8"))["data"]
    return [q["question"] for a in data for p in a["paragraphs"] for q in p["qas"]][:n]


def ask_latency(index: Path, asked: list[str]) -> tuple[float, float, float]:
    """p50, p95 of engine.ask in ms, and the retrieval part of it (analyse less the features) p50."""
    import rag

    engine = rag.load(index)
    engine.ask(asked[0])
    totals, retrieval = [], []
    for q in asked:
        t = engine.ask(q).timings
        totals.append(t.total_ms)
        retrieval.append(t.normalize_ms + t.lexical_ms + t.dense_ms)
    return statistics.median(totals), float(np.percentile(totals, 95)), statistics.median(retrieval)


def median_latency(index: Path, asked: list[str], runs: int) -> tuple[float, float, float]:
    """ask_latency's three figures, each the median of `runs` runs (an engine loaded for each)."""
    results = [ask_latency(index, asked) for _ in range(runs)]
    return tuple(statistics.median(r[i] for r in results) for i in range(3))


def busy(seconds: float) -> list[subprocess.Popen]:
    return [subprocess.Popen([PYTHON, "-c", f"import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass"])
            for _ in range(2)]


def bm25s_baseline(index: Path, asked: list[str]) -> tuple[float, float]:
    """Seconds to cut (jieba) and index the sentences with bm25s, and ms per query (top 30), median."""
    import bm25s
    import jieba

    jieba.initialize()
    texts = [json.loads(line)["text"] for line in (index / "sentences.jsonl").read_text(encoding="utf-8").splitlines()]
    start = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index([jieba.lcut_for_search(t) for t in texts], show_progress=False)
    built = time.perf_counter() - start
    cut = [jieba.lcut_for_search(q) for q in asked]
    times = []
    for terms in cut:
        t = time.perf_counter()
        retriever.retrieve([terms], k=30, show_progress=False, n_threads=1)
        times.append((time.perf_counter() - t) * 1000)
    return built, statistics.median(times)


def faiss_baselines(index: Path, asked: list[str], hnsw_too: bool = True) -> list[tuple[str, float, float, float]]:
    """(name, build s, query ms median, recall@100 against flat) on the sentence vectors, one thread: flat, an
    inverted file rescored exactly (what a large index keeps of its chunks, searched as the engine does), and
    HNSW (`hnsw_too`), both built here. The engine searches no sentences: it scores those of the nearest chunks."""
    import faiss

    from rag.embedding import load_embedder
    from rag.tokens import to_simplified

    faiss.omp_set_num_threads(1)
    vectors = np.load(index / "sentences.npy", mmap_mode="r")
    embedder = load_embedder()
    queries = np.stack([embedder.embed_query(to_simplified(q)) for q in asked[:100]])
    exact = [faiss.knn(q[None], vectors, 100, metric=faiss.METRIC_INNER_PRODUCT)[1][0] for q in queries]

    def run(name, search, build_s):
        times, recall = [], []
        for q, truth in zip(queries, exact):
            t = time.perf_counter()
            ids = search(q)
            times.append((time.perf_counter() - t) * 1000)
            recall.append(len(set(ids) & set(truth)) / len(truth))
        return name, build_s, statistics.median(times), float(np.mean(recall))

    out = [run("flat (faiss.knn over the memory-mapped .npy)",
               lambda q: faiss.knn(q[None], vectors, 100, metric=faiss.METRIC_INNER_PRODUCT)[1][0], 0.0)]
    from rag.index.store import ann_index
    from rag.retrieval.dense import PROBES, RESCORED, VectorSearch

    # the inverted file a large index keeps of its chunks, made here of the sentences
    start = time.perf_counter()
    inverted = ann_index(vectors)
    built = time.perf_counter() - start
    search = VectorSearch(vectors, approximate=inverted)
    out.append(run(f"inverted file ({inverted.nlist} lists, 8-bit codes, {PROBES} probed, best {RESCORED}+ rescored "
                   f"exactly)", lambda q: search.search(q, 100)[1], built))
    if not hnsw_too:
        return out
    start = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 40
    hnsw.add(np.ascontiguousarray(vectors))
    built = time.perf_counter() - start
    hnsw.hnsw.efSearch = 128
    out.append(run("HNSW M=32, efSearch 128", lambda q: hnsw.search(q[None], 100)[1][0], built))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chars", type=float, default=1.4e6)
    ap.add_argument("--work", default="/tmp/rag-scale")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--questions", type=int, default=300)
    ap.add_argument("--skip-cold", action="store_true", help="keep the index and its embedding cache if there")
    ap.add_argument("--busy", action="store_true")
    ap.add_argument("--skip-baselines", action="store_true",
                    help="no bm25s index and no HNSW built here (at 50 M characters they take long and many GB)")
    a = ap.parse_args()
    work = Path(a.work)
    seeds, index = work / "seeds", work / "index"
    if not seeds.is_dir():
        files, chars = make_corpus(seeds, int(a.chars))
    else:
        files, chars = len(list(seeds.iterdir())), sum(len(p.read_text(encoding="utf-8")) for p in seeds.iterdir())
    rows = []
    if not (a.skip_cold and (index / "manifest.json").exists()):
        shutil.rmtree(index, ignore_errors=True)
        shutil.rmtree(work / "index.cache", ignore_errors=True)
        seconds, peak, _ = timed(rag_cli("build", "--seeds", str(seeds), "--index", str(index)))
        rows.append(("cold `rag build` (empty embedding cache)", f"{seconds:.1f} s", f"peak {peak:.0f} MB"))
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["counts"]
    print(f"corpus: {files} files, {chars:,} characters, {counts['sentences']:,} sentences, {counts['chunks']:,} chunks")

    runs = [timed(rag_cli("build", "--seeds", str(seeds), "--index", str(index))) for _ in range(a.runs)]
    rows.append(("`rag build`, nothing changed", f"{statistics.median(r[0] for r in runs):.2f} s", ""))
    loads = [timed([PYTHON, "-c", LOAD, str(index)])[2].split() for _ in range(a.runs)]
    loads = [[float(x) for x in r] for r in loads]
    rows.append(("`rag.load`", f"{statistics.median(r[0] for r in loads):.3f} s",
                 f"RSS {statistics.median(r[1] for r in loads):.0f} MB after load, "
                 f"{statistics.median(r[2] for r in loads):.0f} MB after a first ask "
                 f"({statistics.median(r[3] for r in loads):.2f} s: the rest of the embedder's start-up)"))
    cold = [timed(rag_cli("--index", str(index), "ask", QUESTION)) for _ in range(a.runs)]
    rows.append(("cold `rag ask` (process start to answer)", f"{statistics.median(r[0] for r in cold):.2f} s",
                 f"peak {statistics.median(r[1] for r in cold):.0f} MB"))
    asked = questions(a.questions)
    p50, p95, retrieval = median_latency(index, asked, a.runs)
    rows.append((f"`engine.ask`, {len(asked)} CMRC questions", f"p50 {p50:.1f} ms, p95 {p95:.1f} ms",
                 f"retrieval (terms, BM25, embedding, search) p50 {retrieval:.1f} ms"))
    if a.busy:
        hogs = busy(600)
        try:
            p50, p95, retrieval = median_latency(index, asked, a.runs)
        finally:
            for h in hogs:
                h.kill()
        rows.append(("`engine.ask`, both cores busy", f"p50 {p50:.1f} ms, p95 {p95:.1f} ms", f"retrieval p50 {retrieval:.1f} ms"))
    if not a.skip_baselines:
        built, query = bm25s_baseline(index, asked)
        rows.append(("bm25s + jieba over the same sentences: index", f"{built:.1f} s", f"query (top 30) {query:.2f} ms"))
    for name, build_s, ms, recall in faiss_baselines(index, asked, hnsw_too=not a.skip_baselines):
        built = "built by `rag build`" if build_s != build_s else f"build {build_s:.1f} s"  # NaN: the index's own
        rows.append((f"FAISS {name}, sentences", f"{ms:.2f} ms per query", f"{built}, recall@100 vs flat {recall:.3f}"))
    print("\n| what | measured | notes |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
