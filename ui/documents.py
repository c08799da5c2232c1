"""The Documents tab's work: which uploads may enter the seeds folder, and updating the index with them.

An upload is taken by its file name only (the part after the last `/` or `\\`; Gradio has already stored it
under a temporary folder), and refused with one line naming the file and the reason when that name is unsafe
(`..`, hidden, control characters, too long), its type is not one rag reads, or it is over the size limit
(RAG_MAX_FILE_MB, the limit `rag build` applies too). The accepted files go through `rag.documents.add_documents`,
and removals through `remove_documents`: the very functions `rag add` and `rag remove` run, in the Gradio
worker thread of the event, one update at a time. The chat meanwhile answers from the engine it holds; when
the new index is on disk, `LiveEngine.refresh()` swaps it in at once (the watcher would within 0.5 s).
"""
from __future__ import annotations

import html
import re
import shutil
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import rag
from rag.documents import add_documents, remove_documents
from rag.extract import SUFFIXES
from ui.live import Build, LiveEngine

MAX_NAME_BYTES = 200  # below the 255 bytes of a Linux file name, with room for the build's own suffixes
UPLOAD_REQUEST_FILES = 4  # one upload request may carry this many files at the size limit (the body cap)

LABELS = {
    "zh": {
        "tab": "文档", "chat_tab": "问答",
        "upload": "上传文档（可拖入多个文件：.txt .md .pdf .docx .html .htm，每个最多 {limit}）",
        "pick": "选择要删除的文档", "remove": "删除所选文档",
        "columns": ("文件名", "类型", "页数 / 字数", "句子", "添加时间"),
        "pages": "{n} 页", "chars": "{n} 字", "skipped": "未索引：{reason}", "empty": "还没有索引任何文档。",
        "added": "已加入索引：{names}", "removed": "已删除：{names}", "nothing": "没有选择文档。",
        "failed": "索引没有更新：{error}",
        "reading": "正在读取文件…", "embedding": "正在计算向量 {done}/{total}", "writing": "正在写入新索引…",
        "loading": "正在载入新索引…",
        "name": "文件名不安全（{value}），请改名后再上传", "type": "不支持的文件类型“{value}”，只能上传 .txt .md .pdf .docx .html .htm",
        "size": "文件大小 {value}，超过每个文件 {limit} 的上限", "unread": "没有编入索引：{value}",
    },
    "en": {
        "tab": "Documents", "chat_tab": "Chat",
        "upload": "Upload documents (drop one or many: .txt .md .pdf .docx .html .htm, at most {limit} each)",
        "pick": "Documents to remove", "remove": "Remove selected",
        "columns": ("File", "Type", "Pages / characters", "Sentences", "Added"),
        "pages": "{n} pages", "chars": "{n} characters", "skipped": "not indexed: {reason}",
        "empty": "No documents are indexed yet.",
        "added": "Added to the index: {names}", "removed": "Removed: {names}", "nothing": "No document selected.",
        "failed": "The index was not updated: {error}",
        "reading": "Reading the files…", "embedding": "Embedding {done}/{total}", "writing": "Writing the new index…",
        "loading": "Loading the new index…",
        "name": "unsafe file name ({value}); rename it and upload again",
        "type": "type \"{value}\" is not accepted; upload .txt .md .pdf .docx .html .htm",
        "size": "{value}, over the limit of {limit} a file", "unread": "not indexed: {value}",
    },
}


class UnsafeName(rag.RagError):
    """A client's file name that cannot become a file in the seeds folder."""


@dataclass(frozen=True)
class Rejection:
    """One upload not taken: `kind` is a key of LABELS ("name", "type", "size", "unread"), `value` its detail."""

    name: str
    kind: str
    value: str

    def line(self, lang: str, limit: str) -> str:
        shown = self.name.encode("unicode_escape").decode("ascii") if _has_control(self.name) else self.name
        return f"{shown}: {LABELS[lang][self.kind].format(value=self.value, limit=limit)}"


@dataclass(frozen=True)
class Outcome:
    """What an update did: the documents it added or removed, the uploads it refused, or why it failed."""

    done: tuple[str, ...] = ()
    rejected: tuple[Rejection, ...] = ()
    error: str | None = None
    action: str = "added"  # or "removed", or "nothing" (none chosen): the LABELS key that says what happened


def safe_name(client_name: str) -> str:
    """The name a client's file gets in the seeds folder: its last path part, if that is a plain visible name."""
    name = re.split(r"[/\\]", client_name)[-1]
    if _has_control(name):
        raise UnsafeName("control character")
    if name.strip() in ("", ".", ".."):
        raise UnsafeName(f"{name!r}")
    if name.startswith("."):
        raise UnsafeName("hidden file")
    if name != name.strip():
        raise UnsafeName("leading or trailing space")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise UnsafeName(f"over {MAX_NAME_BYTES} bytes")
    return name


def check_upload(client_name: str, size: int, max_bytes: int) -> Rejection | None:
    """Why an upload of this name and size is refused, or None when it may go into the seeds folder."""
    try:
        name = safe_name(client_name)
    except UnsafeName as e:
        return Rejection(client_name, "name", str(e))
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        return Rejection(name, "type", suffix or name)
    if size > max_bytes:
        return Rejection(name, "size", megabytes(size))
    return None


