"""What stands in front of every route of the server: a body size cap, the login check and a login throttle,
and, read-only, the refusal of uploads.

Plain ASGI middleware, so it also guards Gradio's own routes. Gradio checks the login only on some of its
routes (`/gradio_api/cancel`, `/heartbeat`, `/startup-events`, `/run-history/…` are open), so with a login
set, only what the login page itself needs is served without one; everything else answers 401 as JSON.
A client may be logged in by Gradio's cookie (the chat page) or by HTTP Basic auth (curl -u user:password).
"""
from __future__ import annotations

import asyncio
import base64
import json
import secrets
import threading
import time
from collections.abc import Callable

MAX_BODY_BYTES = 1_000_000  # a question is at most 1,000 characters; the chat history sent back stays far below this
MAX_FAILURES = 5  # wrong logins from one address ...
FAILURE_WINDOW_S = 300.0  # ... within this many seconds lock that address out ...
LOCKOUT_S = 300.0  # ... for this long
FAILURE_DELAY_S = 1.0  # every wrong login is answered this much later, so guessing is slow even before the lock-out

# Without a login, only the login page and what it loads.
OPEN_PATHS = {"/", "/login", "/login/", "/logout", "/config", "/config/", "/theme.css", "/gradio_api/theme.css",
              "/favicon.ico", "/manifest.json", "/gradio_api/login_check", "/gradio_api/login_check/"}
OPEN_PREFIXES = ("/assets/", "/static/", "/svelte/", "/pwa_icon")
LOGIN_PATHS = {"/login", "/login/"}


async def send_json(send, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
    data = json.dumps(body, ensure_ascii=False).encode()
    raw = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(data)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


class BodyLimit:
    """413 for a request body over `max_bytes` (or, on a path of `larger`, over its own limit): at once from
    Content-Length; a body sent without one (chunked) is read here first, up to the limit, and handed on whole."""

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES, larger: dict[str, int] | None = None):
        self.app, self.max_bytes, self.larger = app, max_bytes, larger or {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.larger.get(scope["path"], self.max_bytes)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                return await send_json(send, 400, {"error": f"bad Content-Length {declared.decode(errors='replace')!r}"})
            if int(declared) > limit:
                return await send_json(send, 413, self._message(int(declared), limit))
            return await self.app(scope, receive, send)
        if b"chunked" not in headers.get(b"transfer-encoding", b""):
            return await self.app(scope, receive, send)
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                return await send_json(send, 413, self._message(len(body), limit, "at least "))
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    def _message(size: int, limit: int, prefix: str = "") -> dict:
        return {"error": f"request body of {prefix}{size:,} bytes is larger than the {limit:,} allowed"}


class RefusePaths:
    """403 with `message` for the `paths` a server does not offer (file uploads, when it is read-only)."""

    def __init__(self, app, paths: set[str], message: str):
        self.app, self.paths, self.message = app, paths, message

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] in self.paths:
            return await send_json(send, 403, {"error": self.message})
        await self.app(scope, receive, send)


class LoginThrottle:
    """Wrong logins per client address: each is answered late, and MAX_FAILURES in a window lock the address out."""

    def __init__(self):
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def locked_for(self, client: str) -> float:
        """Seconds until `client` may try again; 0 when it may now."""
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(client, []) if now - t < FAILURE_WINDOW_S]
            self._failures[client] = recent
            if len(recent) < MAX_FAILURES:
                return 0.0
            return max(0.0, recent[-1] + LOCKOUT_S - now)

    def failed(self, client: str) -> None:
        with self._lock:
            self._failures.setdefault(client, []).append(time.monotonic())

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)


class LoginGuard:
    """With `credentials` set: throttles /login, and answers 401 to any route but OPEN_PATHS without a login.

    `is_logged_in(cookies)` says whether Gradio's session cookie belongs to a logged-in user."""

    def __init__(self, app, credentials: tuple[str, str] | None, is_logged_in: Callable[[dict[str, str]], bool],
                 throttle: LoginThrottle):
        self.app, self.credentials, self.is_logged_in, self.throttle = app, credentials, is_logged_in, throttle

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket") or self.credentials is None:
            return await self.app(scope, receive, send)
        client = (scope.get("client") or ("?", 0))[0]
        path = scope["path"]
        headers = dict(scope["headers"])
        if path in LOGIN_PATHS and scope.get("method") == "POST":
            return await self._login(scope, receive, send, client)
        if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES) or self.is_logged_in(_cookies(headers)):
            return await self.app(scope, receive, send)
        basic = _basic_credentials(headers)
        if basic is not None:
            wait = self.throttle.locked_for(client)
            if wait:
                return await self._locked(send, wait)
            if self._matches(*basic):
                self.throttle.succeeded(client)
                return await self.app(scope, receive, send)
            self.throttle.failed(client)
            await asyncio.sleep(FAILURE_DELAY_S)
            return await send_json(send, 401, {"error": "wrong user name or password"},
                                   {"www-authenticate": 'Basic realm="rag-chat"'})
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": 1008})
        await send_json(send, 401, {"error": "log in first: open the chat page, or pass -u user:password"},
                        {"www-authenticate": 'Basic realm="rag-chat"'})

    async def _login(self, scope, receive, send, client: str):
        wait = self.throttle.locked_for(client)
        if wait:
            return await self._locked(send, wait)
        status = 0

        async def watching_send(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if status == 400:  # Gradio's answer to wrong credentials
                    self.throttle.failed(client)
                    await asyncio.sleep(FAILURE_DELAY_S)
            await send(message)

        await self.app(scope, receive, watching_send)
        if status == 200:
            self.throttle.succeeded(client)

    def _matches(self, user: str, password: str) -> bool:
        expected_user, expected_password = self.credentials
        return secrets.compare_digest(user.encode(), expected_user.encode()) & \
            secrets.compare_digest(password.encode(), expected_password.encode())

    @staticmethod
    async def _locked(send, wait: float):
        seconds = int(wait) + 1
        await send_json(send, 429, {"error": f"too many wrong logins from this address; try again in {seconds} s"},
                        {"retry-after": str(seconds)})


def _cookies(headers: dict[bytes, bytes]) -> dict[str, str]:
    out = {}
    for part in headers.get(b"cookie", b"").decode("latin-1").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            out[name] = value
    return out


def _basic_credentials(headers: dict[bytes, bytes]) -> tuple[str, str] | None:
    scheme, _, value = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return (user, password) if sep else None
