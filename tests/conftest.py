import os
import random
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


def build_index(root: Path, files: dict[str, str | bytes]) -> Path:
    """An index built for real (default embedder, real FAISS) in root/index from root/seeds holding `files`
    (text is written as UTF-8, bytes as they are)."""
    import rag

    (root / "seeds").mkdir(parents=True)
    for name, content in files.items():
        path = root / "seeds" / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
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


def _memory_mb(pid: int | str, field: str) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith(field + ":")) / 1024
    except (OSError, StopIteration):
        return 0.0


# `rag build` that prints its peak memory last. VmHWM is the high-water mark of this program's own memory:
# ru_maxrss would also count the parent's memory, which a child started by vfork shares until exec.
BUILD_AND_REPORT = """
import sys
from rag.cli import main
code = main(sys.argv[1:])
with open("/proc/self/status") as f:
    print(next(line for line in f if line.startswith("VmHWM:")).split()[1])
sys.exit(code)
"""


def build_in_child(seeds: Path, index: Path, limit_mb: float, limit_s: float = 3600) -> tuple[int, float, float]:
    """(exit code, seconds, peak memory in MB) of `rag build` in a child process. The child is killed (exit
    code -9) when its memory passes `limit_mb` or its time `limit_s`; the peak is then the last one seen."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", BUILD_AND_REPORT, "--seeds", str(seeds), "--index", str(index), "build"],
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak = 0.0
    while child.poll() is None:
        peak = max(peak, _memory_mb(child.pid, "VmHWM"))
        if _memory_mb(child.pid, "VmRSS") > limit_mb or time.perf_counter() - started > limit_s:
            child.kill()
        time.sleep(0.05)
    lines = child.stdout.read().split()
    if child.returncode == 0 and lines:
        peak = int(lines[-1]) / 1024
    return child.returncode, time.perf_counter() - started, peak


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
