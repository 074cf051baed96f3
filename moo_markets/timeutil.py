"""Dates as J-Quants sees them: business days are Asia/Tokyo days."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


def now_jst() -> dt.datetime:
    return dt.datetime.now(tz=JST)


def today_jst() -> dt.date:
    return now_jst().date()


def parse_date(text: str) -> dt.date:
    """``YYYY-MM-DD`` (or ``YYYYMMDD``) to a date, with a message that names the format."""
    try:
        if len(text) == 8 and text.isdigit():
            return dt.datetime.strptime(text, "%Y%m%d").replace(tzinfo=JST).date()
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a valid date (expected YYYY-MM-DD)") from None
