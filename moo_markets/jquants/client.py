"""HTTP client for the J-Quants V2 API: pacing, retries and pagination.

The official ``jquants-api-client`` retries 429s immediately, does not pace
and returns whole results in memory; this client paces every attempt through
one per-key :class:`~moo_markets.jquants.pacing.Pacer`, retries transient
failures with exponential backoff and jitter (tenacity), waits out 429s, and
streams results page by page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from moo_markets.jquants.bulk import BulkDownloader, BulkFile, parse_listing
from moo_markets.jquants.errors import (
    JQuantsError,
    JQuantsRequestError,
    JQuantsStopped,
    JQuantsUnavailableError,
)
from moo_markets.jquants.pacing import Pacer, shared_pacer

log = logging.getLogger("moo_markets.jquants")

Params = Mapping[str, Any]
Row = dict[str, Any]


class _Transient(Exception):
    """A failure worth another attempt; ``rate_limited`` ones wait longer."""

    def __init__(self, detail: str, rate_limited: bool = False) -> None:
        super().__init__(detail)
        self.rate_limited = rate_limited


@dataclass
class ClientStats:
    """Counters of one client, reported as run metadata."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    paced_seconds: float = 0.0
    rows: int = 0


@dataclass(frozen=True)
class ClientSettings:
    base_url: str
    requests_per_minute: float
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 5
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    rate_limit_wait: float = 60.0


