"""What every part of moo_markets shares, free of Dagster.

The catalog of jobs, the settings, Tokyo time and the run vocabulary live
here so the Dagster code location, the SQL mirror and the REST API (which
must not import Dagster) all decide through the same code.
"""
