"""Every error the API returns has the guide's envelope, whatever went wrong."""
from __future__ import annotations

import pytest

ERROR_CASES = [  # method, path, body, expected status, expected code
    ("post", "/api/v1/export/nothing", {}, 404, "NOT_FOUND"),
    ("get", "/api/v1/no/such/endpoint", None, 404, "NOT_FOUND"),
    ("get", "/api/v1/export/leaderboard", None, 405, "METHOD_NOT_ALLOWED"),
    ("post", "/api/v1/export/leaderboard", {"format": "docx"}, 400, "VALIDATION_ERROR"),
    ("post", "/api/v1/export/leaderboard", ["not", "an", "object"], 400, "VALIDATION_ERROR"),
    # Dash's catch-all page route used to answer these with its HTML shell.
    ("get", "/api", None, 404, "NOT_FOUND"),
    ("get", "/api/", None, 404, "NOT_FOUND"),
    ("get", "/api/v1", None, 404, "NOT_FOUND"),
    ("get", "/api/v1/", None, 404, "NOT_FOUND"),
    ("get", "/api/v2/x", None, 404, "NOT_FOUND"),
    ("delete", "/api/v2/x", None, 404, "NOT_FOUND"),
    ("put", "/api/v1/export/report", {}, 405, "METHOD_NOT_ALLOWED"),
]


@pytest.mark.parametrize("method, path, body, status, code", ERROR_CASES)
def test_error_envelope(dash_app, method, path, body, status, code):
    response = getattr(dash_app.server.test_client(), method)(path, json=body)
    assert response.status_code == status
    payload = response.get_json()
    assert payload["status"] == "error"
    assert set(payload["error"]) == {"code", "message", "details"}
    assert payload["error"]["code"] == code and payload["error"]["message"]
    assert payload["meta"]["request_id"].startswith("req_") and payload["meta"]["version"] == "1.0"


def test_invalid_json_body(dash_app):
    response = dash_app.server.test_client().post("/api/v1/export/report", data="{oops",
                                                  content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["details"] == [{"field": "body", "message": "invalid JSON"}]


def assert_envelope(response, status: int, code: str) -> dict:
    payload = response.get_json()
    assert response.status_code == status and payload["status"] == "error"
    assert payload["error"]["code"] == code and payload["error"]["message"]
    return payload["error"]


def test_json_nested_deeper_than_the_parser_goes_is_a_400(dash_app):
    deep = "[" * 100_000 + "]" * 100_000
    response = dash_app.server.test_client().post("/api/v1/export/report", data=deep,
                                                  content_type="application/json")
    error = assert_envelope(response, 400, "VALIDATION_ERROR")
    assert error["details"] == [{"field": "body", "message": "nested too deeply"}]


def test_a_form_post_is_refused_not_run_as_the_default_export(dash_app):
    client = dash_app.server.test_client()
    assert_envelope(client.post("/api/v1/export/report", data={"format": "pdf"}), 415, "UNSUPPORTED_MEDIA_TYPE")
    assert_envelope(client.post("/api/v1/export/report", data=b"{}", content_type="text/plain"), 415,
                    "UNSUPPORTED_MEDIA_TYPE")
    assert client.post("/api/v1/export/leaderboard").status_code == 200  # no body at all: the defaults


def test_a_body_over_the_limit_is_refused_unread(dash_app):
    limit = dash_app.server.config["MAX_CONTENT_LENGTH"]
    body = b'{"format": "json", "include": ["leaderboard"]' + b" " * limit + b"}"
    response = dash_app.server.test_client().post("/api/v1/export/leaderboard", data=body,
                                                  content_type="application/json")
    assert_envelope(response, 413, "REQUEST_ENTITY_TOO_LARGE")


def test_options_under_api_answers_like_an_api(dash_app):
    client = dash_app.server.test_client()
    known = client.options("/api/v1/export/report")
    assert known.status_code == 204 and known.headers["Allow"] == "POST, OPTIONS"
    assert_envelope(client.options("/api/v1/no/such/endpoint"), 404, "NOT_FOUND")


def test_every_bad_field_is_named(dash_app):
    body = {"format": "docx", "include": ["leaderboard", "gossip"], "colour": "red",
            "filters": {"domain": "quantum", "start": "yesterday", "planet": "mars"},
            "options": {"sort_by": "luck", "sort_order": "sideways", "include_charts": "yes", "font": "comic"}}
    response = dash_app.server.test_client().post("/api/v1/export/leaderboard", json=body)
    fields = [d["field"] for d in response.get_json()["error"]["details"]]
    assert response.status_code == 400
    assert sorted(fields) == sorted(["colour", "format", "include", "filters", "filters.planet", "options.font",
                                     "options.sort_by", "options.sort_order", "options.include_charts"])


def test_csv_with_two_tables_is_refused(dash_app):
    body = {"format": "csv", "include": ["leaderboard", "statistics"]}
    response = dash_app.server.test_client().post("/api/v1/export/report", json=body)
    assert response.status_code == 400
    assert "one table" in response.get_json()["error"]["details"][0]["message"]


def test_non_api_paths_still_serve_the_dashboard(dash_app):
    response = dash_app.server.test_client().get("/leaderboard")
    assert response.status_code == 200 and response.mimetype == "text/html"
