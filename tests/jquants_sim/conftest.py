"""Shared fixtures of the simulator's dataset, plan, bulk and correction tests.

One simulator per module, frozen at TODAY, with one key per plan and no rate limit; tests
that change data or time build their own (``make_sim``) so the shared one stays pristine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.jquants_sim import TODAY, Client, config

from moo_markets.jquants_sim import Dataset, JQuantsSimulator


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return Dataset(seed=42, today=TODAY)


@pytest.fixture(scope="module")
def sim(dataset: Dataset) -> Iterator[JQuantsSimulator]:
    with JQuantsSimulator(config(), dataset=dataset) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def client(sim: JQuantsSimulator) -> Client:
    return Client(sim)


@pytest.fixture
def make_sim() -> Iterator[Callable[..., JQuantsSimulator]]:
    """A simulator with its own settings and its own dataset (free to correct or move)."""
    started: list[JQuantsSimulator] = []

    def make(dataset: Dataset | None = None, **settings: Any) -> JQuantsSimulator:
        sim = JQuantsSimulator(config(**settings), dataset=dataset)
        started.append(sim.start())
        return sim

    yield make
    for sim in started:
        sim.stop()
