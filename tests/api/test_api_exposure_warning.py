"""The API warns when its Dagster webserver is on a public address and no token is set
(issue 12, item 9).

Dagster's GraphQL has no authentication: wherever the API can reach it without
credentials, so can anyone on that network. The start-up warning is checked
through the real command (one line, then the API serves as usual); which
addresses count as public is checked on the function behind it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.dagster_processes import free_port

BIN = Path(sys.executable).parent


def start_api(tmp_path, dagster_url: str, token: str | None) -> str:
    """Start ``moo-markets api`` until it serves, stop it, and return its output."""
    env = {**os.environ, "MOO_MARKETS_DAGSTER_URL": dagster_url}
    env.pop("MOO_MARKETS_API_TOKEN", None)
    if token:
        env["MOO_MARKETS_API_TOKEN"] = token
    log = tmp_path / "api.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(BIN / "moo-markets"), "api", "--port", str(free_port())],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "Application startup complete" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return log.read_text()


def warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if "WARNING" in line]


def test_public_dagster_url_without_token_warns_once(tmp_path) -> None:
    output = start_api(tmp_path, "http://8.8.8.8:3000", token=None)
    lines = warnings(output)
    assert len(lines) == 1, output
    assert "8.8.8.8" in lines[0] and "MOO_MARKETS_API_TOKEN" in lines[0], lines[0]
    assert "Traceback" not in output


def test_private_dagster_url_starts_quietly(tmp_path) -> None:
    assert warnings(start_api(tmp_path, "http://10.1.2.3:3000", token=None)) == []


@pytest.mark.parametrize(
    ("host", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("localhost", False),
        ("10.0.0.5", False),
        ("172.16.3.4", False),
        ("192.168.1.20", False),
        ("fd12:3456::1", False),
        ("169.254.1.1", False),
        ("no-such-host.invalid", False),  # cannot tell: the API reports it unreachable instead
    ],
)
def test_public_addresses(host: str, public: bool) -> None:
    from moo_markets.api.exposure import public_addresses

    assert bool(public_addresses(host)) is public


def test_warning_needs_a_public_url_and_no_token(monkeypatch) -> None:
    from moo_markets.api.exposure import dagster_exposure_warning
    from moo_markets.core.settings import Settings

    monkeypatch.delenv("MOO_MARKETS_API_TOKEN", raising=False)
    public = Settings(dagster_url="http://user:hunter2pw@8.8.8.8:3000")
    warning = dagster_exposure_warning(public)
    assert warning and "http://8.8.8.8:3000" in warning and "hunter2pw" not in warning
    assert (
        dagster_exposure_warning(Settings(dagster_url="http://8.8.8.8:3000", api_token="t")) is None
    )
    assert dagster_exposure_warning(Settings(dagster_url="http://192.168.0.2:3000")) is None
