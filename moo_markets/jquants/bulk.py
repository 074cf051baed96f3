"""J-Quants bulk files: list them, get a download URL, stream one file decompressed.

Shapes (docs/jquants-datasets.md, "Bulk files"; the official client's ``get_bulk_list`` /
``get_bulk`` / ``download_bulk``): ``GET /bulk/list`` answers ``{"data": [{"Key",
"LastModified", "Size"}, ...]}``; ``GET /bulk/get?key=`` answers ``{"url": ...}``, a
pre-signed URL on another host, valid about five minutes; the file is gzip-compressed CSV.

Why it looks like this:

* ``/bulk/list`` and ``/bulk/get`` are API calls: they go through the client's pacer and
  retries like any other request (:meth:`JQuantsClient.get`).
* The download is not an API call (the URL is its own credential): it uses a second
  session that has no ``x-api-key`` header at all, so the key can never reach the storage
  host, and it follows no redirect (a 3xx is an error): only the URL ``/bulk/get`` answered
  is ever requested.
* An expired URL (S3 answers 403 "Request has expired") is requested again once.
* The body is streamed: raw bytes are read in chunks (``decode_content=False``: we, not
  the HTTP layer, decompress), decompressed incrementally and handed on chunk by chunk, so
  a file is never held whole in memory. At the end the byte count is compared with the
  listing's ``Size`` and ``Content-Length``, the MD5 with the ``ETag`` (when it is a plain
  MD5), and the gzip trailer (CRC32 and length) is checked by zlib. Any mismatch raises
  :class:`BulkFileError` naming the file, after the chunks were handed on: the caller
  writes inside a transaction and rolls it back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
import urllib3

from moo_markets.jquants.errors import JQuantsError

if TYPE_CHECKING:
    from moo_markets.jquants.client import JQuantsClient

log = logging.getLogger("moo_markets.jquants")

RAW_CHUNK = 256 * 1024
"""Compressed bytes read per step (a few times that once decompressed)."""

_MONTH_KEY = re.compile(r"/historical/\d{4}/[^/]+_(\d{4})(\d{2})\.csv\.gz$")
_DAY_KEY = re.compile(r"/live/[^/]+_(\d{4})(\d{2})(\d{2})\.csv\.gz$")
_MD5 = re.compile(r'^"?([0-9a-fA-F]{32})"?$')


class BulkFileError(JQuantsError):
    """A bulk file could not be listed, fetched or read whole; the message names the file."""

    def __init__(self, key: str, detail: str) -> None:
        self.key = key
        self.path = "bulk"
        self.params = {"key": key}
        self.detail = detail
        Exception.__init__(self, f"J-Quants bulk file {key}: {detail}")


@dataclass(frozen=True)
class BulkFile:
    """One ``/bulk/list`` entry."""

    key: str
    last_modified: dt.datetime
    """Aware (UTC)."""
    size: int | None

    @property
    def month(self) -> dt.date | None:
        """First day of the month of a monthly ("historical") file; None for a daily one."""
        m = _MONTH_KEY.search(self.key)
        return dt.date(int(m.group(1)), int(m.group(2)), 1) if m else None

    @property
    def day(self) -> dt.date | None:
        """The day of a daily ("live") file; None for a monthly one."""
        m = _DAY_KEY.search(self.key)
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def parse_listing(body: dict[str, Any]) -> list[BulkFile]:
    """The entries of a ``/bulk/list`` answer (:class:`JQuantsError` on a malformed one)."""
    data = body.get("data")
    if not isinstance(data, list):
        raise JQuantsError("bulk/list", {}, "response has no 'data' list")
    files = []
    for entry in data:
        key = entry.get("Key") if isinstance(entry, dict) else None
        if not isinstance(key, str) or not key:
            raise JQuantsError("bulk/list", {}, f"entry without a Key: {entry!r}")
        try:
            modified = dt.datetime.fromisoformat(str(entry.get("LastModified")))
        except ValueError:
            raise BulkFileError(
                key, f"LastModified {entry.get('LastModified')!r} is not ISO 8601"
            ) from None
        if modified.tzinfo is None:
            modified = modified.replace(tzinfo=dt.UTC)
        size = entry.get("Size")
        files.append(
            BulkFile(
                key,
                modified.astimezone(dt.UTC),
                int(size) if isinstance(size, (int, float)) else None,
            )
        )
    return files


def download_url(client: JQuantsClient, key: str) -> str:
    """``/bulk/get?key=``: the file's pre-signed URL (paced and retried like any API call)."""
    body = client.get("bulk/get", {"key": key})
    url = body.get("url")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise BulkFileError(key, "/bulk/get answered no http(s) download URL")
    return url


