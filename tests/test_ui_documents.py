"""Managing documents from the server (ui/documents.py): safe names, types and sizes of uploads, updates through
the functions `rag add` and `rag remove` run, and the server refusing management when read-only or logged out.
The browser side is in test_ui_documents_browser.py."""
from __future__ import annotations

import httpx
import pytest

from conftest import TINY, build_index
from documents import image_only_pdf
from ui.documents import DocumentManager, Rejection, UnsafeName, check_upload, safe_name, status, Outcome
from ui.live import LiveEngine
from ui_server import INDEX, running_server

LIMIT = 1000  # bytes: a small limit, so that a test file can pass it
USER, PASSWORD = "reader", "pa55-word"
LAKE = "杭州的西湖在城市的西边。湖边有一座雷峰塔！\n"
LAKE_QUESTION = "雷峰塔在哪里？"


@pytest.mark.parametrize("client_name, name", [
    ("报告.pdf", "报告.pdf"),
    ("../../etc/cron.d/job.txt", "job.txt"),
    ("C:\\Users\\me\\Desktop\\纪要.docx", "纪要.docx"),
    ("/tmp/gradio/0a1b/page (1).html", "page (1).html"),
])
def test_a_file_keeps_only_its_last_name_part(client_name, name):
    assert safe_name(client_name) == name


@pytest.mark.parametrize("client_name, reason", [
    ("..", "'..'"), ("a/..", "'..'"), (".", "'.'"), ("", "''"), ("dir/", "''"),
    (".env", "hidden file"), ("../.bashrc.txt", "hidden file"),
    ("a\nb.txt", "control character"), ("a\x00.txt", "control character"), ("a\x1b[31m.txt", "control character"),
    ("\u202etxt.exe", "control character"),  # a right-to-left override makes "exe.txt" show as "txt.exe"
    (" a.txt", "leading or trailing space"), ("a.txt ", "leading or trailing space"),
    ("文" * 70 + ".txt", "over 200 bytes"),
])
def test_unsafe_names_are_refused_with_the_reason(client_name, reason):
    with pytest.raises(UnsafeName) as refused:
        safe_name(client_name)
    assert str(refused.value) == reason


@pytest.mark.parametrize("name, size, expected", [
    ("a.txt", LIMIT, None),
    ("A.PDF", 10, None),
    ("a.htm", 10, None),
    ("a.exe", 10, Rejection("a.exe", "type", ".exe")),
    ("a.doc", 10, Rejection("a.doc", "type", ".doc")),
    ("README", 10, Rejection("README", "type", "README")),
    ("a.txt", LIMIT + 1, Rejection("a.txt", "size", "0.000955 MB")),
    ("../..", 10, Rejection("../..", "name", "'..'")),
])
def test_uploads_are_checked_by_name_type_and_size(name, size, expected):
    assert check_upload(name, size, LIMIT) == expected


def test_each_rejection_is_one_line_naming_the_file_and_the_reason():
    outcome = Outcome((), (Rejection("大.pdf", "size", "60 MB"), Rejection("a\nb.txt", "name", "control character"),
                           Rejection("x.exe", "type", ".exe")))
    assert status(outcome, "zh", "50 MB") == (
        '<ul class="rag-docs-status" role="status">'
        '<li class="rag-rejected">大.pdf: 文件大小 60 MB，超过每个文件 50 MB 的上限</li>'
        '<li class="rag-rejected">a\\nb.txt: 文件名不安全（control character），请改名后再上传</li>'
        '<li class="rag-rejected">x.exe: 不支持的文件类型“.exe”，只能上传 .txt .md .pdf .docx .html .htm</li></ul>')
    assert Rejection("大.pdf", "size", "60 MB").line("en", "50 MB") == "大.pdf: 60 MB, over the limit of 50 MB a file"
    assert status(Outcome(("a.pdf", "b.docx"), action="removed"), "en", "50 MB") == \
        '<ul class="rag-docs-status" role="status"><li class="rag-done">Removed: a.pdf, b.docx</li></ul>'
    assert status(Outcome(action="nothing"), "zh", "50 MB") == \
        '<ul class="rag-docs-status" role="status"><li class="rag-done">没有选择文档。</li></ul>'


