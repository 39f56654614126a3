"""Secrets never reach a log line: API keys in query strings (``?api_key=``), bearer tokens,
and anything shaped like a HELIOS token, wherever a logger prints them.

Access logs (werkzeug's, gunicorn's) print the request line with its query string, and the
guide's own example sends service keys as ``?api_key=``: the filter rewrites each record's
message and arguments before any handler formats it.
"""
from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
PATTERNS = (
    (re.compile(r"(api_key=)[^&\s\"']+", re.IGNORECASE), r"\1" + REDACTED),
    (re.compile(r"([?&]ticket=)[^&\s\"']+", re.IGNORECASE), r"\1" + REDACTED),  # /stream tickets (60 s, single use)
    (re.compile(r"(bearer\s+)[^\s\"',]+", re.IGNORECASE), r"\1" + REDACTED),
    (re.compile(r"\bhl[pk]_[A-Za-z0-9]{20,}"), REDACTED),  # a token anywhere else (an error echoing it)
)
# Loggers that print request lines themselves; application loggers reach the root's handlers.
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    """``text`` with every secret replaced by [redacted]."""
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class SecretFilter(logging.Filter):
    """Rewrites a record's message and arguments (str, tuple or dict, as gunicorn's access log uses)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _clean(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_clean(value) for value in record.args)
        return True


def _clean(value):
    return redact(value) if isinstance(value, str) else value


def install_secret_filter() -> None:
    """Put the filter on the access loggers and on every handler of the root logger (idempotent)."""
    targets = [logging.getLogger(name) for name in ACCESS_LOGGERS] + list(logging.getLogger().handlers)
    for target in targets:
        if not any(isinstance(existing, SecretFilter) for existing in target.filters):
            target.addFilter(SecretFilter())
