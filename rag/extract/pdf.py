"""PDF text layer -> text, with pypdfium2 (PDFium; Apache-2.0/BSD). Measured against pdfplumber in README.

PDFium gives each page's text with a line break after every printed line. From its lines we rebuild paragraphs:
- a line continues on the next one when the next line's first word would not have fit after it (the layout
  broke the line there) and no paragraph spacing or first-line indent comes between them; the two are joined
  with nothing between CJK characters, or a space between two Latin words whose space the layout dropped;
- lines in a larger font than the body (or whose text is an outline entry) become Markdown `#` headings,
  one `#` more for each smaller heading size;
- running headers and footers (the same first or last line on many pages, numbers aside) and page numbers
  ("3", "- 3 -", "第 3 页", "3 / 12") are dropped, so they are never quoted and never split a sentence;
- a ruled table (its cells drawn as rectangles or bordered by rule lines, as word processors print them)
  becomes one line per row, cells joined by " | " as for Word tables: PDFium alone gives a row as one line
  only when no cell wraps, and a wrapped cell's second line as a line of its own.
The start offset of each page's text in the result is kept, for `Citation.page`.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from rag.extract.result import ExtractError, Extracted

PAGE_NUMBER = re.compile(r"[-–—\s]*(第\s*\d+\s*页|page\s*\d+(\s*(of|/)\s*\d+)?|\d+(\s*/\s*\d+)?)[-–—\s]*", re.IGNORECASE)
HEADING_SCALE = 1.15  # a line this much larger than the body text is a heading
MAX_HEADING_CHARS = 60
FURNITURE_LINES = 2  # lines at the top and at the bottom of a page that may be a running header or footer
RULE = 3.0  # points: a drawn path thinner than this is a rule line; also how near two edges must be to be one
CELL_SEPARATOR = " | "


@dataclass(frozen=True)
class Line:
    text: str
    size: float  # font size of its first character, in points
    left: float
    right: float  # right edge of its last visible character
    bottom: float  # of its first character's font box; PDF y grows upwards
    first_word: float  # width of its first word (one CJK character, or a run of Latin letters and digits)
    row: bool = False  # a table row: its cells joined by CELL_SEPARATOR, never joined to another line


@dataclass(frozen=True)
class Grid:
    """A ruled table on a page: the x of its column edges (left to right) and the y of its row edges (top to
    bottom; PDF y grows upwards)."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]

    def holds(self, x: float, y: float) -> bool:
        return self.xs[0] <= x <= self.xs[-1] and self.ys[-1] <= y <= self.ys[0]

    def cell(self, x: float, y: float) -> tuple[int, int]:
        return sum(1 for edge in self.ys[1:-1] if y < edge), sum(1 for edge in self.xs[1:-1] if x > edge)


def extract_pdf(data: bytes) -> Extracted:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise ExtractError("encrypted PDF (password protected); save a copy without a password") from None
        raise ExtractError(f"damaged PDF ({_reason(e)}); re-save it or export it again") from None
    try:
        pages = [_page_lines(pdf[i]) for i in range(len(pdf))]
        outline = _outline_levels(pdf)
    except pdfium.PdfiumError as e:
        raise ExtractError(f"damaged PDF ({_reason(e)}); re-save it or export it again") from None
    finally:
        pdf.close()
    if not any(line.text.strip() for lines in pages for line in lines):
        raise ExtractError(f"no text layer in its {len(pages)} page(s) (a scanned PDF?); OCR is not supported, "
                           "so add a PDF with selectable text")
    text, starts = layout(pages, outline)
    return Extracted(text, "pdf", tuple(starts))


def _reason(error: Exception) -> str:
    found = re.search(r"PDFium: ([^)]*)", str(error))
    return found.group(1).lower() if found else str(error).rstrip(".")


def _page_lines(page) -> list[Line]:
    import pypdfium2.raw as raw

    grids = _grids(page)
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        lines, start = [], 0
        tables: dict[int, dict[tuple[int, int, int], list[str]]] = {}  # grid -> (row, column, line) -> characters
        for number, part in enumerate(text.split("\r\n")):
            visible = len(part.rstrip())
            if visible:
                first = start + len(part) - len(part.lstrip())
                grid = _grid_holding(textpage, first, grids) if grids else None
                if grid is not None:
                    if grid not in tables:  # the table's rows take the place of its first line
                        tables[grid] = {}
                        lines.append(grid)
                    _cells(textpage, grids[grid], first, part[first - start:visible], number, tables[grid])
                else:
                    left, bottom, _, _ = textpage.get_charbox(first, loose=True)
                    word = re.match(r"[A-Za-z0-9][\w.%\-/'’]*|.", part[first - start:])
                    first_word = textpage.get_charbox(first + len(word.group()) - 1, loose=True)[2] - left
                    right = textpage.get_charbox(start + visible - 1)[2]
                    lines.append(Line(part.replace("\x00", ""), raw.FPDFText_GetFontSize(textpage.raw, first),
                                      left, right, bottom, first_word))
            start += len(part) + 2
        return [row for line in lines for row in (_rows(tables[line], grids[line]) if isinstance(line, int) else [line])]
    finally:
        textpage.close()


