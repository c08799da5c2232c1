"""`engine.ask` latency of this checkout against another one (e.g. main), alternating, a fresh process per run.

    git archive main | tar -x -C /tmp/main-code
    .venv/bin/python benchmarks/ask_against.py /tmp/main-code [--index /tmp/rag-scale/index] [--other-index DIR]
                                               [--runs 5] [--busy]

On a shared machine the load changes from minute to minute: runs of the two checkouts taken in turn see the same
load, runs taken one after the other do not. Each run is `scale.py`'s `ask_latency` (300 CMRC questions, p50 /
p95 / retrieval p50) in a child process importing `rag` from its checkout; `--busy` keeps two more processes busy
throughout. Prints each run and the medians.
"""
import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from scale import busy, questions  # noqa: E402

CHILD = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, str(Path(sys.argv[1]) / "benchmarks"))
import rag
assert Path(rag.__file__).resolve().is_relative_to(Path(sys.argv[1]).resolve()), rag.__file__
from scale import ask_latency
print(json.dumps(ask_latency(Path(sys.argv[2]), json.loads(sys.stdin.read()))))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("other", help="another checkout of this repository, e.g. main's code")
    ap.add_argument("--index", default="/tmp/rag-scale/index")
    ap.add_argument("--other-index", help="the other checkout's index of the same corpus, when it reads another "
                                          "index format (default: --index)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--questions", type=int, default=300)
    ap.add_argument("--busy", action="store_true")
    a = ap.parse_args()
    asked = json.dumps(questions(a.questions))
    checkouts = {"other": Path(a.other).resolve(), "this": REPO}
    indexes = {"other": a.other_index or a.index, "this": a.index}
    results: dict[str, list] = {name: [] for name in checkouts}
    hogs = busy(24 * 3600) if a.busy else []
    try:
        for _ in range(a.runs):
            for name, checkout in checkouts.items():
                out = subprocess.run([sys.executable, "-c", CHILD, str(checkout), indexes[name]], input=asked, cwd=checkout,
                                     capture_output=True, text=True, check=True).stdout
                results[name].append(json.loads(out))
                print(name, " ".join(f"{x:.2f}" for x in results[name][-1]), flush=True)
    finally:
        for h in hogs:
            h.kill()
    for name, runs in results.items():
        p50, p95, retrieval = (statistics.median(r[i] for r in runs) for i in range(3))
        print(f"{name} ({checkouts[name]}){' busy' if a.busy else ''}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
              f"retrieval p50 {retrieval:.1f} ms (medians of {len(runs)} runs)")


if __name__ == "__main__":
    main()
