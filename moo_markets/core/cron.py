"""Cron expressions as moo_markets accepts them: five fields, Asia/Tokyo, and able to fire.

One rule for every place a cron comes from (the ``MOO_MARKETS_<JOB>_CRON``
variables, a runtime change through the REST API or the CLI), checked
without Dagster so the API can validate too. Dagster parses crons with its
own vendored croniter; the same library validates here.

Which cron is in force is decided here too (:func:`cron_in_force`): an
override stored at runtime, else the environment, else the catalog default.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

from moo_markets.core.time import JST

FIELDS = 5
_HORIZON_YEARS = 8
"""A cron that does not fire within this many years never fires (e.g. ``0 0 31 2 *``)."""


Source = Literal["override", "environment", "default"]

SET_AT_RUNTIME = "set at runtime by"
"""Words a schedule's description carries while an override is in force: the REST API
reads them back through GraphQL to know which load of the code location it sees."""


class CronError(ValueError):
    """A cron expression moo_markets cannot schedule; the message says why."""


def validate_cron(expression: str) -> str:
    """The expression, whitespace-normalised, or :class:`CronError` saying what is wrong."""
    text = " ".join(str(expression).split())
    fields = text.split(" ") if text else []
    if len(fields) != FIELDS:
        raise CronError(
            f"{expression!r} has {len(fields)} field(s); use 5 (minute hour day month weekday), "
            "e.g. '15 8 * * 1-5'"
        )
    try:
        iterator = croniter(
            text, dt.datetime(2000, 1, 1, tzinfo=JST), max_years_between_matches=_HORIZON_YEARS
        )
    except (CroniterBadCronError, ValueError, KeyError) as exc:
        raise CronError(f"{expression!r} is not a valid cron expression ({exc})") from None
    try:
        iterator.get_next(dt.datetime)
    except CroniterBadDateError:
        raise CronError(f"{expression!r} never fires (no such date)") from None
    return text


@dataclass(frozen=True)
class Override:
    """A cron set at runtime (warehouse table ``schedule_overrides``): who set it, when."""

    cron: str
    set_by: str
    set_at: dt.datetime


@dataclass(frozen=True)
class CronInForce:
    cron: str
    source: Source
    override: Override | None = None
    warning: str | None = None
    """Set when the overrides could not be read and this cron may not be the one wanted."""

    def with_warning(self, warning: str) -> CronInForce:
        return CronInForce(self.cron, self.source, self.override, warning)

    def describe(self) -> str:
        """One line for the schedule's description in the Dagster UI."""
        if self.override is not None:
            when = self.override.set_at.isoformat(timespec="seconds")
            text = f"Cron {self.cron!r} {SET_AT_RUNTIME} {self.override.set_by} at {when}."
        elif self.source == "environment":
            text = f"Cron {self.cron!r} from the environment."
        else:
            text = f"Cron {self.cron!r}: the catalog default."
        return f"{text} WARNING: {self.warning}" if self.warning else text


def cron_in_force(
    default: str, environment: str | None, override: Override | None = None
) -> CronInForce:
    """The precedence: an override > ``MOO_MARKETS_<JOB>_CRON`` > the catalog default."""
    if override is not None:
        return CronInForce(override.cron, "override", override)
    if environment:
        return CronInForce(environment, "environment")
    return CronInForce(default, "default")
