"""Bulk files (issue 14): the catalogue behind ``/bulk/list`` and ``/bulk/get``, the gzip CSV
files themselves, and the pre-signed download URLs.

A file holds exactly the rows the REST endpoint answers for each of its days (it is built from
:func:`endpoints.day_rows`), so a bulk load and a REST load store the same rows. Layout, per
docs/jquants-datasets.md: one "historical" file per month once the month is over (from the 3rd
business day of the next month), one "live" file per day before that.

Files are generated on first use and kept on disk (a temporary directory by default), keyed by
their content version: a correction of a month, or a split that re-adjusts it, gives the month
a new version and a new ``LastModified``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import hmac
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import numpy as np

from moo_markets.jquants_sim.corrections import BARS, Corrections
from moo_markets.jquants_sim.dataset import DATA_START, Dataset
from moo_markets.jquants_sim.endpoints import ENDPOINTS, ApiError, day_rows
from moo_markets.jquants_sim.plans import history_window, includes
from moo_markets.jquants_sim.table import Table

CALENDAR = "/markets/calendar"
BULK_ENDPOINTS = tuple(p for p, e in ENDPOINTS.items() if e.day is not None) + (CALENDAR,)
"""Endpoints with bulk files (all dated REST datasets but the latest-only ones)."""
HISTORICAL_AFTER = 3
"""A month's historical file appears on this business day of the next month."""
JST = dt.timezone(dt.timedelta(hours=9))
_FORMAT = "1"  # bump when the file layout changes (disk caches then regenerate)
_KEY_RE = re.compile(
    r"^(?P<prefix>.+)/(?:historical/(?P<year>\d{4})/(?P<name>[^/]+)_(?P<month>\d{6})"
    r"|live/(?P<lname>[^/]+)_(?P<day>\d{8}))\.csv\.gz$"
)
_DATE_FORMATS = (
    (re.compile(r"^(\d{4})-(\d{2})$"), False),
    (re.compile(r"^(\d{4})(\d{2})$"), False),
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), True),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), True),
)


@dataclass(frozen=True)
class BulkFile:
    """One downloadable file of one endpoint: a month (historical) or a day (live)."""

    endpoint: str
    first: dt.date
    last: dt.date
    live: bool
    variant: str

    @property
    def key(self) -> str:
        prefix = self.endpoint.strip("/")
        name = prefix.replace("/", "_")
        if self.live:
            return f"{prefix}/live/{name}_{self.first:%Y%m%d}.csv.gz"
        return f"{prefix}/historical/{self.first:%Y}/{name}_{self.first:%Y%m}.csv.gz"

    @property
    def month(self) -> str:
        return f"{self.first:%Y-%m}"


@dataclass(frozen=True)
class Built:
    path: Path
    size: int
    md5: str
    last_modified: dt.datetime
    rows: int


def parse_bulk_date(value: str, name: str) -> tuple[dt.date, bool]:
    """``YYYY-MM``/``YYYYMM`` (a month) or ``YYYY-MM-DD``/``YYYYMMDD`` (a day)."""
    for pattern, has_day in _DATE_FORMATS:
        m = pattern.match(value.strip())
        if m:
            try:
                parts = [int(g) for g in m.groups()]
                return dt.date(parts[0], parts[1], parts[2] if has_day else 1), has_day
            except ValueError:
                break
    raise ApiError(
        400, f"Invalid {name}: {value!r}. Specify YYYY-MM, YYYYMM, YYYY-MM-DD or YYYYMMDD."
    )


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return first, nxt - dt.timedelta(days=1)


