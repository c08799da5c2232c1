import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTICLE = "openai-vs-anthropic-2026-03.txt"
DEV_SET = REPO / "tests" / "data" / "dev.jsonl"

# Three made-up sentences whose offsets the tests know by heart.
TINY = "小明在北京大学读书。他每天骑自行车上学！学校的食堂有二十个窗口？\n"


def build_index(root: Path, files: dict[str, str]) -> Path:
    """An index built for real (default embedder, real FAISS) in root/index from root/seeds holding `files`."""
    import rag

    (root / "seeds").mkdir()
    for name, text in files.items():
        (root / "seeds" / name).write_text(text, encoding="utf-8")
    rag.build(root / "seeds", root / "index")
    return root / "index"


def long_line(chars: int, period: int = 0, seed: int = 0) -> str:
    """One line of `chars` random characters of the article, without punctuation; with `period`, a random
    text of that length repeated (so that few distinct sentences need embedding)."""
    alphabet = sorted({ch for ch in (REPO / "seeds" / ARTICLE).read_text(encoding="utf-8") if "\u4e00" <= ch <= "\u9fff"})
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


def build_in_child(seeds: Path, index: Path, limit_mb: float, limit_s: float = 3600) -> tuple[int, float, float]:
    """(exit code, seconds, peak RSS in MB) of `rag build` in a child process, read from that child's own
    rusage (os.wait4). The child is killed (exit code -9) when its memory passes `limit_mb` or its time `limit_s`."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "rag.cli", "--seeds", str(seeds), "--index", str(index), "build"],
                             cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if _rss_mb(child.pid) > limit_mb or time.perf_counter() - started > limit_s:
            os.kill(child.pid, signal.SIGKILL)
        time.sleep(0.05)
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
    return child.returncode, time.perf_counter() - started, usage.ru_maxrss / 1024


@pytest.fixture(scope="session")
def tiny_index(tmp_path_factory):
    return build_index(tmp_path_factory.mktemp("tiny"), {"tiny.txt": TINY})


@pytest.fixture(scope="session")
def tiny_engine(tiny_index):
    import rag

    return rag.load(tiny_index)


@pytest.fixture(scope="session")
def article_engine():
    """The committed index of the article; loading it also checks it matches the committed seeds."""
    import rag

    return rag.load(REPO / "index")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skipped test is a failed test: the browser tests, above all, must really run there."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which must run every test: {report.longrepr}"
