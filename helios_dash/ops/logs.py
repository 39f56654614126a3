"""Log lines: text or JSON (``HELIOS_LOG_FORMAT``), each carrying its request id and user, one access line per request.

``configure_logging`` is called by the process's entry points (app.py, ``helios-dash serve``,
``simulate``, ``worker``), never by library code: a test or a script that builds an app keeps
its own logging. ``init_request_logging`` (every app) writes the access line of each request,
refusals by the guard included: method, route (the URL rule's template, never the raw path:
no ids, no query string), status and duration.

JSON lines come from a formatter of our own rather than python-json-logger (maintained, 4.x):
what it would add is twenty lines, and the whole formatted line, traceback included, must go
through ``log_redaction.redact`` anyway.
"""
from __future__ import annotations

import json
import logging
import sys
import time
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request, request_started

from ..access.current import PRINCIPAL_KEY
from ..log_redaction import SecretFilter, redact
from ..request_ids import HEADER as REQUEST_ID_HEADER
from .context import current_request_id

ACCESS_LOGGER = "helios_dash.access"
APP_LOGGER = "helios_dash"  # the package's loggers (and Flask's app.logger, the app being named so)
STARTED_KEY = "helios_request_started"  # on ``g``: perf_counter at the start of the request
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s user=%(user_id)s] %(message)s"
# What every LogRecord has; anything else on a record came from ``extra=`` and goes into the JSON line.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
_CONTEXT = ("request_id", "user_id")

access_log = logging.getLogger(ACCESS_LOGGER)


class RequestContext(logging.Filter):
    """Puts ``request_id`` and ``user_id`` on every record (None where there is none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        record.user_id = _user_id()
        return True


def _user_id() -> int | None:
    if not has_request_context():
        return None
    principal = g.get(PRINCIPAL_KEY)
    return principal.user_id if principal is not None else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, message, request_id, user_id, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
        line = {"timestamp": stamp.replace("+00:00", "Z"), "level": record.levelname, "logger": record.name,
                "message": record.getMessage()}
        line |= {key: getattr(record, key, None) for key in _CONTEXT}
        line |= {key: value for key, value in vars(record).items() if key not in _STANDARD and key not in _CONTEXT}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # The whole line is redacted: extras and tracebacks may quote a token too.
        return redact(json.dumps(line, default=str, ensure_ascii=False))


class RedactingTextFormatter(logging.Formatter):
    """The text format, its whole output (tracebacks included) redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it), like logging's last resort."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def make_handler(log_format: str, stream=None) -> logging.Handler:
    """A handler in ``log_format`` ("json" or "text") that adds the request context and redacts secrets."""
    handler = logging.StreamHandler(stream) if stream is not None else StderrHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else RedactingTextFormatter(TEXT_FORMAT))
    handler.addFilter(RequestContext())
    handler.addFilter(SecretFilter())
    handler._helios = True  # configure_logging replaces its own handler, never another one
    return handler


def configure_logging(log_format: str, stream=None) -> logging.Handler:
    """Send every log line to stderr (or ``stream``) in ``log_format``; HELIOS's own from INFO up. Idempotent."""
    root = logging.getLogger()
    for existing in [h for h in root.handlers if getattr(h, "_helios", False)]:
        root.removeHandler(existing)
    handler = make_handler(log_format, stream)
    root.addHandler(handler)
    if logging.getLogger(APP_LOGGER).level == logging.NOTSET:
        logging.getLogger(APP_LOGGER).setLevel(logging.INFO)  # other libraries stay at WARNING
    # The development server's own request lines would repeat ours, with the raw path.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return handler


def init_request_logging(server: Flask) -> None:
    """Time every request, send ``X-Request-Id`` on every response, and write one access line each."""
    request_started.connect(_mark_start, server)  # before any before_request hook: refusals are timed too
    server.after_request(_access_line)


def _mark_start(_sender, **_extra) -> None:
    setattr(g, STARTED_KEY, time.perf_counter())  # set each time: a test's pushed context shares ``g``


def request_duration_ms() -> float | None:
    """Milliseconds since this request started (None outside a timed request)."""
    started = g.get(STARTED_KEY) if has_request_context() else None
    return round((time.perf_counter() - started) * 1000, 2) if started is not None else None


def _access_line(response):
    route = request.url_rule.rule if request.url_rule is not None else None
    duration = request_duration_ms()
    response.headers.setdefault(REQUEST_ID_HEADER, current_request_id())
    access_log.info("%s %s %s %s ms", request.method, route or "(no route)", response.status_code, duration,
                    extra={"method": request.method, "route": route, "status": response.status_code,
                           "duration_ms": duration})
    return response
