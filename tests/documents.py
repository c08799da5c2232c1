"""Test documents in the formats rag reads, made from the article and from made-up text.

Each maker writes one file and returns what a reader of it should find, so tests and
benchmarks/extraction.py check extraction against the text that went in, not against another extractor.
The PDF needs a CJK font: Debian's fonts-wqy-microhei (installed by .ci/run).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ARTICLE_TEXT = (REPO / "seeds" / "openai-vs-anthropic-2026-03.txt").read_text(encoding="utf-8")
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

PDF_TITLE = "OpenAI 与 Anthropic:两条路线的较量"
RUNNING_HEADER = "锌财经 · 深度报道"


@dataclass(frozen=True)
class PdfFixture:
    path: Path
    paragraphs: tuple[str, ...]  # every body line of the article, each expected as one line of the extraction
    headings: tuple[str, ...]  # section titles, expected as "# ..." lines
    page_of: dict[str, int]  # first page (1-based) of some paragraphs, known because each section opens a page


def article_sections() -> list[list[str]]:
    """The article's lines split at its three section headings; the first list is the opening part."""
    lines = [line for line in ARTICLE_TEXT.split("\n") if line.strip()]
    sections, current = [], []
    for line in lines:
        if re.fullmatch(r"[^:。]{6,12}:[^:。]{6,12}", line):  # "安全观的分野:价值观红利与政治豪赌"
            sections.append(current)
            current = []
        current.append(line)
    sections.append(current)
    return sections


def wrap(line: str, width_of, width: float) -> list[str]:
    """Lines as a word processor breaks them: anywhere between CJK characters, Latin words kept whole,
    and a space where a line breaks stays at the end of the line (invisible, but in the text layer)."""
    rows, row = [], ""
    for unit in re.findall(r"[A-Za-z0-9.%\-/#+']+ ?|.", line):
        if row and width_of(row + unit.rstrip()) > width:
            rows.append(row)
            row = ""
        row += unit
    return rows + [row] if row else rows


