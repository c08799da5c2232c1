"""What the large-corpus work may not change: `Engine.analyse` (candidates, their features and scores) must be what
it was when every table was rebuilt at load from the stored terms and every question scored all sentences.

The dense candidates are the one change since: the 30 sentences nearest the question among those of its 20
nearest chunks (before: of all sentences), which the reference does too. The reference below is that older
engine, kept small: BM25 from Python postings, sentence facts computed from the
texts, a cosine for every sentence, FAISS flat over chunks. It runs on a slice of CMRC 2018 (real Wikipedia
articles) with the same stored records and vectors as the engine under test.
"""
import json
import math
import re
import sys
from collections import Counter

import faiss
import numpy as np
import pytest

import rag
from rag.engine import Engine
from rag.answering.features import CANDIDATE_FEATURES, DEFINITION_MARKS, candidate_features, corpus_facts, question_view
from rag.index.store import read_index
from rag.retrieval import dense
from rag.retrieval.fusion import reciprocal_rank_fusion
from rag.retrieval.numbers import number_value
from rag.retrieval.query import make_query, question_terms
from rag.tokens import squash, to_simplified, tokenize

from conftest import REPO, build_index

sys.path.insert(0, str(REPO / "benchmarks"))
import train  # noqa: E402

CMRC = REPO.parent / "shared" / "qa" / "cmrc2018_trial.json"
ARTICLES = 20


class ReferenceBM25:
    def __init__(self, documents, k1=1.2, b=0.75):
        self.k1, self.b, self.size = k1, b, len(documents)
        lengths = np.array([len(d) for d in documents], dtype=np.float32)
        self.norm = k1 * (1 - b + b * lengths / max(float(lengths.mean()), 1.0))
        postings = {}
        for i, terms in enumerate(documents):
            for term, tf in Counter(terms).items():
                postings.setdefault(term, ([], []))
                postings[term][0].append(i)
                postings[term][1].append(tf)
        self.postings = {t: (np.array(ids), np.array(tfs, dtype=np.float32)) for t, (ids, tfs) in postings.items()}

    def df(self, term):
        return len(self.postings[term][0]) if term in self.postings else 0

    def idf(self, term):
        return math.log(1 + (self.size - self.df(term) + 0.5) / (self.df(term) + 0.5))

    def scores(self, terms):
        out = np.zeros(self.size, dtype=np.float32)
        for term in sorted(set(terms)):
            if term in self.postings:
                ids, tfs = self.postings[term]
                out[ids] += self.idf(term) * tfs * (self.k1 + 1) / (tfs + self.norm[ids])
        return out


def ranks(scores, keep):
    """Rank of each item (0 = best) by descending score; items with keep False get rank infinity."""
    order = np.argsort(-scores, kind="stable")
    out = np.empty(len(scores), dtype=np.float64)
    out[order] = np.arange(len(scores))
    out[~keep] = np.inf
    return out


def top(values, k):
    if len(values) <= k:
        return np.argsort(-values, kind="stable")
    part = np.argpartition(-values, k)[:k]
    return part[np.argsort(-values[part], kind="stable")]


def found_in(concept, text, own=""):
    """A concept with `in_sentence` forms (the 钱 of "多少钱") is found only by them, in the candidate's own text
    `own` (for it and its window); any other by its alternatives in `text`."""
    if concept.in_sentence:
        return any(a in own for a in concept.in_sentence)
    return any(a in text for a in concept.alternatives)


def coverage(concepts, text, own=""):
    total = sum(c.weight for c in concepts)
    if total == 0:
        return 1.0
    return sum(c.weight for c in concepts if found_in(c, text, own)) / total


def bigrams(text):
    units = re.findall(r"[\u3400-\u9fff]|[a-z0-9]+", text)
    return {a + b for a, b in zip(units, units[1:])} | {u for u in units if len(u) > 1}


TEXT_FEATURES = ("cover", "cover_window", "cover_previous", "cover_next", "cover_title", "rest", "rest_window",
                 "rest_previous", "rest_next", "bigram", "bigram_window", "novelty", "names_missing", "defines")


