"""Log lines: JSON or text, one access line per request with its route template, request id and user; jobs
carry the submitting request's id; secrets never appear."""
from __future__ import annotations

import io
import json
import logging

import pytest

from helios_dash import create_server
from helios_dash.accounts.users import find_user
from helios_dash.errors import ConfigurationError
from helios_dash.jobs.registry import new_message, register
from helios_dash.ops.context import current_request_id
from helios_dash.ops.logs import configure_logging
from helios_dash.runtime import RUNTIME_KEY, create_runtime
from helios_dash.settings import Settings

from tests.auth import anonymous_client, token_for
from tests.redis_helpers import wait_until

KEY = "hlk_" + "Q7w8E9r0T1" * 3 + "zZ42"  # the shape of a service key (not a real one)
PERSONAL = "hlp_" + "M3n4B5v6C7" * 3 + "kK17"  # the shape of a personal token (not a real one)
JOB_LOGGER = logging.getLogger("helios_dash.tests.job")


@register("test.log_line")
def log_line(text: str) -> None:
    """A job that writes one log line."""
    JOB_LOGGER.info("job says %s", text)


@pytest.fixture
def server(store_url):
    runtime = create_runtime(Settings(database_url=store_url, demo_data=False))
    yield create_server(runtime=runtime)
    runtime.close()


@pytest.fixture
def captured():
    """``captured(format)``: the process's logging configured as the entry points do, into a buffer;
    returns a function giving what was written so far. Restored afterwards."""
    loggers = [logging.getLogger(name) for name in ("helios_dash", "werkzeug")]
    levels = [logger.level for logger in loggers]
    handlers = []

    def start(log_format: str):
        buffer = io.StringIO()
        handlers.append(configure_logging(log_format, buffer))
        return buffer.getvalue

    yield start
    for handler in handlers:
        logging.getLogger().removeHandler(handler)
    for logger, level in zip(loggers, levels):
        logger.setLevel(level)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def access_lines(text: str) -> list[dict]:
    return [line for line in json_lines(text) if line["logger"] == "helios_dash.access"]


def test_access_line_quotes_the_route_template_and_the_response_request_id(server, captured):
    output = captured("json")
    response = anonymous_client(server).get("/api/v1/algorithms/fft-radix-2?domain=quantum")
    (line,) = access_lines(output())
    assert line["request_id"] == response.headers["X-Request-Id"]
    assert line["route"] == "/api/v1/algorithms/<algorithm_id>"
    assert "fft-radix-2" not in json.dumps(line) and "quantum" not in json.dumps(line)  # never the raw path
    assert line["method"] == "GET" and line["status"] == response.status_code == 401
    assert line["duration_ms"] >= 0 and line["user_id"] is None and line["level"] == "INFO"


def test_a_client_request_id_is_honoured_on_every_response(server, captured):
    output = captured("json")
    client = anonymous_client(server)
    health = client.get("/health", headers={"X-Request-Id": "lb-probe.42"})
    junk = client.get("/health/live", headers={"X-Request-Id": "no spaces allowed"})
    first, second = access_lines(output())
    assert health.headers["X-Request-Id"] == first["request_id"] == "lb-probe.42"
    assert junk.headers["X-Request-Id"] == second["request_id"] != "no spaces allowed"
    assert first["route"] == "/health" and second["route"] == "/health/live"


def test_a_token_request_carries_its_user(server, captured):
    store = server.extensions[RUNTIME_KEY].store
    token = token_for(store, "viewer")
    output = captured("json")
    response = anonymous_client(server).get("/api/v1/domains", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    (line,) = access_lines(output())
    assert line["user_id"] == find_user(store, "viewer@test.helios").id
    assert line["route"] == "/api/v1/domains" and line["status"] == 200
    assert token not in output()


def test_a_job_logs_with_the_id_of_the_request_that_submitted_it(server, captured):
    output = captured("json")
    jobs = server.extensions[RUNTIME_KEY].jobs
    with server.test_request_context("/api/v1/research", method="POST", headers={"X-Request-Id": "req-submit-7"}):
        job = jobs.submit("test.log_line", text="hello")
    assert wait_until(lambda: jobs.status(job)["status"] == "done")
    (line,) = [entry for entry in json_lines(output()) if entry["logger"] == JOB_LOGGER.name]
    assert line["message"] == "job says hello" and line["request_id"] == "req-submit-7"
    assert current_request_id() is None  # outside requests and jobs there is none


def test_the_queued_message_carries_the_request_id(server):
    with server.test_request_context("/", headers={"X-Request-Id": "req-queued-1"}):
        assert new_message("test.log_line", {"text": "x"})["request_id"] == "req-queued-1"
    assert new_message("test.log_line", {"text": "x"})["request_id"] is None


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_secrets_never_appear(server, captured, log_format):
    output = captured(log_format)
    client = anonymous_client(server)
    client.get(f"/api/v1/domains?api_key={KEY}")
    client.get("/api/v1/domains", headers={"Authorization": f"Bearer {PERSONAL}"})
    with server.test_request_context(f"/api/v1/domains?api_key={KEY}"):
        logger = logging.getLogger("helios_dash.tests.secrets")
        logger.warning("refused %s", f"/api/v1/domains?api_key={KEY}", extra={"header": f"Bearer {PERSONAL}"})
        try:
            raise ValueError(f"bad token {PERSONAL}")
        except ValueError:
            logger.exception("a failure quoting %s", KEY)
    text = output()
    assert text.count("\n") >= 4  # two access lines, the warning, the exception (and its traceback)
    assert KEY not in text and PERSONAL not in text
    assert "[redacted]" in text


def test_refusals_by_the_guard_are_logged(server, captured):
    output = captured("json")
    client = anonymous_client(server)
    client.get("/api/v1/domains", headers={"Authorization": f"Bearer {PERSONAL}"})  # unknown token: 401
    client.get("/api/v1/audit")  # anonymous: 401
    assert [(line["route"], line["status"]) for line in access_lines(output())] == [
        ("/api/v1/domains", 401), ("/api/v1/audit", 401)]


def test_text_format_still_works(server, captured):
    output = captured("text")
    response = anonymous_client(server).get("/health/live")
    (line,) = [entry for entry in output().splitlines() if "helios_dash.access" in entry]
    assert not line.startswith("{")
    assert f"[{response.headers['X-Request-Id']} user=None]" in line and "GET /health/live 200" in line


def test_configuring_twice_keeps_one_handler(captured):
    captured("json")
    captured("text")
    assert sum(getattr(handler, "_helios", False) for handler in logging.getLogger().handlers) == 1


@pytest.mark.parametrize("raw, expected", [("", "text"), ("json", "json"), (" JSON ", "json"), ("text", "text")])
def test_the_setting(raw, expected):
    assert Settings.from_env({"HELIOS_LOG_FORMAT": raw}).log_format == expected


def test_an_unknown_format_is_one_sentence():
    with pytest.raises(ConfigurationError, match="HELIOS_LOG_FORMAT may be json or text"):
        Settings.from_env({"HELIOS_LOG_FORMAT": "xml"})
