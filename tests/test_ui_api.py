"""The chat's /ask endpoint, through gradio_client, against the real index."""
from __future__ import annotations

import pytest
from gradio_client import Client

import rag
from ui_server import INDEX, ui_url  # noqa: F401  (ui_url is a fixture)

QUESTION = "Anthropic 在企业 LLM API 市场的份额是多少？"
REFUSED = "谁赢得了2022年世界杯？"


@pytest.fixture(scope="module")
def engine():
    return rag.load(INDEX)


@pytest.fixture(scope="module")
def client(ui_url):  # noqa: F811
    return Client(ui_url, verbose=False)


def without_timings(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k not in ("timings", "build_id", "built_at")}


def test_answer_json(client, engine):
    got = client.predict(QUESTION, api_name="/ask")
    expected = engine.ask(QUESTION)
    assert set(got) == {"question", "text", "answerable", "confidence", "citations", "passages", "timings", "rewritten",
                        "build_id", "built_at"}
    assert got["built_at"] == engine.info.built_at
    assert without_timings(got) == without_timings(expected.to_json())
    assert got["answerable"] is True
    first = got["citations"][0]
    assert set(first) == {"n", "source", "quote", "start", "end", "score", "answer_start", "answer_end", "page"}
    assert first["n"] == 1
    assert engine.document_text(first["source"])[first["start"] : first["end"]] == first["quote"]
    assert got["timings"]["total_ms"] >= 0


def test_refusal_json(client, engine):
    got = client.predict(REFUSED, api_name="/ask")
    expected = engine.ask(REFUSED)
    assert not expected.answerable
    assert got["answerable"] is False
    assert got["citations"] == []
    assert got["text"] == expected.text
    assert without_timings(got) == without_timings(expected.to_json())


@pytest.mark.parametrize("question", ["", "   ", "问" * 1001, "a\x00b"])
def test_bad_question_returns_error_json(client, engine, question):
    with pytest.raises(rag.QuestionError) as error:
        engine.ask(question)
    assert client.predict(question, api_name="/ask") == {"error": str(error.value)}
