"""Runs the chat in a subprocess on a free port against the committed index, for the UI tests.

Test modules import the `ui_url` fixture (module-scoped: one server per test file).
"""
from __future__ import annotations

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


def require_chromium() -> str:
    """CI must run the browser tests; a developer machine without Chromium may skip them."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing; install Debian's chromium package")
    pytest.skip(f"{CHROMIUM} is missing")


@pytest.fixture(scope="module")
def ui_url(tmp_path_factory):
    port = free_port()
    log_path = tmp_path_factory.mktemp("ui_server") / "server.log"
    env = {k: v for k, v in os.environ.items() if k != "RAG_UI_AUTH"}
    code = f"from ui.app import serve; serve(port={port}, index_dir={str(INDEX)!r})"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url, proc, log_path)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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
