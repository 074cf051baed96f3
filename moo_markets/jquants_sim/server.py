"""HTTP front of the J-Quants V2 simulator: keys and plans, routing, pagination, rate limits,
faults, bulk files, corrections and stats.

It reproduces what a client of the real API must cope with -- API-key auth with one plan per
key, the ``{"data": [...]}`` envelope with ``pagination_key``, gzip, the gateway's error bodies
(403 for a dataset outside the key's plan, 400 for a date outside its history window), each
plan's rate limit with a lock-out for clients that keep hammering, and transient failures
(500s, bursts of 500s, truncated bodies, slow answers) -- and serves the rows of a
:class:`~moo_markets.jquants_sim.dataset.Dataset` unchanged, so tests can compare what a
pipeline stored against the dataset. docs/jquants-datasets.md is the reference it follows.

Bulk files (``/bulk/list``, ``/bulk/get``) are downloaded from a second listener on its own
port (:mod:`~moo_markets.jquants_sim.storage`), like J-Quants' S3 pre-signed URLs: the URL is
the credential and the API key must not be sent there.

``/_sim/...`` are the simulator's own control endpoints (not J-Quants): move "today", correct
data after publication, touch a bulk month, inject faults, read the status. They take any
configured key.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import hmac
import logging
import random
import socket
import threading
import time
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from moo_markets.jquants_sim import endpoints as api
from moo_markets.jquants_sim.bulk import (
    BULK_ENDPOINTS,
    BulkFile,
    BulkStore,
    month_bounds,
    parse_bulk_date,
)
from moo_markets.jquants_sim.corrections import Corrections, Stamp
from moo_markets.jquants_sim.dataset import Dataset
from moo_markets.jquants_sim.endpoints import ENDPOINTS, ApiError, NoData, Query
from moo_markets.jquants_sim.plans import (
    MSG_INTERNAL,
    MSG_INVALID_KEY,
    MSG_NO_ENDPOINT,
    MSG_NOT_IN_PLAN,
    MSG_RATE_LIMIT,
    PLANS,
    RATE_LIMITS,
    history_window,
    includes,
    required_message,
)
from moo_markets.jquants_sim.storage import DOWNLOAD_FAULTS, Storage, StorageStats
from moo_markets.jquants_sim.table import Table

log = logging.getLogger("moo_markets.jquants_sim")

API_PREFIX = "/v2"
CONTROL_PREFIX = "/_sim/"
FAULT_KINDS = frozenset({"500", "truncate", "delay", "429", "400", "403", "drop"})
PLAN_RATE = "plan"
"""``rate_limit_per_minute`` value: each key gets its plan's limit (Free 5 ... Premium 500)."""
UNLIMITED = None
"""``rate_limit_per_minute`` value: no rate limit at all (most tests)."""
MSG_NO_SUCH_KEY = "The specified key does not exist."