def text_features(corpus, view, query, candidates):
    """The features that match the question's words in the texts, computed per candidate as they were before
    they were computed for all candidates at once: the model was trained on these very values."""
    sq, concepts, rows = corpus.squashed, query.concepts, []
    for i in candidates.tolist():
        before = sq[i - 1] if i > corpus.first[i] else ""
        after = sq[i + 1] if i < corpus.last[i] else ""
        text, window = sq[i], before + sq[i] + after
        first, heading = int(corpus.first[i]), int(corpus.heading_of[i])
        title = sq[first] if corpus.title[first] else ""
        heading_text = sq[heading] if heading >= 0 else ""
        others = tuple(c for c in concepts if not found_in(c, title))
        rest = ([coverage(others, text, text), coverage(others, window, text), coverage(others, before),
                 coverage(others, after)] if others else [0.0] * 4)
        share = lambda t: sum(1 for g in view.bigrams if g in t) / len(view.bigrams) if view.bigrams else 0.0
        own = bigrams(text)
        rows.append([coverage(concepts, text, text), coverage(concepts, window, text),
                     coverage(concepts, before) if before else 0.0, coverage(concepts, after) if after else 0.0,
                     coverage(concepts, title + heading_text), *rest, share(text), share(window),
                     sum(1 for g in own if g not in view.squashed) / len(own) if own else 0.0,
                     float(any(name not in before + text + heading_text + title for name in view.names)),
                     float(bool(view.defines) and any(view.defines + m in text for m in DEFINITION_MARKS))])
    return np.array(rows, dtype=np.float64).reshape(len(candidates), len(TEXT_FEATURES))


class ReferenceEngine:
    """Engine.analyse as it was in index format 3, over the records of a built index."""

    def __init__(self, stored, embedder):
        terms = stored.read_terms()
        self.stored, self.embedder = stored, embedder
        self.sentence_bm25 = ReferenceBM25(terms, k1=0.5)
        self.chunk_bm25 = ReferenceBM25([[t for i in c.sentence_ids for t in terms[i]] for c in stored.chunks])
        self.corpus = corpus_facts(stored.sentences, stored.documents)
        documents = {}
        for i, tokens in enumerate(terms):
            documents.setdefault(int(self.corpus.document[i]), []).extend(tokens)
        self.document_bm25 = ReferenceBM25([documents[d] for d in range(len(documents))])
        self.quotable = np.array([s.quotable for s in stored.sentences], dtype=bool)
        self.vectors = np.array(stored.sentence_vectors)
        self.chunk_index = faiss.IndexFlatIP(self.vectors.shape[1])
        self.chunk_index.add(np.array(stored.chunk_vectors))

    def analyse(self, q, exclude_source=None):
        bm25 = self.sentence_bm25
        # a number in words finds the index's number terms of its values, searched here one by one
        def numbers(low, high, percent):
            found = sorted((t for t in bm25.postings if (v := number_value(t)) and v[0] == percent
                            and low * (1 - 1e-9) <= v[1] <= high * (1 + 1e-9)), key=lambda t: (number_value(t)[1], t))
            return found if len(found) <= 50 else []
        query = make_query(question_terms(q.search_text), bm25.idf, lambda t: bm25.df(t) > 0, self.stored.glossary,
                           q.about_document, tokenize, numbers, chinese=q.language != "en")
        terms = list(query.terms)
        lexical, chunk_lexical = bm25.scores(terms), self.chunk_bm25.scores(terms)
        document_scores = self.document_bm25.scores(terms)
        vector = self.embedder.embed_query(to_simplified(q.search_text))
        cosine = self.vectors @ vector
        chunks = self.stored.chunks
        chunk_dense = np.full(len(chunks), -np.inf, dtype=np.float32)
        sims, ids = self.chunk_index.search(vector[None, :].astype(np.float32), min(len(chunks), 100))
        chunk_dense[ids[0]] = sims[0]
        allowed, excluded = self.quotable, None
        if exclude_source is not None:
            excluded = list(self.stored.documents).index(exclude_source)
            left_out = self.corpus.document == excluded
            allowed = allowed & ~left_out
            lexical, cosine = np.where(left_out, 0.0, lexical), np.where(left_out, -1.0, cosine)
            document_scores = document_scores.copy()
            document_scores[excluded] = 0.0
            chunk_left_out = left_out[[c.sentence_ids[0] for c in chunks]]
            chunk_lexical = np.where(chunk_left_out, 0.0, chunk_lexical)
            chunk_dense = np.where(chunk_left_out, -np.inf, chunk_dense)
        fused = reciprocal_rank_fusion(ranks(chunk_lexical, chunk_lexical > 0), ranks(chunk_dense, np.isfinite(chunk_dense)))
        chunk_order = np.argsort(-fused, kind="stable")
        ids = {}
        masked = np.where(allowed, lexical, 0.0)
        by_lexical = top(masked, 30)
        by_lexical = by_lexical[masked[by_lexical] > 0]
        ids.update(dict.fromkeys(int(i) for i in by_lexical))
        # by embedding: the 30 best sentences of the 20 nearest chunks (the engine's _nearest_sentences)
        nearest_chunks = [int(c) for c in np.argsort(-chunk_dense, kind="stable")[:20] if np.isfinite(chunk_dense[c])]
        near = np.zeros(len(cosine), dtype=bool)
        near[[i for c in nearest_chunks for i in range(chunks[c].sentence_ids[0], chunks[c].sentence_ids[-1] + 1)]] = True
        near &= allowed
        ids.update(dict.fromkeys([int(i) for i in np.lexsort((np.arange(len(cosine)), -cosine)) if near[i]][:30]))
        for c in chunk_order[:5]:
            ids.update(dict.fromkeys(chunks[int(c)].sentence_ids))
        for i in by_lexical[:10]:
            ids.update(dict.fromkeys(j for j in (int(i) - 1, int(i) + 1) if self.corpus.first[i] <= j <= self.corpus.last[i]))
        candidates = np.array(sorted(ids), dtype=np.int64)
        candidates = candidates[allowed[candidates]]
        concept_documents = []
        for concept in query.concepts:
            postings = [bm25.postings[a][0] for a in concept.alternatives if a in bm25.postings]
            found = np.unique(self.corpus.document[np.concatenate(postings)]) if postings else np.zeros(0, np.int64)
            concept_documents.append(found[found != excluded] if excluded is not None else found)
        total = sum(c.weight for c in query.concepts)
        cover = np.zeros(len(candidates))
        for concept, holding in zip(query.concepts, concept_documents):
            cover += concept.weight * np.isin(self.corpus.document[candidates], holding)
        cover = cover / total if total else cover
        view = question_view(q, query, squash(q.search_text), len(self.stored.sentences))
        features = candidate_features(self.corpus, view, query, candidates, lexical[candidates], cosine[candidates],
                                      document_scores, cover)
        findable = sum(c.weight for c, d in zip(query.concepts, concept_documents) if len(d)) / total if total else 0.0
        return query, candidates, features, lexical[candidates].astype(np.float64), findable, chunk_order


