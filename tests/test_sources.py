import pytest

from rag.errors import SeedsError
from rag.sources import read_documents


def test_gbk_files_are_decoded_and_utf8_is_kept_as_is(tmp_path):
    (tmp_path / "gbk.txt").write_bytes("锌财经的文章。".encode("gbk"))
    (tmp_path / "utf8.md").write_text("\ufeff标题\r\n正文。", encoding="utf-8")
    docs, skipped = read_documents(tmp_path)
    assert [(d.source, d.encoding, d.text) for d in docs] == [
        ("gbk.txt", "gbk", "锌财经的文章。"),
        ("utf8.md", "utf-8", "\ufeff标题\r\n正文。"),
    ]
    assert skipped == []


def test_binary_empty_and_other_files_are_skipped_with_a_reason(tmp_path):
    (tmp_path / "ok.txt").write_text("有内容。", encoding="utf-8")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\x00\x00\x01")
    (tmp_path / "blank.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("café ça où".encode("latin-1"))
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    (tmp_path / "notes.odt").write_bytes(b"PK\x03\x04")  # not a format rag reads: not even listed
    docs, skipped = read_documents(tmp_path)
    assert [d.source for d in docs] == ["ok.txt"]
    assert {s.source: s.reason for s in skipped} == {
        "blank.txt": "empty file",
        "image.txt": "binary file (contains NUL bytes)",
        "latin1.txt": "neither UTF-8 nor GBK text; convert it to UTF-8",
        "notes.pdf": "damaged PDF (data format error); re-save it or export it again",
    }


def test_empty_or_missing_seeds_folder_is_a_clear_error(tmp_path):
    with pytest.raises(SeedsError, match=r"nothing to index in .*no \.txt or \.md files"):
        read_documents(tmp_path)
    with pytest.raises(SeedsError, match="does not exist"):
        read_documents(tmp_path / "nope")
