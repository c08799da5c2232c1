"""Many clients asking at once through /ask all get the engine's own answers."""
from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from gradio_client import Client

import rag
from ui_server import INDEX, ui_url  # noqa: F401  (ui_url is a fixture)

CLIENTS = 20
QUESTIONS_EACH = 10
DEADLINE_S = 150
QUESTIONS = (
    "Anthropic 在企业 LLM API 市场的份额是多少？",
    "Claude 单日下载量较前一周增长了多少？",
    "这篇文章的作者是谁？",
    "When did OpenAI release GPT-5.4?",
    "谁赢得了2022年世界杯？",
)


@pytest.fixture(scope="module")
def expected():
    engine = rag.load(INDEX)
    return {q: engine.ask(q) for q in QUESTIONS}


def one_client(url: str, offset: int, expected: dict) -> tuple[list[float], list[str]]:
    """Ask QUESTIONS_EACH questions in turn; return the latencies and what went wrong."""
    client = Client(url, verbose=False)
    latencies, errors = [], []
    for i in range(QUESTIONS_EACH):
        question = QUESTIONS[(offset + i) % len(QUESTIONS)]
        start = time.perf_counter()
        try:
            got = client.predict(question, api_name="/ask")
        except Exception as e:  # every failure counts, whatever its kind
            errors.append(f"{question}: {type(e).__name__}: {e}")
            continue
        latencies.append((time.perf_counter() - start) * 1000)
        want = expected[question]
        quotes = [c["quote"] for c in got.get("citations", [])]
        if got.get("answerable") != want.answerable or quotes != [c.quote for c in want.citations]:
            errors.append(f"{question}: wrong answer {got!r}")
    client.close()
    return latencies, errors


def test_twenty_clients_at_once(ui_url, expected, tmp_path, record_property):  # noqa: F811
    start = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(one_client, ui_url, n, expected) for n in range(CLIENTS)]
        results = [f.result(timeout=DEADLINE_S) for f in futures]
    wall = time.monotonic() - start
    latencies = sorted(ms for lat, _ in results for ms in lat)
    errors = [e for _, errs in results for e in errs]
    median = statistics.median(latencies) if latencies else float("nan")
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    summary = (
        f"{CLIENTS} clients x {QUESTIONS_EACH} questions: {len(latencies)} answered in {wall:.1f} s, "
        f"median {median:.0f} ms, p95 {p95:.0f} ms, errors {len(errors)}"
    )
    print(summary)
    (tmp_path / "load.txt").write_text(summary + "\n" + "\n".join(errors), encoding="utf-8")
    for name, value in (("median_ms", median), ("p95_ms", p95), ("errors", len(errors))):
        record_property(name, value)
    assert errors == [], summary + "\n" + "\n".join(errors[:5])
    assert len(latencies) == CLIENTS * QUESTIONS_EACH
