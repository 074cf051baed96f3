"""Error responses documented on every route (OpenAPI)."""

from __future__ import annotations

from typing import Any

from moo_markets.api.models import ErrorBody

_DESCRIPTIONS = {
    401: "Missing or wrong bearer token (only when MOO_MARKETS_API_TOKEN is set)",
    404: "Unknown job or run",
    409: "Impossible state change",
    413: "Body larger than 64 kB",
    422: "Invalid body or parameter (the detail names the field and why)",
    502: "The Dagster webserver answered with an unexpected error",
    503: "The Dagster webserver does not answer",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in codes}


READ = errors(422, 502, 503)
WRITE = errors(401, 409, 413, 422, 502, 503)
