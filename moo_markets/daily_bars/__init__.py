"""Daily bars (株価四本値 日足) and the trading calendar: assets, checks, job and schedule."""

from moo_markets.daily_bars.definitions import build_definitions

__all__ = ["build_definitions"]
