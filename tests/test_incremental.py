"""An index that updates file by file: unchanged files keep their records, and the result is the index a
full build makes. `rag add` and `rag remove` as a user runs them."""
import json
import subprocess
import sys

import numpy as np
import pytest

import rag
from rag.index.store import HASHED_FILES, read_index

from conftest import TINY, build_index
from documents import article_sections

QUESTIONS = ["文章开头提到了哪个城市的天气？", "Anthropic 在企业 LLM API 市场的份额是多少？", "Palantir 去年有多少收入来自政府合同？",
             "Claude 单日下载量较前一周增长了多少？", "小明在哪所大学读书？", "星河科技的总部在哪里？", "What is Anthropic's valuation?"]


def _parts() -> list[str]:
    return ["\n".join(section) + "\n" for section in article_sections()]


def _answers(engine) -> list[dict]:
    out = []
    for q in QUESTIONS:
        a = engine.ask(q)
        out.append({"text": a.text, "citations": [(c.source, c.quote, c.start, c.end, c.page, round(c.score, 3))
                                                  for c in a.citations]})
    return out


def test_an_update_reads_only_what_changed_and_equals_a_full_build(tmp_path):
    parts = _parts()
    index = build_index(tmp_path, {"part0.txt": parts[0], "part1.txt": parts[1], "part2.txt": parts[2], "old.txt": TINY})
    seeds = tmp_path / "seeds"
    (seeds / "part3.md").write_text(parts[3], encoding="utf-8")  # added
    (seeds / "part1.txt").write_text(parts[1] + "星河科技成立于 2012 年，总部位于杭州。\n", encoding="utf-8")  # changed
    (seeds / "old.txt").unlink()  # removed
    (seeds / "empty.txt").write_text(" \n", encoding="utf-8")  # skipped, as in a full build
    update = rag.build(seeds, index)
    assert (update.documents, update.read) == (4, 2)  # part1 and part3 read; part0 and part2 kept
    assert [s.source for s in update.skipped] == ["empty.txt"]

    full = rag.build(seeds, tmp_path / "full", full=True)
    assert full.read == 4 and full.embedded > 0  # its own, empty embedding cache: every vector made afresh
    for name in HASHED_FILES:  # records, terms, words, glossary, BM25 tables, sentence facts: byte for byte
        assert (index / name).read_bytes() == (tmp_path / "full" / name).read_bytes(), name
    updated, rebuilt = read_index(index), read_index(tmp_path / "full")
    assert updated.manifest["sources"] == rebuilt.manifest["sources"]
    assert np.allclose(updated.sentence_vectors, rebuilt.sentence_vectors, atol=1e-5)
    assert np.allclose(updated.chunk_vectors, rebuilt.chunk_vectors, atol=1e-5)
    assert _answers(rag.load(index)) == _answers(rag.load(tmp_path / "full"))
    assert "小明" not in "".join(rag.load(index).document_text(s) for s in rag.load(index).info.documents)


def test_a_build_with_nothing_changed_reads_nothing(tiny_index, tmp_path):
    import shutil

    shutil.copytree(tiny_index.parent / "seeds", tmp_path / "seeds")
    shutil.copytree(tiny_index, tmp_path / "index")
    report = rag.build(tmp_path / "seeds", tmp_path / "index")
    assert (report.read, report.embedded, report.documents) == (0, 0, 1)
    assert rag.load(tmp_path / "index").ask("小明在哪所大学读书？").citations[0].quote == "小明在北京大学读书。"


def test_another_chunking_is_a_full_build(tiny_index, tmp_path):
    import shutil

    from rag.chunking import ChunkingConfig

    shutil.copytree(tiny_index.parent / "seeds", tmp_path / "seeds")
    shutil.copytree(tiny_index, tmp_path / "index")
    report = rag.build(tmp_path / "seeds", tmp_path / "index", chunking=ChunkingConfig(sentences=2, overlap=0))
    assert (report.read, report.chunks) == (1, 2)


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_an_index_whose_manifest_does_not_count_sentences_is_rebuilt_in_full(tmp_path):
    """Written before the manifest counted each document's sentences and chunks (which an update needs to find
    a document's lines without parsing them): the first update reads every file again, and then updates."""
    index = build_index(tmp_path, {"tiny.txt": TINY, "part0.txt": _parts()[0]})
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    for row in manifest["sources"]:
        del row["sentences"], row["chunks"]
    (index / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (tmp_path / "seeds" / "report.txt").write_text("星河科技成立于 2012 年，总部位于杭州。\n", encoding="utf-8")
    assert rag.build(tmp_path / "seeds", index).read == 3
    (tmp_path / "seeds" / "report.txt").unlink()
    assert rag.build(tmp_path / "seeds", index).read == 0
    assert rag.load(index).ask("小明在哪所大学读书？").citations[0].quote == "小明在北京大学读书。"


def test_rag_add_and_remove_from_the_command_line(tmp_path):
    build_index(tmp_path, {"tiny.txt": TINY})
    outside = tmp_path / "inbox"
    outside.mkdir()
    (outside / "report.txt").write_text("星河科技成立于 2012 年，总部位于杭州。\n", encoding="utf-8")

    r = run("add", str(outside / "report.txt"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("built index: 2 documents (1 read, 1 unchanged)")
    assert (tmp_path / "seeds" / "report.txt").is_file()
    asked = run("ask", "--json", "星河科技的总部在哪里？", cwd=tmp_path)
    assert json.loads(asked.stdout)["citations"][0]["source"] == "report.txt"

    r = run("remove", "report.txt", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("built index: 1 documents (0 read, 1 unchanged)")
    assert not (tmp_path / "seeds" / "report.txt").exists()
    asked = run("ask", "--json", "星河科技的总部在哪里？", cwd=tmp_path)
    assert json.loads(asked.stdout)["answerable"] is False


@pytest.mark.parametrize("args, message", [
    (("remove", "nope.txt"), "error: no document 'nope.txt' in '{seeds}'; known: tiny.txt"),
    (("remove", "tiny.txt"), "error: that would remove every document; an index needs at least one, so add another first"),
    (("add", "missing.pdf"), "error: 'missing.pdf' is not a file; give the path of a document to add"),
    (("add", "seeds/../notes.odt"), "error: 'seeds/../notes.odt' is not a kind of document rag reads; "
                                    "use .txt, .md, .pdf, .docx, .html, .htm"),
])
def test_add_and_remove_refuse_with_one_line(tmp_path, args, message):
    build_index(tmp_path, {"tiny.txt": TINY})
    (tmp_path / "notes.odt").write_bytes(b"PK")
    before = (tmp_path / "index" / "manifest.json").read_bytes()
    r = run(*args, cwd=tmp_path)
    assert (r.returncode, r.stderr.strip()) == (2, message.format(seeds=tmp_path / "seeds"))
    assert (tmp_path / "index" / "manifest.json").read_bytes() == before
