"""Input far larger than the documents this is made for: memory stays bounded by the batch, not the input."""
from rag.chunking.sentences import MAX_SENTENCE_CHARS
from rag.index.store import read_index
from rag.retrieval.glossary import corpus_words

from conftest import build_in_child, long_line

MEMORY_LIMIT_MB = 1024


def test_one_line_of_100000_characters_builds_within_1_gb(tmp_path):
    """Before: the line was one sentence, embedded whole, and every 2-6 character run of it was kept in a
    set: 2.0 GB at 100,000 characters, 3.7 GB at 200,000 (at the 2,000,000 of the issue, killed by the
    kernel at 24 GB). The line repeats a random text of 4,000 characters so that only ~40 distinct texts
    need embedding: embedding speed is not what this measures (benchmarks/long_line.py builds 2,000,000
    characters that never repeat)."""
    line = long_line(100_000, period=4000)
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "long.txt").write_text(line, encoding="utf-8")
    code, _, peak_mb = build_in_child(tmp_path / "seeds", tmp_path / "index", limit_mb=1.5 * MEMORY_LIMIT_MB)
    assert code == 0, f"build failed or was killed at {peak_mb:.0f} MB"
    assert peak_mb < MEMORY_LIMIT_MB
    stored = read_index(tmp_path / "index")
    assert len(stored.sentences) == 100_000 // MAX_SENTENCE_CHARS
    assert all(line[s.start : s.end] == s.text and len(s.text) == MAX_SENTENCE_CHARS for s in stored.sentences)


def test_glossary_words_are_only_dictionary_words():
    """Not every run of the text: a long text has millions of them."""
    words = corpus_words({"首席执行官", "川川"}, ["他是首席执行官吗"], headwords={"首席", "执行官", "首席执行官", "执行"})
    assert words == {"首席", "执行官", "首席执行官", "执行"}