def test_added_and_removed_documents_are_answered_from_at_once(tmp_path):
    index = build_index(tmp_path, {"tiny.txt": TINY})
    live = LiveEngine(index, poll_s=3600)  # no watcher in time: the manager itself swaps the new index in
    manager = DocumentManager(live, tmp_path / "unused", LIMIT)
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "西湖.txt").write_text(LAKE, encoding="utf-8")
    (uploads / "big.txt").write_text("长" * LIMIT, encoding="utf-8")
    (uploads / "run.sh").write_text("echo", encoding="utf-8")
    image_only_pdf(uploads / "scan.pdf")
    engine, before = live.current()
    assert not engine.ask(LAKE_QUESTION).answerable

    steps, meanwhile = [], []

    def progress(fraction: float, step: str) -> None:
        steps.append((fraction, step))
        if step.startswith("embedding"):  # mid-update, the server answers from the index it has
            current, build = live.current()
            meanwhile.append((build, current.ask("小明在哪里读书？").citations[0].source))

    outcome = manager.add([uploads / name for name in ("西湖.txt", "big.txt", "run.sh", "scan.pdf")], progress)
    assert meanwhile and set(meanwhile) == {(before, "tiny.txt")}
    assert outcome.done == ("西湖.txt",) and outcome.error is None
    assert [(r.name, r.kind) for r in outcome.rejected] == [("big.txt", "size"), ("run.sh", "type"), ("scan.pdf", "unread")]
    assert "no text layer" in outcome.rejected[-1].value
    assert [f for f, _ in steps] == sorted(f for f, _ in steps) and steps[-1] == (0.95, "loading")
    assert sorted(p.name for p in (tmp_path / "seeds").iterdir()) == ["scan.pdf", "tiny.txt", "西湖.txt"]
    engine, build = live.current()
    answer = engine.ask(LAKE_QUESTION)
    assert answer.answerable and answer.citations[0].source == "西湖.txt"
    assert answer.citations[0].quote == "湖边有一座雷峰塔！"
    rows = {d.source: d for d in build.documents}
    assert (rows["西湖.txt"].characters, rows["西湖.txt"].sentences, rows["西湖.txt"].pages) == (len(LAKE), 2, None)
    assert rows["scan.pdf"].skipped and rows["scan.pdf"].sentences == 0

    outcome = manager.remove(["西湖.txt", "scan.pdf"])
    assert (outcome.done, outcome.action, outcome.error) == (("西湖.txt", "scan.pdf"), "removed", None)
    engine, build = live.current()
    assert [d.source for d in build.documents] == ["tiny.txt"]
    assert not engine.ask(LAKE_QUESTION).answerable

    outcome = manager.remove(["西湖.txt"])
    assert outcome.error.startswith("no document '西湖.txt' in ") and outcome.error.endswith("; known: tiny.txt")
    outcome = manager.remove(["tiny.txt"])
    assert outcome.error == "that would remove every document; an index needs at least one, so add another first"
    assert live.current()[1] == build


def test_the_size_limit_is_rag_max_file_mb(monkeypatch, tmp_path):
    from rag.extract import max_file_bytes

    monkeypatch.setenv("RAG_MAX_FILE_MB", "0.5")
    assert max_file_bytes() == 512 * 1024
    monkeypatch.delenv("RAG_MAX_FILE_MB")
    assert max_file_bytes() == 50 * 1024 * 1024


def _upload(client: httpx.Client, url: str, name: str, data: bytes) -> httpx.Response:
    return client.post(f"{url}gradio_api/upload", files=[("files", (name, data))])


@pytest.fixture(scope="module")
def read_only(tmp_path_factory):
    with running_server(INDEX, tmp_path_factory.mktemp("read-only"), read_only=True) as (url, _):
        yield url


def test_read_only_server_has_no_documents_tab_and_refuses_uploads(read_only):
    response = _upload(httpx.Client(timeout=30), read_only, "a.txt", "小明在北京。".encode())
    assert response.status_code == 403
    assert response.json() == {"error": "this server is read-only: documents cannot be uploaded"}
    config = httpx.get(f"{read_only}config", timeout=10).text
    assert "rag-question" in config and "rag-upload" not in config and "rag-remove" not in config
    answer = httpx.post(f"{read_only}api/ask", json={"question": "Anthropic 在企业 LLM API 市场的份额是多少？"}, timeout=30)
    assert answer.json()["answerable"] is True


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    env = {"RAG_UI_AUTH": f"{USER}:{PASSWORD}", "RAG_MAX_FILE_MB": "1"}
    with running_server(INDEX, tmp_path_factory.mktemp("guarded-docs"), env) as (url, _):
        yield url


def test_only_a_logged_in_user_may_upload_and_a_large_file_may_pass_the_1_mb_body_cap(guarded):
    data = "小明在北京。".encode() * 100_000  # 1.8 MB: over the 1 MB body cap of other routes
    with httpx.Client(timeout=30) as browser:
        refused = _upload(browser, guarded, "a.txt", data)
        assert refused.status_code == 401 and "a.txt" not in refused.text
        assert "rag-upload" not in browser.get(f"{guarded}config").text
        assert browser.post(f"{guarded}login", data={"username": USER, "password": PASSWORD}).status_code == 200
        assert "rag-upload" in browser.get(f"{guarded}config").text
        taken = _upload(browser, guarded, "a.txt", data)
        assert taken.status_code == 200 and taken.json()[0].endswith("/a.txt")  # in Gradio's upload folder, not seeds/
        # one request carries at most 4 files at the limit (RAG_MAX_FILE_MB=1), plus 1 MB
        too_big = _upload(browser, guarded, "b.txt", b"x" * (5 * 2**20 + 1))
        assert too_big.status_code == 413
