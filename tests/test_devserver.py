"""``moo-markets dev`` checks its ports before it starts anything."""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

from moo_markets.devserver import Port, port_problems

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_busy_and_repeated_ports_are_named_with_the_way_out() -> None:
    # A port nothing listens on (not taken + 1: other tests run in parallel).
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        free = spare.getsockname()[1]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        problems = port_problems(
            [
                Port("Dagster UI", taken, "UI_PORT", "--port"),
                Port("REST API", free, "API_PORT", "--api-port"),
                Port("J-Quants simulator", free, "SIM_PORT", "--sim-port"),
            ],
            "127.0.0.1",
        )
    assert problems[0] == (
        f"port {taken} for the Dagster UI is already in use; choose another with "
        f"`make dev UI_PORT={taken + 100}` (or `moo-markets dev --port {taken + 100}`)"
    )
    assert problems[1] == f"the J-Quants simulator and the REST API both use {free}"
    assert len(problems) == 2


def test_dev_refuses_to_start_on_a_busy_port(tmp_path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "JQUANTS_"))}
        result = subprocess.run(
            [str(BIN / "moo-markets"), "dev", "--api-port", str(taken), "--home",
             str(tmp_path / "home")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert result.returncode == 2
    assert f"port {taken} for the REST API is already in use" in result.stderr
    assert f"make dev API_PORT={taken + 100}" in result.stderr
    assert not (tmp_path / "home").exists()  # nothing was started or written


def test_namespace_defaults_match_the_makefile() -> None:
    from moo_markets.devserver import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args([])
    makefile = (ROOT / "Makefile").read_text()
    for variable, value in (("UI_PORT", args.port), ("API_PORT", args.api_port),
                            ("SIM_PORT", args.sim_port)):  # fmt: skip
        assert re.search(rf"^{variable}\s*\?=\s*{value}$", makefile, re.MULTILINE), variable
