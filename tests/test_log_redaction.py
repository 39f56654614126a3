"""API keys and tokens never reach a log line (the guide sends service keys as ?api_key=)."""
from __future__ import annotations

import logging

import pytest

from helios_dash.log_redaction import REDACTED, SecretFilter, install_secret_filter, redact

KEY = "hlk_" + "A1b2C3d4E5" * 3 + "xYz789"  # the shape of a service key (not a real one)


@pytest.mark.parametrize("line, secret", [
    (f'127.0.0.1 - - "GET /api/v1/export/leaderboard?api_key={KEY} HTTP/1.1" 401', KEY),
    (f'"GET /x?domain=quantum&api_key={KEY}&tz=UTC HTTP/1.1"', KEY),
    (f'"GET /x?API_KEY={KEY}"', KEY),
    ("Authorization: Bearer some-opaque-value", "some-opaque-value"),
    (f"token {KEY} was refused", KEY),
])
def test_secrets_are_replaced(line, secret):
    cleaned = redact(line)
    assert secret not in cleaned and REDACTED in cleaned


def test_the_rest_of_a_query_string_is_kept():
    assert redact(f"/x?domain=quantum&api_key={KEY}&tz=UTC") == f"/x?domain=quantum&api_key={REDACTED}&tz=UTC"


def test_a_gunicorn_style_record_with_dict_arguments_is_cleaned():
    # gunicorn's access log formats "%(r)s" from a dict of atoms.
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, '%(h)s "%(r)s"',
                               None, None)
    record.args = {"h": "127.0.0.1", "r": f"GET /api/v1/x?api_key={KEY} HTTP/1.1"}
    SecretFilter().filter(record)
    assert KEY not in record.getMessage() and "127.0.0.1" in record.getMessage()


def test_werkzeug_request_lines_are_cleaned_once_installed(caplog):
    install_secret_filter()
    install_secret_filter()  # idempotent
    logger = logging.getLogger("werkzeug")
    assert sum(isinstance(f, SecretFilter) for f in logger.filters) == 1
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logger.info('%s - - "%s" %s', "127.0.0.1", f"GET /api/v1/export/leaderboard?api_key={KEY} HTTP/1.1", "401")
    assert caplog.records and all(KEY not in r.getMessage() for r in caplog.records)
