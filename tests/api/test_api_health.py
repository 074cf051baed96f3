"""``/api/health`` answers promptly when the webserver hangs (accepts, never answers)."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from support.hung_server import HungServer

from moo_markets.api import create_app
from moo_markets.core.settings import Settings


def test_health_reports_a_hung_webserver_without_waiting_out_the_graphql_timeout():
    with HungServer() as hung:
        settings = Settings(dagster_url=hung.url, api_graphql_timeout=120)
        with TestClient(create_app(settings)) as client:
            started = time.monotonic()
            response = client.get("/api/health")
            waited = time.monotonic() - started
            # Not a speed target (bench/api_health.py measures it): health must not wait
            # anywhere near the 120 s GraphQL timeout a hung webserver would cost it.
            assert waited < 30, waited
            assert response.status_code == 200, response.text
            dagster = response.json()["data"]["dagster"]
            assert dagster["reachable"] is False
            assert "did not answer within 0.8 s" in dagster["detail"]
            assert hung.accepted, "the request reached the hung server"