@dataclass
class SimulatorConfig:
    """Behaviour of one simulator; every field has a CLI flag and ``JQUANTS_SIM_*`` variable.

    Keys: ``api_key`` (with plan ``plan``) and/or ``api_keys`` (key -> plan); at least one.
    """

    api_key: str | None = None
    seed: int = 42
    plan: str = "standard"
    api_keys: Mapping[str, str] = field(default_factory=dict)
    #: PLAN_RATE = each key's plan limit per ``rate_window_seconds``; UNLIMITED (None) = no
    #: limit; an int = that many requests per window for every key.
    rate_limit_per_minute: int | str | None = PLAN_RATE
    rate_window_seconds: float = 60.0
    #: After more than the limit of rejections inside one window, every request of that key
    #: gets 429 for this long.
    lockout_seconds: float = 300.0
    page_size: int = 5000
    error_rate: float = 0.0
    latency_seconds: float = 0.0
    truncate_rate: float = 0.0
    #: Every burst_500_every requests, the next burst_500_length requests get 500.
    burst_500_every: int = 0
    burst_500_length: int = 0
    #: None = today in Asia/Tokyo.
    today: dt.date | None = None
    #: Lifetime of a /bulk/get download URL (J-Quants: 5 minutes).
    bulk_url_ttl_seconds: float = 300.0
    #: Where generated bulk files are kept (None = a temporary directory removed on stop).
    bulk_cache_dir: str | None = None
    #: Endpoints whose bulk files are generated in the background at start (for benchmarks).
    bulk_prebuild: tuple[str, ...] = ()
    #: Port of the download listener (0 = any free port).
    storage_port: int = 0

    def __post_init__(self) -> None:
        if self.plan not in PLANS:
            raise ValueError(f"plan must be one of {PLANS}, not {self.plan!r}")
        keys = self.keys()
        if not keys:
            raise ValueError("api_key must not be empty (or give api_keys)")
        for key, plan in keys.items():
            if not key:
                raise ValueError("an API key must not be empty")
            if plan not in PLANS:
                raise ValueError(f"plan of key {key[:4]}... must be one of {PLANS}, not {plan!r}")
        if self.page_size < 1:
            raise ValueError("page_size must be >= 1")
        rate = self.rate_limit_per_minute
        if rate != PLAN_RATE and rate is not None and (not isinstance(rate, int) or rate < 1):
            raise ValueError("rate_limit_per_minute must be >= 1, 'plan', or None (no limit)")
        for name in ("error_rate", "truncate_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be within [0, 1]")
        if self.rate_window_seconds <= 0 or self.lockout_seconds < 0 or self.latency_seconds < 0:
            raise ValueError("rate_window_seconds must be > 0; lockout and latency >= 0")
        if self.burst_500_every < 0 or self.burst_500_length < 0:
            raise ValueError("burst_500_every and burst_500_length must be >= 0")
        if self.bulk_url_ttl_seconds <= 0:
            raise ValueError("bulk_url_ttl_seconds must be > 0")
        for endpoint in self.bulk_prebuild:
            if _endpoint_path(endpoint) not in BULK_ENDPOINTS:
                raise ValueError(f"{endpoint!r} has no bulk files")

    def keys(self) -> dict[str, str]:
        """Every accepted key and its plan."""
        keys = dict(self.api_keys)
        if self.api_key:
            keys[self.api_key] = self.plan
        return keys

    def rate_limit(self, plan: str) -> int | None:
        """Requests per ``rate_window_seconds`` a key of ``plan`` may send (None = no limit)."""
        rate = self.rate_limit_per_minute
        if rate == PLAN_RATE:
            return RATE_LIMITS[plan]
        return rate  # type: ignore[return-value]


@dataclass(frozen=True)
class SimulatorStats:
    """A consistent snapshot of what the simulator answered (requests that reached a handler)."""

    requests: int
    by_status: dict[int, int]
    #: (time.monotonic() at arrival, path, query parameters, status); status 0 = dropped connection.
    log: list[tuple[float, str, dict[str, str], int]] = field(repr=False)

    def max_in_window(self, window: float = 60.0) -> int:
        """Most requests that arrived within any ``window`` seconds: what a rate limit counts."""
        return max_in_window(sorted(t for t, *_ in self.log), window)


def max_in_window(times: list[float], window: float = 60.0) -> int:
    """Most of the sorted ``times`` inside any half-open interval of ``window`` seconds."""
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


@dataclass
class _Reply:
    status: int
    body: Any
    truncate: bool = False
    drop: bool = False
    #: A body sent as it is produced (chunked): /bulk/list, whose files may be generated on
    #: the way, so a long listing never leaves the client waiting for its first byte.
    stream: Iterator[bytes] | None = None


@dataclass
class _KeyState:
    accepted: deque[float] = field(default_factory=deque)
    rejected: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0


class _RateLimiter:
    """Sliding-window limit per key on arrival times, plus the gateway's lock-out."""

    def __init__(self, window: float, lockout: float) -> None:
        self._window = window
        self._lockout = lockout
        self._keys: dict[str, _KeyState] = {}
        self._lock = threading.Lock()

    def admit(self, key: str, limit: int | None, now: float) -> bool:
        if limit is None:
            return True
        with self._lock:
            state = self._keys.setdefault(key, _KeyState())
            if now < state.locked_until:
                return False
            cutoff = now - self._window
            for times in (state.accepted, state.rejected):
                while times and times[0] <= cutoff:
                    times.popleft()
            if len(state.accepted) < limit:
                state.accepted.append(now)
                return True
            state.rejected.append(now)
            if len(state.rejected) > limit:
                state.locked_until = now + self._lockout
                state.rejected.clear()
            return False


