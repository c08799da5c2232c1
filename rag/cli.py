"""The `rag` command. Heavy modules are imported inside the command that needs them, so `rag --help` is instant."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rag.embedding import DEFAULT_MODEL

DEFAULT_SEEDS = "seeds"
DEFAULT_INDEX = "index"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _say_skipped(message: str) -> None:
    """Without -v, of the build's progress only the skipped files are worth a line."""
    if message.startswith("skipped"):
        _say(message)


def _print_report(report) -> None:
    from rag.sources import quote_name

    print(f"built {quote_name(report.index_dir)}: {report.documents} documents ({report.read} read, "
          f"{report.documents - report.read} unchanged), {report.sentences} sentences, {report.chunks} chunks; "
          f"embedded {report.embedded}, reused {report.reused} from cache; {report.seconds:.1f} s")


def cmd_build(args) -> int:
    import rag
    from rag.chunking import ChunkingConfig

    report = rag.build(args.seeds, args.index, model=args.model,
                       chunking=ChunkingConfig(args.chunk_sentences, args.chunk_overlap),
                       progress=_progress(args), full=args.full, spawn_embedder=True)
    _print_report(report)
    return 0


def _progress(args):
    return _say if args.verbose else _say_skipped


def cmd_add(args) -> int:
    from rag.documents import add_documents

    _print_report(add_documents(Path(args.index), [Path(f) for f in args.files], Path(args.seeds), _progress(args)))
    return 0


def cmd_remove(args) -> int:
    from rag.documents import remove_documents

    _print_report(remove_documents(Path(args.index), args.names, Path(args.seeds), _progress(args)))
    return 0


def _engine(args):
    """The engine for --index. When the index is missing, build it from --seeds; when it is damaged or older
    than its seeds, rebuild it as its manifest says it was built (seeds folder, embedder, chunking); say so."""
    import rag
    from rag.index.store import REBUILD, build_settings
    from rag.sources import quote_name

    index = Path(args.index)
    try:
        return rag.load(index)
    except rag.IndexLoadError as e:
        problem = str(e)
    if not index.is_dir() or not any(index.iterdir()):
        if not Path(args.seeds).is_dir():
            raise rag.IndexLoadError(problem)
        _say(f"{problem}: building it from {quote_name(args.seeds)}/ now")
        rag.build(args.seeds, index)
        return rag.load(index)
    try:
        settings = build_settings(index)
    except rag.IndexLoadError as unknown:
        raise rag.IndexLoadError(
            f"{problem.removesuffix('; ' + REBUILD)}, and it is not rebuilt automatically since its manifest does not "
            f"say how it was built ({str(unknown).removesuffix('; ' + REBUILD)}); "
            f"run `rag build --seeds FOLDER --index {quote_name(str(index))}` with the folder of its documents") from None
    _say(f"{problem}: rebuilding now from {quote_name(str(settings.seeds))} as it was built")
    rag.build(settings.seeds, index, model=settings.model, chunking=settings.chunking)
    return rag.load(index)


def _print_answer(answer, as_json: bool) -> None:
    from rag.sources import quote_name

    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        return
    print(answer.text)
    for c in answer.citations:
        print(f"  [{c.n}] {quote_name(c.source)}:{c.start}-{c.end}  score {c.score:.3f}")
    if not answer.answerable and answer.passages:
        print("  closest passages (not an answer):")
        for p in answer.passages:
            print(f"    {quote_name(p.source)}:{p.start}-{p.end}  {p.text[:60]!r}")


def cmd_ask(args) -> int:
    import rag

    engine = _engine(args)
    if args.question:
        _print_answer(engine.ask(" ".join(args.question)), args.json)
        return 0
    _say("ask a question (empty line or Ctrl-D to stop)")
    encoding = sys.stdin.encoding or "utf-8"
    for number, raw in enumerate(sys.stdin.buffer, 1):  # bytes: one undecodable line must not end the session
        try:
            line = raw.decode(encoding)
        except UnicodeDecodeError as e:
            _say(f"error: line {number} is not valid {encoding} (byte 0x{raw[e.start]:02x} at {e.start}); type it again")
            continue
        if not line.strip():
            break
        try:
            _print_answer(engine.ask(line), args.json)
        except rag.QuestionError as e:
            _say(f"error: {e}")
        sys.stdout.flush()
    return 0


