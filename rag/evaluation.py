"""`rag eval`: retrieval, answer and refusal quality, and timings, on a JSONL file of questions.

Each line: {"id", "question", "answers": [..], "all": bool, "evidence": [..]}; no evidence = unanswerable.
Matching ignores whitespace, so "1.7万" is found in "1.7 万".
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.engine import Engine
from rag.errors import RagError
from rag.index.store import seeds_dir_of
from rag.sources import decode

HIT_DEPTH = 10


@dataclass(frozen=True)
class EvalCase:
    id: str
    question: str
    answers: tuple[str, ...]
    all_required: bool
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class EvalReport:
    answerable: int
    unanswerable: int
    hit_at_1: float
    hit_at_5: float
    mrr: float
    answer_accuracy: float
    citation_support: float
    citation_validity: float
    refusals: int  # unanswerable questions refused
    false_refusals: int  # answerable questions refused
    ask_ms: dict[str, tuple[float, float]]  # stage -> (median, p95)
    failures: tuple[str, ...]

    def lines(self) -> list[str]:
        out = [
            f"questions         {self.answerable} answerable, {self.unanswerable} unanswerable",
            f"hit@1             {self.hit_at_1:.3f}",
            f"hit@5             {self.hit_at_5:.3f}",
            f"MRR               {self.mrr:.3f}",
            f"answer accuracy   {self.answer_accuracy:.3f}",
            f"citation support  {self.citation_support:.3f}",
            f"citation validity {self.citation_validity:.3f}",
            f"refusals          {self.refusals} of {self.unanswerable}",
            f"false refusals    {self.false_refusals} of {self.answerable}",
        ]
        out += [f"ask {stage:<13} median {m:7.2f} ms   p95 {p:7.2f} ms" for stage, (m, p) in self.ask_ms.items()]
        return out + [f"miss: {f}" for f in self.failures]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def read_cases(path: str | Path) -> list[EvalCase]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise RagError(f"cannot read eval file {str(path)!r} ({e.strerror}); pass a JSONL file like shared/eval/dev.jsonl") from None
    cases = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            cases.append(EvalCase(str(row["id"]), row["question"], tuple(row.get("answers", [])),
                                  bool(row.get("all", False)), tuple(row.get("evidence", []))))
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise RagError(f"{path}:{n} is not a question line ({type(e).__name__}: {e}); "
                           "each line needs id, question, answers, evidence") from None
    if not cases:
        raise RagError(f"eval file {str(path)!r} has no questions")
    return cases


def evaluate(engine: Engine, cases: list[EvalCase], index_dir: Path, repeat: int = 3) -> EvalReport:
    seeds = seeds_dir_of(index_dir, json.loads((index_dir / "manifest.json").read_text(encoding="utf-8")))
    source_text: dict[str, str] = {}

    def on_disk(source: str) -> str:
        if source not in source_text:
            source_text[source] = decode((seeds / source).read_bytes())[0]
        return source_text[source]

    answerable = [c for c in cases if c.evidence]
    hits1 = hits5 = 0
    reciprocal = []
    correct = supported = refused_wrongly = refusals = valid = n_citations = 0
    failures = []
    stage_times: dict[str, list[float]] = {}
    for case in cases:
        for _ in range(repeat):
            answer = engine.ask(case.question)
            for stage, ms in vars(answer.timings).items():
                stage_times.setdefault(stage.removesuffix("_ms"), []).append(ms)
        for c in answer.citations:
            n_citations += 1
            valid += on_disk(c.source)[c.start : c.end] == c.quote
        if not case.evidence:
            refusals += not answer.answerable
            if answer.answerable:
                failures.append(f"{case.id} should be refused: {case.question} -> {answer.citations[0].quote[:40]}")
            continue
        evidence = [_squash(e) for e in case.evidence]
        passages = engine.search(case.question, k=min(HIT_DEPTH, engine.info.chunks))
        rank = next((r for r, p in enumerate(passages) if any(e in _squash(p.text) for e in evidence)), None)
        hits1 += rank == 0
        hits5 += rank is not None and rank < 5
        reciprocal.append(0.0 if rank is None else 1 / (rank + 1))
        text = _squash(answer.text)
        found = [_squash(a) in text for a in case.answers]
        ok = answer.answerable and (all(found) if case.all_required else any(found))
        correct += ok
        support = any(e in _squash(c.quote) for c in answer.citations for e in evidence)
        supported += support
        refused_wrongly += not answer.answerable
        if not (ok and support and rank == 0):
            got = answer.citations[0].quote[:40] if answer.citations else "(refused)"
            failures.append(f"{case.id} rank={rank} answer={'ok' if ok else 'no'} support={'ok' if support else 'no'}: "
                            f"{case.question} -> {got}")
    n = max(len(answerable), 1)
    timing = {stage: (float(np.median(v)), float(np.percentile(v, 95))) for stage, v in stage_times.items()}
    return EvalReport(len(answerable), len(cases) - len(answerable), hits1 / n, hits5 / n, float(np.mean(reciprocal or [0])),
                      correct / n, supported / n, valid / max(n_citations, 1), refusals, refused_wrongly, timing,
                      tuple(failures))
