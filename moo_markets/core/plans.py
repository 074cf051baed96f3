"""J-Quants subscription plans as the pipeline sees them: order and history window.

One place for "may this plan call that dataset, for that day": the catalog
(``available``), the REST API (409 on run/enable), the schedules (skip) and
the dataset assets (no request outside the window) all ask here. Facts from
docs/jquants-datasets.md, "Plans, windows and rate limits"; the simulator
keeps its own copy (``jquants_sim/plans.py``) because it plays J-Quants.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

PLANS = ("free", "light", "standard", "premium")
"""Lowest to highest; a higher plan includes every dataset of the lower ones."""

DATA_START = dt.date(2008, 5, 7)
"""The first day J-Quants has data for."""

FREE_DELAY = dt.timedelta(weeks=12)


def rank(plan: str) -> int:
    try:
        return PLANS.index(plan)
    except ValueError:
        raise ValueError(f"unknown plan {plan!r}; expected one of {', '.join(PLANS)}") from None


def includes(plan: str, lowest: str) -> bool:
    """Whether ``plan`` may call a dataset whose lowest plan is ``lowest``."""
    return rank(plan) >= rank(lowest)


def unavailable_reason(plan: str, lowest: str, path: str) -> str | None:
    """Why ``plan`` cannot fetch ``path`` (None when it can): the text the API, the
    schedules and the runs show."""
    if includes(plan, lowest):
        return None
    return (
        f"{path} needs the J-Quants {lowest} plan or higher; JQUANTS_PLAN is {plan} "
        "(change JQUANTS_PLAN once your subscription includes it)"
    )


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # Feb 29
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class Window:
    """Days a plan may ask for: ``first`` .. ``last`` inclusive (``last`` None: no bound)."""

    plan: str
    first: dt.date
    last: dt.date | None

    def contains(self, day: dt.date) -> bool:
        return self.first <= day and (self.last is None or day <= self.last)

    def holds(self, first: dt.date, last: dt.date) -> bool:
        """Whether a partition covering ``first``..``last`` may be run: when any of its days
        lies in the window. J-Quants clips a ``from``/``to`` range to the window, so a week
        that began before the window's first day is fetched for its days inside it; a
        one-day partition is simply inside or not. The one rule of the dataset assets
        (``ingest/partition.outside_window``) and the REST API's range run."""
        return last >= self.first and (self.last is None or first <= self.last)

    def describe(self) -> str:
        last = self.last.isoformat() if self.last else "today"
        delay = " (the Free plan's data are 12 weeks old)" if self.plan == "free" else ""
        return f"the {self.plan} plan covers {self.first.isoformat()} to {last}{delay}"


def history_window(plan: str, today: dt.date) -> Window:
    """Free: 2 years ending 12 weeks ago; Light 5 years; Standard 10; Premium from 2008-05-07."""
    rank(plan)
    if plan == "free":
        last = today - FREE_DELAY
        return Window(plan, _years_before(last, 2), last)
    if plan == "premium":
        return Window(plan, DATA_START, None)
    years = 5 if plan == "light" else 10
    return Window(plan, max(DATA_START, _years_before(today, years)), None)


def outside_window_message(
    path: str, days: list[dt.date], window: Window, unit: str = "partition"
) -> str:
    """The one line a run shows for partition days it did not request (``days``, sorted):
    J-Quants would only refuse them (HTTP 400), so none is asked for. Worded like the
    declared datasets' refusal (``ingest/assets.py``)."""
    if len(days) == 1:
        what = f"{unit} {days[0].isoformat()} was not requested: it lies"
    else:
        what = f"{unit}s {days[0]} to {days[-1]} ({len(days)} days) were not requested: they lie"
    return f"{path} {what} outside the J-Quants history window ({window.describe()})"


def refusal(plan: str, path: str, status: int, message: str) -> str | None:
    """A J-Quants refusal of ``path`` as every run words it, or None for other errors.

    J-Quants answers 403 both for an endpoint outside the key's plan and for an invalid or
    expired key; only its message tells them apart, and the fix differs (another plan, or
    another key), so the line says which. A 400 naming "subscription covers" is a date
    outside the plan's history window.
    """
    if status == 403 and "api key" in message.lower():
        return (
            f"J-Quants rejected the API key calling {path} (HTTP 403): {message} "
            "Check JQUANTS_API_KEY."
        )
    if status == 403:
        return f"plan {plan} does not include {path} (HTTP 403): {message}".rstrip(": ")
    if status == 400 and "subscription covers" in message:
        return (
            f"{path} refused a date outside the {plan} plan's history window (HTTP 400): {message}"
        )
    return None
