import codecs
from pathlib import Path

import pytest

from rag.errors import SeedsError
from rag.sources import decode, read_documents


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
        "latin1.txt": "neither UTF-8, UTF-16 with a BOM, nor GBK/GB18030 text; convert it to UTF-8",
        "notes.pdf": "damaged PDF (data format error); re-save it or export it again",
    }


def test_empty_or_missing_seeds_folder_is_a_clear_error(tmp_path):
    kinds = ".txt .md .pdf .docx .html .htm"
    with pytest.raises(SeedsError) as empty:
        read_documents(tmp_path)
    assert str(empty.value) == f"nothing to index in {str(tmp_path)!r} (no {kinds} files); add documents ({kinds})"
    with pytest.raises(SeedsError) as missing:
        read_documents(tmp_path / "nope")
    assert str(missing.value) == f"seeds folder {str(tmp_path / 'nope')!r} does not exist; create it and put documents in it ({kinds})"


def test_gb18030_and_utf16_files_are_labelled_with_the_encoding_that_decodes_them(tmp_path):
    texts = {"gbk.txt": ("锌财经的文章。", "gbk"), "gb18030.txt": ("欧元区的价格是 5 €，用户发了一个表情 😀，文中还有古字 𠀀，都要正确保存。", "gb18030"),
             "le.txt": ("小端的文件。\r\n第二行。", "utf-16"), "be.md": ("大端的文件。", "utf-16")}
    (tmp_path / "gbk.txt").write_bytes(texts["gbk.txt"][0].encode("gbk"))
    (tmp_path / "gb18030.txt").write_bytes(texts["gb18030.txt"][0].encode("gb18030"))
    (tmp_path / "le.txt").write_bytes(codecs.BOM_UTF16_LE + texts["le.txt"][0].encode("utf-16-le"))
    (tmp_path / "be.md").write_bytes(codecs.BOM_UTF16_BE + texts["be.md"][0].encode("utf-16-be"))
    docs, skipped = read_documents(tmp_path)
    assert skipped == []
    assert {d.source: (d.text, d.encoding) for d in docs} == texts
    for d in docs:  # whoever reads a source again by its label gets the very text the offsets refer to
        assert (tmp_path / d.source).read_bytes().decode(d.encoding) == d.text
        assert decode((tmp_path / d.source).read_bytes()) == (d.text, d.encoding)


def test_links_leading_out_of_the_seeds_folder_are_not_followed(tmp_path):
    seeds, secret = tmp_path / "seeds", tmp_path / "secret"
    (seeds / "sub").mkdir(parents=True)
    secret.mkdir()
    (secret / "passwd.txt").write_text("root:x:0:0:秘密。", encoding="utf-8")
    (seeds / "sub" / "real.txt").write_text("正文在这里。", encoding="utf-8")
    (seeds / "passwd.txt").symlink_to(secret / "passwd.txt")
    (seeds / "etc").symlink_to(secret, target_is_directory=True)
    (seeds / "alias.txt").symlink_to(Path("sub") / "real.txt")  # inside: followed
    (seeds / "again").symlink_to(seeds / "sub", target_is_directory=True)  # inside: read where it is, once
    docs, skipped = read_documents(seeds)
    assert [(d.source, d.text) for d in docs] == [("alias.txt", "正文在这里。"), ("sub/real.txt", "正文在这里。")]
    assert {s.source: s.reason for s in skipped} == {
        "again": "symbolic link to a folder inside the seeds folder; its files are read where they are",
        "etc": "symbolic link to a folder outside the seeds folder; not followed",
        "passwd.txt": "symbolic link to a file outside the seeds folder; not followed",
    }


def test_a_link_out_is_listed_in_the_manifest_and_its_target_never_indexed(tmp_path):
    import json

    import rag

    (tmp_path / "secret.txt").write_text("机密内容:口令是一二三。", encoding="utf-8")
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "a.txt").write_text("公开的一句话。", encoding="utf-8")
    (tmp_path / "seeds" / "passwd.txt").symlink_to(tmp_path / "secret.txt")
    rag.build(tmp_path / "seeds", tmp_path / "index")
    index = tmp_path / "index"
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    assert [(s["source"], s.get("skipped")) for s in manifest["sources"]] == [
        ("a.txt", None), ("passwd.txt", "symbolic link to a file outside the seeds folder; not followed")]
    assert "机密" not in (index / "documents.jsonl").read_text(encoding="utf-8")
    (tmp_path / "secret.txt").write_text("改过的机密。", encoding="utf-8")
    assert rag.load(index).info.documents == ("a.txt",)  # the target is not even read to see if it changed
