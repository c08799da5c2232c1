"""The `rag` command as a user runs it: real processes, real output, one-line errors."""
import json
import shutil
import subprocess
import sys

from conftest import REPO, TINY

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
        (("ask", "a \udcff b"), "error: the question contains U+DCFF, a lone surrogate, which is not a character "
                                "(invalid UTF-8 input?); type the question again"),  # the byte 0xff on the command line
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


def test_a_damaged_index_is_rebuilt_from_its_own_seeds_and_settings_not_from_the_current_folder(tmp_path):
    project, elsewhere = tmp_path / "proj", tmp_path / "elsewhere"
    (project / "seeds").mkdir(parents=True)
    (elsewhere / "seeds").mkdir(parents=True)
    (project / "seeds" / "a.txt").write_text("第一句。第二句。项目的会议定在周五。", encoding="utf-8")
    (elsewhere / "seeds" / "b.txt").write_text("别的项目的文件。", encoding="utf-8")
    assert run("build", "--seeds", "seeds", "--index", "idx", "--chunk-sentences", "3", "--chunk-overlap", "0",
               cwd=project).returncode == 0
    (project / "idx" / "chunks.jsonl").write_text("garbage\n")
    r = run("--index", "../proj/idx", "ask", "会议定在哪天？", cwd=elsewhere)
    assert r.returncode == 0, r.stderr
    assert f"rebuilding now from {project / 'seeds'} as it was built" in r.stderr
    assert "项目的会议定在周五。 [1]" in r.stdout
    manifest = json.loads(run("--index", "idx", "info", cwd=project).stdout)
    assert manifest["chunking"] == {"sentences": 3, "overlap": 0, "max_chars": 400}
    assert [s["source"] for s in manifest["sources"]] == ["a.txt"]


def test_an_index_with_an_unreadable_manifest_is_not_rebuilt_by_guessing(tiny_index, tmp_path):
    shutil.copytree(tiny_index, tmp_path / "index")
    (tmp_path / "index" / "manifest.json").write_text("{", encoding="utf-8")
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "other.txt").write_text("完全无关的文件。", encoding="utf-8")
    r = run("ask", "小明在哪所大学读书？", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (2, "")
    [line] = r.stderr.splitlines()
    assert line.startswith("error: ") and "manifest.json is not valid JSON" in line
    assert line.endswith("run `rag build --seeds FOLDER --index index` with the folder of its documents")
    assert (tmp_path / "index" / "manifest.json").read_text(encoding="utf-8") == "{"
    r = run("build", "--seeds", str(tiny_index.parent / "seeds"), "--index", "index", cwd=tmp_path)  # the fix it names
    assert r.returncode == 0 and run("ask", "小明在哪所大学读书？", cwd=tmp_path).returncode == 0


def test_a_mistyped_manifest_is_one_line_in_the_cli(tiny_index, tmp_path):
    shutil.copytree(tiny_index, tmp_path / "index")
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text(encoding="utf-8"))
    (tmp_path / "index" / "manifest.json").write_text(json.dumps({**manifest, "files": []}), encoding="utf-8")
    r = run("info", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == ("error: index/manifest.json has a bad 'files': expected the sha256 of each data file, got []; "
                        "run `rag build` to rebuild it\n")


def test_an_undecodable_line_in_an_interactive_session_is_an_error_and_the_session_goes_on():
    questions = "编辑是谁？\n".encode() + b"\xff\xfe bad \xc3\n" + "a \udc80 b\n".encode("utf-8", "surrogateescape") \
        + "编辑是谁？\n".encode()
    r = subprocess.run([*RAG, "ask"], cwd=REPO, input=questions, capture_output=True, timeout=300)
    assert r.returncode == 0
    errors = [line for line in r.stderr.decode().splitlines() if line.startswith("error:")]
    assert errors == ["error: line 2 is not valid utf-8 (byte 0xff at 0); type it again",
                      "error: line 3 is not valid utf-8 (byte 0x80 at 2); type it again"]
    assert r.stdout.decode().count("编辑:大风 [1]") == 2


def test_file_names_with_a_newline_are_quoted_in_one_line_messages(tmp_path):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "新\n闻.txt").write_text(TINY, encoding="utf-8")
    (tmp_path / "seeds" / "图\n片.txt").write_bytes(b"\x89PNG\x00\x00")
    r = run("build", cwd=tmp_path)
    assert r.returncode == 0
    assert r.stderr.splitlines() == ["skipped '图\\n片.txt': binary file (contains NUL bytes)"]
    r = run("ask", "小明在哪所大学读书？", cwd=tmp_path)
    assert r.stdout.splitlines()[2].startswith("  [1] '新\\n闻.txt':0-10  score")