def _expired(response: requests.Response) -> bool:
    return response.status_code in (400, 403) and "expired" in response.text.lower()


def _s3_message(response: requests.Response) -> str:
    code = re.search(r"<Code>([^<]*)</Code>", response.text)
    message = re.search(r"<Message>([^<]*)</Message>", response.text)
    parts = [p.group(1) for p in (code, message) if p]
    return ": ".join(parts) or response.reason or "no message"


class BulkDownloader:
    """Streams bulk files for one :class:`JQuantsClient` (its key never leaves the API host)."""

    def __init__(self, client: JQuantsClient) -> None:
        self.client = client
        self.settings = client.settings
        self.session = requests.Session()  # no x-api-key here, ever
        self.session.headers.update({"User-Agent": "moo-markets", "Accept-Encoding": "identity"})
        self.downloads = 0
        self.url_requests = 0

    def close(self) -> None:
        self.session.close()

    def url(self, key: str) -> str:
        self.url_requests += 1
        return download_url(self.client, key)

    def _open(self, file: BulkFile, url: str) -> requests.Response:
        """GET the URL (connection failures and 5xx retried with backoff; an expired URL
        requested again once through ``/bulk/get``)."""
        renewed = False
        attempt = 0
        while True:
            attempt += 1
            self.client._check_stop("bulk download", {"key": file.key})
            try:
                response = self.session.get(
                    url,
                    stream=True,
                    allow_redirects=False,  # only the URL /bulk/get answered
                    timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt >= self.settings.max_attempts:
                    raise BulkFileError(
                        file.key, f"download failed: {type(exc).__name__}"
                    ) from None
                self._backoff(attempt)
                continue
            status = response.status_code
            self.downloads += 1
            if status == 200:
                return response
            response.close() if status >= 500 else None
            if _expired(response) and not renewed:
                log.info("bulk file %s: download URL expired, requesting a new one", file.key)
                renewed = True
                url = self.url(file.key)
                continue
            if status >= 500 and attempt < self.settings.max_attempts:
                self._backoff(attempt)
                continue
            if 300 <= status < 400:
                raise BulkFileError(
                    file.key, f"download answered a redirect (HTTP {status}), not followed"
                )
            detail = _s3_message(response)
            response.close()
            raise BulkFileError(file.key, f"download failed: HTTP {status} {detail}")

    def _backoff(self, attempt: int) -> None:
        wait = min(self.settings.backoff_initial * 2 ** (attempt - 1), self.settings.backoff_max)
        time.sleep(wait)

    def chunks(self, file: BulkFile, url: str | None = None) -> Iterator[bytes]:
        """The file's decompressed bytes, chunk by chunk; verified at the end (see module)."""
        response = self._open(file, url or self.url(file.key))
        length = response.headers.get("Content-Length")
        etag = _MD5.match(response.headers.get("ETag", "") or "")
        md5 = hashlib.md5(usedforsecurity=False)
        decompressor = zlib.decompressobj(wbits=31)
        received = 0
        try:
            while True:
                try:
                    raw = response.raw.read(RAW_CHUNK, decode_content=False)
                except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
                    raise BulkFileError(
                        file.key,
                        f"download broke off after {received} bytes ({type(exc).__name__})",
                    ) from None
                if not raw:
                    break
                received += len(raw)
                md5.update(raw)
                try:
                    data = decompressor.decompress(raw)
                    while decompressor.eof and decompressor.unused_data:  # concatenated members
                        rest = decompressor.unused_data
                        decompressor = zlib.decompressobj(wbits=31)
                        data += decompressor.decompress(rest)
                except zlib.error as exc:
                    raise BulkFileError(file.key, f"corrupt gzip data: {exc}") from None
                if data:
                    yield data
            tail = decompressor.flush()
            if tail:
                yield tail
        finally:
            response.close()
        if length is not None and received != int(length):
            raise BulkFileError(file.key, f"truncated: {received} of {length} bytes received")
        if file.size is not None and received != file.size:
            raise BulkFileError(
                file.key, f"size mismatch: {received} bytes received, the listing says {file.size}"
            )
        if not decompressor.eof:
            raise BulkFileError(file.key, "truncated: the gzip stream ends early")
        if etag and md5.hexdigest() != etag.group(1).lower():
            raise BulkFileError(file.key, "checksum mismatch: MD5 differs from the ETag")
