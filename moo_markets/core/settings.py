"""Every setting moo_markets reads, in one validated object.

``load_settings()`` reads the environment (``MOO_MARKETS_*``, ``JQUANTS_*``
and ``DAGSTER_HOME``) when a process starts: the code location when Dagster
loads it, each CLI command, the REST API. A bad value stops that process with
the variable's name and why (:class:`SettingsError`); nothing reads the
environment at import time and no other module of the package reads it.

The per-job cron fields are derived from the catalog, so a new job type gets
its ``MOO_MARKETS_<JOB_TYPE>_CRON`` variable without a change here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    Field,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from moo_markets.core.catalog import JOBS, JobType
from moo_markets.core.cron import CronError, CronInForce, Override, cron_in_force, validate_cron

ENV_PREFIX = "MOO_MARKETS_"
DEFAULT_JQUANTS_BASE_URL = "https://api.jquants.com/v2"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class SettingsError(ValueError):
    """A setting has a value moo_markets cannot use; the message names the variable."""


def _cron(value: str) -> str:
    try:
        return validate_cron(value)
    except CronError as exc:
        raise ValueError(str(exc)) from None


Cron = Annotated[str, AfterValidator(_cron)]


class _Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    # -- J-Quants ---------------------------------------------------------------------------
    jquants_api_key: SecretStr | None = Field(
        default=None,
        validation_alias="JQUANTS_API_KEY",
        description="J-Quants V2 API key; sent only as the x-api-key header, never logged.",
    )
    jquants_plan: Literal["free", "light", "standard", "premium"] = Field(
        default="free",
        validation_alias="JQUANTS_PLAN",
        description="Subscription plan: sets the pace (5 / 60 / 120 / 500 requests per minute) "
        "and which datasets' jobs may run (the others are listed as unavailable).",
    )
    jquants_requests_per_minute: float | None = Field(
        default=None,
        gt=0,
        validation_alias="JQUANTS_REQUESTS_PER_MINUTE",
        description="Explicit pace, overrides the plan's.",
    )
    jquants_base_url: str = Field(
        default=DEFAULT_JQUANTS_BASE_URL,
        validation_alias="JQUANTS_BASE_URL",
        description="API root; the client talks to nothing else.",
    )

    # -- warehouse and Dagster --------------------------------------------------------------
    database_url: SecretStr | None = Field(
        default=None,
        description="The warehouse (market data, SQL mirror): sqlite:///PATH or "
        "postgresql://user:pw@host/db. Unset: ./data/moo_markets.db.",
    )
    dagster_home: str | None = Field(
        default=None,
        validation_alias="DAGSTER_HOME",
        description="Dagster's instance folder; `moo-markets mirror sync` reads its runs.",
    )

    # -- pipeline ---------------------------------------------------------------------------
    mirror_interval_seconds: int = Field(default=15, ge=1, description="Mirror sensor interval.")
    step_retries: int = Field(default=2, ge=0, description="Dagster retries of a failed step.")
    step_retry_delay_seconds: int = Field(
        default=60, ge=0, description="Wait before the first step retry (doubling, jittered)."
    )
    retention_days: int = Field(default=90, ge=1, description="Finished runs older are deleted.")
    retention_keep_runs: int = Field(
        default=10, ge=0, description="Runs of each job type always kept."
    )
    stuck_after_seconds: float = Field(
        default=1800.0,
        gt=0,
        description="A started run with no new event for this long is stuck (sensor and cleanup).",
    )
    stuck_sensor_interval_seconds: int = Field(
        default=60, ge=1, description="How often the stuck_run_sensor looks."
    )
    recheck_days: int = Field(
        default=5,
        ge=1,
        le=60,
        description="Business days the recheck job refetches (the newest the plan can see).",
    )

    # -- REST API ---------------------------------------------------------------------------
    dagster_url: str = Field(
        default="http://127.0.0.1:3000",
        description="Base URL of the Dagster webserver; GraphQL is served at <url>/graphql.",
    )
    api_host: str = Field(default="127.0.0.1", description="Bind address of the REST API.")
    api_port: int = Field(default=4000, ge=1, le=65535, description="Port of the REST API.")
    api_token: SecretStr | None = Field(
        default=None,
        description="When set, every PUT/POST/DELETE needs 'Authorization: Bearer <token>'.",
    )
    api_connect_timeout: float = Field(default=5.0, gt=0, le=120)
    api_graphql_timeout: float = Field(
        default=30.0, gt=0, le=600, description="Read timeout of one GraphQL request (s)."
    )
    api_health_timeout: float = Field(
        default=0.8,
        gt=0,
        le=30,
        description="How long /api/health waits for the webserver before reporting it as "
        "not answering (s).",
    )
    api_max_connections: int = Field(default=20, ge=1, le=1000)
    api_stop_wait: float = Field(
        default=20.0,
        ge=0,
        le=600,
        description="How long POST .../stop waits for the run to end before answering 202.",
    )
    api_process_check: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="Cleanup: look up run worker pids on this host ('auto': only when the "
        "webserver URL is loopback, i.e. Dagster runs on this machine).",
    )
    code_location: str | None = Field(
        default=None,
        description="Only when several code locations of the webserver hold the catalog's "
        "jobs: the one the API uses (unset: the API finds the location by itself).",
    )

    @field_validator("dagster_url", "jquants_base_url")
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

    # -- derived ----------------------------------------------------------------------------
    def cron_for(self, job: JobType) -> str:
        """The job's cron: ``MOO_MARKETS_<JOB_TYPE>_CRON`` if set, else the catalog default."""
        return self.cron_in_force(job).cron

    def cron_in_force(self, job: JobType, override: Override | None = None) -> CronInForce:
        """The job's cron and where it comes from: ``override`` (stored at runtime) wins over
        ``MOO_MARKETS_<JOB_TYPE>_CRON``, which wins over the catalog default."""
        return cron_in_force(job.default_cron, getattr(self, cron_field(job), None), override)

    @property
    def database_url_value(self) -> str | None:
        return self.database_url.get_secret_value() if self.database_url else None

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
        values = [self.api_token, self.jquants_api_key, self.database_url]
        return [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]


