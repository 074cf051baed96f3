"""Housekeeping that keeps moo_markets healthy for months: retention and stuck runs."""

from moo_markets.maintenance.definitions import build_definitions

__all__ = ["build_definitions"]
