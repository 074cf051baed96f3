"""Offline J-Quants V2 simulator: deterministic sample data behind a faithful HTTP API.

Used by tests and benchmarks in-process and by ``moo-markets jquants-sim`` for the offline
demo. Production code never imports this package.
"""

from moo_markets.jquants_sim.dataset import Dataset
from moo_markets.jquants_sim.server import (
    JQuantsSimulator,
    SimulatorConfig,
    SimulatorStats,
    max_in_window,
)

__all__ = ["Dataset", "JQuantsSimulator", "SimulatorConfig", "SimulatorStats", "max_in_window"]