def megabytes(size: int) -> str:
    return f"{size / 2**20:.3g} MB"


def _has_control(name: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in name)


Progress = Callable[[float, str], None]  # fraction done, what is being done (a key of LABELS with its values)


class DocumentManager:
    """Adds and removes documents of the index a server answers from, one update at a time."""

    def __init__(self, live: LiveEngine, fallback_seeds: Path, max_bytes: int):
        self.live, self.fallback_seeds, self.max_bytes = live, Path(fallback_seeds), max_bytes
        self._updating = threading.Lock()

    def add(self, uploads: list[Path], progress: Progress = lambda fraction, step: None) -> Outcome:
        """Take the uploaded files (named as the client named them) that pass `check_upload` into the index."""
        rejected, accepted = [], {}
        for path in uploads:
            refused = check_upload(path.name, path.stat().st_size, self.max_bytes)
            if refused:
                rejected.append(refused)
            else:
                accepted[safe_name(path.name)] = path
        if not accepted:
            return Outcome((), tuple(rejected))
        with self._updating, tempfile.TemporaryDirectory(prefix="rag-upload-") as staging:
            staged = []
            for name, path in accepted.items():  # under the safe name, whatever the client's path was
                staged.append(Path(staging) / name)
                shutil.copyfile(path, staged[-1])
            try:
                report = add_documents(self.live.index_dir, staged, self.fallback_seeds, _build_progress(progress),
                                       self.live.embedder())
            except rag.RagError as e:
                return Outcome((), tuple(rejected), str(e))
            progress(0.95, "loading")
            self.live.refresh()
        unread = {s.source: s.reason for s in report.skipped}
        rejected += [Rejection(name, "unread", unread[name]) for name in accepted if name in unread]
        return Outcome(tuple(name for name in accepted if name not in unread), tuple(rejected), self.live.error)

    def remove(self, names: list[str], progress: Progress = lambda fraction, step: None) -> Outcome:
        with self._updating:
            try:
                remove_documents(self.live.index_dir, names, self.fallback_seeds, _build_progress(progress))
            except rag.RagError as e:
                return Outcome(error=str(e), action="removed")
            progress(0.95, "loading")
            self.live.refresh()
        return Outcome(tuple(names), (), self.live.error, "removed")


def _build_progress(progress: Progress) -> Callable[[str], None]:
    """rag.build's progress lines as a fraction: embedding is most of an update's time."""
    progress(0.05, "reading")

    def on_message(message: str) -> None:
        embedded = re.fullmatch(r"embedded (\d+)/(\d+)", message)
        if embedded:
            done, total = int(embedded[1]), int(embedded[2])
            progress(0.1 + 0.75 * done / max(total, 1), f"embedding:{done}:{total}")
        elif re.match(r"\d+ documents", message):
            progress(0.88, "writing")

    return on_message


def step_label(step: str, lang: str) -> str:
    key, *values = step.split(":")
    t = LABELS[lang]
    return t[key].format(done=values[0], total=values[1]) if values else t[key]


def table(build: Build | None, lang: str) -> str:
    """The indexed documents as an HTML table (name, type, pages or characters, sentences, when added)."""
    t = LABELS[lang]
    if build is None or not build.documents:
        return f'<p class="rag-docs-empty">{html.escape(t["empty"])}</p>'
    head = "".join(f"<th scope=\"col\">{html.escape(c)}</th>" for c in t["columns"])
    rows = []
    for d in build.documents:
        kind = Path(d.source).suffix.lower().lstrip(".") or "?"
        if d.skipped is not None:
            size, sentences = t["skipped"].format(reason=d.skipped), ""
        else:
            size = t["pages"].format(n=d.pages) if d.pages is not None else t["chars"].format(n=f"{d.characters:,}")
            sentences = f"{d.sentences:,}"
        cells = (d.source, kind, size, sentences, _added(build.seeds, d.source))
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return f'<table class="rag-docs-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _added(seeds: Path | None, source: str) -> str:
    """When the file entered the seeds folder (its modification time: `rag add` and uploads copy it then)."""
    try:
        seconds = (seeds / source).stat().st_mtime
    except (OSError, TypeError):
        return ""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def status(outcome: Outcome, lang: str, limit: str) -> str:
    """One line per rejected upload, then what was done or why nothing was."""
    t = LABELS[lang]
    lines = [f'<li class="rag-rejected">{html.escape(r.line(lang, limit))}</li>' for r in outcome.rejected]
    if outcome.error:
        lines.append(f'<li class="rag-rejected">{html.escape(t["failed"].format(error=outcome.error))}</li>')
    elif outcome.done or outcome.action == "nothing":
        names = ("、" if lang == "zh" else ", ").join(outcome.done)
        lines.append(f'<li class="rag-done">{html.escape(t[outcome.action].format(names=names))}</li>')
    return f'<ul class="rag-docs-status" role="status">{"".join(lines)}</ul>' if lines else ""