def cmd_search(args) -> int:
    from rag.sources import quote_name

    engine = _engine(args)
    passages = engine.search(" ".join(args.query), k=args.k)
    if args.json:
        print(json.dumps([vars(p) for p in passages], ensure_ascii=False, indent=2))
    for p in [] if args.json else passages:
        print(f"{p.score:.4f}  {quote_name(p.source)}:{p.start}-{p.end}  {p.text[:80]!r}")
    return 0


def cmd_eval(args) -> int:
    from rag.evaluation import evaluate, read_cases

    cases = read_cases(args.file)
    report = evaluate(_engine(args), cases, Path(args.index), repeat=args.repeat)
    print("\n".join(report.lines()))
    return 0


def cmd_info(args) -> int:
    from rag.index.store import read_manifest

    print(json.dumps(read_manifest(Path(args.index)), ensure_ascii=False, indent=2))
    return 0


def cmd_serve(args) -> int:
    _engine(args)  # builds or refreshes the index first, saying so
    from ui.app import serve

    serve(host=args.host, port=args.port, index_dir=args.index, read_only=args.read_only, seeds_dir=args.seeds)
    return 0


def _folder_options(p: argparse.ArgumentParser, index_default, seeds_default) -> None:
    p.add_argument("--index", default=index_default, help="index folder (default: index)")
    p.add_argument("--seeds", default=seeds_default, help="source folder of documents: .txt .md .pdf .docx .html (default: seeds)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rag", description="Answer questions about Chinese documents with quoted, cited sentences.")
    _folder_options(p, DEFAULT_INDEX, DEFAULT_SEEDS)
    # The same options after the command (`rag build --seeds docs`); not given there, they keep the value above.
    folders = argparse.ArgumentParser(add_help=False)
    _folder_options(folders, argparse.SUPPRESS, argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", parents=[folders], help="bring the index up to date with the seeds folder (only changed "
                                                        "files are read again); the old index stays until the new one is complete")
    b.add_argument("--model", default=DEFAULT_MODEL,
                   help="embedding model: use-multilingual-v3 (built in, default) or a sentence-transformers folder or cached name")
    b.add_argument("--chunk-sentences", type=int, default=5, help="sentences per chunk (default 5)")
    b.add_argument("--chunk-overlap", type=int, default=1, help="sentences shared by neighbouring chunks (default 1)")
    b.add_argument("--full", action="store_true", help="rebuild everything instead of only the files that changed")
    b.add_argument("-v", "--verbose", action="store_true", help="print progress")
    b.set_defaults(run=cmd_build)

    ad = sub.add_parser("add", parents=[folders], help="copy documents into the seeds folder and update the index with them")
    ad.add_argument("files", nargs="+", metavar="FILE")
    ad.add_argument("-v", "--verbose", action="store_true", help="print progress")
    ad.set_defaults(run=cmd_add)

    rm = sub.add_parser("remove", parents=[folders], help="delete documents (names as in the index) from the seeds folder and the index")
    rm.add_argument("names", nargs="+", metavar="NAME")
    rm.add_argument("-v", "--verbose", action="store_true", help="print progress")
    rm.set_defaults(run=cmd_remove)

    a = sub.add_parser("ask", parents=[folders], help="answer a question; with no question, read questions from standard input")
    a.add_argument("question", nargs="*")
    a.add_argument("--json", action="store_true", help="print the answer as JSON")
    a.set_defaults(run=cmd_ask)

    s = sub.add_parser("search", parents=[folders], help="show the best passages for a query")
    s.add_argument("query", nargs="+")
    s.add_argument("-k", type=int, default=5)
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_search)

    e = sub.add_parser("eval", parents=[folders], help="measure quality and speed on a JSONL file of questions")
    e.add_argument("file")
    e.add_argument("--repeat", type=int, default=3, help="times each question is asked, for the timings (default 3)")
    e.set_defaults(run=cmd_eval)

    i = sub.add_parser("info", parents=[folders], help="print the index manifest")
    i.set_defaults(run=cmd_info)

    v = sub.add_parser("serve", parents=[folders], help="start the chat in the browser")
    v.add_argument("--host", default="127.0.0.1")
    v.add_argument("--port", type=int, default=7860)
    v.add_argument("--read-only", action="store_true",
                   help="no Documents tab: documents cannot be uploaded or removed from the browser")
    v.set_defaults(run=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from rag.errors import RagError

    try:
        return args.run(args)
    except (RagError, ValueError) as e:
        _say(f"error: {e}")
        return 2
    except BrokenPipeError:  # `rag ask ... | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        _say("interrupted; the previous index, if any, is unchanged")
        return 130


if __name__ == "__main__":
    sys.exit(main())
