"""Sending GraphQL documents to the Dagster webserver.

One pooled ``httpx.AsyncClient`` per app, with connect/read timeouts. The
webserver's failure modes (verified against 1.13) map onto two API errors:

* no answer (refused, timeout, reset)                  -> ``DagsterUnavailable`` (503)
* HTTP 400 (invalid document), HTTP 500 (bad variables,
  PythonError), 200 with ``errors``, non-JSON body      -> ``DagsterError`` (502)

Domain errors (``RunNotFoundError``, ``ScheduleNotFoundError``...) come as 200
with a ``__typename``; the caller decides what they mean. A resolver that
raised comes back as a ``PythonError`` *inside* ``data`` (often with HTTP 500
and no ``errors``): its message is the answer's message, never "no data". An
error about the code location itself (``DagsterCodeLocationNotFoundError``,
``DagsterCodeLocationLoadError``) raises :class:`LocationError`, so the caller
can look at the workspace again.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from moo_markets.api.errors import DagsterError, DagsterUnavailable
from moo_markets.core.settings import Settings

log = logging.getLogger(__name__)

LOCATION_ERRORS = ("DagsterCodeLocationNotFoundError", "DagsterCodeLocationLoadError")
"""Python errors meaning that the code location named in a selector is missing or broken."""


class LocationError(DagsterError):
    """Dagster answered that the code location we named is missing, loading or broken."""


def python_errors(data: Any) -> list[dict[str, Any]]:
    """The ``PythonError`` objects among the top-level fields of ``data``."""
    if not isinstance(data, dict):
        return []
    return [
        value
        for value in data.values()
        if isinstance(value, dict) and value.get("__typename") == "PythonError"
    ]


def is_location_error(error: dict[str, Any]) -> bool:
    text = f"{error.get('className') or ''} {error.get('message') or ''}"
    return any(name in text for name in LOCATION_ERRORS)


class GraphQLResult:
    """Data and errors of one response, for callers that accept partial results."""

    def __init__(self, data: dict[str, Any] | None, errors: list[dict[str, Any]], status: int):
        self.data = data or {}
        self.errors = errors
        self.status = status

    def first_error(self) -> str:
        """The first GraphQL error's message, else the first ``PythonError`` field's."""
        if self.errors:
            return str(self.errors[0].get("message", self.errors[0]))
        for error in python_errors(self.data):
            if error.get("message"):
                return str(error["message"])
        return ""

    def describe(self) -> str:
        """What went wrong, in words; never empty."""
        if message := self.first_error():
            return message
        return "an answer with neither data nor errors" if not self.data else "an unexpected answer"


class DagsterGraphQL:
    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None):
        self.url = settings.graphql_url
        self._settings = settings
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        """The pooled client, created on first use (again after ``aclose``, for a restarted app)."""
        if self._client is None or self._client.is_closed:
            settings = self._settings
            self._client = httpx.AsyncClient(
                transport=self._transport,
                timeout=httpx.Timeout(
                    settings.api_graphql_timeout, connect=settings.api_connect_timeout
                ),
                limits=httpx.Limits(
                    max_connections=settings.api_max_connections,
                    max_keepalive_connections=settings.api_max_connections,
                ),
                headers={"Content-Type": "application/json", "Accept": "application/json"},
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def raw(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> GraphQLResult:
        """Send one document; raises only when the webserver gives no usable JSON.

        ``timeout`` bounds each phase of this request (waiting for a pooled
        connection, connecting, writing, reading) instead of the settings' timeouts.
        """
        extra: dict[str, Any] = {}
        if timeout is not None:
            extra["timeout"] = httpx.Timeout(timeout)
        try:
            response = await self.client.post(
                self.url, json={"query": query, "variables": variables or {}}, **extra
            )
        except httpx.TimeoutException as exc:
            waited = f"within {timeout:g} s" if timeout is not None else "in time"
            raise DagsterUnavailable(
                f"the Dagster webserver did not answer {waited} ({type(exc).__name__})"
            ) from None
        except httpx.TransportError as exc:
            raise DagsterUnavailable(
                f"the Dagster webserver does not answer ({type(exc).__name__}: {exc})"
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or ("data" not in body and "errors" not in body):
            if response.status_code in (502, 503, 504):
                raise DagsterUnavailable(
                    f"the Dagster webserver is unavailable (HTTP {response.status_code})"
                )
            raise DagsterError(
                f"unexpected answer from the Dagster webserver (HTTP {response.status_code}, "
                f"not a GraphQL response)"
            )
        errors = body.get("errors") or []
        if not isinstance(errors, list):
            errors = [{"message": str(errors)}]
        data = body.get("data")
        return GraphQLResult(data if isinstance(data, dict) else None, errors, response.status_code)

    async def query(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Send one document and return its ``data``; any GraphQL error is a 502
        (:class:`LocationError` when it is about the code location)."""
        result = await self.raw(query, variables, timeout=timeout)
        if result.errors or result.status != 200 or not result.data:
            message = result.describe()
            log.warning("GraphQL error (HTTP %s): %s", result.status, message)
            text = f"Dagster GraphQL error (HTTP {result.status}): {message}"
            if any(is_location_error(e) for e in python_errors(result.data)):
                raise LocationError(text)
            raise DagsterError(text)
        return result.data


def unwrap(value: Any, expected: str, what: str) -> dict[str, Any]:
    """The object of a ``...OrError`` union, or a 502 naming the error type and message."""
    if not isinstance(value, dict):
        raise DagsterError(f"Dagster returned no {what}")
    typename = value.get("__typename")
    if typename != expected:
        message = value.get("message") or ""
        if typename == "PythonError" and is_location_error(value):
            raise LocationError(f"Dagster could not give {what}: {message}")
        raise DagsterError(f"Dagster could not give {what}: {typename}: {message}".rstrip(": "))
    return value