def make_pdf(path: Path, repeat: int = 1) -> PdfFixture:
    """The article as a PDF: a large-font title, small header lines, 12 pt body wrapped inside sentences,
    each section on a new page with a 16 pt heading and an outline entry, a running header and a page number
    footer on every page. `repeat` > 1 appends the article again (for speed measurements on more pages)."""
    from fpdf import FPDF

    class Article(FPDF):
        def header(self):
            self.set_font("wqy", size=9)
            self.cell(0, 8, RUNNING_HEADER, align="C", new_x="LMARGIN", new_y="NEXT")
            self.ln(4)

        def footer(self):
            self.set_y(-15)
            self.set_font("wqy", size=9)
            self.cell(0, 10, f"- {self.page_no()} -", align="C")

    pdf = Article(format="A4")
    pdf.add_font("wqy", fname=str(CJK_FONT))
    pdf.set_margins(20, 15, 20)
    pdf.set_auto_page_break(True, margin=20)
    paragraphs, headings, page_of = [], [], {}
    for copy in range(repeat):
        for n, section in enumerate(article_sections()):
            pdf.add_page()
            if n == 0:
                pdf.set_font("wqy", size=20)
                pdf.start_section(PDF_TITLE) if copy == 0 else None
                pdf.multi_cell(0, 10, PDF_TITLE, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)
                body = section
            else:
                pdf.set_font("wqy", size=16)
                pdf.start_section(section[0], level=1)
                pdf.multi_cell(0, 9, section[0], new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)
                headings.append(section[0])
                body = section[1:]
            for line in body:
                small = n == 0 and len(line) < 30 and not line.endswith("。")  # the byline block
                pdf.set_font("wqy", size=9 if small else 12)
                page_of.setdefault(line, pdf.page_no())
                for row in wrap(line, lambda text: pdf.get_string_width(text), pdf.epw):
                    pdf.cell(0, 5 if small else 7, row, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(1 if small else 3)
                paragraphs.append(line)
    pdf.output(str(path))
    return PdfFixture(path, tuple(paragraphs), tuple(headings), page_of)


def image_only_pdf(path: Path) -> Path:
    """A PDF whose one page is a drawing with no text layer, as a scanner makes."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(40, 40, 40)
    for row in range(20):
        pdf.rect(20, 20 + row * 12, 150 - (row % 3) * 30, 6, style="F")  # lines of "text" as pixels would be
    pdf.output(str(path))
    return path


def encrypted_pdf(path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("wqy", fname=str(CJK_FONT))
    pdf.add_page()
    pdf.set_font("wqy", size=12)
    pdf.cell(0, 10, "机密文件。")
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.output(str(path))
    return path


REPORT_LINES = (
    "# 星河科技 2025 年度报告",
    "# 一、公司概况",
    "星河科技成立于 2012 年，总部位于杭州。公司主要从事工业机器人的研发与制造。",
    "## 1.1 员工情况",
    "截至 2025 年底，公司共有员工 1280 人，其中研发人员占 46%。",
    "# 二、财务数据",
    "下表列出了近三年的主要财务数据。",
    "年份 | 营业收入（亿元） | 净利润（亿元）",
    "2023 | 12.5 | 1.8",
    "2024 | 15.2 | 2.3",
    "2025 | 18.9 | 3.1",
    "# 三、未来计划",
    "公司计划在 2026 年于成都建设第二个生产基地，预计投资 6 亿元。",
)


def make_docx(path: Path) -> str:
    """A made-up annual report in Word: a title, headings of two levels, body text and a table.
    Returns the text the extraction must give (REPORT_LINES joined by newlines)."""
    import docx

    document = docx.Document()
    for line in REPORT_LINES:
        if line.startswith("# 星河"):
            document.add_heading(line[2:], level=0)  # the Title style
        elif line.startswith("#"):
            level = len(line.split(" ")[0])
            document.add_heading(line[level + 1:], level=level)
        elif " | " in line:
            if line.startswith("年份"):
                rows = [r.split(" | ") for r in REPORT_LINES if " | " in r]
                table = document.add_table(rows=len(rows), cols=3)
                for cells, row in zip(rows, table.rows):
                    for text, cell in zip(cells, row.cells):
                        cell.text = text
        else:
            document.add_paragraph(line)
    document.add_paragraph("")  # empty paragraphs, as Word leaves them, are not text
    document.save(str(path))
    return "\n".join(REPORT_LINES)


PRICE_ROWS = (  # made up; the long cell wraps onto three printed lines inside its cell
    ("型号", "上市时间", "价格（元）", "说明"),
    ("星河 R1", "2023 年", "12800", "六轴协作机器人，负载五公斤，适合电子装配与精密检测"),
    ("星河 R2", "2024 年", "18600", "负载 10 公斤"),
)
STAFF_ROWS = (("部门", "人数"), ("研发", "589"), ("生产", "472"), ("销售", "219"))


def make_table_pdf(path: Path) -> str:
    """The Word report's facts as a PDF with two ruled tables: one whose cells are drawn as rectangles (as
    fpdf2 and many report tools do), one bordered by thin rule lines (as word processors print tables), and
    a third block of text under horizontal rules only, which is no table. Returns the text the extraction
    must give."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("wqy", fname=str(CJK_FONT))
    pdf.set_margins(20, 15, 20)
    pdf.add_page()
    pdf.set_font("wqy", size=12)
    lines = ["星河科技的主要产品如下表所示。"]
    pdf.multi_cell(0, 7, lines[-1], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    with pdf.table(col_widths=(25, 25, 30, 90), headings_style=None, first_row_as_headings=False) as table:
        for cells in PRICE_ROWS:
            row = table.row()
            for text in cells:
                row.cell(text)
    lines += [" | ".join(cells) for cells in PRICE_ROWS]
    pdf.ln(5)
    lines.append("各部门的员工人数见下表。")
    pdf.multi_cell(0, 7, lines[-1], new_x="LMARGIN", new_y="NEXT")
    top, x0, widths, height = pdf.get_y() + 3, 20, (40, 30), 8
    for n, cells in enumerate(STAFF_ROWS):
        for m, text in enumerate(cells):
            pdf.set_xy(x0 + sum(widths[:m]) + 2, top + n * height)
            pdf.cell(widths[m] - 4, height, text)
    pdf.set_line_width(0.3)
    for n in range(len(STAFF_ROWS) + 1):
        pdf.line(x0, top + n * height, x0 + sum(widths), top + n * height)
    for m in range(len(widths) + 1):
        pdf.line(x0 + sum(widths[:m]), top, x0 + sum(widths[:m]), top + len(STAFF_ROWS) * height)
    lines += [" | ".join(cells) for cells in STAFF_ROWS]
    pdf.set_y(top + len(STAFF_ROWS) * height + 8)
    lines.append("公司计划在 2026 年于成都建设第二个生产基地。")
    pdf.line(20, pdf.get_y(), 190, pdf.get_y())
    pdf.multi_cell(0, 7, lines[-1], new_x="LMARGIN", new_y="NEXT")
    pdf.line(20, pdf.get_y(), 190, pdf.get_y())
    pdf.output(str(path))
    return "\n".join(lines)


def _wrap_source(paragraph: str, width: int = 30) -> str:
    """A paragraph as a hand-written HTML source holds it: broken over lines between two CJK characters."""
    out, count = [], 0
    for i, ch in enumerate(paragraph):
        out.append(ch)
        count += 1
        after = paragraph[i + 1 : i + 2]
        if count >= width and "\u4e00" <= ch <= "\u9fff" and "\u4e00" <= after <= "\u9fff":
            out.append("\n      ")
            count = 0
    return "".join(out)


def make_html(path: Path) -> tuple[str, ...]:
    """The article as a news web page: site header, navigation, scripts, a sidebar and a footer around an
    <article> with an <h1> title and <h2> section headings. Returns the paragraphs the extraction must give."""
    import html

    sections = article_sections()
    body = ['<div class="meta">' + "<br>\n".join(html.escape(line) for line in sections[0][:6]) + "</div>"]
    body += [f"<p>{_wrap_source(html.escape(line))}</p>" for line in sections[0][6:]]
    for section in sections[1:]:
        body.append(f"<h2>{html.escape(section[0])}</h2>")
        body += [f"<p>\n      {_wrap_source(html.escape(line))}\n    </p>" for line in section[1:]]
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <title>{PDF_TITLE} - 锌财经</title>
  <style>.nav {{ color: red; }} /* 样式表里的中文不是正文 */</style>
  <script>var ad = "广告脚本里的中文不是正文。";</script>
</head>
<body>
  <header class="site"><a href="/">锌财经首页</a> <span>登录</span></header>
  <nav class="nav"><ul><li><a href="/tech">科技频道</a></li><li><a href="/fin">财经频道</a></li></ul></nav>
  <main>
    <article>
      <h1>{html.escape(PDF_TITLE)}</h1>
      {chr(10).join(body)}
    </article>
    <aside><h3>相关阅读</h3><ul><li><a href="/x">英伟达财报解读：数据中心收入创新高。</a></li></ul></aside>
  </main>
  <footer>版权所有 © 2026 锌财经。未经授权禁止转载。</footer>
  <script>track("页面浏览统计。");</script>
</body>
</html>
"""
    path.write_text(page, encoding="utf-8")
    return tuple(line for section in sections for line in section)


HTML_NOISE = ("样式表", "广告脚本", "锌财经首页", "科技频道", "相关阅读", "英伟达", "版权所有", "页面浏览")
