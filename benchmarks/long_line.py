"""Build the index of one single-line file of N Chinese characters without punctuation, in a child process,
and report its time and peak memory (VmHWM of the child: its own high-water mark).

    .venv/bin/python benchmarks/long_line.py [N=2000000] [--limit-mb 4000] [--limit-s 3600] [--period P]

The child is killed when its memory passes the limit (default 4,000 MB), so a regression cannot take
the machine down; the peak is still reported. The text is random characters of the article (seeded): every sentence and n-gram is new.
"""
import argparse
import signal
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from conftest import build_in_child, long_line  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("chars", nargs="?", type=int, default=2_000_000)
    p.add_argument("--limit-mb", type=float, default=4000)
    p.add_argument("--limit-s", type=float, default=3600, help="stop the build after this many seconds")
    p.add_argument("--period", type=int, default=0, help="repeat a random text of this length (default: no repeat)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        seeds = Path(tmp) / "seeds"
        seeds.mkdir()
        (seeds / "long.txt").write_text(long_line(args.chars, args.period), encoding="utf-8")
        status, seconds, peak = build_in_child(seeds, Path(tmp) / "index", args.limit_mb, args.limit_s)
        killed = " (killed at the memory or time limit)" if status == -signal.SIGKILL else ""
        print(f"{args.chars:,} characters on one line: exit {status}{killed}, {seconds:.1f} s, peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
