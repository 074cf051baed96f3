"""HTTP front of the J-Quants V2 simulator: auth, routing, pagination, rate limits, faults, stats.

It reproduces what a client of the real API must cope with -- API-key auth, the
``{"data": [...]}`` envelope with ``pagination_key``, gzip, the gateway's error bodies,
per-key rate limiting with a lock-out for clients that keep hammering, and transient
failures (500s, bursts of 500s, truncated bodies, slow answers) -- and serves the rows of
a :class:`~moo_markets.jquants_sim.dataset.Dataset` unchanged, so tests can compare what
a pipeline stored against the dataset.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import hmac
import logging
import random
import re
import socket
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from moo_markets.jquants_sim.dataset import PLANS, Dataset, normalize_code

log = logging.getLogger("moo_markets.jquants_sim")

MASTER_PATH = "/v2/equities/master"
BARS_PATH = "/v2/equities/bars/daily"
CALENDAR_PATH = "/v2/markets/calendar"
FAULT_KINDS = frozenset({"500", "truncate", "delay", "429", "400", "403", "drop"})

MSG_MISSING_TOKEN = "Missing Authentication Token"
MSG_INVALID_KEY = "The incoming api key is invalid or expired."
MSG_RATE_LIMIT = "Rate limit exceeded"
MSG_INTERNAL = "Internal Server Error"
MSG_BARS_REQUIRED = "This API requires at least 1 parameter as follows; date, code"

_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$|^(\d{4})-(\d{2})-(\d{2})$")
_CODE_RE = re.compile(r"^[0-9A-Z]{4,5}$")


@dataclass
class SimulatorConfig:
    """Behaviour of one simulator; every field has a CLI flag and ``JQUANTS_SIM_*`` variable."""

    api_key: str
    seed: int = 42
    plan: str = "standard"
    #: None = unlimited; else the most requests accepted in any window of rate_window_seconds.
    rate_limit_per_minute: int | None = None
    rate_window_seconds: float = 60.0
    #: After more than rate_limit_per_minute rejections inside one window, every request
    #: of that key gets 429 for this long.
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

    def __post_init__(self) -> None:
        if not self.api_key:
            raise ValueError("api_key must not be empty")
        if self.plan not in PLANS:
            raise ValueError(f"plan must be one of {PLANS}, not {self.plan!r}")
        if self.page_size < 1:
            raise ValueError("page_size must be >= 1")
        if self.rate_limit_per_minute is not None and self.rate_limit_per_minute < 1:
            raise ValueError("rate_limit_per_minute must be >= 1 (or None for no limit)")
        for name in ("error_rate", "truncate_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be within [0, 1]")
        if self.rate_window_seconds <= 0 or self.lockout_seconds < 0 or self.latency_seconds < 0:
            raise ValueError("rate_window_seconds must be > 0; lockout and latency >= 0")
        if self.burst_500_every < 0 or self.burst_500_length < 0:
            raise ValueError("burst_500_every and burst_500_length must be >= 0")


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


class _ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class _Reply:
    status: int
    body: dict[str, Any] | None
    truncate: bool = False
    drop: bool = False


@dataclass
class _KeyState:
    accepted: deque[float] = field(default_factory=deque)
    rejected: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0


class _RateLimiter:
    """Sliding-window limit per key on arrival times, plus the gateway's lock-out."""

    def __init__(self, limit: int | None, window: float, lockout: float) -> None:
        self._limit = limit
        self._window = window
        self._lockout = lockout
        self._keys: dict[str, _KeyState] = {}
        self._lock = threading.Lock()

    def admit(self, key: str, now: float) -> bool:
        if self._limit is None:
            return True
        with self._lock:
            state = self._keys.setdefault(key, _KeyState())
            if now < state.locked_until:
                return False
            cutoff = now - self._window
            for times in (state.accepted, state.rejected):
                while times and times[0] <= cutoff:
                    times.popleft()
            if len(state.accepted) < self._limit:
                state.accepted.append(now)
                return True
            state.rejected.append(now)
            if len(state.rejected) > self._limit:
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
    m = _DATE_RE.match(value)
    if m is not None:
        try:
            year, month, day = (int(g) for g in m.groups() if g is not None)
            return dt.date(year, month, day)
        except ValueError:
            pass
    raise _ApiError(
        400, f"Invalid {name}: {value!r}. Specify a valid date as YYYYMMDD or YYYY-MM-DD."
    )


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
    prebuilt one (its seed, plan and today then win over the config's).
    """

    def __init__(
        self,
        config: SimulatorConfig,
        host: str = "127.0.0.1",
        port: int = 0,
        dataset: Dataset | None = None,
    ) -> None:
        self.config = config
        self.host = host
        self.port = port
        if dataset is None:
            dataset = Dataset(seed=config.seed, today=config.today, plan=config.plan)
        self.dataset = dataset
        self._limiter = _RateLimiter(
            config.rate_limit_per_minute, config.rate_window_seconds, config.lockout_seconds
        )
        self._faults = _Faults(config)
        self._stats = _Stats()
        self._secret = hashlib.sha256(f"jquants-sim/{config.seed}".encode()).digest()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._routes = {
            MASTER_PATH: self._master,
            BARS_PATH: self._bars,
            CALENDAR_PATH: self._calendar,
        }

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> JQuantsSimulator:
        if self._httpd is not None:
            return self
        httpd = _HTTPServer((self.host, self.port), _Handler)
        httpd.simulator = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"jquants-sim:{self.port}",
            daemon=True,
        )
        self._thread.start()
        log.debug("J-Quants simulator listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
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

    def _track(self, connection: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def __enter__(self) -> JQuantsSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/v2"

    # -- controls -------------------------------------------------------------------------
    def set_today(self, today: dt.date | None) -> None:
        """Move the simulator's "now": which bars exist and the base of adjusted prices."""
        self.dataset.set_today(today)

    def inject(self, kind: str, count: int = 1, seconds: float = 0.0) -> None:
        """Make the next ``count`` accepted requests fail as ``kind`` (queued after earlier injections).

        Kinds: "500", "429", "400", "403" (that status and body), "truncate" (200 with a broken
        JSON body), "delay" (sleep ``seconds``, then answer normally), "drop" (close the
        connection without answering).
        """
        self._faults.inject(kind, count, seconds)

    def clear_faults(self) -> None:
        """Forget injections that have not fired yet."""
        self._faults.clear()

    @property
    def stats(self) -> SimulatorStats:
        return self._stats.snapshot()

    def reset_stats(self) -> None:
        self._stats.reset()

    # -- request handling -----------------------------------------------------------------
    def _serve(self, handler: _Handler, method: str) -> None:
        arrival = time.monotonic()
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        try:
            reply = self._respond(method, parts.path, query, handler.headers.get("x-api-key"))
        except Exception:  # a bug here must look like the real API's 500, not a dropped socket
            log.exception("J-Quants simulator failed on %s", parts.path)
            reply = _Reply(500, {"message": MSG_INTERNAL})
        status = 0 if reply.drop else reply.status
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
        route = self._routes.get(path)
        if method != "GET" or route is None:
            return _Reply(403, {"message": MSG_MISSING_TOKEN})
        if api_key is None or not hmac.compare_digest(api_key.encode(), cfg.api_key.encode()):
            return _Reply(403, {"message": MSG_INVALID_KEY})
        if not self._limiter.admit(cfg.api_key, time.monotonic()):
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
            rows = route(query)
            body = self._page(path, query, rows)
        except _ApiError as err:
            return _Reply(err.status, {"message": err.message})
        return _Reply(200, body, truncate=truncate)

    def _write(self, handler: _Handler, reply: _Reply, with_body: bool = True) -> None:
        # orjson writes what J-Quants' encoder does (compact UTF-8, shortest round-tripping
        # floats) about ten times faster than ``json``: the simulator shares the machine
        # with the ingest it serves, so its CPU time slows down what is being measured.
        raw = orjson.dumps(reply.body)
        if reply.truncate:
            raw = raw[: max(1, len(raw) // 2)]
        accept = handler.headers.get("Accept-Encoding") or ""
        gzipped = any(token.split(";")[0].strip().lower() == "gzip" for token in accept.split(","))
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

    # -- pagination -----------------------------------------------------------------------
    def _page(self, path: str, query: dict[str, str], rows: list[dict[str, Any]]) -> dict[str, Any]:
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
        body: dict[str, Any] = {"data": rows[offset : offset + size]}
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
            raise _ApiError(400, "The pagination_key is invalid or does not belong to this query.")
        return offset

    # -- endpoints ------------------------------------------------------------------------
    @staticmethod
    def _param(query: dict[str, str], name: str) -> str | None:
        value = query.get(name)
        return value.strip() if value is not None and value.strip() else None

    def _date(self, query: dict[str, str], name: str) -> dt.date | None:
        value = self._param(query, name)
        return None if value is None else parse_date(value, name)

    def _code(self, query: dict[str, str]) -> str | None:
        value = self._param(query, "code")
        if value is None:
            return None
        if not _CODE_RE.match(value.upper()):
            raise _ApiError(400, f"Invalid code: {value!r}. Specify a 4 or 5 character issue code.")
        return normalize_code(value)

    def _master(self, query: dict[str, str]) -> list[dict[str, Any]]:
        code = self._code(query)
        rows = self.dataset.master_rows(self._date(query, "date"))
        return rows if code is None else [r for r in rows if r["Code"] == code]

    def _bars(self, query: dict[str, str]) -> list[dict[str, Any]]:
        code = self._code(query)
        day = self._date(query, "date")
        first, last = self._date(query, "from"), self._date(query, "to")
        if code is None and day is None:
            raise _ApiError(400, MSG_BARS_REQUIRED)
        if code is None:
            return self.dataset.bars_rows_on(day)
        if day is not None:
            return self.dataset.bars_for_code(code, day, day)
        return self.dataset.bars_for_code(code, first, last)

    def _calendar(self, query: dict[str, str]) -> list[dict[str, Any]]:
        hol_div = self._param(query, "hol_div")
        if hol_div is not None and hol_div not in ("0", "1", "2", "3"):
            raise _ApiError(400, f"Invalid hol_div: {hol_div!r}. Specify one of 0, 1, 2, 3.")
        return self.dataset.calendar(self._date(query, "from"), self._date(query, "to"), hol_div)