@pytest.fixture(scope="module")
def cmrc_slice(tmp_path_factory):
    articles = json.loads(CMRC.read_text(encoding="utf-8"))["data"][:ARTICLES]
    index = build_index(tmp_path_factory.mktemp("cmrc-slice"), {train.seed_name(a): train.layout(a)[0] for a in articles})
    return articles, rag.load(index)


@pytest.mark.parametrize("shortlisted", [False, True])
def test_analyse_gives_what_the_format_3_engine_gave_on_real_articles(cmrc_slice, shortlisted, monkeypatch):
    """Also with both searches through their 8-bit shortlist (used from 5,000 rows: the slice has fewer)."""
    articles, engine = cmrc_slice
    if shortlisted:
        monkeypatch.setattr(dense, "SHORTLIST_FROM", 0)
        engine = Engine(engine._stored, engine._embedder)
        assert engine._chunk_search.shortlist_ready(timeout=60)
    reference = ReferenceEngine(engine._stored, engine._embedder)
    asked = [(q["question"], None) for a in articles for p in a["paragraphs"] for q in p["qas"]]
    asked += [(q, train.seed_name(a)) for a in articles[:5] for q in [a["paragraphs"][0]["qas"][0]["question"]]]
    asked += [("a", None), ("What is the population?", None), ("2009年发生了什么？", None),
              ("有一百多个什么？", None), ("百分之十的人住在哪里？", None), ("二〇〇九年发生了什么？", None),
              ("建这座建筑花了多少钱？", None)]
    assert len(asked) > 80
    for text, left_out in asked:
        q = engine._read(text)
        got = engine.analyse(q, exclude_source=left_out)
        query, candidates, features, raw_bm25, findable, chunk_order = reference.analyse(q, exclude_source=left_out)
        assert got.query == query, text
        assert np.array_equal(got.candidates, candidates), text
        assert np.allclose(got.features, features, atol=1e-5), text
        assert np.allclose(got.raw_bm25, raw_bm25, atol=1e-5), text
        assert got.findable == pytest.approx(findable, abs=1e-9), text
        assert np.array_equal(got.chunk_order, chunk_order), text
        columns = [CANDIDATE_FEATURES.index(name) for name in TEXT_FEATURES]
        assert np.array_equal(got.features[:, columns], text_features(engine._corpus, got.view, got.query, got.candidates)), text


