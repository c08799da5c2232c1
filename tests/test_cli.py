"""The `rag` command as a user runs it: real processes, real output, one-line errors."""
import json
import shutil
import subprocess
import sys

from conftest import REPO

RAG = [sys.executable, "-m", "rag.cli"]


def run(*args, cwd=REPO):
    return subprocess.run([*RAG, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_ask_prints_the_answer_with_citations():
    r = run("ask", "Anthropic 在企业 LLM API 市场的份额是多少？")
    assert r.returncode == 0
    assert r.stdout.splitlines()[:2] == ["根据文档：", "根据最新数据,Anthropic 在企业 LLM API 市场的份额已达 32%,而 OpenAI 滑落至 25%。 [1]"]
    assert "[1] openai-vs-anthropic-2026-03.txt:" in r.stdout


def test_ask_json():
    r = run("ask", "--json", "Claude 单日下载量较前一周增长了多少？")
    data = json.loads(r.stdout)
    assert data["answerable"] is True and "48%" in data["citations"][0]["quote"]


def test_bad_input_is_one_line_without_traceback():
    for args, message in [
        (("ask", ""), "error: the question is empty; type a question about the documents"),
        (("ask", "x" * 1001), "error: the question is 1001 characters long; the limit is 1000, so shorten it"),
        (("search", "-k", "0", "Claude"), "error: k must be a whole number of at least 1, got 0"),
        (("eval", "no-such.jsonl"), "error: cannot read eval file 'no-such.jsonl' (No such file or directory); "
                                    "pass a JSONL file like shared/eval/dev.jsonl"),
    ]:
        r = run(*args)
        assert (r.returncode, r.stderr.strip(), r.stdout) == (2, message, "")


def test_build_errors_and_automatic_rebuild(tmp_path):
    (tmp_path / "seeds").mkdir()
    r = run("--seeds", str(tmp_path / "seeds"), "--index", str(tmp_path / "index"), "build")
    assert r.returncode == 2 and r.stderr.strip().startswith("error: nothing to index in")
    assert "Traceback" not in r.stderr

    r = run("--index", str(tmp_path / "index"), "build", "--model", "no-such/model", cwd=REPO)
    assert r.returncode == 2 and "cannot load embedding model 'no-such/model' offline" in r.stderr

    shutil.copy(REPO / "seeds" / "openai-vs-anthropic-2026-03.txt", tmp_path / "seeds")
    r = run("--seeds", str(tmp_path / "seeds"), "--index", str(tmp_path / "index"), "ask", "编辑是谁？")
    assert r.returncode == 0 and "building it from" in r.stderr and "编辑:大风 [1]" in r.stdout

    (tmp_path / "seeds" / "extra.txt").write_text("补充材料:发布会定于四月举行。", encoding="utf-8")
    r = run("--seeds", str(tmp_path / "seeds"), "--index", str(tmp_path / "index"), "ask", "发布会定于什么时候举行？")
    assert "seeds changed since the index was built (added extra.txt); run `rag build` to rebuild it: rebuilding now" in r.stderr
    assert "补充材料:发布会定于四月举行。 [1]" in r.stdout


def test_committed_index_matches_committed_seeds():
    r = run("info")
    manifest = json.loads(r.stdout)
    from rag.index.store import stale_sources
    assert stale_sources(REPO / "index", manifest) == []


def test_stale_index_is_rebuilt_with_its_own_settings(tmp_path):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "a.txt").write_text("第一句。第二句。第三句。", encoding="utf-8")
    where = ("--seeds", str(tmp_path / "seeds"), "--index", str(tmp_path / "index"))
    assert run(*where, "build", "--chunk-sentences", "2", "--chunk-overlap", "0").returncode == 0
    (tmp_path / "seeds" / "a.txt").write_text("第一句。第二句。第三句。第四句。", encoding="utf-8")
    r = run(*where, "ask", "第四句是什么？")
    assert "rebuilding now" in r.stderr
    manifest = json.loads(run(*where, "info").stdout)
    assert manifest["chunking"] == {"sentences": 2, "overlap": 0, "max_chars": 400}
    assert manifest["counts"] == {"documents": 1, "sentences": 4, "chunks": 2}
