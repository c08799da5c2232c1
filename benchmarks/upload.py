"""Upload to answerable, in the browser: a 20-page PDF dropped on the Documents tab until the chat answers from it.

    .venv/bin/python benchmarks/upload.py [RUNS=5]

Each run serves a fresh copy of the committed index (the article) and an empty embedding cache, uploads the
same 20-page PDF of made-up text (article sentences with their numbers changed, so none is embedded already)
through the file input of headless Chromium, and times, from the moment the file is given to the page:
"indexed", until the tab says the file was added (the new index is then the one answering), and "answered",
until the chat's answer to a question only the PDF answers is shown, citing it with its page (the question
is asked as soon as the tab says so). Prints each run and the medians.
"""
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

from incremental import article_sentences, made_up_text  # noqa: E402

PAGES = 20
FACT = "蓝鲸科技在 2031 年于拉萨设立了第三个研发中心。"
QUESTION = "蓝鲸科技在哪里设立了第三个研发中心？"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def make_pdf(path: Path) -> int:
    """A PDF of exactly PAGES pages of made-up paragraphs, FACT on the last page; returns its extracted length."""
    import pypdfium2
    from fpdf import FPDF

    from documents import CJK_FONT, wrap
    from rag.extract import extract

    rng, sentences = random.Random(0), article_sentences()
    pdf = FPDF(format="A4")
    pdf.add_font("wqy", fname=str(CJK_FONT))
    pdf.set_font("wqy", size=12)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()

    def write(paragraph: str) -> None:
        for row in wrap(paragraph, pdf.get_string_width, pdf.epw):
            pdf.cell(0, 7, row, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)

    while pdf.page_no() < PAGES:
        write(made_up_text(rng, sentences, 120).replace("\n", ""))
    write(FACT)
    while pdf.page_no() == PAGES:  # the last page full too; what spills onto the next is cut off below
        write(made_up_text(rng, sentences, 120).replace("\n", ""))
    full = path.with_suffix(".full.pdf")
    pdf.output(str(full))
    whole, cut = pypdfium2.PdfDocument(str(full)), pypdfium2.PdfDocument.new()
    cut.import_pages(whole, list(range(PAGES)))
    cut.save(str(path))
    cut.close()
    whole.close()
    full.unlink()
    return len(extract(".pdf", path.read_bytes()).text)


def one_run(browser, pdf: Path, folder: Path) -> tuple[float, float]:
    from playwright.sync_api import expect

    from ui_server import running_server

    shutil.copytree(REPO / "seeds", folder / "seeds")
    shutil.copytree(REPO / "index", folder / "index")
    with running_server(folder / "index", folder) as (url, _):
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.set_default_timeout(600_000)
        page.goto(url)
        page.get_by_role("tab", name="文档").click()
        started = time.perf_counter()
        page.locator("#rag-upload input[type=file]").set_input_files(pdf)
        expect(page.locator("#rag-docs-status .rag-done")).to_have_text(f"已加入索引：{pdf.name}", timeout=600_000)
        indexed = time.perf_counter() - started
        page.get_by_role("tab", name="问答").click()
        box = page.locator("#rag-question textarea")
        box.fill(QUESTION)
        box.press("Enter")
        card = page.locator(".rag-answer .rag-card").first
        expect(card.locator(".rag-source")).to_have_text(pdf.name, timeout=600_000)
        answered = time.perf_counter() - started
        expect(card.locator(".rag-page")).to_have_text(f"第 {PAGES} 页")
        page.close()
    return indexed, answered


def main() -> None:
    from playwright.sync_api import sync_playwright

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory(prefix="rag-upload-bench-") as tmp:
        pdf = Path(tmp) / "报告-20页.pdf"
        chars = make_pdf(pdf)
        print(f"{pdf.name}: {PAGES} pages, {chars:,} characters, {pdf.stat().st_size / 1024:.0f} KB")
        indexed, answered = [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
            for run in range(runs):
                a, b = one_run(browser, pdf, Path(tmp) / f"run{run}")
                indexed.append(a)
                answered.append(b)
                print(f"run {run + 1}: indexed {a:.1f} s, answered {b:.1f} s", flush=True)
            browser.close()
    print(f"median of {runs}: upload to indexed {statistics.median(indexed):.1f} s "
          f"({min(indexed):.1f}-{max(indexed):.1f}), upload to answer shown {statistics.median(answered):.1f} s "
          f"({min(answered):.1f}-{max(answered):.1f})")


if __name__ == "__main__":
    main()
