"""Build the index of one single-line file of N Chinese characters without punctuation, in a child process,
and report its time and peak memory (the child's own ru_maxrss, from os.wait4).

    .venv/bin/python benchmarks/long_line.py [N=2000000] [--limit-mb 4000]

The child is killed when its memory passes the limit (default 4,000 MB), so a regression cannot take
the machine down. The text is random characters of the article (seeded): every sentence and n-gram is new.
"""
import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def long_line(chars: int, period: int = 0, seed: int = 0) -> str:
    article = (REPO / "seeds" / "openai-vs-anthropic-2026-03.txt").read_text(encoding="utf-8")
    alphabet = sorted({ch for ch in article if "\u4e00" <= ch <= "\u9fff"})
    rng = random.Random(seed)
    if period:
        return ("".join(rng.choices(alphabet, k=period)) * (chars // period + 1))[:chars]
    return "".join(rng.choices(alphabet, k=chars))


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024
    except (OSError, StopIteration):
        return 0.0


def build_in_child(seeds: Path, index: Path, limit_mb: float) -> tuple[int, float, float]:
    """(exit status, seconds, peak RSS in MB) of `rag build` run in a child process."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "rag.cli", "--seeds", str(seeds), "--index", str(index), "build"],
                             cwd=REPO, stdout=subprocess.DEVNULL)
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if _rss_mb(child.pid) > limit_mb:
            os.kill(child.pid, signal.SIGKILL)
        time.sleep(0.05)
    child.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen from waiting again
    return child.returncode, time.perf_counter() - started, usage.ru_maxrss / 1024


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("chars", nargs="?", type=int, default=2_000_000)
    p.add_argument("--limit-mb", type=float, default=4000)
    p.add_argument("--period", type=int, default=0, help="repeat a random text of this length (default: no repeat)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        seeds = Path(tmp) / "seeds"
        seeds.mkdir()
        (seeds / "long.txt").write_text(long_line(args.chars, args.period), encoding="utf-8")
        status, seconds, peak = build_in_child(seeds, Path(tmp) / "index", args.limit_mb)
        killed = " (killed at the memory limit)" if status == -signal.SIGKILL else ""
        print(f"{args.chars:,} characters on one line: exit {status}{killed}, {seconds:.1f} s, peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