class _Faults:
    """Decides which accepted request fails how: injected first, then bursts, then random."""

    def __init__(self, config: SimulatorConfig) -> None:
        self._config = config
        self._rng = random.Random(config.seed * 1_000_003 + 0xFA)
        self._queue: deque[list[Any]] = deque()  # [kind, remaining, seconds]
        self._count = 0
        self._lock = threading.Lock()

    def inject(self, kind: str, count: int, seconds: float) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {sorted(FAULT_KINDS)}, not {kind!r}")
        if count < 1:
            raise ValueError("count must be >= 1")
        with self._lock:
            self._queue.append([kind, count, seconds])

    def next(self) -> tuple[str, float] | None:
        cfg = self._config
        with self._lock:
            self._count += 1
            if self._queue:
                entry = self._queue[0]
                entry[1] -= 1
                if entry[1] <= 0:
                    self._queue.popleft()
                return entry[0], entry[2]
            if cfg.burst_500_every > 0 and cfg.burst_500_length > 0:
                if (self._count - 1) % (
                    cfg.burst_500_every + cfg.burst_500_length
                ) >= cfg.burst_500_every:
                    return "500", 0.0
            if cfg.error_rate > 0 and self._rng.random() < cfg.error_rate:
                return "500", 0.0
            if cfg.truncate_rate > 0 and self._rng.random() < cfg.truncate_rate:
                return "truncate", 0.0
        return None

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()


class _Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._by_status: Counter[int] = Counter()
            self._log: list[tuple[float, str, dict[str, str], int]] = []

    def record(self, arrival: float, path: str, query: dict[str, str], status: int) -> None:
        with self._lock:
            self._by_status[status] += 1
            self._log.append((arrival, path, dict(query), status))

    def snapshot(self) -> SimulatorStats:
        with self._lock:
            return SimulatorStats(len(self._log), dict(self._by_status), list(self._log))


def parse_date(value: str, name: str) -> dt.date:
    """``YYYYMMDD`` or ``YYYY-MM-DD``; anything else, or an impossible date, is a 400."""
    return api.parse_date(value, name)


def _endpoint_path(value: str) -> str:
    """``/equities/bars/daily``, ``equities/bars/daily`` or ``/v2/equities/bars/daily``."""
    path = "/" + value.strip().strip("/")
    return path[len(API_PREFIX) :] if path.startswith(API_PREFIX + "/") else path


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    simulator: JQuantsSimulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Connections cut by clients or by stop() are routine here, not worth a traceback on stderr."""
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API behind its gateway
    server_version = "jquants-sim"
    sys_version = ""
    timeout = 120  # seconds an idle keep-alive connection may stay open
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.simulator._track(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.simulator._track(self.connection, open_=False)

    def _dispatch(self) -> None:
        self.server.simulator._serve(self, self.command)

    # Only GET is an API call; every other method gets the gateway's 403, as on J-Quants.
    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        """Silence http.server's stderr lines; requests are logged by the simulator."""