def test_a_word_across_two_sentences_counts_in_their_window_only(tmp_path):
    """A heading line has no end mark, so a word can run from it into the sentence below ("北京" + "大学…")."""
    engine = rag.load(build_index(tmp_path, {"a.txt": "校园\n\n北京\n大学生活很忙。图书馆很大。\n"}))
    got = engine.analyse(engine._read("北京大学的生活忙吗？"))
    assert "北京大学" in [c.word for c in got.query.concepts]
    row = list(got.candidates).index(next(i for i, s in enumerate(engine._sentences) if s.text == "大学生活很忙。"))
    concepts = got.query.concepts
    in_one = sum(c.weight for c in concepts if any(a in t for a in c.alternatives for t in ("北京", "大学生活很忙。", "图书馆很大。")))
    window = got.features[row, CANDIDATE_FEATURES.index("cover_window")]
    assert window == coverage(concepts, "北京大学生活很忙。图书馆很大。") > in_one / sum(c.weight for c in concepts)
    columns = [CANDIDATE_FEATURES.index(name) for name in TEXT_FEATURES]
    assert np.array_equal(got.features[:, columns], text_features(engine._corpus, got.view, got.query, got.candidates))


def test_an_amount_is_the_money_asked_for_only_where_the_sentence_writes_it(tmp_path):
    """"多少钱" is answered by an amount ("600元"), not by the word 钱: it counts in the sentence that writes one and
    in that sentence's window, not in a neighbour's (the check-up is free; the lunch allowance is what costs), and
    钱 itself counts nowhere (a wallet, 钱包, is no price)."""
    engine = rag.load(build_index(tmp_path, {"a.txt": "员工福利\n\n公司为员工提供午餐补助，每人每月600元。员工每年享有一次免费体检。"
                                                      "员工可用钱包里的饭卡付款。\n"}))
    got = engine.analyse(engine._read("员工体检要花多少钱？"))
    money = next(c for c in got.query.concepts if c.word == "钱")
    assert money.alternatives == ("钱",) and "0元" in money.in_sentence and "美元" not in got.query.terms
    rows = {engine._sentences[i].text: row for row, i in enumerate(got.candidates.tolist())}
    cover, window = (CANDIDATE_FEATURES.index(name) for name in ("cover", "cover_window"))
    weight = {c.word: c.weight for c in got.query.concepts}
    total = sum(weight.values())
    lunch, check_up = got.features[rows["公司为员工提供午餐补助，每人每月600元。"]], got.features[rows["员工每年享有一次免费体检。"]]
    assert lunch[cover] == pytest.approx((weight["员工"] + weight["钱"]) / total)
    assert check_up[window] == pytest.approx((weight["员工"] + weight["体检"]) / total)
    assert got.features[rows["员工可用钱包里的饭卡付款。"]][cover] == pytest.approx(weight["员工"] / total)
    columns = [CANDIDATE_FEATURES.index(name) for name in TEXT_FEATURES]
    assert np.array_equal(got.features[:, columns], text_features(engine._corpus, got.view, got.query, got.candidates))


def test_a_build_in_worker_processes_equals_one_in_this_process(tmp_path, monkeypatch):
    """Large builds read and embed in two spawned processes; the index is the same as one made here."""
    from rag.index import build as build_module
    from rag.index.store import HASHED_FILES

    articles = json.loads(CMRC.read_text(encoding="utf-8"))["data"][:6]
    files = {train.seed_name(a): train.layout(a)[0] for a in articles}
    (tmp_path / "here").mkdir()
    (tmp_path / "workers").mkdir()
    here = build_index(tmp_path / "here", files)
    monkeypatch.setattr(build_module, "PARALLEL_CHARS", 0)
    monkeypatch.setattr(build_module, "WORKERS", 2)
    workers = build_index(tmp_path / "workers", files)
    for name in HASHED_FILES:
        assert (here / name).read_bytes() == (workers / name).read_bytes(), name
    assert np.allclose(np.load(here / "sentences.npy"), np.load(workers / "sentences.npy"), atol=1e-5)
    chunks_here, chunks_workers = (read_index(folder).chunk_vectors for folder in (here, workers))
    assert np.allclose(chunks_here, chunks_workers, atol=1e-5)


