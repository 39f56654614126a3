"""Every error the API returns has the guide's envelope, whatever went wrong."""
from __future__ import annotations

import pytest

ERROR_CASES = [  # method, path, body, expected status, expected code
    ("post", "/api/v1/export/nothing", {}, 404, "NOT_FOUND"),
    ("get", "/api/v1/no/such/endpoint", None, 404, "NOT_FOUND"),
    ("get", "/api/v1/export/leaderboard", None, 405, "METHOD_NOT_ALLOWED"),
    ("post", "/api/v1/export/leaderboard", {"format": "docx"}, 400, "VALIDATION_ERROR"),
    ("post", "/api/v1/export/leaderboard", ["not", "an", "object"], 400, "VALIDATION_ERROR"),
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
