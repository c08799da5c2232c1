"""Word .docx -> text, with python-docx (MIT).

Body paragraphs and tables in document order. A paragraph in a heading style ("Heading 1".."Heading 9",
"Title", or any style with an outline level) becomes a Markdown heading line (`#` per level); a table
becomes one line per row, its cells joined by " | " (a merged cell is written once). Empty paragraphs are
dropped. Headers, footers, comments and text boxes are not body text and are left out.
"""
from __future__ import annotations

import io
import re
import zipfile

from rag.extract.result import ExtractError, Extracted

HEADING_STYLE = re.compile(r"(?:heading|标题)\s*(\d)", re.IGNORECASE)


def extract_docx(data: bytes) -> Extracted:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as e:
        if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # an OLE file: encrypted .docx, or an old .doc renamed
            raise ExtractError("encrypted or old-format (.doc) Word file; save it as an unprotected .docx") from None
        raise ExtractError(f"damaged Word file ({type(e).__name__}); open and save it again as .docx") from None
    lines = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            text = block.text.strip()
            if text:
                level = _heading_level(block)
                lines.append("#" * level + " " + text if level else text)
        elif isinstance(block, Table):
            lines += _table_rows(block)
    return Extracted("\n".join(lines), "docx")


def _heading_level(paragraph) -> int:
    """1.. for a heading (its style's name or outline level, or the paragraph's own outline level), else 0."""
    if level := _outline_level(paragraph._p):
        return level
    style = paragraph.style
    while style is not None:
        if style.name == "Title":
            return 1
        if m := HEADING_STYLE.fullmatch(style.name or ""):
            return int(m.group(1))
        if level := _outline_level(style.element):
            return level
        style = style.base_style
    return 0


def _outline_level(element) -> int:
    values = element.xpath("./w:pPr/w:outlineLvl/@w:val")
    return int(values[0]) + 1 if values and values[0].isdigit() and int(values[0]) < 9 else 0


def _table_rows(table) -> list[str]:
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # python-docx repeats a horizontally merged cell
                continue
            seen.add(id(cell._tc))
            cells.append(re.sub(r"\s+", " ", cell.text).strip())
        if any(cells):
            rows.append(" | ".join(cells))
    return rows
