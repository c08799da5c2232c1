"""Build and ask on a larger made-up corpus: N files of shuffled article sentences with their numbers changed.

    .venv/bin/python benchmarks/scale.py [N=50]

Reports the build time, `engine.ask` latency, and a rebuild after one file changes (what the embedding
cache saves).
"""
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import rag  # noqa: E402
from rag.chunking import split_sentences  # noqa: E402


def make_corpus(folder: Path, files: int) -> None:
    article = (REPO / "seeds" / "openai-vs-anthropic-2026-03.txt").read_text(encoding="utf-8")
    sentences = [s.text for s in split_sentences(article) if len(s.text) > 15]
    rng = random.Random(0)
    for n in range(files):
        picked = rng.sample(sentences, 60)
        text = "\n".join(re.sub(r"\d+", lambda m: str(rng.randint(1, 999)), s) for s in picked)
        (folder / f"doc{n:04d}.txt").write_text(text + "\n", encoding="utf-8")


def main() -> None:
    files = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    with tempfile.TemporaryDirectory() as tmp:
        seeds, index = Path(tmp) / "seeds", Path(tmp) / "index"
        seeds.mkdir()
        make_corpus(seeds, files)
        report = rag.build(seeds, index)
        print(f"{files} files, {report.sentences} sentences, {report.chunks} chunks: build {report.seconds:.1f} s")
        (seeds / "doc0000.txt").write_text("新增的一句话:测试增量构建。\n", encoding="utf-8")
        again = rag.build(seeds, index)
        print(f"after changing one file: rebuild {again.seconds:.1f} s, embedded {again.embedded}, reused {again.reused}")
        engine = rag.load(index)
        questions = ["Anthropic 在企业 LLM API 市场的份额是多少？", "Claude 单日下载量较前一周增长了多少？",
                     "OpenAI 是什么时候发布 GPT-5.4 的？", "明天上海会下雨吗？", "Who wrote this article?"]
        times = [engine.ask(q).timings.total_ms for _ in range(10) for q in questions]
        start = time.perf_counter()
        engine.search("GPT-5.4 的价格", k=10)
        print(f"engine.ask median {statistics.median(times):.1f} ms, max {max(times):.1f} ms; "
              f"search {1000 * (time.perf_counter() - start):.1f} ms")


if __name__ == "__main__":
    main()
