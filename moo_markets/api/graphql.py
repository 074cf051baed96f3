"""Sending GraphQL documents to the Dagster webserver.

One pooled ``httpx.AsyncClient`` per app, with connect/read timeouts. The
webserver's failure modes (verified against 1.13) map onto two API errors:

* no answer (refused, timeout, reset)                  -> ``DagsterUnavailable`` (503)
* HTTP 400 (invalid document), HTTP 500 (bad variables,
  PythonError), 200 with ``errors``, non-JSON body      -> ``DagsterError`` (502)

Domain errors (``RunNotFoundError``, ``ScheduleNotFoundError``...) come as 200
with a ``__typename``; the caller decides what they mean.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from moo_markets.api.errors import DagsterError, DagsterUnavailable
from moo_markets.core.settings import Settings

log = logging.getLogger(__name__)


class GraphQLResult:
    """Data and errors of one response, for callers that accept partial results."""

    def __init__(self, data: dict[str, Any] | None, errors: list[dict[str, Any]], status: int):
        self.data = data or {}
        self.errors = errors
        self.status = status

    def first_error(self) -> str:
        if not self.errors:
            return ""
        return str(self.errors[0].get("message", self.errors[0]))


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

    async def raw(self, query: str, variables: dict[str, Any] | None = None) -> GraphQLResult:
        """Send one document; raises only when the webserver gives no usable JSON."""
        try:
            response = await self.client.post(
                self.url, json={"query": query, "variables": variables or {}}
            )
        except httpx.TimeoutException as exc:
            raise DagsterUnavailable(
                f"the Dagster webserver did not answer in time ({type(exc).__name__})"
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
        return GraphQLResult(body.get("data"), errors, response.status_code)

    async def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one document and return its ``data``; any GraphQL error is a 502."""
        result = await self.raw(query, variables)
        if result.errors or result.status != 200 or not result.data:
            message = result.first_error() or "no data"
            log.warning("GraphQL error (HTTP %s): %s", result.status, message)
            raise DagsterError(f"Dagster GraphQL error (HTTP {result.status}): {message}")
        return result.data


def unwrap(value: Any, expected: str, what: str) -> dict[str, Any]:
    """The object of a ``...OrError`` union, or a 502 naming the error type and message."""
    if not isinstance(value, dict):
        raise DagsterError(f"Dagster returned no {what}")
    typename = value.get("__typename")
    if typename != expected:
        message = value.get("message") or ""
        raise DagsterError(f"Dagster could not give {what}: {typename}: {message}".rstrip(": "))
    return value
