"""Every error leaves the API as ``{"errors": {"detail": "..."}}`` with a documented code.

404 unknown job/run, 422 invalid body or parameter, 409 impossible state change,
401 missing/wrong token, 503 Dagster webserver (or, for a schedule change, the
warehouse) not answering, 502 webserver
answering with an unexpected error. Anything else is a bug: it is logged and
answered with a bare 500, never with a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote, quote_plus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

MAX_DETAIL = 2000


class ApiError(Exception):
    status_code = 400

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers


class NotFound(ApiError):
    status_code = 404


class InvalidInput(ApiError):
    status_code = 422


class Conflict(ApiError):
    status_code = 409


class Unauthorized(ApiError):
    status_code = 401


class DagsterUnavailable(ApiError):
    """The webserver did not answer (connection refused, timeout)."""

    status_code = 503


class DagsterError(ApiError):
    """The webserver answered, but not with what we expected."""

    status_code = 502


class WarehouseUnavailable(ApiError):
    """The warehouse cannot store what the request must store (a schedule override)."""

    status_code = 503


class Redactor:
    """Replaces secret values (API token, J-Quants key) in any outgoing text.

    Also their URL-encoded forms: a secret a client put in a path or query
    string reaches uvicorn's access log percent-encoded.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        forms = {
            form
            for secret in secrets
            if secret
            for form in (secret, quote(secret), quote(secret, safe=""), quote_plus(secret))
        }
        self._secrets = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def error_body(detail: str) -> dict[str, Any]:
    return {"errors": {"detail": detail}}


def _response(request: Request, status: int, detail: str, headers=None) -> JSONResponse:
    redact: Redactor | None = getattr(request.app.state, "redact", None)
    text = redact(detail) if redact else detail
    if len(text) > MAX_DETAIL:
        text = text[: MAX_DETAIL - 3] + "..."
    return JSONResponse(error_body(text), status_code=status, headers=headers)


def describe_validation_errors(
    errors: Sequence[dict[str, Any]], content_type: str | None = None
) -> str:
    """``body.enabled: Input should be a valid boolean`` — the field and why, per error."""
    parts = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ())]
        if (
            loc == ["body"]
            and error.get("type") in ("model_attributes_type", "dict_type")
            and content_type
            and "json" not in content_type.lower()
        ):
            parts.append(
                "body: must be a JSON object sent with 'Content-Type: application/json' "
                f"(got {content_type.split(';')[0][:60]!r})"
            )
            continue
        if loc == ["body"] and error.get("type") in ("model_attributes_type", "dict_type"):
            parts.append("body: must be a JSON object")
            continue
        if error.get("type") == "json_invalid":
            parts.append("body: malformed JSON" + _ctx_error(error))
            continue
        if error.get("type") == "missing" and loc == ["body"]:
            parts.append("body: a JSON object is required")
            continue
        where = ".".join(loc) or "request"
        message = str(error.get("msg", "invalid"))
        if error.get("type") in ("bool_type", "bool_parsing") and "input" in error:
            message += f" (true or false), got {_short(error['input'])}"
        elif error.get("type") == "string_pattern_mismatch" and "input" in error:
            message += f", got {_short(error['input'])}"
        parts.append(f"{where}: {message}")
    return "; ".join(parts) or "invalid request"


def _ctx_error(error: dict[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    return f" ({ctx['error']})" if ctx.get("error") else ""


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        if exc.status_code >= 500:
            log.warning(
                "%s %s -> %s: %s", request.method, request.url.path, exc.status_code, exc.detail
            )
        return _response(request, exc.status_code, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = describe_validation_errors(exc.errors(), request.headers.get("content-type"))
        return _response(request, 422, detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 400:
            # FastAPI's "There was an error parsing the body" (e.g. not UTF-8): an invalid body.
            return _response(request, 422, f"body: could not be parsed ({detail})")
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such endpoint: {request.method} {request.url.path}"
        return _response(request, exc.status_code, detail, getattr(exc, "headers", None))

    app.add_middleware(CatchAllMiddleware)


class CatchAllMiddleware:
    """Turns an unexpected exception into a JSON 500 without a stack trace.

    Sits inside Starlette's ServerErrorMiddleware, so the exception stops here
    (logged once with its traceback, which never contains the settings' secrets).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = JSONResponse(
                error_body("internal error (logged by the API)"), status_code=500
            )
            await response(scope, receive, send)
