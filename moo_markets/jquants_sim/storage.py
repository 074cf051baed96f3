"""The download host of the bulk files: an S3-like listener on its own port.

``/bulk/get`` answers a pre-signed URL on this host; the URL itself is the credential (no API
key; one sent anyway is recorded, so a test can prove a client never leaks it). Errors are S3's
XML bodies: ``AccessDenied``/"Request has expired" (403), ``SignatureDoesNotMatch`` (403),
``NoSuchKey`` (404). Faults can be injected per download: a truncated body, a corrupt byte, a
500, a dropped connection.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

if TYPE_CHECKING:
    from moo_markets.jquants_sim.bulk import BulkStore

log = logging.getLogger("moo_markets.jquants_sim")

DOWNLOAD_FAULTS = frozenset({"truncate", "corrupt", "500", "drop"})
_CHUNK = 1 << 20
_ERRORS = {
    "ExpiredRequest": (403, "AccessDenied", "Request has expired"),
    "AccessDenied": (403, "AccessDenied", "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"),
    "SignatureDoesNotMatch": (403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method."),
    "AuthorizationQueryParametersError": (400, "AuthorizationQueryParametersError", "X-Amz-Date must be in the ISO8601 Long Format"),
    "NoSuchBucket": (404, "NoSuchBucket", "The specified bucket does not exist"),
    "NoSuchKey": (404, "NoSuchKey", "The specified key does not exist."),
    "InternalError": (500, "InternalError", "We encountered an internal error. Please try again."),
    "MethodNotAllowed": (405, "MethodNotAllowed", "The specified method is not allowed against this resource."),
}  # fmt: skip


@dataclass(frozen=True)
class Download:
    """One request to the download host, as received."""

    at: float  # time.monotonic()
    path: str
    status: int  # 0 = connection dropped
    had_api_key: bool
    range: str | None = None


@dataclass
class StorageStats:
    downloads: list[Download] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.downloads)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    storage: Storage

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("download connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AmazonS3"
    sys_version = ""
    timeout = 120
    server: _Server

    def do_GET(self) -> None:
        self.server.storage.serve(self, head=False)

    def do_HEAD(self) -> None:
        self.server.storage.serve(self, head=True)

    def _refuse(self) -> None:
        self.server.storage.refuse(self)

    do_POST = do_PUT = do_DELETE = do_PATCH = _refuse

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are logged by the storage itself."""


class Storage:
    """The download listener; started and stopped by the simulator."""

    def __init__(self, store: BulkStore, secret: bytes, host: str, port: int) -> None:
        self.store = store
        self.secret = secret
        self.host = host
        self.port = port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._faults: deque[str] = deque()
        self._lock = threading.Lock()
        self._downloads: list[Download] = []

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        if self._httpd is not None:
            return
        httpd = _Server((self.host, self.port), _Handler)
        httpd.storage = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
            name=f"jquants-sim-storage:{self.port}", daemon=True,
        )  # fmt: skip
        self._thread.start()

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def inject(self, kind: str, count: int = 1) -> None:
        if kind not in DOWNLOAD_FAULTS:
            raise ValueError(f"kind must be one of {sorted(DOWNLOAD_FAULTS)}, not {kind!r}")
        with self._lock:
            self._faults.extend([kind] * count)

    @property
    def stats(self) -> StorageStats:
        with self._lock:
            return StorageStats(list(self._downloads))

    def reset_stats(self) -> None:
        with self._lock:
            self._downloads.clear()

    def _record(self, handler: _Handler, path: str, status: int) -> None:
        with self._lock:
            self._downloads.append(
                Download(
                    time.monotonic(), path, status, handler.headers.get("x-api-key") is not None,
                    handler.headers.get("Range"),
                )
            )  # fmt: skip
        log.info("download %s -> %s", path, status or "dropped")

    def refuse(self, handler: _Handler) -> None:
        path = urlsplit(handler.path).path
        self._record(handler, path, 405)
        self._error(handler, "MethodNotAllowed", path)

    def serve(self, handler: _Handler, head: bool) -> None:
        parts = urlsplit(handler.path)
        path = unquote(parts.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        if fault == "drop":
            self._record(handler, path, 0)
            handler.close_connection = True
            return
        if fault == "500":
            self._record(handler, path, 500)
            self._error(handler, "InternalError", path)
            return
        now = dt.datetime.now(dt.UTC)
        f, error = self.store.resolve(path, params, self.secret, now)
        built = None
        if f is not None:
            built = self.store.built(f)
            if built.size == 0:
                error = "NoSuchKey"
        if error or built is None:
            code = error or "NoSuchKey"
            self._record(handler, path, _ERRORS[code][0])
            self._error(handler, code, path, params)
            return
        data = built.path.read_bytes()
        if fault == "corrupt":
            middle = len(data) // 2
            data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
        start, end = 0, len(data) - 1
        status = 200
        wanted = handler.headers.get("Range")
        if wanted and wanted.startswith("bytes="):
            lo, _, hi = wanted[6:].partition("-")
            try:
                start = int(lo) if lo else max(len(data) - int(hi), 0)
                end = min(int(hi), len(data) - 1) if (lo and hi) else len(data) - 1
                status = 206
            except ValueError:
                start, end, status = 0, len(data) - 1, 200
        self._record(handler, path, status)
        handler.send_response(status)
        handler.send_header("Content-Type", "application/x-gzip")
        handler.send_header("Content-Length", str(end - start + 1))
        handler.send_header("ETag", f'"{built.md5}"')
        handler.send_header("Last-Modified", format_datetime(built.last_modified, usegmt=True))
        handler.send_header("Accept-Ranges", "bytes")
        if status == 206:
            handler.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        handler.end_headers()
        if head:
            return
        body = data[start : end + 1]
        if fault == "truncate":
            body = body[: max(1, len(body) // 2)]
        try:
            for at in range(0, len(body), _CHUNK):
                handler.wfile.write(body[at : at + _CHUNK])
        except OSError:
            handler.close_connection = True
            return
        if fault == "truncate":
            handler.close_connection = True

    def _error(
        self, handler: _Handler, code: str, path: str, params: dict[str, str] | None = None
    ) -> None:
        status, s3_code, message = _ERRORS[code]
        extra = ""
        if code == "ExpiredRequest" and params:
            extra = f"<X-Amz-Expires>{params.get('X-Amz-Expires', '')}</X-Amz-Expires>"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{s3_code}</Code><Message>{message}</Message>{extra}"
            f"<Key>{path.lstrip('/').partition('/')[2]}</Key>"
            "<RequestId>JQSIM0000000000</RequestId><HostId>jquants-sim</HostId></Error>"
        ).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/xml")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            handler.wfile.write(body)
        except OSError:
            handler.close_connection = True
