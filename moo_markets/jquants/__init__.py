"""Talking to the J-Quants V2 API."""

from moo_markets.jquants.bulk import BulkFile, BulkFileError
from moo_markets.jquants.client import ClientSettings, JQuantsClient
from moo_markets.jquants.errors import JQuantsError, JQuantsRequestError, JQuantsUnavailableError
from moo_markets.jquants.pacing import PLAN_REQUESTS_PER_MINUTE, Pacer
from moo_markets.jquants.resource import DEFAULT_BASE_URL, JQuantsResource

__all__ = [
    "BulkFile",
    "BulkFileError",
    "DEFAULT_BASE_URL",
    "PLAN_REQUESTS_PER_MINUTE",
    "ClientSettings",
    "JQuantsClient",
    "JQuantsError",
    "JQuantsRequestError",
    "JQuantsResource",
    "JQuantsUnavailableError",
    "Pacer",
]
