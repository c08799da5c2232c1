"""Runs the chat server in a subprocess on a free port, for the UI tests.

`ui_url` (module-scoped: one server per test file) serves the committed index; `running_server` serves any
index folder, with extra environment variables (RAG_UI_AUTH), read-only or not, and gives the process too.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INDEX = ROOT / "index"
CHROMIUM = "/usr/bin/chromium"
START_TIMEOUT_S = 180


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ASSERTION_TIMEOUT_MS = 30_000


def require_chromium() -> str:
    """CI must run the browser tests; a developer machine without Chromium may skip them. Called before any
    browser starts, it also lets an assertion wait as long as the tests' page actions do (30 s): the chat's reply
    and the source view fetched when opened wait on the server, which took longer than Playwright's 5 s default
    once on a machine busy with a CI run and three benchmark processes (stop 34). The tests assert what appears,
    not how fast: speed is measured in benchmarks/."""
    from playwright.sync_api import expect

    expect.set_options(timeout=ASSERTION_TIMEOUT_MS)
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing; install Debian's chromium package")
    pytest.skip(f"{CHROMIUM} is missing")


@contextlib.contextmanager
def running_server(index_dir: Path, log_dir: Path, env: dict[str, str] | None = None, read_only: bool = False):
    """(url, process) of a chat server on `index_dir`, stopped on exit; `read_only` as `rag serve --read-only`."""
    port = free_port()
    log_path = log_dir / f"server-{port}.log"
    environment = {k: v for k, v in os.environ.items() if k != "RAG_UI_AUTH"} | (env or {})
    code = f"from ui.app import serve; serve(port={port}, index_dir={str(index_dir)!r}, read_only={read_only})"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url, proc, log_path)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def ui_url(tmp_path_factory):
    with running_server(INDEX, tmp_path_factory.mktemp("ui_server")) as (url, _):
        yield url


def _wait_until_up(url: str, proc: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the chat server exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"the chat server did not answer within {START_TIMEOUT_S} s:\n{log_path.read_text(errors='replace')}")


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# The chat's replies: an answer, a refusal, or a notice (a question that could not be asked).
REPLIES = ".rag-answer, .rag-refusal, .rag-notice"


def ask(page, question: str):
    """Type a question, press Enter and return the bot's reply to it."""
    from playwright.sync_api import expect

    replies = page.locator(REPLIES)
    before = replies.count()
    box = page.locator("#rag-question textarea")
    box.fill(question)
    box.press("Enter")
    expect(replies).to_have_count(before + 1)
    return replies.last
