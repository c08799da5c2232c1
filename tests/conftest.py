import os
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

    (root / "seeds").mkdir()
    for name, content in files.items():
        path = root / "seeds" / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
    rag.build(root / "seeds", root / "index")
    return root / "index"


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
