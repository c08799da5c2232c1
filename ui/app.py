"""The browser chat for the retrieval QA engine.

Run it with `rag serve` or `python ui/app.py`; it listens on 127.0.0.1:7860 and answers from the index in
$RAG_INDEX (default: `index` in the repo root), switching to a rebuilt index by itself (ui/live.py). Set
RAG_UI_AUTH=user:password to require a login (ui/guard.py). Besides the page, the server has a plain JSON
API under /api (ui/api.py), and `Client(url).predict(question, api_name="/ask")` returns the answer as JSON
(see `build_app`).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python ui/app.py` puts ui/, not the repo, on the path
    sys.path.insert(0, str(ROOT))

import gradio as gr  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from starlette.routing import Mount  # noqa: E402

import rag  # noqa: E402
from ui import render  # noqa: E402
from ui.api import create_api  # noqa: E402
from ui.guard import BodyLimit, LoginGuard, LoginThrottle  # noqa: E402
from ui.live import LiveEngine  # noqa: E402

# Example questions per source document: a button is shown only when its document is indexed, so
# another folder of documents never offers questions about this article.
EXAMPLES = {
    "openai-vs-anthropic-2026-03.txt": (
        "Anthropic 在企业 LLM API 市场的份额是多少？",
        "Claude 单日下载量较前一周增长了多少？",
        "这篇文章的作者是谁？",
        "When did OpenAI release GPT-5.4?",
    ),
}
LANGS = {"中文": "zh", "English": "en"}
# The engine is read-only and thread-safe; a few answers at once keep the CPU busy without
# letting one burst of clients starve the page of its own requests.
CONCURRENCY = 4
SESSIONS_KEPT = 200
CSS_PATH = Path(__file__).with_name("style.css")
# Opening a card's source document brings that card's own quote into view.
JS = """
() => {
  document.addEventListener('toggle', (e) => {
    const d = e.target;
    if (d.matches && d.matches('details.rag-doc') && d.open) {
      const m = d.querySelector('mark.rag-current') || d.querySelector('mark');
      if (m) m.scrollIntoView({block: 'center'});
    }
  }, true);
}
"""


def build_app(live: LiveEngine) -> gr.Blocks:
    """The chat page, plus Gradio's `/ask` API endpoint (the plain JSON API is in ui/api.py).

    `/ask` takes a question and returns `answer.to_json()` (text, answerable, citations with source,
    quote, start, end, score, passages, timings) with the `build_id` and `built_at` of the index that
    answered. A question the engine refuses to take (empty, over 1000 characters, control characters), or
    no question at all, returns `{"error": message}` instead of failing the call.
    """

    def respond(question: str, history: list, lang_label: str):
        lang = LANGS.get(lang_label, "zh")
        try:
            engine, _ = live.current()
            reply = render.answer(engine.ask(question), engine.document_text, lang)
        except rag.RagError as e:  # a question the engine would not take, or no index yet
            reply = render.notice(str(e))
        said = [{"role": "user", "content": render.question(question)}] if question.strip() else []
        return "", history + said + [{"role": "assistant", "content": reply}]

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
        t = render.LABELS[LANGS[lang_label]]
        return (
            header(lang_label),
            gr.update(label=t["question"], placeholder=t["placeholder"]),
            gr.update(value=t["send"]),
            gr.update(value=t["clear"]),
            t["examples"],
        )

    try:
        documents = live.current()[0].info.documents
    except rag.RagError:
        documents = ()
    t = render.LABELS["zh"]
    with gr.Blocks(title="中文文档问答", analytics_enabled=False) as demo:
        with gr.Row(elem_classes="rag-top"):
            head = gr.HTML(header("中文"), elem_classes="rag-head")
            lang = gr.Radio(list(LANGS), value="中文", show_label=False, container=False, scale=0, min_width=220)
        chat = gr.Chatbot(
            show_label=False,  # the floating label would cover the first line of the chat
            elem_id="rag-chat",
            height="60vh",
            min_height=320,
            latex_delimiters=[],
            feedback_options=None,
            group_consecutive_messages=False,  # a notice after an answer is a reply of its own
        )
        with gr.Row():
            box = gr.Textbox(label=t["question"], placeholder=t["placeholder"], lines=1, scale=5, min_width=200, elem_id="rag-question")
            send = gr.Button(t["send"], variant="primary", scale=1, min_width=80, elem_id="rag-send")
        examples = [q for source in documents for q in EXAMPLES.get(source, ())]
        examples_label = gr.Markdown(t["examples"], elem_classes="rag-examples-label", visible=bool(examples))
        with gr.Row(elem_classes="rag-examples"):
            buttons = [gr.Button(q, size="sm", min_width=120) for q in examples]
        clear = gr.ClearButton([box, chat], value=t["clear"], size="sm", elem_id="rag-clear")

        chat_events = dict(outputs=[box, chat], concurrency_limit=CONCURRENCY, concurrency_id="engine", api_visibility="private")
        box.submit(respond, [box, chat, lang], **chat_events)
        send.click(respond, [box, chat, lang], **chat_events)
        for b in buttons:  # a button's value is its label: the example question
            b.click(respond, [b, chat, lang], **chat_events)
        lang.change(relabel, lang, [head, box, send, clear, examples_label], queue=False, api_visibility="private")
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


def create_server(live: LiveEngine, auth: tuple[str, str] | None = None) -> FastAPI:
    """The whole server: the JSON API at /api, the chat at /, behind the body cap and the login (ui/guard.py)."""
    server = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    server.mount("/api", create_api(live))
    demo = build_app(live)
    gr.mount_gradio_app(server, demo, "/", auth=auth, css_paths=CSS_PATH, js=JS, ssr_mode=False,
                        footer_links=["api"], run_history=False)
    gradio_app = next(r.app for r in server.routes if isinstance(r, Mount) and r.path == "")

    def is_logged_in(cookies: dict[str, str]) -> bool:
        name = f"access-token-{gradio_app.cookie_id}"
        token = cookies.get(name) or cookies.get(f"access-token-unsecure-{gradio_app.cookie_id}")
        return token is not None and token in gradio_app.tokens

    server.add_middleware(LoginGuard, credentials=auth, is_logged_in=is_logged_in, throttle=LoginThrottle())
    server.add_middleware(BodyLimit)  # added last, so it runs first
    return server


def serve(host: str = "127.0.0.1", port: int = 7860, index_dir: str = "index") -> None:
    """What `rag serve` runs: serve the chat and the API on the index in `index_dir`, following its rebuilds."""
    live = LiveEngine(index_dir)
    if live.error:
        print(f"warning: {live.error}; answering 503 until it loads", file=sys.stderr)
    print(f"* Running on http://{host}:{port}", file=sys.stderr)
    uvicorn.run(create_server(live, _auth()), host=host, port=port, log_level="warning")


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
