"""The recheck job (catalog id 21): refetch recent days and keep what J-Quants changed."""

from moo_markets.recheck.definitions import build_definitions

__all__ = ["build_definitions"]
