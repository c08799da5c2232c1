"""The browser chat for the retrieval QA engine.

Run it with `rag serve`, `python ui/app.py` or `gradio ui/app.py`; it listens on 127.0.0.1:7860 and
answers from the index in $RAG_INDEX (default: `index` in the repo root). Set RAG_UI_AUTH=user:password
to require a login. Besides the page, `Client(url).predict(question, api_name="/ask")` returns the
answer as JSON (see `build_app`).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python ui/app.py` puts ui/, not the repo, on the path
    sys.path.insert(0, str(ROOT))

import gradio as gr  # noqa: E402

import rag  # noqa: E402
from ui import render  # noqa: E402

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


def build_app(engine: rag.Engine) -> gr.Blocks:
    """The chat page, plus the `/ask` API endpoint.

    `/ask` takes a question and returns `answer.to_json()` (text, answerable, citations with source,
    quote, start, end, score, passages, timings). A question the engine refuses to take (empty, over
    1000 characters, control characters) returns `{"error": message}` instead of failing the call.
    """

    def respond(question: str, history: list, lang_label: str):
        lang = LANGS[lang_label]
        try:
            reply = render.answer(engine.ask(question), engine.document_text, lang)
        except rag.QuestionError as e:
            reply = render.notice(str(e))
        said = [{"role": "user", "content": render.question(question)}] if question.strip() else []
        return "", history + said + [{"role": "assistant", "content": reply}]

    def ask(question: str) -> dict:
        try:
            return engine.ask(question).to_json()
        except rag.QuestionError as e:
            return {"error": str(e)}

    def relabel(lang_label: str):
        t = render.LABELS[LANGS[lang_label]]
        return (
            render.header(engine.info, LANGS[lang_label]),
            gr.update(label=t["question"], placeholder=t["placeholder"]),
            gr.update(value=t["send"]),
            gr.update(value=t["clear"]),
            t["examples"],
        )

    t = render.LABELS["zh"]
    with gr.Blocks(title="中文文档问答", analytics_enabled=False) as demo:
        with gr.Row(elem_classes="rag-top"):
            head = gr.HTML(render.header(engine.info, "zh"), elem_classes="rag-head")
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
        examples = [q for source in engine.info.documents for q in EXAMPLES.get(source, ())]
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
        gr.api(ask, api_name="ask", concurrency_limit=CONCURRENCY, concurrency_id="engine")
    return demo


def launch(app: gr.Blocks, host: str | None = None, port: int | None = None) -> None:
    """Serve `app` until interrupted; never through a public share link.

    Without a host or port, Gradio's own defaults apply: $GRADIO_SERVER_NAME or 127.0.0.1, and
    $GRADIO_SERVER_PORT or the first free port from 7860.
    """
    app.launch(
        server_name=host,
        server_port=port,
        share=False,
        auth=_auth(),
        css_paths=CSS_PATH,
        js=JS,
        ssr_mode=False,
    )


def serve(host: str = "127.0.0.1", port: int = 7860, index_dir: str = "index") -> None:
    """What `rag serve` runs: load the index once and serve the chat on it."""
    launch(build_app(rag.load(index_dir)), host, port)


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
    # `demo` is built on first use, so that `serve(index_dir=...)` does not also load the default index.
    if name == "demo":
        global demo
        demo = build_app(rag.load(_default_index()))
        return demo
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":
    demo = build_app(rag.load(_default_index()))
    launch(demo)
