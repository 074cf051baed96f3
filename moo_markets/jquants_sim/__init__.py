"""Offline J-Quants V2 simulator: deterministic sample data behind a faithful HTTP API.

Used by tests and benchmarks in-process and by ``moo-markets jquants-sim`` for the offline
demo. Production code never imports this package. docs/jquants-datasets.md describes what it
serves; the README's simulator section how to drive it.
"""

from moo_markets.jquants_sim.dataset import Dataset
from moo_markets.jquants_sim.endpoints import ENDPOINTS
from moo_markets.jquants_sim.plans import PLANS, RATE_LIMITS, Window, history_window
from moo_markets.jquants_sim.server import (
    PLAN_RATE,
    UNLIMITED,
    JQuantsSimulator,
    SimulatorConfig,
    SimulatorStats,
    max_in_window,
)

__all__ = [
    "ENDPOINTS",
    "PLANS",
    "PLAN_RATE",
    "RATE_LIMITS",
    "UNLIMITED",
    "Dataset",
    "JQuantsSimulator",
    "SimulatorConfig",
    "SimulatorStats",
    "Window",
    "history_window",
    "max_in_window",
]
