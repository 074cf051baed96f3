"""Declarative J-Quants datasets: one small module with a ``SPEC`` per endpoint.

Dagster-free (the REST API and the SQL mirror read it); the Dagster side is
``moo_markets.ingest``. See :mod:`moo_markets.datasets.spec`.
"""
