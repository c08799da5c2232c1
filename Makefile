# `make run`: set up .venv, (re)build the index if missing or stale, serve the chat on http://127.0.0.1:7860
# `make test`: set up .venv with the test extras and run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install build eval bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first and pinned: an unpinned torch would pull a multi-GB CUDA build
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/rag serve --host 127.0.0.1 --port 7860

test: $(STAMP)
	$(BIN)/python -m pytest -q

build: $(STAMP)
	$(BIN)/rag build

eval: $(STAMP)
	$(BIN)/rag eval ../shared/eval/dev.jsonl

bench: $(STAMP)
	$(BIN)/python benchmarks/speed.py

clean:
	rm -rf $(VENV) index.cache
