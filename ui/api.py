"""The plain JSON HTTP API, mounted at /api on the chat's server (OpenAPI page at /api/docs).

    POST /api/ask        {"question": "...", "history": [{"question": "...", "answer": "..."}]} -> the Answer JSON
    GET  /api/search     ?q=...&k=5 -> {"passages": [...]}
    GET  /api/documents  -> {"documents": [{"source", "characters"}]}
    GET  /api/document   ?source=...&start=0&end=... -> {"source", "start", "end", "text"} (at most DOCUMENT_SLICE chars)
    GET  /api/health     -> {"status", "build_id", "built_at", "documents", "uptime_s"}

Errors are {"error": "one line"} with 400 (bad question or argument), 401 (login, see ui/guard.py), 413 (body
too large, ui/guard.py), or a body not of this shape), 503 (no index loaded); never a 500 with a traceback.
Every answer carries the build id and time of the index it came from.
"""
from __future__ import annotations

import time
from dataclasses import asdict

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

import rag
from rag.types import Turn
from ui.live import LiveEngine, NoIndexError

DOCUMENT_SLICE = 20000  # the most characters one /api/document call returns
MAX_HISTORY = 20  # earlier turns kept for a follow-up; only the last few ever matter


class TurnIn(BaseModel):
    question: str = Field(description="an earlier question")
    answer: str | None = Field(None, description="its answer's text, if known")


class AskIn(BaseModel):
    question: str = Field(description="the question, at most 1,000 characters", examples=["Anthropic 在企业 LLM API 市场的份额是多少？"])
    history: list[TurnIn] = Field([], description="earlier turns of the conversation, oldest first")


def create_api(live: LiveEngine) -> FastAPI:
    api = FastAPI(title="rag-chat API", version=rag.__version__, docs_url="/docs", redoc_url=None,
                  openapi_url="/openapi.json",
                  description="Answers about the indexed Chinese documents, made only of verbatim quotes with citations.")

    @api.exception_handler(NoIndexError)
    async def no_index(_: Request, e: NoIndexError):
        return JSONResponse({"error": str(e)}, status_code=503)

    @api.exception_handler(rag.RagError)
    async def bad_input(_: Request, e: rag.RagError):
        return JSONResponse({"error": str(e)}, status_code=400)

    @api.exception_handler(RequestValidationError)
    async def bad_shape(_: Request, e: RequestValidationError):
        first = e.errors()[0] if e.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return JSONResponse({"error": f"{where or 'body'}: {first.get('msg', 'invalid')}"}, status_code=400)

    @api.exception_handler(HTTPException)
    async def http_error(_: Request, e: HTTPException):
        return JSONResponse({"error": str(e.detail)}, status_code=e.status_code)

    @api.exception_handler(Exception)
    async def unexpected(_: Request, e: Exception):  # logged by the server; the client gets one line, not a trace
        return JSONResponse({"error": f"internal error: {type(e).__name__}"}, status_code=500)

    @api.post("/ask", summary="Answer a question, with the conversation so far")
    def ask(body: AskIn) -> dict:
        engine, build = live.current()
        history = tuple(Turn(t.question, t.answer) for t in body.history[-MAX_HISTORY:])
        return {**engine.ask(body.question, history=history).to_json(), **build.to_json()}

    @api.get("/search", summary="The k best passages for a query")
    def search(q: str = Query(description="the query"), k: int = Query(5, description="how many passages")) -> dict:
        engine, build = live.current()
        return {"passages": [asdict(p) for p in engine.search(q, k)], **build.to_json()}

    @api.get("/documents", summary="The indexed documents")
    def documents() -> dict:
        engine, build = live.current()
        return {"documents": [{"source": s, "characters": len(engine.document_text(s))} for s in engine.info.documents],
                **build.to_json()}

    @api.get("/document", summary="Part of one document's text; citation offsets index into it")
    def document(source: str, start: int = 0, end: int | None = None) -> dict:
        engine, build = live.current()
        text = engine.document_text(source)
        end = len(text) if end is None else min(end, len(text))
        if not 0 <= start <= end:
            raise rag.ArgumentError(f"start {start} and end {end} must satisfy 0 <= start <= end (the text has {len(text)} characters)")
        end = min(end, start + DOCUMENT_SLICE)
        return {"source": source, "start": start, "end": end, "text": text[start:end], **build.to_json()}

    @api.get("/health", summary="Which index is served, and for how long the server has run")
    def health() -> dict:
        engine, build = live.current()
        return {"status": "ok", **build.to_json(), "documents": list(engine.info.documents),
                "uptime_s": round(time.time() - live.started, 1)}

    return api
