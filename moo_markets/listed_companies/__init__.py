"""The listed-company master (上場銘柄一覧): asset, checks, job and schedule."""

from moo_markets.listed_companies.definitions import build_definitions

__all__ = ["build_definitions"]
