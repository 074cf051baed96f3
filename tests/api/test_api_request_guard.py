"""Writes without the token are refused before the body is read; bodies are bounded.

The ASGI app is called directly where it matters whether the body was read: its
``receive`` counts the calls, so "refused before reading" is observed, not assumed.
"""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient
from support.fake_dagster import FakeDagster

from moo_markets.api import create_app
from moo_markets.api.middleware import MAX_BODY
from moo_markets.core.settings import Settings

TOKEN = "guard-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def make_app(fake: FakeDagster, **settings):
    settings.setdefault("dagster_url", "http://dagster.invalid:3000")
    return create_app(Settings(**settings), transport=fake.transport)


def call(app, method: str, path: str, headers: dict[str, str], chunks: list[bytes]):
    """One request straight into the ASGI app; returns (status, body, receive calls)."""
    pending = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    reads = 0
    sent: list[dict] = []

    async def receive():
        nonlocal reads
        reads += 1
        if pending:
            return pending.pop(0)
        await asyncio.sleep(3600)  # a client that never sends more

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 4000),
        "state": {},
    }

    async def run():
        await asyncio.wait_for(app(scope, receive, send), timeout=30)

    asyncio.run(run())
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body, reads


@pytest.fixture
def fake() -> FakeDagster:
    return FakeDagster()


@pytest.mark.parametrize(
    "method, path",
    [
        ("PUT", "/api/scheduler/jobs/1/enabled"),
        ("POST", "/api/scheduler/jobs/2/run"),
        ("POST", "/api/scheduler/cleanup"),
        ("POST", "/api/scheduler/executions/3f2b8f0e-9c3a-4d3e-8a57-0d4f1c2b9e11/stop"),
    ],
)
def test_a_write_without_the_token_is_refused_before_its_body_is_read(fake, method, path):
    app = make_app(fake, api_token=TOKEN)
    body = b'{"enabled": true, "pad": "' + b"x" * 1000 + b'"}'
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    status, answer, reads = call(app, method, path, headers, [body])
    assert status == 401, answer
    assert b"missing bearer token" in answer
    assert reads == 0, "the body was read before the token was checked"
    status, answer, reads = call(
        app, method, path, {**headers, "Authorization": "Bearer nope"}, [body]
    )
    assert (status, reads) == (401, 0), answer
    assert fake.operations == []


def test_malformed_json_without_the_token_is_401_not_422(fake):
    with TestClient(make_app(fake, api_token=TOKEN)) as client:
        response = client.put(
            "/api/scheduler/jobs/1/enabled",
            content=b'{"enabled": ',
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 401, response.text
        assert response.json() == {
            "errors": {"detail": "missing bearer token: send 'Authorization: Bearer <token>'"}
        }
        assert response.headers["www-authenticate"] == "Bearer"
        with_token = client.put(
            "/api/scheduler/jobs/1/enabled",
            content=b'{"enabled": ',
            headers={"Content-Type": "application/json", **AUTH},
        )
        assert with_token.status_code == 422 and "malformed JSON" in with_token.text


def test_a_declared_oversized_body_is_413_without_reading_it(fake):
    app = make_app(fake, api_token=TOKEN)
    size = 300 * 1024 * 1024
    headers = {**AUTH, "Content-Type": "application/json", "Content-Length": str(size)}
    status, answer, reads = call(app, "PUT", "/api/scheduler/jobs/1/enabled", headers, [b"{"])
    assert status == 413, answer
    assert answer.startswith(b'{"errors":{"detail":"body: larger than the 64 kB')
    assert reads == 0


def test_a_streamed_oversized_body_is_413_once_it_passes_the_limit(fake):
    app = make_app(fake, api_token=TOKEN)
    chunks = [b'{"enabled": true, "pad": "'] + [b"x" * 16384] * 100 + [b'"}']
    headers = {**AUTH, "Content-Type": "application/json"}  # no Content-Length: chunked
    status, answer, reads = call(app, "PUT", "/api/scheduler/jobs/1/enabled", headers, chunks)
    assert status == 413, answer
    assert reads <= MAX_BODY // 16384 + 2, "stopped reading soon after the limit"
    assert fake.operations == []


def test_bodies_over_the_limit_through_http(fake):
    """The same through a client: declared and chunked (a generator has no length)."""
    with TestClient(make_app(fake)) as client:
        big = b'{"enabled": true, "x": "' + b"x" * MAX_BODY + b'"}'
        declared = client.put("/api/scheduler/jobs/1/enabled", content=big)
        assert declared.status_code == 413
        assert set(declared.json()["errors"]) == {"detail"}

        def stream():
            yield b'{"all": true, "x": "'
            for _ in range(20):
                yield b"y" * 8192
            yield b'"}'

        chunked = client.post("/api/scheduler/cleanup", content=stream())
        assert chunked.status_code == 413 and "64 kB" in chunked.json()["errors"]["detail"]
        assert "Unfinished" not in fake.operations


def test_bodies_within_the_limit_reach_the_routes(fake):
    with TestClient(make_app(fake, api_token=TOKEN)) as client:
        enabled = client.put("/api/scheduler/jobs/1/enabled", json={"enabled": True}, headers=AUTH)
        assert enabled.status_code == 200 and enabled.json()["data"]["is_enabled"] is True

        def stream():
            yield b'{"enab'
            yield b'led": false}'

        disabled = client.put("/api/scheduler/jobs/1/enabled", content=stream(), headers=AUTH)
        assert disabled.status_code == 200 and disabled.json()["data"]["is_enabled"] is False
        exactly = b'{"enabled": true' + b" " * (MAX_BODY - 17) + b"}"
        assert len(exactly) == MAX_BODY
        at_limit = client.put("/api/scheduler/jobs/1/enabled", content=exactly, headers=AUTH)
        assert at_limit.status_code == 200, at_limit.text
        assert client.get("/api/scheduler/jobs").status_code == 200, "reads need no token"
