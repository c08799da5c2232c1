import gradio as gr

from ui.app import EXAMPLES, build_app
from ui.live import LiveEngine
from ui_server import INDEX


def button_labels(demo: gr.Blocks) -> set[str]:
    return {b.value for b in demo.blocks.values() if isinstance(b, gr.Button)}


def test_example_questions_belong_to_the_indexed_documents(tiny_index):
    article_examples = set(EXAMPLES["openai-vs-anthropic-2026-03.txt"]["zh"])
    assert article_examples <= button_labels(build_app(LiveEngine(INDEX)))
    assert not article_examples & button_labels(build_app(LiveEngine(tiny_index)))
