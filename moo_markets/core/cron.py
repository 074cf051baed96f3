"""Cron expressions as moo_markets accepts them: five fields, Asia/Tokyo, and able to fire.

One rule for every place a cron comes from (the ``MOO_MARKETS_<JOB>_CRON``
variables today, a runtime change through the REST API later), checked
without Dagster so the API can validate too. Dagster parses crons with its
own vendored croniter; the same library validates here.
"""

from __future__ import annotations

import datetime as dt

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

from moo_markets.core.time import JST

FIELDS = 5
_HORIZON_YEARS = 8
"""A cron that does not fire within this many years never fires (e.g. ``0 0 31 2 *``)."""


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
