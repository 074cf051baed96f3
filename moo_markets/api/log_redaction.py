"""Secrets never reach a log line of the API process.

Clients put secrets where they do not belong - the token in a query string
(``PUT .../enabled?token=...``), the J-Quants key as a run id in a path - and
uvicorn's access log, its error log and the app's own warnings would write
them out verbatim. Redacting where records are *created* covers every logger
and handler of the process (uvicorn configures its own handlers, httpx and
others log through the root), so no handler can be forgotten. The secrets
themselves are known only to the app's :class:`~moo_markets.api.errors.Redactor`.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from moo_markets.api.errors import Redactor


def redact_logs(redact: Redactor) -> Callable[[], None]:
    """Redact every log record created from now on; returns the function that stops it."""
    previous = logging.getLogRecordFactory()
    active = True

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if active:
            _redact_record(record, redact)
        return record

    def undo() -> None:
        nonlocal active
        active = False
        if logging.getLogRecordFactory() is factory:
            logging.setLogRecordFactory(previous)

    logging.setLogRecordFactory(factory)
    return undo


def _redact_record(record: logging.LogRecord, redact: Redactor) -> None:
    """Redact message, arguments, traceback and stack in place.

    Arguments are redacted one by one, keeping their number and type where
    they hold no secret, so formatters that read ``record.args`` themselves
    (uvicorn's access formatter unpacks five of them) keep working.
    """
    msg, args = record.msg, record.args
    if isinstance(msg, str):
        record.msg = redact(msg)
    elif redact(str(msg)) != str(msg):
        record.msg = redact(str(msg))
    if isinstance(args, Mapping):
        record.args = {key: _redact_value(value, redact) for key, value in args.items()}
    elif isinstance(args, tuple):
        record.args = tuple(_redact_value(value, redact) for value in args)
    try:
        record.getMessage()
    except (TypeError, ValueError, KeyError):  # a redacted argument no longer fits its format
        record.msg, record.args = msg, args
        try:
            text = record.getMessage()
        except Exception:  # the caller's own format error: logging reports it as usual
            text = str(msg)
        record.msg, record.args = redact(text), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def _redact_value(value: object, redact: Redactor) -> object:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int | float | bool | type(None)):
        return value
    text = str(value)
    redacted = redact(text)
    return value if redacted == text else redacted
