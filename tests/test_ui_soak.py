"""Memory of the server stays bounded over many /ask calls (each a new Gradio session, as curl makes them)."""
from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from ui_server import INDEX, running_server

REQUESTS = 5000
THREADS = 4
MAX_GROWTH_MB = 50
QUESTIONS = ("Anthropic 在企业 LLM API 市场的份额是多少？", "When did OpenAI release GPT-5.4?", "谁赢得了2022年世界杯？")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def call_ask(client: httpx.Client, url: str, question: str) -> str:
    """Gradio's two-step call: POST the question, then read the result event."""
    event = client.post(f"{url}gradio_api/call/ask", json={"data": [question]}).raise_for_status().json()["event_id"]
    return client.get(f"{url}gradio_api/call/ask/{event}").raise_for_status().text


def ask_many(url: str, n: int) -> list[str]:
    """Ask n questions over THREADS connections; the replies that are not answers."""
    def worker(offset: int) -> list[str]:
        bad = []
        with httpx.Client(timeout=30) as client:
            for i in range(offset, n, THREADS):
                reply = call_ask(client, url, QUESTIONS[i % len(QUESTIONS)])
                if "event: complete" not in reply or '"answerable"' not in reply:
                    bad.append(reply[:200])
        return bad

    with ThreadPoolExecutor(THREADS) as pool:
        return [b for bad in pool.map(worker, range(THREADS)) for b in bad]


def soak(url: str, pid: int, n: int = REQUESTS) -> tuple[float, float, list[str]]:
    """RSS in MB after a warm-up of 200 calls and after n more, and the calls that went wrong."""
    bad = ask_many(url, 200)
    before = rss_mb(pid)
    bad += ask_many(url, n)
    return before, rss_mb(pid), bad


def test_memory_stays_bounded_over_5000_requests(tmp_path, record_property):
    with running_server(INDEX, tmp_path) as (url, proc):
        before, after, bad = soak(url, proc.pid)
    print(f"RSS {before:.0f} MB -> {after:.0f} MB over {REQUESTS} /ask calls")
    record_property("rss_growth_mb", after - before)
    assert bad == []
    assert after - before < MAX_GROWTH_MB, f"RSS grew from {before:.0f} MB to {after:.0f} MB over {REQUESTS} requests"


if __name__ == "__main__":  # python tests/test_ui_soak.py URL PID [N]: measure any running server
    start, end, errors = soak(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else REQUESTS)
    print(f"RSS {start:.0f} MB -> {end:.0f} MB, {len(errors)} bad replies")
