"""J-Quants as a Dagster resource: configuration in, a paced client out."""

from __future__ import annotations

import datetime as dt

from dagster import ConfigurableResource, InitResourceContext
from pydantic import Field, PrivateAttr, field_validator

from moo_markets.core.settings import DEFAULT_JQUANTS_BASE_URL as DEFAULT_BASE_URL
from moo_markets.core.settings import load_settings
from moo_markets.jquants.client import ClientSettings, JQuantsClient, Row
from moo_markets.jquants.pacing import PLAN_REQUESTS_PER_MINUTE
from moo_markets.jquants_pool import await_turn


class JQuantsResource(ConfigurableResource):
    """The J-Quants V2 API (``x-api-key``), paced to the plan's per-minute limit.

    Settings left unset fall back to the settings (``JQUANTS_BASE_URL``,
    ``JQUANTS_PLAN``, ``JQUANTS_REQUESTS_PER_MINUTE``), read when the resource
    is used, never at import. Pass the key as ``EnvVar("JQUANTS_API_KEY")``
    so run config and the UI show the variable's name, never its value.
    """

    api_key: str = Field(description="J-Quants V2 API key; use EnvVar('JQUANTS_API_KEY').")
    base_url: str | None = Field(
        default=None, description=f"API root. Unset: $JQUANTS_BASE_URL, else {DEFAULT_BASE_URL}."
    )
    plan: str | None = Field(
        default=None,
        description="Subscription plan, sets the rate (5/60/120/500 per minute). "
        "Unset: $JQUANTS_PLAN, else free.",
    )
    requests_per_minute: int | None = Field(
        default=None, gt=0, description="Explicit rate; overrides the plan's."
    )
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=5, ge=1, description="Attempts per request, first included.")
    backoff_initial: float = Field(default=1.0, ge=0, description="First retry wait (s), doubling.")
    backoff_max: float = Field(default=60.0, ge=0)
    rate_limit_wait: float = Field(
        default=60.0, ge=0, description="Wait after a 429 (J-Quants advises at least 60 s)."
    )

    _client: JQuantsClient | None = PrivateAttr(default=None)

    @field_validator("plan")
    @classmethod
    def _known_plan(cls, value: str | None) -> str | None:
        if value is not None and value not in PLAN_REQUESTS_PER_MINUTE:
            raise ValueError(
                f"unknown plan {value!r}; expected one of {list(PLAN_REQUESTS_PER_MINUTE)}"
            )
        return value

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._client = None
        await_turn(context)  # one J-Quants run at a time, even on a misconfigured instance

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def effective_plan(self) -> str:
        """The plan runs are gated by: this resource's ``plan``, else ``JQUANTS_PLAN``."""
        return self.plan or load_settings().jquants_plan

    def settings(self) -> ClientSettings:
        settings = load_settings()
        plan = self.plan or settings.jquants_plan
        rate = self.requests_per_minute or settings.jquants_requests_per_minute
        return ClientSettings(
            base_url=self.base_url or settings.jquants_base_url,
            requests_per_minute=float(rate) if rate else PLAN_REQUESTS_PER_MINUTE[plan],
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            max_attempts=self.max_attempts,
            backoff_initial=self.backoff_initial,
            backoff_max=self.backoff_max,
            rate_limit_wait=self.rate_limit_wait,
        )

    @property
    def client(self) -> JQuantsClient:
        if self._client is None:
            self._client = JQuantsClient(self.api_key, self.settings())
        return self._client

    # ---- endpoints (the client owns their paths) ---------------------------------

    def listed_companies(self, date: dt.date | None = None) -> list[Row]:
        """``/equities/master``: the listing on ``date`` (None: J-Quants' current list)."""
        return self.client.listed_companies(date)

    def trading_calendar(
        self, from_: dt.date | None = None, to: dt.date | None = None
    ) -> list[Row]:
        """``/markets/calendar`` rows ``{"Date", "HolDiv"}``."""
        return self.client.trading_calendar(from_, to)