def _grid_holding(textpage, char: int, grids: list[Grid]) -> int | None:
    """The number of the grid the centre of character `char` falls in, if any."""
    left, bottom, right, top = textpage.get_charbox(char)
    return next((g for g, grid in enumerate(grids) if grid.holds((left + right) / 2, (bottom + top) / 2)), None)


def _grids(page) -> list[Grid]:
    """The ruled tables of a page, from its drawn paths: thin ones are rule lines, others cell rectangles;
    paths that touch belong to one table, and a table has at least two cells."""
    import numpy as np
    import pypdfium2.raw as raw

    width, height = page.get_size()
    boxes = np.array([obj.get_bounds() for obj in page.get_objects(filter=(raw.FPDF_PAGEOBJ_PATH,))], dtype=np.float64)
    if len(boxes) < 2:
        return []
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    # a page or column background is no table border; dots and specks are nothing
    boxes = boxes[(w * h < width * height / 2) & ((w > RULE) | (h > RULE))]
    near = ((boxes[:, None, 0] <= boxes[None, :, 2] + RULE) & (boxes[None, :, 0] <= boxes[:, None, 2] + RULE)
            & (boxes[:, None, 1] <= boxes[None, :, 3] + RULE) & (boxes[None, :, 1] <= boxes[:, None, 3] + RULE))
    group = np.full(len(boxes), -1)
    for seed in range(len(boxes)):
        if group[seed] >= 0:
            continue
        group[seed], todo = seed, [seed]
        while todo:
            members = np.flatnonzero(near[todo.pop()] & (group < 0))
            group[members] = seed
            todo.extend(members.tolist())
    grids = []
    for seed in np.unique(group):
        xs, ys = [], []
        for left, bottom, right, top in boxes[group == seed]:
            if right - left > RULE:
                ys += [(bottom + top) / 2] if top - bottom <= RULE else [bottom, top]
            if top - bottom > RULE:
                xs += [(left + right) / 2] if right - left <= RULE else [left, right]
        xs, ys = _edges(xs), _edges(ys)[::-1]
        if len(xs) >= 2 and len(ys) >= 2 and (len(xs) - 1) * (len(ys) - 1) >= 2:
            grids.append(Grid(tuple(xs), tuple(ys)))
    return grids


def _edges(values: list[float]) -> list[float]:
    """Positions closer than RULE are one edge (a border drawn twice, by the cells on either side)."""
    edges: list[list[float]] = []
    for v in sorted(values):
        if edges and v - edges[-1][-1] <= RULE:
            edges[-1].append(v)
        else:
            edges.append([v])
    return [sum(e) / len(e) for e in edges]


def _cells(textpage, grid: Grid, first: int, text: str, line: int, cells: dict[tuple[int, int, int], list[str]]) -> None:
    """Adds one printed line's characters to the table cells their centres fall in."""
    place = None
    for offset, ch in enumerate(text):
        left, bottom, right, top = textpage.get_charbox(first + offset)
        if right > left or top > bottom or place is None:  # a space PDFium made up has no box: it goes on
            place = grid.cell((left + right) / 2, (bottom + top) / 2)
        cells.setdefault((*place, line), []).append(ch)


def _rows(cells: dict[tuple[int, int, int], list[str]], grid: Grid) -> list[Line]:
    """One line per table row; a cell's printed lines are joined as a paragraph's are."""
    rows = []
    for row in range(len(grid.ys) - 1):
        texts = []
        for column in range(len(grid.xs) - 1):
            text = ""
            for key in sorted(k for k in cells if k[:2] == (row, column)):
                piece = "".join(cells[key]).strip()
                text += (_joiner(text, piece) if text and piece else "") + piece
            texts.append(re.sub(r"\s+", " ", text))
        if any(texts):
            line = CELL_SEPARATOR.join(texts)
            rows.append(Line(line, 0.0, grid.xs[0], grid.xs[-1], grid.ys[row + 1], 0.0, row=True))
    return rows


