"""Time as moo_markets shows it: J-Quants days and every displayed time are Asia/Tokyo.

Datetimes are always aware. Dagster and GraphQL give epoch seconds; they
become Tokyo datetimes here, and every time moo_markets prints, answers or
writes to the SQL mirror is ISO 8601 with its ``+09:00`` offset.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TIMEZONE = "Asia/Tokyo"
JST = ZoneInfo(TIMEZONE)


def now_jst() -> dt.datetime:
    return dt.datetime.now(tz=JST)


def today_jst() -> dt.date:
    return now_jst().date()


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of ``day``'s month (J-Quants bulk files are monthly)."""
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def parse_date(text: str) -> dt.date:
    """``YYYY-MM-DD`` (or ``YYYYMMDD``) to a date, with a message that names the format."""
    try:
        if len(text) == 8 and text.isdigit():
            return dt.datetime.strptime(text, "%Y%m%d").replace(tzinfo=JST).date()
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a valid date (expected YYYY-MM-DD)") from None


def from_epoch(seconds: float | str | None) -> dt.datetime | None:
    """Epoch seconds (Dagster's run and event times) as an aware Tokyo datetime."""
    if seconds is None or seconds == "":
        return None
    return dt.datetime.fromtimestamp(float(seconds), tz=JST)


def in_tokyo(value: dt.datetime | None) -> dt.datetime | None:
    """An aware datetime in Tokyo time; a naive one is taken as UTC (how SQLite hands back
    the UTC texts older versions of the mirror wrote)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(JST)


def iso(value: dt.datetime | None, missing: str = "-") -> str:
    """``2026-12-01T08:15:00+09:00``: how the CLI prints a time (the REST API's format)."""
    tokyo = in_tokyo(value)
    return tokyo.isoformat() if tokyo is not None else missing
