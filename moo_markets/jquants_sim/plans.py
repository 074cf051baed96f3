"""J-Quants subscription plans as the simulator enforces them: rank, rate limit, history window,
and the gateway's exact answers (docs/jquants-datasets.md, "Plans" and "Status codes")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

PLANS = ("free", "light", "standard", "premium")
PLAN_RANK = {plan: rank for rank, plan in enumerate(PLANS)}
RATE_LIMITS = {"free": 5, "light": 60, "standard": 120, "premium": 500}
"""Requests per minute per key."""

DATA_START = dt.date(2008, 5, 7)
FREE_DELAY = dt.timedelta(weeks=12)

PLANS_URL = "https://jpx-jquants.com/#dataset"
MSG_INVALID_KEY = "The incoming api key is invalid or expired."
MSG_NO_ENDPOINT = (
    "The requested endpoint does not exist. Please check the URL, HTTP method, and API version."
)
MSG_NOT_IN_PLAN = (
    "This API is not available on your subscription.  "
    f"If you want more data, please check other plans:{PLANS_URL}"
)
MSG_RATE_LIMIT = "Rate limit exceeded"
MSG_INTERNAL = "Internal Server Error"


def check_plan(plan: str) -> str:
    if plan not in PLAN_RANK:
        raise ValueError(f"plan must be one of {', '.join(PLANS)}, not {plan!r}")
    return plan


def includes(plan: str, lowest: str) -> bool:
    """Whether ``plan`` may call an endpoint whose lowest plan is ``lowest``."""
    return PLAN_RANK[plan] >= PLAN_RANK[lowest]


def years_before(day: dt.date, years: int) -> dt.date:
    """The same month and day ``years`` earlier (Feb 29 becomes Feb 28)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class Window:
    """Dates a plan may see: ``first`` .. ``last`` inclusive; ``last`` None = no upper bound."""

    first: dt.date
    last: dt.date | None

    def contains(self, day: dt.date) -> bool:
        return self.first <= day and (self.last is None or day <= self.last)

    def clip(self, first: dt.date, last: dt.date) -> tuple[dt.date, dt.date] | None:
        """``first..last`` intersected with the window, or None when they do not meet."""
        lo = max(first, self.first)
        hi = last if self.last is None else min(last, self.last)
        return (lo, hi) if lo <= hi else None

    def message(self) -> str:
        """J-Quants' 400 for a date outside the window (observed wording)."""
        last = "" if self.last is None else self.last.isoformat()
        return (
            f"Your subscription covers the following dates: {self.first.isoformat()} ~ {last}. "
            f"If you want more data, please check other plans:{PLANS_URL}"
        )


def history_window(plan: str, today: dt.date) -> Window:
    """Free: 2 years ending 12 weeks ago; Light 5 years; Standard 10; Premium from 2008-05-07."""
    check_plan(plan)
    if plan == "free":
        last = today - FREE_DELAY
        return Window(years_before(last, 2), last)
    if plan == "premium":
        return Window(DATA_START, None)
    return Window(max(DATA_START, years_before(today, 5 if plan == "light" else 10)), None)


def required_message(*names: str) -> str:
    """The 400 for a query missing all of its alternative required parameters."""
    listed = ",".join(f"'{n}'" for n in names)
    return f"This API requires at least 1 parameter as follows; {listed}."