class JQuantsSimulator:
    """A local J-Quants V2 endpoint serving a :class:`Dataset` on a background thread.

    ``port=0`` picks a free port; ``base_url`` tells which. Pass ``dataset`` to reuse a
    prebuilt one (its seed and today then win over the config's). The download host of the
    bulk files listens on another port (``storage_url``).
    """

    def __init__(
        self,
        config: SimulatorConfig,
        host: str = "127.0.0.1",
        port: int = 0,
        dataset: Dataset | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        # The rate limiter's time: tests of the window and the lock-out move it themselves,
        # so a slow (loaded) machine cannot slide the window between two requests.
        self._clock = clock
        self.host = host
        self.port = port
        if dataset is None:
            dataset = Dataset(seed=config.seed, today=config.today, plan=config.plan)
        self.dataset = dataset
        self._keys = config.keys()
        self._limiter = _RateLimiter(config.rate_window_seconds, config.lockout_seconds)
        self._faults = _Faults(config)
        self._stats = _Stats()
        self._secret = hashlib.sha256(f"jquants-sim/{dataset.seed}".encode()).digest()
        self._bulk_secret = hashlib.sha256(f"jquants-sim-bulk/{dataset.seed}".encode()).digest()
        self.corrections = Corrections(dataset)
        self.bulk = BulkStore(dataset, self.corrections, config.bulk_cache_dir)
        self.storage = Storage(self.bulk, self._bulk_secret, host, config.storage_port)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._prebuild: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> JQuantsSimulator:
        if self._httpd is not None:
            return self
        httpd = _HTTPServer((self.host, self.port), _Handler)
        httpd.simulator = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self.storage.start()
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"jquants-sim:{self.port}",
            daemon=True,
        )
        self._thread.start()
        self._stopping.clear()
        if self.config.bulk_prebuild:
            self._prebuild = threading.Thread(
                target=self._prebuild_files, name="jquants-sim-prebuild", daemon=True
            )
            self._prebuild.start()
        log.debug("J-Quants simulator listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.server_close()
        self.storage.stop()
        # Keep-alive connections would otherwise go on being served after stop().
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._prebuild is not None:
            self._prebuild.join(timeout=5)
            self._prebuild = None
        self.bulk.close()

    def _track(self, connection: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _prebuild_files(self) -> None:
        plans = sorted(set(self._keys.values()), key=PLANS.index)
        for endpoint in self.config.bulk_prebuild:
            path = _endpoint_path(endpoint)
            for plan in plans:
                if not self.bulk.allowed(path, plan):
                    continue
                for f in self.bulk.candidates(path, plan):
                    if self._stopping.is_set():
                        return
                    self.bulk.built(f)

    def __enter__(self) -> JQuantsSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}{API_PREFIX}"

    @property
    def storage_url(self) -> str:
        """Base URL of the bulk download host (another port; no API key there)."""
        return self.storage.base_url

    # -- controls -------------------------------------------------------------------------
    def set_today(self, today: dt.date | None) -> None:
        """Move the simulator's "now": which data exist, the windows, the adjusted prices."""
        self.dataset.set_today(today)

    def inject(self, kind: str, count: int = 1, seconds: float = 0.0) -> None:
        """Make the next ``count`` accepted API requests fail as ``kind`` (queued after earlier
        injections).

        Kinds: "500", "429", "400", "403" (that status and body), "truncate" (200 with a broken
        JSON body), "delay" (sleep ``seconds``, then answer normally), "drop" (close the
        connection without answering).
        """
        self._faults.inject(kind, count, seconds)

    def inject_download(self, kind: str, count: int = 1) -> None:
        """Make the next ``count`` downloads from the storage host fail: "truncate" (the body
        stops halfway), "corrupt" (one byte flipped), "500", "drop"."""
        self.storage.inject(kind, count)

    def clear_faults(self) -> None:
        """Forget injections that have not fired yet."""
        self._faults.clear()

    @property
    def stats(self) -> SimulatorStats:
        return self._stats.snapshot()

    def reset_stats(self) -> None:
        self._stats.reset()

    @property
    def storage_stats(self) -> StorageStats:
        """Requests the download host received (with whether each carried an x-api-key)."""
        return self.storage.stats

    def reset_storage_stats(self) -> None:
        self.storage.reset_stats()

    def plan_of(self, key: str) -> str | None:
        return self._keys.get(key)

    # -- corrections (issue 15) -------------------------------------------------------------
    def correct_closes(
        self,
        day: dt.date,
        codes: list[str] | None = None,
        count: int = 3,
        factor: float | None = None,
    ) -> list[str]:
        """Rewrite the close (and the day's derived values) of some issues on a past business
        day; REST and bulk files show the new values, the month's file a new LastModified."""
        return self.corrections.correct_closes(day, codes, count, factor)

    def restate_statement(
        self,
        code: str,
        disc_no: str | None = None,
        *,
        in_place: bool = False,
        changes: dict[str, str] | None = None,
        on: dt.date | None = None,
    ) -> str:
        """Restate a statement of ``code`` (default: its latest): a new disclosure with its own
        DiscNo on ``on`` (default today), or ``in_place`` the same DiscNo with new figures.
        Returns the DiscNo that carries the change."""
        return self.corrections.restate_statement(
            code, disc_no, in_place=in_place, changes=changes, on=on
        )

    def announce_split(
        self, code: str, ex_date: dt.date | None = None, factor: float = 0.5
    ) -> dt.date:
        """A split (factor < 1) or reverse split found out now, with ``ex_date`` (default the
        next business day); adjusted history changes once today reaches the ex-date."""
        return self.corrections.announce_split(code, ex_date, factor)

    def mark_bulk_corrected(self, endpoint: str, month: str) -> Stamp:
        """Tell the simulator J-Quants rewrote ``endpoint``'s file of ``month`` (YYYY-MM):
        its LastModified moves on (the rows stay as they are)."""
        path = _endpoint_path(endpoint)
        if path not in BULK_ENDPOINTS:
            raise ValueError(f"{endpoint!r} has no bulk files")
        day, _ = parse_bulk_date(month, "month")
        self.corrections.record("touch", path, f"{day:%Y-%m}")
        return self.corrections.touch(path, f"{day:%Y-%m}")

    def rows(
        self, path: str, params: Mapping[str, Any] | None = None, plan: str | None = None
    ) -> list[dict[str, Any]]:
        """What ``GET /v2{path}`` answers a key of ``plan`` (default the config's), all pages
        joined, without HTTP: for tests comparing stored rows with the source."""
        params = {k: str(v) for k, v in (params or {}).items() if v is not None}
        return api.rows(self.dataset, _endpoint_path(path), params, plan or self.config.plan)

    # -- request handling -----------------------------------------------------------------
    def _serve(self, handler: _Handler, method: str) -> None:
        arrival = time.monotonic()
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        control = parts.path.startswith(CONTROL_PREFIX)
        try:
            if control:
                reply = self._control(
                    method, parts.path, query, body, handler.headers.get("x-api-key")
                )
            else:
                reply = self._respond(method, parts.path, query, handler.headers.get("x-api-key"))
        except Exception:  # a bug here must look like the real API's 500, not a dropped socket
            log.exception("J-Quants simulator failed on %s", parts.path)
            reply = _Reply(500, {"message": MSG_INTERNAL})
        status = 0 if reply.drop else reply.status
        if not control:
            self._stats.record(arrival, parts.path, query, status)
        shown = parts.path + (f"?{parts.query}" if parts.query else "")
        log.info(
            "%s %s -> %s (%.0f ms)",
            method,
            shown,
            status or "dropped",
            (time.monotonic() - arrival) * 1000,
        )
        if reply.drop:
            handler.close_connection = True
            return
        try:
            self._write(handler, reply, with_body=method != "HEAD")
        except OSError:
            handler.close_connection = True  # the client gave up (e.g. its read timeout) or stop()

    def _respond(
        self, method: str, path: str, query: dict[str, str], api_key: str | None
    ) -> _Reply:
        cfg = self.config
        if cfg.latency_seconds > 0:
            time.sleep(cfg.latency_seconds)
        route = path[len(API_PREFIX) :] if path.startswith(API_PREFIX + "/") else None
        known = route is not None and (route in ENDPOINTS or route in ("/bulk/list", "/bulk/get"))
        if method != "GET" or not known:
            return _Reply(403, {"message": MSG_NO_ENDPOINT})
        plan = self._plan(api_key)
        if plan is None:
            return _Reply(403, {"message": MSG_INVALID_KEY})
        if not self._limiter.admit(api_key or "", cfg.rate_limit(plan), self._clock()):
            return _Reply(429, {"message": MSG_RATE_LIMIT})
        fault = self._faults.next()
        truncate = False
        if fault is not None:
            kind, seconds = fault
            if kind == "500":
                return _Reply(500, {"message": MSG_INTERNAL})
            if kind == "429":
                return _Reply(429, {"message": MSG_RATE_LIMIT})
            if kind == "400":
                return _Reply(400, {"message": "Bad Request"})
            if kind == "403":
                return _Reply(403, {"message": MSG_INVALID_KEY})
            if kind == "drop":
                return _Reply(0, None, drop=True)
            if kind == "delay":
                time.sleep(seconds)
            truncate = kind == "truncate"
        try:
            if route == "/bulk/list":
                stream = self._list_stream(self._bulk_list(plan, query))
                return _Reply(200, None, truncate=truncate, stream=stream)
            if route == "/bulk/get":
                body = self._bulk_get(plan, query)
            else:
                endpoint = ENDPOINTS[route]
                if not includes(plan, endpoint.plan):
                    return _Reply(403, {"message": MSG_NOT_IN_PLAN})
                q = Query(query, plan, self.dataset.today, endpoint.windowed)
                try:
                    rows = endpoint.handler(self.dataset, q)
                except NoData:
                    return _Reply(210, {"data": []})
                body = self._page(path, query, rows)
        except ApiError as err:
            return _Reply(err.status, {"message": err.message})
        return _Reply(200, body, truncate=truncate)

    def _plan(self, api_key: str | None) -> str | None:
        if api_key is None:
            return None
        for key, plan in self._keys.items():
            if hmac.compare_digest(api_key.encode(), key.encode()):
                return plan
        return None

    def _write(self, handler: _Handler, reply: _Reply, with_body: bool = True) -> None:
        if reply.stream is not None:
            self._write_stream(handler, reply, with_body)
            return
        # orjson writes what J-Quants' encoder does (compact UTF-8, shortest round-tripping
        # floats) about ten times faster than ``json``: the simulator shares the machine
        # with the ingest it serves, so its CPU time slows down what is being measured.
        raw = orjson.dumps(reply.body)
        if reply.truncate:
            raw = raw[: max(1, len(raw) // 2)]
        gzipped = self._gzip_accepted(handler)
        if gzipped:
            raw = gzip.compress(raw, compresslevel=1, mtime=0)
        handler.send_response(reply.status)
        handler.send_header("Content-Type", "application/json")
        if gzipped:
            handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        if with_body:
            handler.wfile.write(raw)

    @staticmethod
    def _gzip_accepted(handler: _Handler) -> bool:
        accept = handler.headers.get("Accept-Encoding") or ""
        return any(token.split(";")[0].strip().lower() == "gzip" for token in accept.split(","))

    def _write_stream(self, handler: _Handler, reply: _Reply, with_body: bool) -> None:
        assert reply.stream is not None
        gzipped = self._gzip_accepted(handler)
        handler.send_response(reply.status)
        handler.send_header("Content-Type", "application/json")
        if gzipped:
            handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        if not with_body:
            return
        packer = zlib.compressobj(1, zlib.DEFLATED, 31) if gzipped else None

        def send(data: bytes) -> None:
            if data:
                handler.wfile.write(b"%X\r\n%s\r\n" % (len(data), data))
                handler.wfile.flush()

        pieces = list(reply.stream) if reply.truncate else reply.stream
        if reply.truncate:  # a complete HTTP answer whose JSON stops halfway
            joined = b"".join(pieces)
            pieces = [joined[: max(1, len(joined) // 2)]]
        try:
            for piece in pieces:
                send(packer.compress(piece) + packer.flush(zlib.Z_SYNC_FLUSH) if packer else piece)
            if packer:
                send(packer.flush())
        except Exception:
            log.exception("J-Quants simulator failed while streaming an answer")
            handler.close_connection = True
            return
        handler.wfile.write(b"0\r\n\r\n")

    # -- pagination -----------------------------------------------------------------------
    def _page(self, path: str, query: dict[str, str], rows: Table | list[Any]) -> dict[str, Any]:
        scope = (
            path
            + "?"
            + "&".join(f"{k}={v}" for k, v in sorted(query.items()) if k != "pagination_key")
        )
        offset = 0
        token = query.get("pagination_key")
        if token:
            offset = self._decode_key(token, scope)
        size = self.config.page_size
        if isinstance(rows, Table):
            page = rows.take(range(offset, min(offset + size, len(rows)))).rows()
        else:
            page = rows[offset : offset + size]
        body: dict[str, Any] = {"data": page}
        if offset + size < len(rows):
            body["pagination_key"] = self._encode_key(offset + size, scope)
        return body

    def _sign(self, offset: int, scope: str) -> str:
        return hmac.new(self._secret, f"{scope}#{offset}".encode(), hashlib.sha256).hexdigest()[:16]

    def _encode_key(self, offset: int, scope: str) -> str:
        return (
            base64.urlsafe_b64encode(f"{offset}.{self._sign(offset, scope)}".encode())
            .decode()
            .rstrip("=")
        )

    def _decode_key(self, token: str, scope: str) -> int:
        """The key is bound to its query: a forged, garbled or foreign key is a 400."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            offset_text, signature = raw.split(".", 1)
            offset = int(offset_text)
        except (ValueError, UnicodeDecodeError):
            offset, signature = -1, ""
        if offset < 0 or not hmac.compare_digest(signature, self._sign(offset, scope)):
            raise ApiError(400, "The pagination_key is invalid or does not belong to this query.")
        return offset

    # -- bulk (issue 14) ------------------------------------------------------------------
    def _bulk_endpoint(self, value: str, plan: str) -> str:
        path = _endpoint_path(value)
        if path not in BULK_ENDPOINTS:
            raise ApiError(
                400, f"Invalid endpoint: {value!r}. Specify an endpoint with bulk files."
            )
        if not self.bulk.allowed(path, plan):
            raise ApiError(403, MSG_NOT_IN_PLAN)
        return path

    def _list_stream(self, files: list[BulkFile]) -> Iterator[bytes]:
        """``{"data": [...]}`` entry by entry; files are generated (and empty ones left out)
        on the way."""
        yield b'{"data":['
        first = True
        for f in files:
            if self.bulk.built(f).rows == 0:
                continue
            yield (b"" if first else b",") + orjson.dumps(self.bulk.entry(f))
            first = False
        yield b"]}"

    def _bulk_list(self, plan: str, query: dict[str, str]) -> list[BulkFile]:
        """The files a /bulk/list query names (not generated yet); 400/403 on errors."""
        q = Query(query, plan, self.dataset.today)
        endpoint, date = q.param("endpoint"), q.param("date")
        first_text, last_text = q.param("from"), q.param("to")
        if endpoint is None and date is None:
            raise ApiError(400, required_message("endpoint", "date"))
        if endpoint is not None and date is not None:
            raise ApiError(
                400, "Only one of the following parameters can be specified; 'endpoint','date'."
            )
        if endpoint is None:
            if first_text is not None or last_text is not None:
                raise ApiError(400, "The parameters 'from' and 'to' require 'endpoint'.")
            month, _ = parse_bulk_date(date or "", "date")
            self._check_window(plan, *month_bounds(month))
            return self.bulk.month_candidates(plan, month)
        else:
            path = self._bulk_endpoint(endpoint, plan)
            first = last = None
            if first_text is not None:
                first = parse_bulk_date(first_text, "from")[0]
            if last_text is not None:
                day, has_day = parse_bulk_date(last_text, "to")
                last = day if has_day else month_bounds(day)[1]
            if first is not None and last is not None and first > last:
                raise ApiError(400, "'from' must not be after 'to'.")
            if path != "/markets/calendar" and (first or last):
                self._check_window(plan, first or dt.date.min, last or dt.date.max)
            return self.bulk.candidates(path, plan, first, last)

    def _check_window(self, plan: str, first: dt.date, last: dt.date) -> None:
        window = history_window(plan, self.dataset.today)
        if (
            window.clip(first, min(last, self.dataset.today)) is None
            and first <= self.dataset.today
        ):
            raise ApiError(400, window.message())

    def _bulk_get(self, plan: str, query: dict[str, str]) -> dict[str, Any]:
        q = Query(query, plan, self.dataset.today)
        key, endpoint, date = q.param("key"), q.param("endpoint"), q.param("date")
        if key is not None and (endpoint is not None or date is not None):
            raise ApiError(400, "Specify either 'key', or 'endpoint' and 'date'.")
        if key is None and endpoint is None:
            raise ApiError(400, required_message("key", "endpoint"))
        if key is None and date is None:
            raise ApiError(400, required_message("date"))
        found: BulkFile | None
        if key is not None:
            found = self.bulk.find(plan, key)
            if found is None:
                owner = self.bulk.endpoint_of(key)
                if owner is not None and not self.bulk.allowed(owner, plan):
                    raise ApiError(403, MSG_NOT_IN_PLAN)
        else:
            path = self._bulk_endpoint(endpoint or "", plan)
            found = self.bulk.find_by_date(plan, path, date or "")
        if found is None:
            raise ApiError(404, MSG_NO_SUCH_KEY)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        url = self.bulk.presign(
            found, self.storage.base_url, self._bulk_secret, self.config.bulk_url_ttl_seconds, now
        )
        return {"url": url}

    # -- the simulator's own control endpoints ----------------------------------------------
    def _control(
        self, method: str, path: str, query: dict[str, str], body: bytes, api_key: str | None
    ) -> _Reply:
        if self._plan(api_key) is None:
            return _Reply(403, {"message": MSG_INVALID_KEY})
        try:
            args: dict[str, Any] = dict(query)
            if body:
                loaded = orjson.loads(body)
                if not isinstance(loaded, dict):
                    raise ValueError("the body must be a JSON object")
                args.update(loaded)
            name = path[len(CONTROL_PREFIX) :].strip("/")
            if method == "GET" and name == "status":
                return _Reply(200, self.status())
            if method != "POST":
                return _Reply(405, {"message": f"{method} {path} is not a control action"})
            return _Reply(200, self._control_action(name, args))
        except (ValueError, TypeError, KeyError, ApiError) as err:
            message = err.message if isinstance(err, ApiError) else str(err)
            return _Reply(400, {"message": message})

    def _control_action(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        def date(key: str) -> dt.date | None:
            value = args.get(key)
            return None if value in (None, "") else api.parse_date(str(value), key)

        if name == "today":
            self.set_today(date("date"))
            return {"today": self.dataset.today.isoformat()}
        if name == "corrections/closes":
            day = date("date")
            if day is None:
                raise ValueError("date is required")
            codes = args.get("codes")
            if isinstance(codes, str):
                codes = [c for c in codes.split(",") if c]
            factor = args.get("factor")
            fixed = self.correct_closes(
                day, codes, int(args.get("count", 3)), None if factor is None else float(factor)
            )
            return {"date": day.isoformat(), "codes": fixed}
        if name == "corrections/statement":
            in_place = str(args.get("in_place", "false")).lower() in ("1", "true", "yes")
            changes = args.get("changes")
            if isinstance(changes, str):
                changes = orjson.loads(changes)
            number = self.restate_statement(
                str(args["code"]), args.get("disc_no"), in_place=in_place, changes=changes,
                on=date("date"),
            )  # fmt: skip
            return {"DiscNo": number}
        if name == "corrections/split":
            ex = self.announce_split(
                str(args["code"]), date("ex_date"), float(args.get("factor", 0.5))
            )
            return {"ex_date": ex.isoformat()}
        if name == "bulk/touch":
            stamp = self.mark_bulk_corrected(str(args["endpoint"]), str(args["month"]))
            return {"count": stamp.count, "when": stamp.when.isoformat() if stamp.when else None}
        if name == "faults":
            kind = str(args["kind"])
            count = int(args.get("count", 1))
            if kind in DOWNLOAD_FAULTS and args.get("target") == "download":
                self.inject_download(kind, count)
            else:
                self.inject(kind, count, float(args.get("seconds", 0.0)))
            return {"queued": kind, "count": count}
        raise ValueError(f"unknown control action {name!r}")

    def status(self) -> dict[str, Any]:
        """What ``GET /_sim/status`` answers."""
        plans = Counter(self._keys.values())
        stats = self.stats
        return {
            "today": self.dataset.today.isoformat(),
            "seed": self.dataset.seed,
            "keys": {plan: plans[plan] for plan in PLANS if plans[plan]},
            "rate_limit_per_minute": self.config.rate_limit_per_minute,
            "storage_url": self.storage_url,
            "requests": stats.requests,
            "by_status": {str(k): v for k, v in sorted(stats.by_status.items())},
            "bulk_files_generated": self.bulk.generated,
            "bulk_cache_dir": str(Path(self.bulk.cache_dir)),
        }
