"""Settings of the REST API, read from ``MOO_MARKETS_*`` environment variables.

Validated once when the service starts (``Settings()`` raises on a bad value),
never read at import time: ``create_app(settings)`` receives them.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MOO_MARKETS_", extra="ignore", frozen=True, populate_by_name=True
    )

    dagster_url: str = Field(
        default="http://127.0.0.1:3000",
        description="Base URL of the Dagster webserver; GraphQL is served at <url>/graphql.",
    )
    api_host: str = Field(default="127.0.0.1", description="Bind address of the REST API.")
    api_port: int = Field(default=4000, ge=1, le=65535, description="Port of the REST API.")
    api_token: SecretStr | None = Field(
        default=None,
        description="When set, every PUT/POST needs 'Authorization: Bearer <token>'.",
    )
    api_connect_timeout: float = Field(default=5.0, gt=0, le=120)
    api_graphql_timeout: float = Field(
        default=30.0, gt=0, le=600, description="Read timeout of one GraphQL request (s)."
    )
    api_max_connections: int = Field(default=20, ge=1, le=1000)
    api_stop_wait: float = Field(
        default=20.0,
        ge=0,
        le=600,
        description="How long POST .../stop waits for the run to end before answering 202.",
    )
    stuck_after_seconds: float = Field(
        default=1800.0,
        gt=0,
        description="Cleanup: a started run with no new event for this long (s) is stuck. "
        "The same variable (MOO_MARKETS_STUCK_AFTER_SECONDS) drives the stuck_run_sensor.",
    )
    api_process_check: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="Cleanup: look up run worker pids on this host ('auto': only when the "
        "webserver URL is loopback, i.e. Dagster runs on this machine).",
    )
    code_location: str = Field(default="moo_markets", description="Dagster code location name.")
    repository_name: str = Field(default="__repository__")
    database_url: SecretStr | None = Field(
        default=None,
        description="Warehouse holding the scheduler mirror; jobs' inserted_at/updated_at come "
        "from its `jobs` table when reachable (null otherwise).",
    )

    jquants_api_key: SecretStr | None = Field(
        default=None,
        validation_alias="JQUANTS_API_KEY",
        description="Not used by the API; known only so it is redacted from any message.",
    )

    @field_validator("dagster_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"must be an http(s) URL such as http://127.0.0.1:3000, got {value!r}")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or fragment")
        try:
            parts.port  # noqa: B018 (raises on a bad port)
        except ValueError as exc:
            raise ValueError(f"bad port in {value!r}: {exc}") from None
        return value

    @field_validator("api_token", "database_url", "jquants_api_key", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @property
    def dagster_url_for_logs(self) -> str:
        """The webserver URL without any user:password part."""
        parts = urlsplit(self.dagster_url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path}"

    @property
    def graphql_url(self) -> str:
        return f"{self.dagster_url}/graphql"

    @property
    def dagster_is_local(self) -> bool:
        return (urlsplit(self.dagster_url).hostname or "") in LOOPBACK_HOSTS

    @property
    def check_local_processes(self) -> bool:
        if self.api_process_check == "auto":
            return self.dagster_is_local
        return self.api_process_check == "on"

    def secrets(self) -> list[str]:
        """Values that must never appear in a response or a log line."""
        values = [self.api_token, self.jquants_api_key]
        return [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]