def key_fingerprint(api_key: str) -> str:
    """A short, non-reversible id of a key, to tell keys apart in logs and pacers."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:10]


def _format_param(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class JQuantsClient:
    """One ``requests.Session`` against one base URL with one key."""

    def __init__(
        self,
        api_key: str,
        settings: ClientSettings,
        pacer: Pacer | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        """``stop``, once set, ends the client's work: no further attempt or page is sent
        and a wait between attempts is cut short (:class:`JQuantsStopped`)."""
        if not api_key:
            raise ValueError("a J-Quants API key is required (set JQUANTS_API_KEY)")
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/")
        self.pacer = pacer or shared_pacer(
            key_fingerprint(api_key), self.base_url, settings.requests_per_minute
        )
        self.stats = ClientStats()
        self._stop = stop
        self._session = requests.Session()
        # No urllib3-level retries: every attempt must pass through the pacer.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.update(
            {
                "x-api-key": api_key,
                "Accept": "application/json",
                "Accept-Encoding": "gzip",
                "User-Agent": "moo-markets",
            }
        )

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> JQuantsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- endpoints: the only place that knows J-Quants' paths ---------------------

    MASTER = "equities/master"
    DAILY_BARS = "equities/bars/daily"
    CALENDAR = "markets/calendar"

    def listed_companies(self, date: dt.date | None = None) -> list[Row]:
        """``/equities/master``: the listing on ``date`` (None: J-Quants' current list)."""
        return self.fetch_all(self.MASTER, {"date": date})

    def daily_bars_on(self, date: dt.date) -> Iterator[list[Row]]:
        """``/equities/bars/daily?date=``: every issue's bar of one day, page by page."""
        return self.iter_pages(self.DAILY_BARS, {"date": date})

    def daily_bars_history(self, code: str) -> Iterator[list[Row]]:
        """``/equities/bars/daily?code=``: one code's whole (currently adjusted) history."""
        return self.iter_pages(self.DAILY_BARS, {"code": code})

    def trading_calendar(
        self, from_: dt.date | None = None, to: dt.date | None = None
    ) -> list[Row]:
        """``/markets/calendar`` rows ``{"Date", "HolDiv"}``."""
        return self.fetch_all(self.CALENDAR, {"from": from_, "to": to})

    def bulk_list(
        self, endpoint: str, from_: dt.date | str | None = None, to: dt.date | str | None = None
    ) -> list[BulkFile]:
        """``/bulk/list?endpoint=``: the endpoint's bulk files (``from``/``to`` as
        ``YYYY-MM`` or dates), oldest first; see :mod:`moo_markets.jquants.bulk`."""
        query = {"endpoint": endpoint, "from": from_, "to": to}
        return parse_listing(
            self.get("bulk/list", {k: _format_param(v) for k, v in query.items() if v is not None})
        )

    def bulk_downloader(self) -> BulkDownloader:
        """Streams bulk files (a session of its own, without the key)."""
        return BulkDownloader(self)

    def dataset_pages(self, path: str, params: Params) -> Iterator[list[Row]]:
        """Any declared dataset (``moo_markets.datasets``): its spec owns path and query."""
        return self.iter_pages(path.lstrip("/"), params)

    # ---- generic requests ---------------------------------------------------------

    def iter_pages(self, path: str, params: Params | None = None) -> Iterator[list[Row]]:
        """Yield the rows of each page, following ``pagination_key`` to the end."""
        query = {k: _format_param(v) for k, v in (params or {}).items() if v is not None}
        seen_keys: set[str] = set()
        while True:
            body = self.get(path, query)
            rows = body.get("data")
            if not isinstance(rows, list):
                raise JQuantsError(path, query, "response has no 'data' list")
            self.stats.rows += len(rows)
            yield rows
            next_key = body.get("pagination_key")
            if not next_key:
                return
            if next_key in seen_keys:
                raise JQuantsError(path, query, "pagination_key repeated; stopping")
            seen_keys.add(next_key)
            query = {**query, "pagination_key": next_key}

    def fetch_all(self, path: str, params: Params | None = None) -> list[Row]:
        """All rows of a query. For large results prefer :meth:`iter_pages`."""
        return [row for page in self.iter_pages(path, params) for row in page]

    def get(self, path: str, params: Params) -> dict[str, Any]:
        """One logical GET (several attempts if needed) returning the decoded JSON body."""
        retrying = Retrying(
            retry=retry_if_exception_type(_Transient),
            stop=stop_after_attempt(self.settings.max_attempts),
            wait=self._wait,
            sleep=self._stop.wait if self._stop is not None else time.sleep,
            before_sleep=self._before_sleep(path),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._attempt(path, params, attempt.retry_state.attempt_number)
        except _Transient as exc:
            raise JQuantsUnavailableError(
                path, params, f"gave up after {self.settings.max_attempts} attempts: {exc}"
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    # ---- internals --------------------------------------------------------------

    def _check_stop(self, path: str, params: Params) -> None:
        if self._stop is not None and self._stop.is_set():
            raise JQuantsStopped(path, params, "stopped before sending (the run is stopping)")

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Transient) and exc.rate_limited:
            return self.settings.rate_limit_wait
        backoff = wait_exponential_jitter(
            initial=self.settings.backoff_initial, max=self.settings.backoff_max
        )
        return backoff(state)

    def _before_sleep(self, path: str):
        def log_retry(state: RetryCallState) -> None:
            self.stats.retries += 1
            wait = state.next_action.sleep if state.next_action else 0.0
            log.warning(
                "jquants retry path=%s attempt=%d wait=%.1fs reason=%s",
                path,
                state.attempt_number,
                wait,
                state.outcome.exception() if state.outcome else "?",
            )

        return log_retry

    def _attempt(self, path: str, params: Params, attempt: int) -> dict[str, Any]:
        self._check_stop(path, params)
        waited = self.pacer.acquire()
        self.stats.paced_seconds += waited
        self._check_stop(path, params)  # the pacer may have slept
        self.stats.requests += 1
        url = f"{self.base_url}/{path.lstrip('/')}"
        started = time.monotonic()
        try:
            response = self._session.get(
                url,
                params=params,
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                allow_redirects=False,  # the key must never follow a redirect elsewhere
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            log.warning(
                "jquants GET path=%s attempt=%d error=%s", path, attempt, type(exc).__name__
            )
            raise _Transient(f"{type(exc).__name__} talking to {self.base_url}") from None
        elapsed = time.monotonic() - started
        status = response.status_code
        log.info(
            "jquants GET path=%s status=%d attempt=%d paced=%.2fs elapsed=%.3fs bytes=%d",
            path,
            status,
            attempt,
            waited,
            elapsed,
            len(response.content),
        )
        if 200 <= status < 300:  # 210: J-Quants' "no data" for a latest-only endpoint
            try:
                # orjson: the same floats as ``json`` (correctly rounded), in a third of the
                # time; decoding a day of bars is a large part of the ingest's CPU.
                body = orjson.loads(response.content)
            except ValueError:
                raise _Transient("malformed or truncated JSON body") from None
            if not isinstance(body, dict):
                raise _Transient("JSON body is not an object")
            return body
        if status == 429:
            self.stats.rate_limited += 1
            self.pacer.slow_down()
            raise _Transient("HTTP 429 rate limit exceeded", rate_limited=True)
        if status >= 500:
            raise _Transient(f"HTTP {status}: {_message(response)}")
        if 300 <= status < 400:
            raise JQuantsRequestError(path, params, status, "unexpected redirect (not followed)")
        raise JQuantsRequestError(path, params, status, _message(response))


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return response.reason or "no message"
