"""The browser chat for the retrieval QA engine.

Run it with `rag serve` or `python ui/app.py`; it listens on 127.0.0.1:7860 and answers from the index in
$RAG_INDEX (default: `index` in the repo root), switching to a rebuilt index by itself (ui/live.py). Set
RAG_UI_AUTH=user:password to require a login (ui/guard.py). Its Documents tab (ui/documents.py) uploads and
removes documents, unless served read-only. Besides the page, the server has a plain JSON
API under /api (ui/api.py), and `Client(url).predict(question, api_name="/ask")` returns the answer as JSON
(see `build_app`).
"""
from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python ui/app.py` puts ui/, not the repo, on the path
    sys.path.insert(0, str(ROOT))

import gradio as gr  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from starlette.routing import Mount  # noqa: E402

import rag  # noqa: E402
from rag.answering.questions import MAX_CHARS  # noqa: E402
from rag.extract import max_file_bytes  # noqa: E402
from ui import documents as docs  # noqa: E402
from ui import render  # noqa: E402
from ui.api import create_api  # noqa: E402
from ui.guard import MAX_BODY_BYTES, BodyLimit, LoginGuard, LoginThrottle, RefusePaths  # noqa: E402
from ui.live import Build, LiveEngine  # noqa: E402

# Example questions per source document: a button is shown only when its document is indexed, so
# another folder of documents never offers questions about this article.
EXAMPLES = {
    "openai-vs-anthropic-2026-03.txt": {
        "zh": ("Anthropic 在企业 LLM API 市场的份额是多少？", "Claude 单日下载量较前一周增长了多少？", "这篇文章的作者是谁？"),
        "en": ("When did OpenAI release GPT-5.4?", "What share of the enterprise LLM API market does Anthropic hold?",
               "Who wrote this article?"),
    },
}
LANGS = {"中文": "zh", "English": "en"}
# The engine is read-only and thread-safe; a few answers at once keep the CPU busy without
# letting one burst of clients starve the page of its own requests.
CONCURRENCY = 4
SESSIONS_KEPT = 200
MAX_HISTORY = 6  # earlier turns passed to a follow-up; only the last one or two ever matter
# Without JavaScript the page would be blank: say why, in both languages (no script is there to choose).
NOSCRIPT = ('<noscript><p style="padding:2rem;font-size:1.2rem">这个问答页面需要 JavaScript，请启用后刷新；也可以用命令行'
            ' <code>rag ask</code> 或 HTTP 接口 <code>/api/ask</code>。<br>This chat needs JavaScript: enable it and'
            ' reload, or use <code>rag ask</code> or the HTTP API at <code>/api/ask</code>.</p></noscript>')
CSS_PATH = Path(__file__).with_name("style.css")
# Markers that scroll to their card, copy buttons, and the source view fetched on demand.
JS = Path(__file__).with_name("page.js").read_text(encoding="utf-8")


UPLOAD_PATH = "/gradio_api/upload"  # where Gradio's file component sends the files


def build_app(live: LiveEngine, manager: docs.DocumentManager | None = None) -> gr.Blocks:
    """The chat page, plus Gradio's `/ask` API endpoint (the plain JSON API is in ui/api.py); with a `manager`,
    also the Documents tab, whose events are the page's own (no API name), one update at a time.

    `/ask` takes a question and returns `answer.to_json()` (text, answerable, citations with source,
    quote, start, end, score, passages, timings) with the `build_id` and `built_at` of the index that
    answered. A question the engine refuses to take (empty, over 1000 characters, control characters), or
    no question at all, returns `{"error": message}` instead of failing the call.
    """

    picking = threading.Lock()

    def messages(turns: list[dict], lang: str) -> list[dict]:
        out = []
        for turn in turns:
            out.append({"role": "user", "content": render.question(turn["question"])})
            out.append({"role": "assistant", "content": turn["reply"] or render.pending(lang)})
        return out

    def take(question: str, turns: list[dict], lang_label: str):
        """Step 1, at once: a valid question joins the chat as pending and leaves the box; an invalid one stays
        in the box with a message in the page's language."""
        lang = LANGS.get(lang_label, "zh")
        problem = render.validation(question or "", lang)
        if problem:
            return gr.skip(), render.hint(problem), gr.skip()
        turns.append({"question": question.strip(), "reply": None, "answer": None, "taken": False})
        return "", "", messages(turns, lang)

    def answer_next(turns: list[dict], lang_label: str):
        """Step 2, queued in order: answer the oldest question not yet taken, with the turns before it as history;
        the reply shows every turn as it is then, so whichever step finishes last shows them all."""
        lang = LANGS.get(lang_label, "zh")
        with picking:  # two workers may run this session's steps at once: each takes a different question
            waiting = next((i for i, turn in enumerate(turns) if not turn["taken"]), None)
            if waiting is None:
                return gr.skip()
            turn = turns[waiting]
            turn["taken"] = True
        # earlier questions count even while still being answered; those refused as questions ("" answer) do not
        history = [rag.Turn(t["question"], t["answer"]) for t in turns[:waiting] if t["answer"] != ""]
        try:
            engine, _ = live.current()
            result = engine.ask(turn["question"], history=history[-MAX_HISTORY:])
            turn["reply"], turn["answer"] = render.answer(result, engine.document_text, lang), result.text
        except rag.RagError as e:  # a question the engine would not take, or no index yet
            turn["reply"], turn["answer"] = render.notice(str(e)), ""
        return messages(turns, lang)

    def take_example(turns: list[dict], lang_label: str, chosen: gr.SelectData):
        return take(chosen.value["text"], turns, lang_label)

    def clear_turns(turns: list[dict]):
        turns.clear()
        return [], "", ""

    def ask(question: str | None = None) -> dict:
        if question is None:
            return {"error": "no question given; send {\"data\": [\"your question\"]}"}
        try:
            engine, build = live.current()
            return {**engine.ask(question).to_json(), **build.to_json()}
        except rag.RagError as e:
            return {"error": str(e)}

    def header(lang_label: str) -> str:
        try:
            engine, _ = live.current()
        except rag.RagError as e:
            return render.notice(str(e))
        return render.header(engine.info, LANGS.get(lang_label, "zh"))

    def relabel(lang_label: str):
        code = LANGS.get(lang_label, "zh")
        t = render.LABELS[code]
        d = docs.LABELS[code]
        managing = () if manager is None else (
            gr.update(label=d["chat_tab"]), gr.update(label=d["tab"]),
            gr.update(label=d["upload"].format(limit=docs.megabytes(manager.max_bytes))),
            gr.update(label=d["pick"]), gr.update(value=d["remove"]), document_table(lang_label))
        return (
            header(lang_label),
            gr.update(label=t["question"], placeholder=t["placeholder"]),
            gr.update(value=t["send"]),
            gr.update(value=t["clear"]),
            t["examples"],
            gr.update(placeholder=render.welcome(code), examples=chat_examples(code)),
            *[gr.update(value=q) for q in examples_in(code)],  # EXAMPLES has as many per language
            lang_label,
            *managing,
        )

    try:
        documents = live.current()[0].info.documents
    except rag.RagError:
        documents = ()

    def examples_in(lang: str) -> list[str]:
        return [q for source in documents for q in EXAMPLES.get(source, {}).get(lang, ())]

    def chat_examples(lang: str) -> list[dict]:
        return [{"text": q} for q in examples_in(lang)]

    def current_build() -> Build | None:
        try:
            return live.current()[1]
        except rag.RagError:
            return None

    def document_table(lang_label: str) -> str:
        return docs.table(current_build(), LANGS.get(lang_label, "zh"))

    def document_choices() -> dict:
        build = current_build()
        return gr.update(choices=[d.source for d in build.documents] if build else [], value=[])

    def after_update(outcome: docs.Outcome, lang_label: str):
        lang = LANGS.get(lang_label, "zh")
        return (document_table(lang_label), docs.status(outcome, lang, docs.megabytes(manager.max_bytes)),
                document_choices(), header(lang_label))

    def shown_on(bar: gr.Progress, lang: str) -> docs.Progress:
        return lambda fraction, step: bar(fraction, desc=docs.step_label(step, lang))

    def add_uploads(paths: list[str] | None, lang_label: str, progress=gr.Progress()):
        outcome = manager.add([Path(p) for p in paths or []], shown_on(progress, LANGS.get(lang_label, "zh")))
        return None, *after_update(outcome, lang_label)

    def remove_picked(names: list[str] | None, lang_label: str, progress=gr.Progress()):
        lang = LANGS.get(lang_label, "zh")
        if not names:
            return gr.skip(), docs.status(docs.Outcome(action="nothing"), lang, ""), gr.skip(), gr.skip()
        return after_update(manager.remove(list(names), shown_on(progress, lang)), lang_label)

    t = render.LABELS["zh"]
    with gr.Blocks(title="中文文档问答", analytics_enabled=False) as demo:
        saved_lang = gr.BrowserState("中文", storage_key="rag-chat-language")
        turns = gr.State([])  # this session's questions and rendered replies; kept here, not sent by the browser
        with gr.Row(elem_classes="rag-top"):
            head = gr.HTML(header("中文"), elem_classes="rag-head")
            lang = gr.Radio(list(LANGS), value="中文", show_label=False, container=False, scale=0, min_width=220,
                            elem_id="rag-lang")
        # Read-only, the page is the chat alone, as it was before documents could be managed here.
        with gr.Tabs() if manager else contextlib.nullcontext():
            with gr.Tab(docs.LABELS["zh"]["chat_tab"], id="chat", elem_id="rag-chat-tab") if manager else \
                    contextlib.nullcontext() as chat_tab:
                chat = gr.Chatbot(
                    show_label=False,  # the floating label would cover the first line of the chat
                    elem_id="rag-chat",
                    height="60vh",
                    min_height=320,
                    latex_delimiters=[],
                    feedback_options=None,
                    group_consecutive_messages=False,  # a notice after an answer is a reply of its own
                    buttons=[],  # the answers have their own plain-text copy button; Gradio's would copy HTML
                    placeholder=render.welcome("zh"),
                    examples=chat_examples("zh"),
                )
                with gr.Row():
                    box = gr.Textbox(label=t["question"], placeholder=t["placeholder"], lines=1, scale=5, min_width=200,
                                     elem_id="rag-question", max_length=MAX_CHARS)
                    send = gr.Button(t["send"], variant="primary", scale=1, min_width=80, elem_id="rag-send")
                problem = gr.HTML("", elem_id="rag-hint")
                example_questions = examples_in("zh")
                examples_label = gr.Markdown(t["examples"], elem_classes="rag-examples-label", visible=bool(example_questions))
                with gr.Row(elem_classes="rag-examples"):
                    buttons = [gr.Button(q, size="sm", min_width=120) for q in example_questions]
                clear = gr.Button(t["clear"], size="sm", elem_id="rag-clear")
            managing = []
            if manager is not None:
                d = docs.LABELS["zh"]
                with gr.Tab(d["tab"], id="documents", elem_id="rag-docs-tab") as docs_tab:
                    docs_table = gr.HTML(document_table("中文"), elem_id="rag-docs")
                    # No file_types: Gradio would refuse other files in the browser with a message of its own;
                    # docs.check_upload gives every refused file its line, whatever the client.
                    upload = gr.File(label=d["upload"].format(limit=docs.megabytes(manager.max_bytes)),
                                     file_count="multiple", type="filepath", elem_id="rag-upload")
                    docs_status = gr.HTML("", elem_id="rag-docs-status")
                    with gr.Row():
                        pick = gr.Dropdown(choices=[], value=[], multiselect=True, label=d["pick"], scale=4,
                                           elem_id="rag-remove-pick")
                        remove = gr.Button(d["remove"], variant="stop", scale=1, min_width=120, elem_id="rag-remove")
                managing = [chat_tab, docs_tab, upload, pick, remove, docs_table]

        take_event = dict(fn=take, outputs=[box, problem, chat], queue=False, trigger_mode="multiple",
                          api_visibility="private")
        # One at a time, in the order asked: each reply is rendered from the session's turns as they are then.
        answer_event = dict(fn=answer_next, inputs=[turns, lang], outputs=chat, concurrency_limit=CONCURRENCY,
                            concurrency_id="engine", api_visibility="private", trigger_mode="multiple")
        box.submit(inputs=[box, turns, lang], **take_event).then(**answer_event)
        send.click(inputs=[box, turns, lang], **take_event).then(**answer_event)
        for b in buttons:  # a button's value is its label: the example question
            b.click(inputs=[b, turns, lang], **take_event).then(**answer_event)
        chat.example_select(take_example, [turns, lang],
                            [box, problem, chat], queue=False, api_visibility="private").then(**answer_event)
        clear.click(clear_turns, turns, [chat, box, problem], queue=False, api_visibility="private")
        lang.change(relabel, lang, [head, box, send, clear, examples_label, chat, *buttons, saved_lang, *managing],
                    queue=False, api_visibility="private")
        if manager is not None:
            # One update at a time, in its own queue: questions go on being answered from the current index.
            update_event = dict(concurrency_limit=1, concurrency_id="documents", api_visibility="private")
            upload.upload(add_uploads, [upload, lang], [upload, docs_table, docs_status, pick, head],
                          show_progress_on=docs_status, **update_event)
            remove.click(remove_picked, [pick, lang], [docs_table, docs_status, pick, head], show_progress_on=docs_status,
                         **update_event)
            demo.load(lambda lang_label: (document_table(lang_label), document_choices()), lang, [docs_table, pick],
                      queue=False, api_visibility="private")
        # Only a saved language other than the default changes the switch: a click made while the page loads
        # (the Documents tab makes loading longer) is not undone by the load's answer.
        demo.load(lambda saved: saved if saved in LANGS and saved != "中文" else gr.skip(), saved_lang, lang, queue=False,
                  api_visibility="private")
        demo.load(header, lang, head, queue=False, api_visibility="private")  # the index may have been rebuilt since
        gr.api(ask, api_name="ask", concurrency_limit=CONCURRENCY, concurrency_id="engine")
    check_inputs = demo.validate_inputs

    def pad_missing_question(block_fn, inputs: list) -> None:
        # Gradio fails a call with too few inputs (`{"data": []}`) with a traceback; /ask answers it with
        # {"error": ...} instead, through ask(None).
        if block_fn.name == "ask":
            inputs.extend([None] * (len(block_fn.inputs) - len(inputs)))
        check_inputs(block_fn, inputs)

    demo.validate_inputs = pad_missing_question
    # Gradio keeps each client session's copy of the page config; 10,000 of them by default, ~27 KB each.
    demo.state_session_capacity = SESSIONS_KEPT
    return demo


def create_server(live: LiveEngine, auth: tuple[str, str] | None = None,
                  manager: docs.DocumentManager | None = None) -> FastAPI:
    """The whole server: the JSON API at /api, the chat at /, behind the body cap and the login (ui/guard.py).
    Without a `manager` (read-only) file uploads are refused outright; with one, an upload request may carry
    UPLOAD_REQUEST_FILES files at the size limit (each is checked again by the manager)."""
    server = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    server.mount("/api", create_api(live))
    demo = build_app(live, manager)
    gr.mount_gradio_app(server, demo, "/", auth=auth, css_paths=CSS_PATH, js=JS, ssr_mode=False,
                        footer_links=[], run_history=False)
    gradio_app = next(r.app for r in server.routes if isinstance(r, Mount) and r.path == "")

    def is_logged_in(cookies: dict[str, str]) -> bool:
        name = f"access-token-{gradio_app.cookie_id}"
        token = cookies.get(name) or cookies.get(f"access-token-unsecure-{gradio_app.cookie_id}")
        return token is not None and token in gradio_app.tokens

    server.add_middleware(PageNoscript)
    if manager is None:
        server.add_middleware(RefusePaths, paths={UPLOAD_PATH}, message="this server is read-only: documents cannot be uploaded")
    server.add_middleware(LoginGuard, credentials=auth, is_logged_in=is_logged_in, throttle=LoginThrottle())
    uploads = {} if manager is None else {UPLOAD_PATH: manager.max_bytes * docs.UPLOAD_REQUEST_FILES + MAX_BODY_BYTES}
    server.add_middleware(BodyLimit, larger=uploads)  # added last, so it runs first
    return server


class PageNoscript:
    """Puts NOSCRIPT at the top of the page's body, and marks the page as Chinese (Gradio's template says English)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != "/" or scope.get("method") != "GET":
            return await self.app(scope, receive, send)
        # uncompressed, so that it can be edited; the page is a few KB
        scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"]}
        start, chunks = None, []

        async def collect(message):
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            if b"text/html" in dict(start["headers"]).get(b"content-type", b""):
                page = body.decode("utf-8")
                page = page.replace('lang="en"', 'lang="zh-CN"', 1)
                page = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + NOSCRIPT, page, count=1)
                body = page.encode("utf-8")
            headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
            await send({**start, "headers": headers + [(b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, collect)


def serve(host: str = "127.0.0.1", port: int = 7860, index_dir: str = "index", read_only: bool = False,
          seeds_dir: str = "seeds") -> None:
    """What `rag serve` runs: serve the chat and the API on the index in `index_dir`, following its rebuilds.
    Unless `read_only`, the Documents tab adds to and removes from the seeds folder the index was built from
    (`seeds_dir` when the index does not say), with RAG_MAX_FILE_MB as the size limit of a file."""
    live = LiveEngine(index_dir)
    if live.error:
        print(f"warning: {live.error}; answering 503 until it loads", file=sys.stderr)
    manager = None if read_only else docs.DocumentManager(live, Path(seeds_dir), max_file_bytes())
    print(f"* Running on http://{host}:{port}" + (" (read-only)" if read_only else ""), file=sys.stderr)
    uvicorn.run(create_server(live, _auth(), manager), host=host, port=port, log_level="warning")


def _auth() -> tuple[str, str] | None:
    value = os.environ.get("RAG_UI_AUTH")
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not (sep and user and password):
        raise rag.RagError("RAG_UI_AUTH must look like user:password")
    return user, password


def _default_index() -> str:
    return os.environ.get("RAG_INDEX", str(ROOT / "index"))


def __getattr__(name: str):
    # `demo` (for `gradio ui/app.py`, which serves the page without the JSON API) is built on first use, so
    # that `serve(index_dir=...)` does not also load the default index.
    if name == "demo":
        global demo
        demo = build_app(LiveEngine(_default_index()))
        return demo
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":
    serve(port=int(os.environ.get("GRADIO_SERVER_PORT", 7860)), index_dir=_default_index())
