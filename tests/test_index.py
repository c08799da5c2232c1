import json
import os
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest

import rag
from rag.chunking import ChunkingConfig
from rag.index.store import read_index, remove_leftovers
from rag.retrieval.dense import VectorSearch

from conftest import REPO, TINY


def copy_index(tiny_index, tmp_path):
    shutil.copytree(tiny_index.parent / "seeds", tmp_path / "seeds")
    shutil.copytree(tiny_index, tmp_path / "index")
    return tmp_path / "index"


def test_manifest_records_what_was_built(tiny_index):
    manifest = json.loads((tiny_index / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format_version"] == 8
    assert manifest["embedder"] == {"name": "use-multilingual-v3", "dimension": 512}
    assert manifest["chunking"] == {"sentences": 5, "overlap": 1, "max_chars": 400}
    assert manifest["counts"] == {"documents": 1, "sentences": 3, "chunks": 1}
    import hashlib
    assert manifest["sources"][0]["sha256"] == hashlib.sha256(TINY.encode()).hexdigest()
    assert {"jieba", "faiss-cpu", "numpy", "python"} <= set(manifest["libraries"])
    assert manifest["seeds"] == "../seeds"
    rows = [json.loads(line) for line in (tiny_index / "sentences.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows[0]["text"] == "小明在北京大学读书。" and (rows[0]["start"], rows[0]["end"]) == (0, 10)


def test_a_chunk_vector_is_the_normalised_sum_of_its_sentence_vectors():
    stored = read_index(REPO / "index")
    for chunk, vector in zip(stored.chunks, stored.chunk_vectors):
        total = np.asarray(stored.sentence_vectors[list(chunk.sentence_ids)]).sum(axis=0)
        assert np.allclose(vector, total / np.linalg.norm(total), atol=1e-6)
    assert len(stored.chunks) == 25 and len(stored.chunks[0].sentence_ids) == 5


def test_vector_search_equals_brute_force():
    stored = read_index(REPO / "index")
    vectors = np.array(stored.chunk_vectors)
    search = VectorSearch(stored.chunk_vectors)
    in_faiss = VectorSearch(index=stored.chunk_index)  # how the engine searches the chunks
    rng = np.random.default_rng(0)
    for query in rng.normal(size=(5, vectors.shape[1])).astype(np.float32):
        query /= np.linalg.norm(query)
        brute = vectors @ query
        for way in (search, in_faiss):
            sims, ids = way.search(query, 10)
            assert list(ids) == list(np.argsort(-brute)[:10])
            assert np.allclose(sims, np.sort(brute)[::-1][:10], atol=1e-5)
        assert np.allclose(search.scores(query, np.array([3, 1])), brute[[3, 1]], atol=1e-6)


def test_8_bit_shortlist_gives_the_flat_search_exactly():
    """The shortlist from the 8-bit copy, on the article's sentences with exact duplicates (ties) and copies moved
    by less than its error bound (near ties): the same scores and ids as FAISS's flat search, over rows searched
    in place and in a flat index (as the chunks are). From k = 100, FAISS leaves tied rows in no set order: the
    same rows and scores."""
    import faiss

    vectors = np.array(read_index(REPO / "index").sentence_vectors)
    rng = np.random.default_rng(0)
    moved = vectors + rng.normal(scale=1e-5, size=vectors.shape).astype(np.float32)
    rows = np.concatenate([vectors, vectors, moved / np.linalg.norm(moved, axis=1, keepdims=True)] * 4)
    rows = np.ascontiguousarray(rows[rng.permutation(len(rows))], dtype=np.float32)
    flat = faiss.IndexFlatIP(rows.shape[1])
    flat.add(rows)
    queries = np.concatenate([vectors[:20], rng.normal(size=(10, vectors.shape[1])).astype(np.float32)])
    for search in (VectorSearch(rows, shortlist_from=0), VectorSearch(index=flat, shortlist_from=0)):
        assert search.shortlist_ready(timeout=60)
        shortlisted = {k: 0 for k in (1, 10, 60, 99, 100, 120)}
        for query in queries / np.linalg.norm(queries, axis=1, keepdims=True):
            for k in shortlisted:
                flat_sims, flat_ids = faiss.knn(query[None], rows, k, metric=faiss.METRIC_INNER_PRODUCT)
                sims, ids = search.search(query, k)
                assert np.array_equal(sims, flat_sims[0])
                if k < 100:
                    assert np.array_equal(ids, flat_ids[0])
                else:
                    assert sorted(zip(-sims, ids)) == sorted(zip(-flat_sims[0], flat_ids[0]))
                shortlisted[k] += search._shortlisted(query[None], k) is not None
        # of 30 queries each: the shortlist answered, not the flat search behind it
        assert min(shortlisted.values()) >= 15, shortlisted
    assert not VectorSearch(vectors).shortlist_ready()  # a small index is searched flat


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "chunks.faiss").unlink(), r"index file .*chunks.faiss is missing; run `rag build`"),
    (lambda d: (d / "sentences.npy").write_bytes((d / "sentences.npy").read_bytes()[:-4]),
     r"sentences.npy is damaged \(its size differs from the manifest\); run `rag build`"),
    (lambda d: (d / "bm25.sentences.tfs.npy").write_bytes((d / "bm25.sentences.tfs.npy").read_bytes()[:-1] + b"\x01"),
     r"bm25.sentences.tfs.npy is damaged \(its sha256 differs from the manifest\); run `rag build`"),
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
    with pytest.raises(rag.IndexLoadError, match="format version 99, this program reads 8; run `rag build`"):
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


@pytest.mark.parametrize("key, value, message", [
    ("seeds", None, "has a bad 'seeds': expected the path of the seeds folder, as text, got nothing"),
    ("embedder", "use", "has a bad 'embedder': expected {name: text, dimension: whole number}, got 'use'"),
    ("embedder", {"name": "use-multilingual-v3", "dimension": "512"}, "has a bad 'embedder'"),
    ("sources", None, "has a bad 'sources': expected a list of {source, sha256, encoding or skipped}, got nothing"),
    ("sources", [{"source": "tiny.txt"}], "has a bad 'sources'"),
    ("files", [], "has a bad 'files': expected the sha256 of each data file, got []"),
    ("chunking", {"sentences": "5", "overlap": 1, "max_chars": 400}, "has a bad 'chunking'"),
    ("chunking", {"sentences": 5, "overlap": 9, "max_chars": 400}, "has a bad 'chunking'"),
    ("built_at", 5, "has a bad 'built_at': expected text, got 5"),
])
def test_a_manifest_with_a_missing_or_mistyped_key_is_refused_in_one_line(tiny_index, tmp_path, key, value, message):
    index = copy_index(tiny_index, tmp_path)
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    if value is None:
        del manifest[key]
    else:
        manifest[key] = value
    (index / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(rag.IndexLoadError) as e:
        rag.load(index)
    assert message in str(e.value) and str(e.value).endswith("; run `rag build` to rebuild it")
    assert "\n" not in str(e.value)


# Kills a swap at its n-th file operation: argv = index folder, folder of the new index, n.
KILL_AT_STEP = """
import os, shutil, signal, sys
from pathlib import Path
import rag.index.store as store

index, new, kill_at = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
built = store.new_build_folder(index)
for f in new.iterdir():
    shutil.copy(f, built)
steps = 0

def step(operation):
    def counted(*args, **kwargs):
        global steps
        steps += 1
        if steps == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return operation(*args, **kwargs)
    return counted

if hasattr(store, "_exchange"):  # renameat2, where it is used
    store._exchange = step(store._exchange)
os.rename, os.unlink, os.rmdir = step(os.rename), step(os.unlink), step(os.rmdir)
store.swap_in(built, index)
print("swapped after", steps, "steps")
"""


def test_a_swap_killed_at_any_step_leaves_a_complete_index_and_the_next_build_cleans_up(tiny_index, tmp_path):
    old, new = tiny_index, REPO / "index"
    (tmp_path / "seeds").mkdir()
    index, not_removed = tmp_path / "index", []
    files = len(list(old.iterdir()))
    for kill_at in range(1, files + 5):
        shutil.rmtree(index, ignore_errors=True)
        shutil.copytree(old, index)
        child = subprocess.run([sys.executable, "-c", KILL_AT_STEP, str(index), str(new), str(kill_at)],
                               capture_output=True, text=True, timeout=120)
        read_index(index, check_seeds=False)  # always whole: checks every file against the manifest
        expected = old if kill_at == 1 else new  # killed before the exchange, or after it
        assert (index / "manifest.json").read_bytes() == (expected / "manifest.json").read_bytes()
        if child.returncode == 0:
            assert child.stdout.startswith("swapped after")
            break
        assert child.returncode == -signal.SIGKILL
        assert [p.name.startswith(".index.building-") for p in tmp_path.glob(".index.*")] == [True]
        remove_leftovers(index)  # what the next build does first
        not_removed += [p.name for p in tmp_path.iterdir() if p.name not in ("index", "seeds")]
    else:
        pytest.fail("the swap never finished")
    assert not_removed == []
    assert kill_at == 1 + 1 + files + 1  # killed at the exchange, at each file of the old copy and its folder


def test_leftovers_of_live_builds_are_kept(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead, alive = int(gone.stdout), os.getpid()
    for name in (f".index.old-{dead}", f".index.building-{dead}-abc123", f".index.building-{alive}-def456",
                 f".index.old-{alive}", ".index.cache", ".other.old-1"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "file").write_text("x")
    remove_leftovers(tmp_path / "index")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f".index.building-{alive}-def456", ".index.cache", f".index.old-{alive}", ".other.old-1"]


def test_a_large_index_searches_approximately_reads_records_on_demand_and_answers_the_same(tmp_path, monkeypatch):
    """From ANN_FROM sentences on, the build adds inverted-file indexes of the vectors and the arrays that let a
    load skip the records; on the article (its 8 sentence lists, all probed: the search is exact) the searches
    give what the flat ones give and the answers quote the same sentences (the candidates by BM25 are taken
    among the sentences with a score, so ties at the 30th may differ: the confidence may move a little), and a
    damaged inverted file is refused with the fix."""
    import shutil

    from rag.index import store

    seeds = tmp_path / "seeds"
    shutil.copytree(REPO / "seeds", seeds)
    rag.build(seeds, tmp_path / "small")
    monkeypatch.setattr(store, "ANN_FROM", 1)
    rag.build(seeds, tmp_path / "large")
    large = read_index(tmp_path / "large")
    assert isinstance(large.sentences, store.Lines) and large.chunk_index is None
    assert large.chunk_ann.nlist == 4 and not (tmp_path / "large" / "sentences.ivf.faiss").exists()
    small_engine, large_engine = rag.load(tmp_path / "small"), rag.load(tmp_path / "large")
    assert list(large.sentences) == small_engine._stored.sentences and list(large.chunks) == small_engine._stored.chunks
    assert np.array_equal(large_engine._chunk_of, small_engine._chunk_of)
    vector = small_engine._embedder.embed_query("OpenAI 的估值")
    got, want = large_engine._chunk_search.search(vector, 20), small_engine._chunk_search.search(vector, 20)
    assert list(got[1]) == list(want[1]) and np.allclose(got[0], want[0], atol=1e-6)
    for question in ("OpenAI 最新融资轮的估值是多少？", "Anthropic 的年化收入是多少？", "谁是 OpenAI 的 CEO？", "今天天气怎么样？"):
        got, want = large_engine.ask(question), small_engine.ask(question)
        assert got.answerable == want.answerable and abs(got.confidence - want.confidence) < 0.01, question
        assert [(c.start, c.end, c.quote) for c in got.citations] == [(c.start, c.end, c.quote) for c in want.citations]
    (tmp_path / "large" / "chunks.ivf.faiss").write_bytes(b"broken")
    with pytest.raises(rag.IndexLoadError, match=r"chunks.ivf.faiss is missing or damaged|chunks.ivf.faiss is damaged"):
        rag.load(tmp_path / "large")
