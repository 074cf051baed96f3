"""The API token and the J-Quants key never reach a log line (issue 12, item 3).

The real API (``moo-markets api``, uvicorn, real HTTP) is started with both
secrets and asked requests that carry them where clients put them by mistake:
the token in a query string (plain and percent-encoded), the J-Quants key as a
run id in the path. Its whole output - uvicorn's access and error loggers and
the app's own loggers, at DEBUG - is then searched for every form of them.
Dagster is not running, so the run lookup fails and the app logs that request
too (a 503 is logged with its path).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import urllib.parse
from pathlib import Path

import httpx
import pytest
from support.dagster_processes import free_port, wait_for

from moo_markets.api.errors import Redactor

TOKEN = "tok+en/Secret=4a1f"  # characters that a query string percent-encodes
JQUANTS_KEY = "jq-Secret.Key+9c2e"
BIN = Path(sys.executable).parent


def forms(secret: str) -> set[str]:
    return {
        secret,
        urllib.parse.quote(secret),
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
    }


@pytest.fixture
def api_log(tmp_path) -> tuple[str, Path]:
    port = free_port()
    log = tmp_path / "api.log"
    env = {
        **os.environ,
        "MOO_MARKETS_API_TOKEN": TOKEN,
        "JQUANTS_API_KEY": JQUANTS_KEY,
        "MOO_MARKETS_DAGSTER_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens
        "MOO_MARKETS_API_CONNECT_TIMEOUT": "1",
    }
    env.pop("MOO_MARKETS_DATABASE_URL", None)
    argv = [str(BIN / "moo-markets"), "--log-level", "DEBUG", "api", "--port", str(port)]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"moo-markets api exited: {log.read_text()}")
        try:
            return httpx.get(f"{url}/api/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(up, timeout=60, message="the API to answer")
        yield url, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


RUN_ID = "3f2b8f0e-9c3a-4d3e-8a57-0d4f1c2b9e11"


def test_secrets_in_requests_are_redacted_from_every_log_line(api_log) -> None:
    url, log = api_log
    base = f"{url}/api/scheduler"
    encoded = urllib.parse.quote(TOKEN, safe="")
    with httpx.Client(timeout=30) as http:
        assert (
            http.put(f"{base}/jobs/1/enabled?token={encoded}", json={"enabled": True}).status_code
            == 401
        )
        assert (
            http.put(f"{base}/jobs/1/enabled", params={"token": TOKEN}, json={}).status_code == 401
        )
        assert http.get(f"{base}/jobs/{encoded}/executions").status_code == 404
        # The key as a run id: not a UUID, so unknown without asking Dagster.
        key_path = urllib.parse.quote(JQUANTS_KEY, safe="")
        assert http.get(f"{base}/executions/{key_path}").status_code == 404
        assert http.get(f"{base}/executions/{JQUANTS_KEY}").status_code == 404
        # A real run id with the token in a header: Dagster is down, the API logs the 503.
        assert (
            http.get(f"{base}/executions/{RUN_ID}?key={key_path}", headers={"X-Token": TOKEN})
        ).status_code == 503

    text = log.read_text()
    # The requests were logged (access log and the app's warning), with the secrets masked.
    assert "PUT /api/scheduler/jobs/1/enabled?token=*** HTTP/1.1" in text, text
    assert "GET /api/scheduler/executions/*** HTTP/1.1" in text, text
    assert f"GET /api/scheduler/executions/{RUN_ID}?key=*** HTTP/1.1" in text, text
    assert f"GET /api/scheduler/executions/{RUN_ID} -> 503" in text, text
    for secret in (TOKEN, JQUANTS_KEY):
        for form in forms(secret):
            assert form not in text, f"{form!r} is in the API's log:\n{text}"


def test_the_log_filter_redacts_arguments_messages_and_tracebacks() -> None:
    from moo_markets.api.log_redaction import redact_logs

    logger = logging.getLogger("moo_markets.test_redaction")
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Collect()
    logger.addHandler(handler)
    logger.propagate = False
    undo = redact_logs(Redactor([TOKEN, JQUANTS_KEY]))
    try:
        logger.warning(
            "%s %s %s", "127.0.0.1:1", "GET", f"/x?token={urllib.parse.quote_plus(TOKEN)}"
        )
        logger.warning(f"key {JQUANTS_KEY} in the message")
        logger.warning("a mapping %(path)s", {"path": f"/executions/{JQUANTS_KEY}"})
        logger.warning("an object %s", KeyError(JQUANTS_KEY))
        try:
            raise ValueError(f"bad token {TOKEN}")
        except ValueError:
            logger.exception("failed")
    finally:
        undo()
        logger.removeHandler(handler)
    text = "\n".join(records)
    assert text.count("***") == 5, text
    assert "ValueError: bad token ***" in text
    for secret in (TOKEN, JQUANTS_KEY):
        for form in forms(secret):
            assert form not in text
