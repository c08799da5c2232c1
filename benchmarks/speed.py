"""Speed on this machine, as medians over several runs (timings here are noisy: read ratios, not single runs).

    .venv/bin/python benchmarks/speed.py

- `rag build` of seeds/ from scratch (embedding cache emptied each run), into a temporary folder
- `rag ask "..."` from process start to printed answer
- `engine.ask` in process, over the dev questions
"""
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RAG = [str(REPO / ".venv" / "bin" / "rag")] if (REPO / ".venv" / "bin" / "rag").exists() else [sys.executable, "-m", "rag.cli"]


def timed(cmd, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        builds = []
        for _ in range(3):
            shutil.rmtree(Path(tmp) / "index.cache", ignore_errors=True)
            start = time.perf_counter()
            subprocess.run([*RAG, "--index", str(Path(tmp) / "index"), "build"], cwd=REPO, check=True, capture_output=True)
            builds.append(time.perf_counter() - start)
        print(f"rag build (article, cold cache)   median {statistics.median(builds):.2f} s   max {max(builds):.2f} s   (3 runs)")
    median, worst = timed([*RAG, "ask", "Anthropic 在企业 LLM API 市场的份额是多少？"], 7)
    print(f"rag ask, process start to answer  median {median:.2f} s   max {worst:.2f} s   (7 runs)")

    sys.path.insert(0, str(REPO))
    import rag

    engine = rag.load(REPO / "index")
    questions = [json.loads(line)["question"] for line in (REPO / "tests" / "data" / "dev.jsonl").open(encoding="utf-8")]
    times = []
    for _ in range(5):
        for q in questions:
            times.append(engine.ask(q).timings.total_ms)
    times.sort()
    print(f"engine.ask in process             median {statistics.median(times):.2f} ms   p95 {times[int(0.95 * len(times))]:.2f} ms"
          f"   ({len(times)} asks)")


if __name__ == "__main__":
    main()
