"""How well `Citation.answer_start/answer_end` name the answer inside the quote, on a SQuAD-style set.

    .venv/bin/python benchmarks/answer_spans.py ../shared/qa/cmrc2018_trial.json /tmp/spans

Every article becomes a seed file (the layout of ../shared/tools/open_qa.py) and is indexed; every question is
asked. For each answered question whose first citation marks an answer, the marked text is compared with the
annotated answers by character F1 (SQuAD's measure for Chinese: the overlap of characters, best over the
annotations, whitespace and punctuation ignored). Printed: how many questions got a marked answer, their mean
F1, and the mean F1 over all answered questions of the kinds that get one (time, quantity, person, place, work),
counting a missing mark as 0.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from train import indexed  # noqa: E402

MARKED_KINDS = {"time", "quantity", "person", "place", "work"}
IGNORED = re.compile(r"[\s\W_]+")


def char_f1(predicted: str, gold: str) -> float:
    p, g = Counter(IGNORED.sub("", predicted)), Counter(IGNORED.sub("", gold))
    common = sum((p & g).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(p.values()), common / sum(g.values())
    return 2 * precision * recall / (precision + recall)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("work")
    args = ap.parse_args()
    data = json.loads(Path(args.data).read_text(encoding="utf-8"))["data"]
    work = Path(args.work)
    engine = indexed(work / "seeds", work / "index", data)  # built again if missing or of an older format
    marked = f1_marked = 0.0
    asked_kind = f1_kind = 0.0
    answered = 0
    for article in data:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                golds = [a["text"] for a in qa["answers"] if a["text"].strip()]
                if not golds or not qa["question"].strip():
                    continue
                answer = engine.ask(qa["question"])
                if not answer.answerable:
                    continue
                answered += 1
                c = answer.citations[0]
                kinds = engine.analyse(engine._read(qa["question"])).question.kinds
                f1 = 0.0
                if c.answer_start is not None:
                    text = engine.document_text(c.source)[c.answer_start : c.answer_end]
                    f1 = max(char_f1(text, g) for g in golds)
                    marked += 1
                    f1_marked += f1
                if kinds & MARKED_KINDS:
                    asked_kind += 1
                    f1_kind += f1
    print(json.dumps({"answered": answered, "marked": int(marked), "f1_marked": round(f1_marked / max(1, marked), 3),
                      "asked_kind": int(asked_kind), "f1_asked_kind": round(f1_kind / max(1, asked_kind), 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
