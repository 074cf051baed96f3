"""Raw ASGI middleware: what must happen to a request before FastAPI routes it.

Raw ASGI rather than ``BaseHTTPMiddleware`` so nothing here reads or buffers a
body it was not asked to, and so the rules hold for every route, the unknown
ones included.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from moo_markets.api.deps import check_bearer
from moo_markets.api.errors import ApiError, error_body
from moo_markets.core.settings import Settings

MAX_BODY = 64 * 1024
"""Bytes a request body may have; the documented bodies are a few dozen."""

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class RequestGuardMiddleware:
    """Refuses what must not cost the API anything, before a byte of the body is read.

    * A write (any method but GET/HEAD/OPTIONS) without the bearer token, when
      ``MOO_MARKETS_API_TOKEN`` is set: 401, whatever the body (even malformed JSON).
    * A body over :data:`MAX_BODY`: 413, from its ``Content-Length`` without reading it,
      or, for a streamed body without one, as soon as the bytes read pass the limit.

    A body within the limit is read here and handed to the app unchanged.
    """

    def __init__(self, app: ASGIApp, settings: Settings, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.settings = settings
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if scope["method"] not in SAFE_METHODS:
            try:
                check_bearer(headers.get("authorization"), self.settings.api_token)
            except ApiError as exc:
                await self._refuse(scope, receive, send, exc.status_code, exc.detail, exc.headers)
                return
        length = headers.get("content-length")
        if length is not None and length.strip().isdigit() and int(length) > self.max_body:
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([], message, receive), send)
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_body:
                await self._too_large(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(chunks, None, receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"body: larger than the {self.max_body // 1024} kB the API accepts"
        await self._refuse(scope, receive, send, 413, detail, {"Connection": "close"})

    @staticmethod
    async def _refuse(scope, receive, send, status: int, detail: str, headers) -> None:
        response = JSONResponse(error_body(detail), status_code=status, headers=headers)
        await response(scope, receive, send)


def _replay(chunks: list[bytes], pending: Message | None, receive: Receive) -> Receive:
    """A ``receive`` giving the body read so far as one message, then the real ``receive``."""
    first: list[Message] = (
        [pending] if pending else [{"type": "http.request", "body": b"".join(chunks)}]
    )

    async def replay() -> Message:
        if first:
            return first.pop()
        return await receive()

    return replay


class TrailingSlashMiddleware:
    """``/api/scheduler/jobs/`` is ``/api/scheduler/jobs``: the same JSON, not an empty 307.

    Starlette would redirect; a client following the redirect re-sends a PUT/POST
    body only sometimes, and the redirect has no JSON body. Stripping the slash
    before routing answers exactly what the path without it answers.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if len(path) > 1 and path.endswith("/"):
                stripped = path.rstrip("/") or "/"
                raw = scope.get("raw_path")
                scope = {
                    **scope,
                    "path": stripped,
                    "raw_path": raw.rstrip(b"/") or b"/" if raw else raw,
                }
        await self.app(scope, receive, send)
