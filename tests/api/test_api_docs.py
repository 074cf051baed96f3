"""The interactive docs work offline: every asset the pages reference comes from the API."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from moo_markets.api import create_app
from moo_markets.core.settings import Settings

REFERENCE = re.compile(r"""(?:href|src|spec-url)\s*=\s*["']([^"']+)["']|url:\s*'([^']+)'""")


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(dagster_url="http://dagster.invalid:3000"))) as client:
        yield client


@pytest.mark.parametrize("page", ["/api/docs", "/api/redoc"])
def test_docs_pages_and_all_their_assets_are_served_by_the_api(client, page):
    response = client.get(page)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    references = [a or b for a, b in REFERENCE.findall(html)]
    assert len(references) >= 3, references  # script, icon (and style), the OpenAPI document
    assert "/api/openapi.json" in references
    assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", html, re.I), (
        "the page references another host"
    )
    for reference in references:
        assert reference.startswith("/api/"), reference
        asset = client.get(reference)
        assert asset.status_code == 200, (reference, asset.status_code)
        assert len(asset.content) > 100, reference
    scripts = [r for r in references if r.endswith(".js")]
    assert scripts and all("javascript" in client.get(s).headers["content-type"] for s in scripts)


def test_swagger_ui_sends_the_document_to_no_validator(client):
    assert '"validatorUrl": null' in client.get("/api/docs").text


def test_docs_are_not_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert not [p for p in paths if "docs" in p or "redoc" in p]
