import json
import shutil

import numpy as np
import pytest

import rag
from rag.chunking import ChunkingConfig
from rag.index.store import read_index

from conftest import REPO, TINY


def copy_index(tiny_index, tmp_path):
    shutil.copytree(tiny_index.parent / "seeds", tmp_path / "seeds")
    shutil.copytree(tiny_index, tmp_path / "index")
    return tmp_path / "index"


def test_manifest_records_what_was_built(tiny_index):
    manifest = json.loads((tiny_index / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format_version"] == 3
    assert manifest["embedder"] == {"name": "use-multilingual-v3", "dimension": 512}
    assert manifest["chunking"] == {"sentences": 5, "overlap": 1, "max_chars": 400}
    assert manifest["counts"] == {"documents": 1, "sentences": 3, "chunks": 1}
    import hashlib
    assert manifest["sources"][0]["sha256"] == hashlib.sha256(TINY.encode()).hexdigest()
    assert {"jieba", "faiss-cpu", "numpy", "python"} <= set(manifest["libraries"])
    assert manifest["seeds"] == "../seeds"
    rows = [json.loads(line) for line in (tiny_index / "sentences.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows[0]["text"] == "小明在北京大学读书。" and (rows[0]["start"], rows[0]["end"]) == (0, 10)


def test_faiss_search_equals_brute_force():
    stored = read_index(REPO / "index")
    vectors = stored.chunk_vectors.reconstruct_n(0, stored.chunk_vectors.ntotal)
    rng = np.random.default_rng(0)
    for query in rng.normal(size=(5, vectors.shape[1])).astype(np.float32):
        query /= np.linalg.norm(query)
        sims, ids = stored.chunk_vectors.search(query[None, :], 10)
        brute = vectors @ query
        assert list(ids[0]) == list(np.argsort(-brute)[:10])
        assert np.allclose(sims[0], np.sort(brute)[::-1][:10], atol=1e-5)


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "chunks.faiss").unlink(), r"index file .*chunks.faiss is missing; run `rag build`"),
    (lambda d: (d / "chunks.jsonl").write_text("garbage\n"), r"chunks.jsonl is damaged .*; run `rag build`"),
    (lambda d: (d / "manifest.json").write_text("{"), r"manifest.json is not valid JSON .*; run `rag build`"),
    (lambda d: shutil.rmtree(d), r"no index at .*; run `rag build`"),
])
def test_damaged_index_is_refused_with_the_fix(tiny_index, tmp_path, damage, message):
    index = copy_index(tiny_index, tmp_path)
    damage(index)
    with pytest.raises(rag.IndexLoadError, match=message):
        rag.load(index)


def test_other_format_version_is_refused(tiny_index, tmp_path):
    index = copy_index(tiny_index, tmp_path)
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 99
    (index / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(rag.IndexLoadError, match="format version 99, this program reads 3; run `rag build`"):
        rag.load(index)


def test_changed_seeds_are_detected(tiny_index, tmp_path):
    index = copy_index(tiny_index, tmp_path)
    (tmp_path / "seeds" / "tiny.txt").write_text(TINY + "新的一句。", encoding="utf-8")
    (tmp_path / "seeds" / "more.md").write_text("另一个文件。", encoding="utf-8")
    with pytest.raises(rag.IndexStaleError, match=r"seeds changed since the index was built \(added more.md; changed tiny.txt\); run `rag build`"):
        rag.load(index)
    assert rag.load(index, check_seeds=False).info.sentences == 3


def test_interrupted_build_keeps_the_old_index_and_the_next_build_resumes(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text("第一句话。", encoding="utf-8")
    rag.build(seeds, tmp_path / "index")
    before = (tmp_path / "index" / "manifest.json").read_bytes()

    # 150 new sentences: more than two batches of 64, so the interruption comes after one batch is saved.
    (seeds / "a.txt").write_text("".join(f"第{i}号句子讲的是编号{i}的事情。" for i in range(150)), encoding="utf-8")

    def interrupt(message):
        if message.startswith("embedded 64/"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rag.build(seeds, tmp_path / "index", progress=interrupt)
    assert (tmp_path / "index" / "manifest.json").read_bytes() == before
    assert rag.load(tmp_path / "index", check_seeds=False).info.sentences == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index", "index.cache", "seeds"]  # no half-built folder left

    report = rag.build(seeds, tmp_path / "index")
    assert report.sentences == 150 and report.reused >= 64
    assert rag.load(tmp_path / "index").info.sentences == 150


def test_failed_build_keeps_the_old_index(tiny_index, tmp_path):
    index = copy_index(tiny_index, tmp_path)
    before = {p.name: p.read_bytes() for p in index.iterdir()}
    with pytest.raises(rag.SeedsError):
        rag.build(tmp_path / "empty-seeds", index)
    with pytest.raises(rag.ModelError):
        rag.build(tmp_path / "seeds", index, model=str(tmp_path / "no-such-model"))
    assert {p.name: p.read_bytes() for p in index.iterdir()} == before


def test_bad_chunking_is_refused():
    with pytest.raises(ValueError, match="need sentences >= 1, 0 <= overlap < sentences"):
        ChunkingConfig(sentences=2, overlap=2)