class BulkStore:
    """The simulator's bulk files for one :class:`Dataset`."""

    def __init__(
        self, ds: Dataset, corrections: Corrections, cache_dir: str | Path | None = None
    ) -> None:
        self.ds = ds
        self.corrections = corrections
        self._own_dir = cache_dir is None
        self.cache_dir = Path(cache_dir or tempfile.mkdtemp(prefix="jquants-sim-bulk-"))
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._built: dict[tuple[str, str], tuple[Any, Built]] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()
        self.generated = 0
        """Files built (not found in the cache) since start: for benchmarks and tests."""

    def close(self) -> None:
        if self._own_dir:
            shutil.rmtree(self.cache_dir, ignore_errors=True)

    # -- the catalogue --------------------------------------------------------------------
    @staticmethod
    def variant(endpoint: str, plan: str) -> str:
        """Files whose columns or rows differ by plan come in one variant per plan group."""
        if endpoint == BARS:
            return "premium" if plan == "premium" else "base"
        if endpoint == "/equities/master":
            return "margin" if plan in ("standard", "premium") else "plain"
        if endpoint == CALENDAR:
            return plan
        return "all"

    def allowed(self, endpoint: str, plan: str) -> bool:
        if endpoint not in BULK_ENDPOINTS:
            return False
        if plan == "free":
            return endpoint == CALENDAR
        return includes(plan, ENDPOINTS[endpoint].plan)

    def historical_from(self, month_first: dt.date) -> dt.date | None:
        """The day a month's historical file appears."""
        _, last = month_bounds(month_first)
        days = self.ds.business_days(last + dt.timedelta(days=1), last + dt.timedelta(days=20))
        return days[HISTORICAL_AFTER - 1] if len(days) >= HISTORICAL_AFTER else None

    def files(
        self, endpoint: str, plan: str, first: dt.date | None = None, last: dt.date | None = None
    ) -> list[BulkFile]:
        """Files of ``endpoint`` inside the plan's window (and ``first..last``), oldest first;
        empty ones (no rows) are left out, so every file is generated here if it is not yet."""
        return [f for f in self.candidates(endpoint, plan, first, last) if self.built(f).rows > 0]

    def candidates(
        self, endpoint: str, plan: str, first: dt.date | None = None, last: dt.date | None = None
    ) -> list[BulkFile]:
        """:meth:`files` before empty files are dropped (nothing is generated)."""
        ds = self.ds
        today = ds.today
        variant = self.variant(endpoint, plan)
        if endpoint == CALENDAR:
            month, _ = month_bounds(today)
            return [BulkFile(CALENDAR, *month_bounds(month), False, variant)]
        window = history_window(plan, today)
        end = min(window.last or today, today)
        if endpoint.startswith("/derivatives/"):
            end = min(end, today - dt.timedelta(days=1))
        start = max(window.first, DATA_START)
        first = max(first or start, start)
        last = min(last or end, end)
        out: list[BulkFile] = []
        month = month_bounds(first)[0]
        while month <= last:
            m_first, m_last = month_bounds(month)
            published = self.historical_from(month)
            inside = max(m_first, DATA_START) >= window.first and m_last <= end
            if inside and published is not None and published <= today:
                out.append(BulkFile(endpoint, m_first, m_last, False, variant))
            elif published is None or published > today:
                for day in ds.business_days(max(m_first, first), min(m_last, last)):
                    out.append(BulkFile(endpoint, day, day, True, variant))
            month = m_last + dt.timedelta(days=1)
        return out

    def month_candidates(self, plan: str, month: dt.date) -> list[BulkFile]:
        """``/bulk/list?date=YYYY-MM``: every endpoint's files of that month (no calendar),
        empty ones not yet left out."""
        first, last = month_bounds(month)
        out = []
        for endpoint in BULK_ENDPOINTS:
            if endpoint != CALENDAR and self.allowed(endpoint, plan):
                out += self.candidates(endpoint, plan, first, last)
        return sorted(out, key=lambda f: f.key)

    def month_files(self, plan: str, month: dt.date) -> list[BulkFile]:
        return [f for f in self.month_candidates(plan, month) if self.built(f).rows > 0]

    @staticmethod
    def endpoint_of(key: str) -> str | None:
        """The endpoint a file key belongs to (None: not a key of any file)."""
        m = _KEY_RE.match(key)
        if m is None or "/" + m.group("prefix") not in BULK_ENDPOINTS:
            return None
        return "/" + m.group("prefix")

    def find(self, plan: str, key: str) -> BulkFile | None:
        """The file of ``key`` if this plan may download it now."""
        m = _KEY_RE.match(key)
        if m is None:
            return None
        endpoint = "/" + m.group("prefix")
        if not self.allowed(endpoint, plan):
            return None
        if m.group("day"):
            day = _ymd(m.group("day"))
            wanted = BulkFile(endpoint, day, day, True, self.variant(endpoint, plan))
        else:
            month = _ymd(m.group("month") + "01")
            wanted = BulkFile(endpoint, *month_bounds(month), False, self.variant(endpoint, plan))
        if endpoint == CALENDAR:
            listed = self.files(endpoint, plan)
        else:
            listed = self.files(endpoint, plan, wanted.first, wanted.last)
        return wanted if wanted in listed and wanted.key == key else None

    def find_by_date(self, plan: str, endpoint: str, value: str) -> BulkFile | None:
        day, has_day = parse_bulk_date(value, "date")
        if endpoint == CALENDAR:
            files = self.files(endpoint, plan)
            return files[0] if files else None
        first, last = month_bounds(day)
        files = self.files(endpoint, plan, first, last)
        if has_day:
            for f in files:
                if f.first <= day <= f.last:
                    return f
            return None
        historical = [f for f in files if not f.live]
        return historical[0] if historical else None

    # -- content --------------------------------------------------------------------------
    def _split_epoch(self, month_first: dt.date, month_last: dt.date) -> int:
        """Latest ex-date (<= today) of a split that re-adjusted rows of this month."""
        ds = self.ds
        sp_ord, _ = ds.split_ordinals()
        first, gone = ds.listing_span(np.arange(ds.n_issues))
        listed = (first <= month_last.toordinal()) & (gone > month_first.toordinal())
        mask = (
            (sp_ord > month_first.toordinal()) & (sp_ord <= ds.today.toordinal()) & listed[:, None]
        )
        return int(sp_ord[mask].max()) if mask.any() else 0

    def version(self, f: BulkFile) -> tuple[Any, ...]:
        stamp = self.corrections.stamp(f.endpoint, f.month)
        epoch = self._split_epoch(f.first, f.last) if f.endpoint == BARS else 0
        today = self.ds.today if f.endpoint == CALENDAR else None
        return (f.variant, epoch, stamp.count, stamp.fingerprint, today)

    def last_modified(self, f: BulkFile, version: tuple[Any, ...]) -> dt.datetime:
        if f.live:
            base = dt.datetime.combine(f.first, dt.time(19, 30), JST)
            if f.endpoint.startswith("/derivatives/"):
                base += dt.timedelta(hours=8)
        elif f.endpoint == CALENDAR:
            base = dt.datetime.combine(dt.date(self.ds.today.year, 3, 31), dt.time(19, 0), JST)
        else:
            published = self.historical_from(f.first) or f.last
            base = dt.datetime.combine(published, dt.time(19, 0), JST)
        seed_micros = (
            int(hashlib.sha256(f"{self.ds.seed}/{f.key}".encode()).hexdigest()[:5], 16) % 1000000
        )
        base = base.replace(microsecond=seed_micros).astimezone(dt.UTC)
        epoch = version[1]
        if epoch:
            base = max(
                base,
                dt.datetime.combine(dt.date.fromordinal(epoch), dt.time(17, 0), JST).astimezone(
                    dt.UTC
                ),
            )
        stamp = self.corrections.stamp(f.endpoint, f.month)
        if stamp.when is not None:
            base = max(base, stamp.when)
        return base

    def built(self, f: BulkFile) -> Built:
        """The file on disk, generated if its content version is new."""
        ident = (f.key, f.variant)
        version = self.version(f)
        with self._lock:
            cached = self._built.get(ident)
            if cached is not None and cached[0] == version and cached[1].path.exists():
                return cached[1]
            lock = self._locks.setdefault(ident, threading.Lock())
        with lock:
            with self._lock:
                cached = self._built.get(ident)
            if cached is not None and cached[0] == version and cached[1].path.exists():
                return cached[1]
            digest = hashlib.sha256(
                repr((_FORMAT, self.ds.seed, f.key, version)).encode()
            ).hexdigest()[:32]
            path = self.cache_dir / f"{digest}.csv.gz"
            if path.exists():  # generated before (an earlier run with the same cache dir)
                data = path.read_bytes()
                rows = 1 if data else 0
            else:
                table = self.table(f)
                rows = len(table)
                data = gzip.compress(table.csv(), compresslevel=1, mtime=0) if rows else b""
                self.cache_dir.mkdir(parents=True, exist_ok=True)  # again after a stop()
                tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
                tmp.write_bytes(data)
                tmp.replace(path)
                self.generated += 1
            built = Built(
                path, len(data), hashlib.md5(data).hexdigest(), self.last_modified(f, version), rows
            )
            with self._lock:
                old = self._built.get(ident)
                self._built[ident] = (version, built)
            if old is not None and old[1].path != path:
                old[1].path.unlink(missing_ok=True)
            return built

    def table(self, f: BulkFile) -> Table:
        """The rows of a file: the REST rows of each of its days, in day order."""
        ds = self.ds
        plan = {
            "premium": "premium",
            "margin": "standard",
            "plain": "light",
            "base": "standard",
        }.get(f.variant, "premium")
        if f.endpoint == CALENDAR:
            window = history_window(f.variant, ds.today)
            rows = ds.calendar(max(window.first, dt.date(2008, 1, 1)), window.last)
            return Table.from_rows(("Date", "HolDiv"), ([r["Date"], r["HolDiv"]] for r in rows))
        days = ds.business_days(f.first, min(f.last, ds.today))
        if f.endpoint in (BARS, "/equities/valuation", "/markets/breakdown") and len(days) > 1:
            ords = [np.full(len(ds.listed(d)), d.toordinal(), dtype=np.int64) for d in days]
            idx = np.concatenate([ds.listed(d) for d in days])
            ords = np.concatenate(ords)
            if f.endpoint == BARS:
                return ds.bars_table(idx, ords, plan == "premium")
            if f.endpoint == "/equities/valuation":
                return ds.fundamentals.valuation_table(idx, ords)
            return ds.markets.breakdown_table(idx, ords)
        table: Table | None = None
        for day in days:
            part = day_rows(ds, f.endpoint, day, plan)
            if len(part):
                table = part if table is None else table.concat(part)
        return table if table is not None else Table.empty(("Date",))

    def entry(self, f: BulkFile) -> dict[str, Any]:
        """A ``/bulk/list`` row."""
        b = self.built(f)
        stamp = b.last_modified.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
        return {"Key": f.key, "LastModified": stamp, "Size": b.size}

    # -- pre-signed URLs -------------------------------------------------------------------
    @staticmethod
    def bucket(variant: str) -> str:
        return f"jquants-bulk-{variant}"

    def presign(
        self, f: BulkFile, base_url: str, secret: bytes, ttl: float, now: dt.datetime
    ) -> str:
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        path = f"/{self.bucket(f.variant)}/{f.key}"
        params = {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": f"JQUANTSSIM/{now:%Y%m%d}/ap-northeast-1/s3/aws4_request",
            "X-Amz-Date": amz_date,
            "X-Amz-Expires": str(int(ttl)),
            "X-Amz-SignedHeaders": "host",
        }
        params["X-Amz-Signature"] = _signature(secret, path, params)
        return f"{base_url}{quote(path)}?{urlencode(params)}"

    def resolve(
        self, path: str, params: dict[str, str], secret: bytes, now: dt.datetime
    ) -> tuple[BulkFile | None, str]:
        """The file a download URL names, or (None, S3 error code)."""
        needed = ("X-Amz-Date", "X-Amz-Expires", "X-Amz-Signature")
        if any(k not in params for k in needed):
            return None, "AccessDenied"
        if not hmac.compare_digest(params["X-Amz-Signature"], _signature(secret, path, params)):
            return None, "SignatureDoesNotMatch"
        try:
            signed = dt.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(
                tzinfo=dt.UTC
            )
            ttl = int(params["X-Amz-Expires"])
        except ValueError:
            return None, "AuthorizationQueryParametersError"
        if now > signed + dt.timedelta(seconds=ttl):
            return None, "ExpiredRequest"
        parts = path.lstrip("/").split("/", 1)
        if len(parts) != 2 or not parts[0].startswith("jquants-bulk-"):
            return None, "NoSuchBucket"
        variant, key = parts[0].removeprefix("jquants-bulk-"), parts[1]
        m = _KEY_RE.match(key)
        if m is None:
            return None, "NoSuchKey"
        endpoint = "/" + m.group("prefix")
        if m.group("day"):
            day = _ymd(m.group("day"))
            return BulkFile(endpoint, day, day, True, variant), ""
        month = _ymd(m.group("month") + "01")
        return BulkFile(endpoint, *month_bounds(month), False, variant), ""


def _ymd(text: str) -> dt.date:
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def _signature(secret: bytes, path: str, params: dict[str, str]) -> str:
    text = "\n".join(
        [path]
        + [f"{k}={params.get(k, '')}" for k in ("X-Amz-Date", "X-Amz-Expires", "X-Amz-Credential")]
    )
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()
