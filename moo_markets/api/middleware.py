"""Raw ASGI middleware: what must happen to a request before FastAPI routes it.

Raw ASGI rather than ``BaseHTTPMiddleware`` so nothing here reads or buffers a
body it was not asked to, and so the rules hold for every route, the unknown
ones included.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


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