def _outline_levels(pdf) -> dict[str, int]:
    """Outline (bookmark) title -> depth, 0 for the top level."""
    try:
        return {_squash(item.get_title()): item.level for item in pdf.get_toc(max_depth=6)}
    except Exception:  # a broken outline costs the headings it would have named, not the document
        return {}


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _furniture(pages: list[list[Line]]) -> set[str]:
    """Keys of lines that repeat at the top or bottom of many pages: running headers and footers."""
    seen = Counter()
    for lines in pages:
        edge = lines[:FURNITURE_LINES] + lines[-FURNITURE_LINES:]
        seen.update({_furniture_key(line.text) for line in edge if not line.row})  # a table's repeated header row stays
    need = max(2, (len(pages) + 1) // 2)
    return {key for key, n in seen.items() if n >= need and len(key) <= 40}


def _furniture_key(s: str) -> str:
    return re.sub(r"\d+", "#", _squash(s))


def _body_lines(pages: list[list[Line]]) -> list[list[Line]]:
    furniture = _furniture(pages)
    kept = []
    for lines in pages:
        n = len(lines)
        kept.append([line for i, line in enumerate(lines)
                     if line.row or not ((i < FURNITURE_LINES or i >= n - FURNITURE_LINES) and
                             (_furniture_key(line.text) in furniture or PAGE_NUMBER.fullmatch(line.text)))])
    return kept


def layout(pages: list[list[Line]], outline: dict[str, int]) -> tuple[str, list[int]]:
    """The document's text from its pages' lines, and the offset where each page's text starts."""
    pages = _body_lines(pages)
    lines = [line for page in pages for line in page if not line.row]  # what the body's font and edges come from
    if not any(page for page in pages):
        return "", [0] * len(pages)
    sizes = Counter()
    for line in lines:
        sizes[round(line.size)] += len(line.text)
    body = sizes.most_common(1)[0][0] if sizes else 0  # 0: the document is all tables
    heading_sizes = sorted({round(l.size) for l in lines if l.size >= HEADING_SCALE * body}, reverse=True)
    body_lines = [line for line in lines if round(line.size) == body]
    right_edge = max((line.right for line in body_lines), default=0.0)
    left_edge = min((line.left for line in body_lines), default=0.0)
    pitch = _line_pitch(pages, body)

    out: list[str] = []
    starts: list[int] = []
    length = 0
    previous: Line | None = None  # the last line written, when the next one may continue it
    for page in pages:
        starts.append(length)
        first_on_page = True
        for line in page:
            text = line.text.strip()
            level = 0 if line.row else _heading_level(line, text, outline, heading_sizes)
            if line.row:
                prefix = "\n" if out else ""
            elif level:
                prefix, text = "\n" if out else "", "#" * level + " " + text
            elif previous is not None and _runs_on(previous, line, left_edge, right_edge, pitch):
                prefix = _joiner(previous.text, text)
            else:
                prefix = "\n" if out else ""
            previous = None if level or round(line.size) != body else line
            if first_on_page:
                starts[-1] = length + len(prefix)
                first_on_page = False
            out.append(prefix + text)
            length += len(prefix) + len(text)
    return "".join(out), starts


def _line_pitch(pages: list[list[Line]], body: int) -> float:
    """The usual distance between two body lines of one paragraph (the median over the document)."""
    steps = sorted(a.bottom - b.bottom for page in pages for a, b in zip(page, page[1:])
                   if round(a.size) == round(b.size) == body and a.bottom > b.bottom)
    return steps[len(steps) // 2] if steps else 0.0


def _runs_on(line: Line, following: Line, left_edge: float, right_edge: float, pitch: float) -> bool:
    """Whether `following` continues the paragraph of `line`: the next line's first word would not have fit
    at the end of this one, with no paragraph spacing and no first-line indent between them (a new page
    resets both)."""
    if pitch and line.bottom > following.bottom and line.bottom - following.bottom > 1.3 * pitch:
        return False
    if following.left > left_edge + 0.8 * following.size:
        return False
    return line.right + following.first_word > right_edge - 0.3 * line.size


def _heading_level(line: Line, text: str, outline: dict[str, int], heading_sizes: list[int]) -> int:
    if len(text) > MAX_HEADING_CHARS:
        return 0
    key = _squash(text)
    if key in outline:
        return outline[key] + 1
    if round(line.size) in heading_sizes:
        return heading_sizes.index(round(line.size)) + 1
    return 0


def _joiner(before: str, after: str) -> str:
    """What goes between a line that runs on and the next: the space the line ended with, else nothing beside
    a CJK character, and a space between two Latin words (the layout dropped it)."""
    if before[-1:].isspace():
        return " "
    if _is_latin(before[-1]) and _is_latin(after[0]):
        return " "
    return ""


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()
