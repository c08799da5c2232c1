"""How well `Answer.confidence` separates answerable from unanswerable questions, whatever the threshold.

    .venv/bin/python benchmarks/confidence_curve.py ../shared/qa/cmrc2018_trial.json /tmp/curve [--model M] [--articles N]

The questions, the articles indexed and those left out are those of `../shared/tools/open_qa.py` (same seed,
10% of the articles held out), so the line at the model's threshold repeats its figures. Every question is
answered as if the threshold were 0, to know what would be quoted; then:
- `accuracy_never_refusing`: the share of answerable questions whose quotes cover half of an annotated answer;
- `at_threshold`: answer accuracy, false refusals and unanswerable refused at the model's threshold;
- `at_false_refusal`: unanswerable refused and answer accuracy with the threshold that refuses 2%, 3%, 5% of the
  answerable questions. Two models compare at equal false refusals, not at the thresholds each chose;
- `auc`: the chance that an answerable question gets a higher confidence than an unanswerable one.
With 97 unanswerable questions in CMRC trial, one of them is 0.010 of the refusal figures.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train import coverage, indexed, layout, seed_name  # noqa: E402

from rag.answering.model import MODEL_PATH, read_model  # noqa: E402

HOLDOUT, SEED = 0.1, 7  # open_qa.py's defaults


def questions(data: list[dict], articles: int = 0) -> tuple[list[dict], list[dict]]:
    """(articles indexed, questions) as open_qa.py draws them (`articles`: its --articles)."""
    rnd = random.Random(SEED)
    rnd.shuffle(data)
    data = data[:articles] if articles else data
    held = int(len(data) * HOLDOUT)
    out = []
    for article, answerable in [(a, True) for a in data[held:]] + [(a, False) for a in data[:held]]:
        text, offsets = layout(article)
        for paragraph, offset in zip(article["paragraphs"], offsets):
            for qa in paragraph["qas"]:
                if not qa["question"].strip():
                    continue
                spans = {(offset + g["answer_start"], offset + g["answer_start"] + len(g["text"]))
                         for g in qa["answers"] if g["text"].strip()}
                spans = [s for s in spans if text[s[0]:s[1]].strip()]
                if answerable and not spans:
                    continue
                out.append({"question": qa["question"], "source": seed_name(article), "spans": spans,
                            "answerable": answerable})
    return data[held:], out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data")
    p.add_argument("work", help="where the seeds and index are kept (reused)")
    p.add_argument("--model", default=str(MODEL_PATH))
    p.add_argument("--articles", type=int, default=0, help="the first N articles only, as open_qa.py's --articles")
    args = p.parse_args()
    kept, asked = questions(json.loads(Path(args.data).read_text(encoding="utf-8"))["data"], args.articles)
    engine = indexed(Path(args.work) / "seeds", Path(args.work) / "index", kept)
    model = read_model(Path(args.model))
    engine._given_model = dataclasses.replace(model, threshold=-1.0)  # every question quoted, to score its quotes
    confidence, right, answerable = [], [], []
    for q in asked:
        answer = engine.ask(q["question"])
        cited = [(c.source, c.start, c.end) for c in answer.citations]
        # a question with nothing to quote (every candidate lacks a name it asks about) is refused at any threshold
        confidence.append(answer.confidence if cited else -1.0)
        answerable.append(q["answerable"])
        quoted = [(start, end) for source, start, end in cited if source == q["source"]]
        right.append(q["answerable"] and coverage(q["spans"], quoted) >= 0.5)
    confidence, right, answerable = np.array(confidence), np.array(right), np.array(answerable)
    a, n = confidence[answerable], confidence[~answerable]

    def at(threshold: float) -> dict:
        return {"answer_accuracy": round(float(((a >= threshold) & right[answerable]).mean()), 3),
                "false_refusal": round(float((a < threshold).mean()), 3),
                "refusal_recall": round(float((n < threshold).mean()), 3)}

    report = {
        "answerable": int(answerable.sum()), "unanswerable": int((~answerable).sum()),
        "accuracy_never_refusing": round(float(right[answerable].mean()), 3),
        "at_threshold": {"threshold": round(model.threshold, 3), **at(model.threshold)},
        "at_false_refusal": {str(share): at(float(np.sort(a)[int(share * len(a))])) for share in (0.02, 0.03, 0.05)},
        "auc": round(float((a[:, None] > n[None, :]).mean() + 0.5 * (a[:, None] == n[None, :]).mean()), 4),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
