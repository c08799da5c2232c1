"""How near the chunks a large index's inverted file finds are to those of an exact search.

    .venv/bin/python benchmarks/chunk_recall.py INDEX [--questions 100]

For the first CMRC 2018 trial questions, the engine's chunk search (an inverted file from 200,000 sentences on,
`rag/retrieval/dense.py`) against FAISS's flat search of `chunks.faiss`, one thread: recall of the 100 and 20
nearest by id and by score (a row counts when its exact score reaches the flat search's k-th: near-copies of a
text tie, and which of them comes back does not matter), and the median time of each search.
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import faiss  # noqa: E402

import rag  # noqa: E402
from rag.tokens import to_simplified  # noqa: E402
from scale import questions  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("index")
    p.add_argument("--questions", type=int, default=100)
    a = p.parse_args()
    faiss.omp_set_num_threads(1)
    engine = rag.load(a.index)
    asked = questions(a.questions)
    flat = faiss.read_index(str(Path(a.index) / "chunks.faiss"), faiss.IO_FLAG_MMAP)
    by_id = {100: [], 20: []}
    by_score = {100: [], 20: []}
    flat_ms, engine_ms = [], []
    for question in asked:
        vector = engine._embedder.embed_query(to_simplified(question))
        started = time.perf_counter()
        exact_scores, exact_ids = flat.search(vector[None], 100)
        flat_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        scores, ids = engine._chunk_search.search(vector, 100)
        engine_ms.append((time.perf_counter() - started) * 1000)
        for k in (100, 20):
            by_id[k].append(len(set(ids[:k].tolist()) & set(exact_ids[0][:k].tolist())) / k)
            by_score[k].append(float(np.mean(scores[:k] >= exact_scores[0][k - 1] - 1e-5)))
    print(json.dumps({"chunks": flat.ntotal, "questions": len(asked),
                      "recall@100": round(float(np.mean(by_id[100])), 3), "recall@20": round(float(np.mean(by_id[20])), 3),
                      "score_recall@100": round(float(np.mean(by_score[100])), 3),
                      "score_recall@20": round(float(np.mean(by_score[20])), 3),
                      "flat_ms": round(statistics.median(flat_ms), 2), "engine_ms": round(statistics.median(engine_ms), 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
