"""The server as a whole: it follows a rebuilt index, refuses huge bodies, and guards everything behind the login."""
from __future__ import annotations

import json
import time

import httpx
import pytest

from playwright.sync_api import expect, sync_playwright

import rag
from conftest import build_index
from ui_server import CHROMIUM_FLAGS, INDEX, require_chromium, running_server


OLD = "小明在北京大学读书。学校的食堂有二十个窗口。他每天骑自行车上学。\n"
NEW = OLD.replace("二十", "三十")
QUESTION = "学校的食堂有多少个窗口？"
NOTICE_S = 2.0
FIRST_LOAD_S = 30.0
USER, PASSWORD = "reader", "correct horse"


def gradio_call(client: httpx.Client, url: str, body: dict) -> dict:
    """Gradio's two-step /ask call; the data of its last event."""
    event = client.post(f"{url}gradio_api/call/ask", json=body).raise_for_status().json()["event_id"]
    lines = client.get(f"{url}gradio_api/call/ask/{event}").raise_for_status().text.splitlines()
    events = [line.removeprefix("event: ") for line in lines if line.startswith("event: ")]
    data = [line.removeprefix("data: ") for line in lines if line.startswith("data: ")]
    assert events[-1] == "complete", lines
    return json.loads(data[-1])[0]


def test_a_rebuilt_index_is_answered_from_without_restart(tmp_path):
    index = build_index(tmp_path, {"canteen.txt": OLD})
    with running_server(index, tmp_path) as (url, _), httpx.Client(timeout=10) as client:
        first = client.post(f"{url}api/ask", json={"question": QUESTION}).json()
        assert "二十" in first["citations"][0]["quote"]
        assert first["built_at"] == json.loads((index / "manifest.json").read_text())["built_at"]
        assert gradio_call(client, url, {"data": [QUESTION]})["build_id"] == first["build_id"]

        (tmp_path / "seeds" / "canteen.txt").write_text(NEW, encoding="utf-8")
        rag.build(tmp_path / "seeds", index)
        deadline = time.monotonic() + NOTICE_S
        while True:
            got = client.post(f"{url}api/ask", json={"question": QUESTION}).json()
            if got["build_id"] != first["build_id"] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert got["build_id"] != first["build_id"], f"still answering from the old index {NOTICE_S} s after the rebuild"
    cited = got["citations"][0]
    assert "三十" in cited["quote"]
    assert NEW[cited["start"]:cited["end"]] == cited["quote"]


def test_a_server_without_an_index_answers_503_until_one_is_built(tmp_path):
    with running_server(tmp_path / "index", tmp_path) as (url, _), httpx.Client(timeout=10) as client:
        for response in (client.get(f"{url}api/health"), client.post(f"{url}api/ask", json={"question": QUESTION})):
            assert response.status_code == 503
            assert "rag build" in response.json()["error"]
        build_index(tmp_path, {"canteen.txt": OLD})
        deadline = time.monotonic() + FIRST_LOAD_S  # the first index also loads the embedder
        while client.get(f"{url}api/health").status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.get(f"{url}api/health").json()["documents"] == ["canteen.txt"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(INDEX, tmp_path_factory.mktemp("server")) as (url, _):
        yield url


@pytest.mark.parametrize("path", ["api/ask", "gradio_api/call/ask", "gradio_api/queue/join"])
def test_a_10_mb_body_is_refused_before_it_is_read(server, path):
    body = json.dumps({"question": "问" * 3_500_000, "data": ["问" * 3_500_000]}).encode()
    response = httpx.post(f"{server}{path}", content=body, headers={"content-type": "application/json"}, timeout=10)
    assert response.status_code == 413
    assert "larger than the 1,000,000 allowed" in response.json()["error"]


def test_a_streamed_body_is_cut_off_at_the_limit(server):
    def chunks():
        for _ in range(100):
            yield b"x" * 100_000

    response = httpx.post(f"{server}api/ask", content=chunks(), headers={"content-type": "application/json"}, timeout=10)
    assert response.status_code == 413


def test_ask_without_data_is_an_error_answer_not_a_traceback(server):
    with httpx.Client(timeout=10) as client:
        assert set(gradio_call(client, server, {"data": []})) == {"error"}


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    with running_server(INDEX, tmp_path_factory.mktemp("guarded"), {"RAG_UI_AUTH": f"{USER}:{PASSWORD}"}) as (url, _):
        yield url


@pytest.mark.parametrize("method,path", [
    ("POST", "gradio_api/cancel"), ("GET", "gradio_api/heartbeat/abc"), ("GET", "gradio_api/startup-events"),
    ("GET", "gradio_api/app_id"), ("POST", "gradio_api/reset"), ("POST", "gradio_api/call/ask"),
    ("POST", "gradio_api/queue/join"), ("GET", "gradio_api/info"), ("GET", "config"), ("GET", "api/health"),
    ("POST", "api/ask"), ("GET", "api/documents"), ("GET", "api/docs"),
])
def test_without_login_routes_reveal_and_change_nothing(guarded, method, path):
    body = {"session_hash": "abc", "fn_index": 0, "event_id": "x", "data": ["Anthropic"], "question": "Anthropic"}
    response = httpx.request(method, f"{guarded}{path}", json=body, timeout=10)
    assert response.status_code == 401
    assert "Anthropic" not in response.text and "openai" not in response.text.lower()


def test_the_chat_works_after_logging_in_on_the_page(guarded):
    refused = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.set_default_timeout(30_000)
        page.on("response", lambda r: refused.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto(guarded)
        page.get_by_label("username").fill(USER)
        page.get_by_label("password").fill(PASSWORD)
        page.get_by_role("button", name="Login").click()
        box = page.locator("#rag-question textarea")
        box.fill("Anthropic 在企业 LLM API 市场的份额是多少？")
        box.press("Enter")
        page.locator(".rag-doc summary").first.click()  # the source view comes from /api, with the page's login
        expect(page.locator(".rag-doc mark.rag-current")).to_have_count(1)
        browser.close()
    assert refused == []


def test_login_by_cookie_or_basic_auth_and_lock_out_after_wrong_passwords(guarded):
    with httpx.Client(timeout=30) as browser:
        assert browser.get(guarded).status_code == 200  # the login page itself
        assert browser.post(f"{guarded}login", data={"username": USER, "password": PASSWORD}).status_code == 200
        assert browser.get(f"{guarded}api/health").json()["status"] == "ok"
    assert httpx.get(f"{guarded}api/health", auth=(USER, PASSWORD)).status_code == 200
    wrong = [httpx.post(f"{guarded}login", data={"username": USER, "password": f"guess{i}"}, timeout=30).status_code
             for i in range(6)]
    assert wrong == [400] * 5 + [429]
    locked = httpx.post(f"{guarded}login", data={"username": USER, "password": PASSWORD}, timeout=30)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    assert httpx.get(f"{guarded}api/health", auth=(USER, PASSWORD)).status_code == 429
