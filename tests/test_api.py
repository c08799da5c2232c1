"""The JSON API under /api: the README's curl commands as written, and every error as JSON with its status."""
from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess

import httpx
import pytest

import rag
from conftest import REPO
from ui_server import INDEX, ui_url  # noqa: F401  (ui_url is a fixture)

README_HOST = "http://127.0.0.1:7860/"
QUESTION = "Anthropic 在企业 LLM API 市场的份额是多少？"


@pytest.fixture(scope="module")
def engine():
    return rag.load(INDEX)


def readme_curl_commands() -> list[str]:
    section = REPO.joinpath("README.md").read_text(encoding="utf-8").split("## Chat and HTTP API", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.startswith("curl ")]


def run_curl(command: str, url: str) -> dict:
    curl = shutil.which("curl")
    if curl is None:
        pytest.fail("curl is missing; the README's API examples need it")
    args = [a.replace(README_HOST, url) for a in shlex.split(command)]
    done = subprocess.run([curl, *args[1:], "-w", "\n%{http_code}"], capture_output=True, text=True, timeout=60)
    body, _, status = done.stdout.rpartition("\n")
    assert status == "200", f"{command} -> {status} {body}"
    return json.loads(body)


def test_readme_curl_commands_work_as_written(ui_url, engine):  # noqa: F811
    commands = readme_curl_commands()
    assert len(commands) == 6
    health, ask, follow_up, search, documents, document = (run_curl(c, ui_url) for c in commands)
    assert health["status"] == "ok" and health["documents"] == list(engine.info.documents)
    assert health["built_at"] == engine.info.built_at and re.fullmatch(r"[0-9a-f]{12}", health["build_id"])
    expected = engine.ask(QUESTION).to_json()
    assert ask["citations"] == expected["citations"] and ask["text"] == expected["text"]
    assert ask["build_id"] == health["build_id"]
    assert follow_up["question"] == "那 OpenAI 呢？"
    assert follow_up["rewritten"] == "OpenAI 在企业 LLM API 市场的份额是多少？"
    assert "25%" in follow_up["citations"][0]["quote"]
    assert search["passages"] == [p.__dict__ for p in engine.search("GPT-5.4 的价格", k=3)]
    assert documents["documents"][0]["source"] == engine.info.documents[0]
    text = engine.document_text(document["source"])
    assert document["text"] == text[1686:1744] == ask["citations"][0]["quote"]


@pytest.mark.parametrize("method,path,body,status", [
    ("POST", "api/ask", {"question": ""}, 400),
    ("POST", "api/ask", {"question": "问" * 1001}, 400),
    ("POST", "api/ask", {"question": "a\x00b"}, 400),
    ("POST", "api/ask", {"question": 5}, 400),
    ("POST", "api/ask", {"q": "Anthropic"}, 400),
    ("POST", "api/ask", {"question": "x", "history": "not a list"}, 400),
    ("POST", "api/ask", "not json", 400),
    ("GET", "api/search?q=GPT&k=0", None, 400),
    ("GET", "api/search?q=GPT&k=many", None, 400),
    ("GET", "api/search", None, 400),
    ("GET", "api/document?source=nope.txt", None, 400),
    ("GET", "api/document?source=openai-vs-anthropic-2026-03.txt&start=10&end=5", None, 400),
    ("GET", "api/nothing-here", None, 404),
])
def test_errors_are_one_line_json_with_their_status(ui_url, method, path, body, status):  # noqa: F811
    content = body if isinstance(body, str) else json.dumps(body) if body is not None else None
    response = httpx.request(method, f"{ui_url}{path}", content=content, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error and "\n" not in error and "Traceback" not in error


def test_openapi_page_lists_the_routes(ui_url):  # noqa: F811
    assert httpx.get(f"{ui_url}api/docs").status_code == 200
    paths = httpx.get(f"{ui_url}api/openapi.json").json()["paths"]
    assert {"/ask", "/search", "/documents", "/document", "/health"} <= set(paths)