def test_a_script_without_a_main_guard_builds_with_worker_processes_and_runs_once(tmp_path):
    """Spawned processes run the calling program's file again unless told otherwise: a script calling
    `rag.build` at its top level (as ../shared/tools/open_qa.py does) must not build again in each worker."""
    import subprocess

    articles = json.loads(CMRC.read_text(encoding="utf-8"))["data"][:3]
    seeds, index, runs = tmp_path / "seeds", tmp_path / "index", tmp_path / "runs.txt"
    seeds.mkdir()
    for article in articles[:2]:
        (seeds / train.seed_name(article)).write_text(train.layout(article)[0], encoding="utf-8")
    script = tmp_path / "no_guard.py"
    script.write_text(
        "import rag\nfrom rag.index import build\n"
        f"open({str(runs)!r}, 'a').write('ran\\n')\n"
        "build.PARALLEL_CHARS, build.WORKERS = 0, 2  # workers for any size\n"
        f"print(rag.build({str(seeds)!r}, {str(index)!r}).documents)\n"
        f"open({str(seeds / train.seed_name(articles[2]))!r}, 'w').write({train.layout(articles[2])[0]!r})\n"
        "build.PARALLEL_CHARS = 10 ** 9  # one new file: the embedder loads in a spawned process instead\n"
        f"print(rag.build({str(seeds)!r}, {str(index)!r}, spawn_embedder=True).documents)\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert (done.returncode, done.stdout.split()) == (0, ["2", "3"]), done.stderr[-2000:]
    assert runs.read_text() == "ran\n"
    assert len(rag.load(index).info.documents) == 3


def test_a_build_in_groups_of_documents_writes_the_files_of_a_build_in_one(tmp_path, monkeypatch):
    """A large build reads, embeds and writes a group of documents at a time (its memory is one group's); the
    files, BM25 tables joined from the groups' included, are byte for byte those of a build in one group, the
    vectors the same to float noise, and the vector files streamed to disk are what np.save and
    faiss.write_index write."""
    from rag.index import build as build_module
    from rag.index.store import HASHED_FILES

    articles = json.loads(CMRC.read_text(encoding="utf-8"))["data"][:6]
    files = {train.seed_name(a): train.layout(a)[0] for a in articles}
    (tmp_path / "one").mkdir()
    (tmp_path / "groups").mkdir()
    one = build_index(tmp_path / "one", files)
    monkeypatch.setattr(build_module, "GROUP_CHARS", 1)  # every article is a group of its own
    groups = build_index(tmp_path / "groups", files)
    assert len(build_module._groups(rag.sources.read_documents(tmp_path / "groups" / "seeds")[0], 1)) == 6
    for name in HASHED_FILES:
        assert (one / name).read_bytes() == (groups / name).read_bytes(), name
    # USE's floats depend a little on which texts share a batch, and batches stop at a group's end
    assert np.allclose(np.load(one / "sentences.npy"), np.load(groups / "sentences.npy"), atol=1e-5)
    assert np.allclose(read_index(one).chunk_vectors, read_index(groups).chunk_vectors, atol=1e-5)
    stored = read_index(groups)
    vectors, chunk_vectors = np.load(groups / "sentences.npy"), stored.chunk_vectors
    saved = tmp_path / "saved"
    saved.mkdir()
    np.save(saved / "sentences.npy", vectors, allow_pickle=False)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(chunk_vectors)
    faiss.write_index(flat, str(saved / "chunks.faiss"))
    for name in ("sentences.npy", "chunks.faiss"):
        assert (saved / name).read_bytes() == (groups / name).read_bytes(), name
    assert len(vectors) == len(stored.sentences) > 50 and len(chunk_vectors) == len(stored.chunks) > 10
