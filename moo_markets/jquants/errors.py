"""What can go wrong talking to J-Quants, as exceptions a run can show verbatim.

Messages name the endpoint, the query and J-Quants' own words, and never the
API key (it travels only in a header, never in a URL).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _describe(path: str, params: Mapping[str, Any]) -> str:
    query = ", ".join(f"{k}={v}" for k, v in params.items() if k != "pagination_key")
    return f"GET {path}" + (f" ({query})" if query else "")


class JQuantsError(Exception):
    """Base class: the request to J-Quants did not produce data."""

    def __init__(self, path: str, params: Mapping[str, Any], detail: str) -> None:
        self.path = path
        self.params = dict(params)
        self.detail = detail
        super().__init__(f"J-Quants {_describe(path, params)}: {detail}")


class JQuantsRequestError(JQuantsError):
    """J-Quants refused the request (400 bad parameters, 403 key/plan/path). Not retried."""

    def __init__(self, path: str, params: Mapping[str, Any], status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(path, params, f"HTTP {status}: {message}")


class JQuantsUnavailableError(JQuantsError):
    """J-Quants kept failing (5xx, timeouts, broken bodies, 429s) after every allowed attempt."""


class JQuantsStopped(JQuantsError):
    """The caller is stopping (its run was terminated): the request was not sent."""