def cron_field(job: JobType) -> str:
    return f"{job.job_type}_cron"


Settings: type[_Settings] = create_model(  # type: ignore[assignment]
    "Settings",
    __base__=_Settings,
    __doc__="moo_markets' settings (see the module docstring); one cron field per catalog job.",
    **{
        cron_field(job): (
            Cron | None,
            Field(
                default=None,
                description=f"Cron of {job.schedule_name} (Asia/Tokyo, 5 fields); "
                f"default {job.default_cron!r}.",
            ),
        )
        for job in JOBS
    },
)


def env_name(field: str) -> str:
    """The environment variable a field is read from."""
    info = Settings.model_fields[field]
    alias = info.validation_alias
    return alias if isinstance(alias, str) else ENV_PREFIX + field.upper()


def env_names() -> dict[str, str]:
    """Every variable moo_markets reads -> its field (the README's table must list them all)."""
    return {env_name(name): name for name in Settings.model_fields}


def _describe(error: dict[str, Any]) -> str:
    field = str(error["loc"][0]) if error.get("loc") else ""
    name = env_name(field) if field in Settings.model_fields else field or "settings"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    annotation = (
        str(Settings.model_fields[field].annotation) if field in Settings.model_fields else ""
    )
    if "input" in error and "Secret" not in annotation and repr(error["input"]) not in message:
        message += f" (got {error['input']!r})"
    return f"{name}: {message}"


def load_settings(**overrides: Any) -> _Settings:
    """The settings from the environment (``overrides`` win); :class:`SettingsError` if invalid."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(
            "invalid setting " + "; ".join(_describe(e) for e in exc.errors())
        ) from None
