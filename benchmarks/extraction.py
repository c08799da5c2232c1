"""Extraction quality and speed on the test documents (tests/documents.py), for the library choices in README.

    .venv/bin/python benchmarks/extraction.py

PDF: the article printed over 6 pages (and 10 copies, 60 pages, for speed), read by pypdfium2 (what rag uses)
and by pdfplumber (pdfminer), both through the same paragraph rebuilding (rag/extract/pdf.py `layout`).
HTML: the article as a news page, by rag's selectolax reader and by trafilatura (markdown output).
Quality: the share of the article's paragraphs found as exact lines, headings found, and page furniture or
navigation text that leaked in. pdfplumber and trafilatura are only needed here (pip install them to compare).
"""
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from documents import (HTML_NOISE, RUNNING_HEADER, article_sections, make_docx, make_html, make_pdf,  # noqa: E402
                       make_table_pdf)
from rag.extract import extract  # noqa: E402
from rag.extract.pdf import Line, layout  # noqa: E402


def best_of(fn, runs=5):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return result, statistics.median(times)


def pdfplumber_text(path: Path) -> str:
    import pdfplumber

    pages = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            lines = []
            for row in page.extract_text_lines(return_chars=True, strip=False):
                chars = [c for c in row["chars"] if c["text"].strip()]
                if not chars:
                    continue
                word = re.match(r"[A-Za-z0-9][\w.%\-/'’]*|.", row["text"].lstrip())
                first_word = chars[min(len(word.group()), len(chars)) - 1]["x1"] - chars[0]["x0"]
                lines.append(Line(row["text"], chars[0]["size"], chars[0]["x0"], chars[-1]["x1"],
                                  page.height - chars[0]["bottom"], first_word))
            pages.append(lines)
    return layout(pages, {})[0]


def pdf_quality(text: str, fixture) -> str:
    lines = text.split("\n")
    found = sum(p in lines for p in fixture.paragraphs)
    headings = sum(any(line.startswith("#") and line.endswith(h) for line in lines) for h in fixture.headings)
    leaked = sum(RUNNING_HEADER in line or re.fullmatch(r"- \d+ -", line) is not None for line in lines)
    return (f"paragraphs exact {found}/{len(fixture.paragraphs)}, section headings {headings}/{len(fixture.headings)}, "
            f"header/footer lines leaked {leaked}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        small, big = make_pdf(tmp / "a.pdf"), make_pdf(tmp / "b.pdf", repeat=10)
        data = big.path.read_bytes()
        pages_big = len(extract(".pdf", data).pages)
        print(f"PDF ({pages_big} pages, {len(data) // 1024} KB)")
        text, seconds = best_of(lambda: extract(".pdf", data).text)
        print(f"  pypdfium2:  {pages_big / seconds:6.0f} pages/s; 6-page article: "
              f"{pdf_quality(extract('.pdf', small.path.read_bytes()).text, small)}")
        try:
            _, seconds = best_of(lambda: pdfplumber_text(big.path), runs=1)
            print(f"  pdfplumber: {pages_big / seconds:6.0f} pages/s; 6-page article: "
                  f"{pdf_quality(pdfplumber_text(small.path), small)}")
        except ImportError:
            print("  pdfplumber: not installed")
        expected = make_table_pdf(tmp / "tables.pdf").split("\n")
        got = extract(".pdf", (tmp / "tables.pdf").read_bytes()).text.split("\n")
        rows = [line for line in expected if " | " in line]
        print(f"  ruled tables (2 tables, 7 rows, one cell wrapped over 3 lines): rows exact {sum(r in got for r in rows)}/{len(rows)}, "
              f"lines exact {sum(a == b for a, b in zip(expected, got))}/{len(expected)}")

        paragraphs = make_html(tmp / "p.html")
        headings = [s[0] for s in article_sections()[1:]]
        body = [p for p in paragraphs if p not in headings]
        page = (tmp / "p.html").read_bytes()

        def html_quality(text):
            lines = [line.strip() for line in text.split("\n")]
            found = sum(p in lines for p in body)
            heads = sum(any(line.startswith("#") and line.endswith(h) for line in lines) for h in headings)
            leaked = [n for n in HTML_NOISE if n in text]
            return f"paragraphs exact {found}/{len(body)}, headings {heads}/{len(headings)}, noise leaked {len(leaked)}/{len(HTML_NOISE)}"

        text, seconds = best_of(lambda: extract(".html", page).text, runs=20)
        print(f"HTML ({len(page) // 1024} KB)\n  selectolax: {seconds * 1000:6.1f} ms/page; {html_quality(text)}")
        try:
            import trafilatura

            text, seconds = best_of(lambda: trafilatura.extract(page.decode("utf-8"), output_format="markdown",
                                                                include_tables=True, favor_recall=True), runs=5)
            print(f"  trafilatura:{seconds * 1000:6.1f} ms/page; {html_quality(text or '')}")
        except ImportError:
            print("  trafilatura: not installed")

        expected = make_docx(tmp / "r.docx")
        doc = (tmp / "r.docx").read_bytes()
        text, seconds = best_of(lambda: extract(".docx", doc).text, runs=20)
        print(f"DOCX\n  python-docx: {seconds * 1000:5.1f} ms/file; text as written: {text == expected}")


if __name__ == "__main__":
    main()
