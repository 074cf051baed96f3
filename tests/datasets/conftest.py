import pytest
from support.jquants_sim import SIM_API_KEY


@pytest.fixture(scope="module")
def premium_sim():
    """A Premium simulator without a rate limit: every bulk file, no pacing waits."""
    from moo_markets.jquants_sim import JQuantsSimulator, SimulatorConfig

    config = SimulatorConfig(
        api_key=SIM_API_KEY, seed=42, plan="premium", rate_limit_per_minute=None
    )
    with JQuantsSimulator(config, port=0) as sim:
        yield sim
