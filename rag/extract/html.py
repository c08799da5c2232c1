"""HTML page -> its main text, with selectolax (MIT, the Lexbor parser). Measured against trafilatura in README.

The main text is the largest `<article>`, else `<main>` / `[role=main]`, else `<body>`; navigation, asides,
footers, forms, scripts and styles are removed first. Block elements end lines, `<h1>`..`<h6>` become Markdown
heading lines, a table row becomes one line with its cells joined by " | ". Whitespace is collapsed as a
browser shows it, and a line break in the source between two CJK characters disappears (CSS Text 3's
segment break rule), so a paragraph typed over several source lines stays one sentence.
"""
from __future__ import annotations

import re

from rag.extract.result import ExtractError, Extracted

DROPPED = "script, style, noscript, template, svg, iframe, object, nav, aside, footer, form, button, select, dialog"
BLOCKS = {"p", "div", "section", "article", "main", "header", "li", "ul", "ol", "dl", "dt", "dd", "blockquote",
          "pre", "figure", "figcaption", "table", "thead", "tbody", "tfoot", "caption", "address", "hr", "br",
          "h1", "h2", "h3", "h4", "h5", "h6", "tr"}
CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.IGNORECASE)
CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f“”‘’"
SEGMENT_BREAK = re.compile(rf"(?<=[{CJK}])[ \t\r\f]*\n\s*(?=[{CJK}])")


def decode_html(data: bytes) -> tuple[str, str]:
    """The page's text and charset: the one its <meta> declares, else UTF-8 or GBK as for text files."""
    from rag.sources import decode  # imported here: rag.sources imports this package

    declared = CHARSET.search(data[:4096])
    if declared:
        name = declared.group(1).decode("ascii").lower()
        name = "gb18030" if name in ("gb2312", "gbk") else name
        try:
            return data.decode(name), name
        except (LookupError, UnicodeDecodeError):
            pass
    return decode(data)


def extract_html(data: bytes) -> Extracted:
    from selectolax.lexbor import LexborHTMLParser

    text, charset = decode_html(data)
    tree = LexborHTMLParser(text)
    for node in tree.css(DROPPED):
        node.decompose()
    for node in tree.css("header"):
        if not _inside(node, ("article", "main")):  # the site's banner, not an article's own header
            node.decompose()
    root = _main_node(tree)
    if root is None:
        raise ExtractError("HTML page without a body; save the page again")
    lines: list[str] = []
    _walk(root, lines, [])
    return Extracted("\n".join(line for line in lines if line), f"html/{charset}")


def _inside(node, tags: tuple[str, ...]) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in tags:
            return True
        parent = parent.parent
    return False


def _main_node(tree):
    articles = tree.css("article")
    if articles:
        return max(articles, key=lambda n: len(n.text(strip=True)))
    return tree.css_first("main") or tree.css_first("[role=main]") or tree.body


def _walk(node, lines: list[str], buffer: list[str]) -> None:
    """Append the lines of `node`'s content to `lines`; `buffer` holds the inline text of the open line."""
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            buffer.append(child.text_content or "")
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            _flush(lines, buffer)
            heading = _clean(child.text())
            if heading:
                lines.append("#" * int(tag[1]) + " " + heading)
        elif tag == "tr":
            _flush(lines, buffer)
            cells = [_clean(cell.text()) for cell in child.iter() if cell.tag in ("td", "th")]
            if any(cells):
                lines.append(" | ".join(cells))
        elif tag in BLOCKS:
            _flush(lines, buffer)
            _walk(child, lines, buffer)
            _flush(lines, buffer)
        elif tag not in ("-comment", "img"):
            _walk(child, lines, buffer)
    return None


def _flush(lines: list[str], buffer: list[str]) -> None:
    if buffer:
        lines.append(_clean("".join(buffer)))
        buffer.clear()


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", SEGMENT_BREAK.sub("", text)).strip()
