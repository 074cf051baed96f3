"""The Dagster side of the declared datasets: one asset, job and schedule per spec."""

from moo_markets.ingest.definitions import build_definitions

__all__ = ["build_definitions"]
