"""GET /api/v1/openapi.json and /api/docs: a valid OpenAPI 3.1 document that describes every route under
/api/v1 (read from the app's URL map, so a new route without documentation fails here), the guide's
envelopes, both security schemes and the headers; a docs page whose files all come from this server.

The document's claims about real answers are checked by tests/test_schemathesis.py; here, a few
answers are also validated against the document's own schemas with jsonschema, as a client would.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

import jsonschema
import pytest
from openapi_spec_validator import validate

from helios_dash import create_server
from helios_dash.api.models import HypothesisCreate
from helios_dash.runtime import RUNTIME_KEY
from helios_dash.settings import Settings
from tests.auth import anonymous_client, token_for
from tests.conftest import UNLIMITED

API = "/api/v1"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The API server over an empty DuckDB store: the document does not depend on the data."""
    path = tmp_path_factory.mktemp("openapi") / "helios.duckdb"
    built = create_server(Settings(database_url=f"duckdb:///{path}", demo_data=False, **UNLIMITED))
    built.config.update(TESTING=True)
    return built


@pytest.fixture(scope="module")
def document(server) -> dict:
    response = anonymous_client(server).get(f"{API}/openapi.json")  # public: no credentials
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, described in item.items():
            yield method.upper(), path, described


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1.")
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema


def test_every_api_route_is_documented_and_nothing_else(server, document):
    rules = {(method, re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule))
             for rule in server.url_map.iter_rules() if rule.rule.startswith(API + "/")
             for method in rule.methods if method in METHODS}
    documented = {(method, path) for method, path, _ in operations(document)}
    assert rules - documented == set(), "routes under /api/v1 missing from the OpenAPI document"
    assert documented - rules == set(), "operations the app does not serve"
    assert len(rules) >= 20  # the resources of issue 11, research and the document itself


def test_every_operation_declares_its_error_envelopes(document):
    for method, path, described in operations(document):
        answers = described["responses"]
        public = described.get("security") == []
        expected = {"401", "429", "5XX"} | (set() if public else {"403"})  # 401: a bad token, even sent here
        if "requestBody" in described:
            expected |= {"400", "413", "415"}
        if "{" in path:
            expected.add("404")
        if any(p["in"] == "query" for p in described["parameters"]):
            expected.add("400")
        assert expected <= set(answers), f"{method} {path} lacks {expected - set(answers)}"
        for status in expected:
            assert answers[status] == {"$ref": f"#/components/responses/{response_name(document, status)}"}
    for name, response in document["components"]["responses"].items():
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}
        assert "X-Request-Id" in response["headers"]


def response_name(document: dict, status: str) -> str:
    names = {"400": "BadRequest", "401": "Unauthenticated", "403": "Forbidden", "404": "NotFound",
             "413": "PayloadTooLarge", "415": "UnsupportedMediaType", "429": "RateLimited", "5XX": "ServerError"}
    assert names[status] in document["components"]["responses"]
    return names[status]


def test_the_envelopes_are_the_guides(document):
    schemas = document["components"]["schemas"]
    error = schemas["ErrorEnvelope"]
    assert set(error["required"]) == {"status", "error", "meta"} and error["properties"]["status"]["const"] == "error"
    assert set(schemas["ErrorBody"]["required"]) == {"code", "message", "details"}
    assert set(schemas["Meta"]["required"]) == {"timestamp", "request_id", "version"}
    assert "pagination" in schemas["PagedMeta"]["required"]
    for method, path, described in operations(document):
        success = next(answer for status, answer in described["responses"].items() if status.startswith("2"))
        schema = success["content"].get("application/json", {}).get("schema", {})
        if path.endswith(("/openapi.json", "/stream")):
            continue  # the document itself; Server-Sent Events
        assert schema["required"] == ["status", "data", "meta"], f"{method} {path}"
        assert schema["properties"]["status"] == {"const": "success"}


def test_both_security_schemes_apply_to_every_operation_but_the_document(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert {(s["type"], s["in"], s["name"]) for s in schemes.values() if s["type"] == "apiKey"} == {
        ("apiKey", "header", "X-API-Key"), ("apiKey", "query", "api_key")}
    assert document["security"] == [{"bearerAuth": []}, {"apiKeyHeader": []}, {"apiKeyQuery": []}]
    public = [path for method, path, described in operations(document) if "security" in described]
    assert public == [f"{API}/openapi.json"]


def test_parameters_and_headers_are_declared(document):
    paths = document["paths"]
    board = paths[f"{API}/leaderboard"]["get"]
    assert {p["name"] for p in board["parameters"]} == {
        "domain", "type", "start", "end", "granularity", "algorithms", "sort", "tz", "page", "per_page"}
    assert set(board["responses"]["200"]["headers"]) >= {"ETag", "Link", "X-Request-Id", "Cache-Control"}
    assert "304" in board["responses"]
    assert {p["name"] for p in paths[f"{API}/algorithms/{{algorithm_id}}"]["get"]["parameters"]
            if p["in"] == "path"} == {"algorithm_id"}
    assert "Location" in paths[f"{API}/hypotheses"]["post"]["responses"]["201"]["headers"]
    assert "Location" in paths[f"{API}/research"]["post"]["responses"]["202"]["headers"]


def test_request_bodies_come_from_the_models_that_check_them(document):
    body = document["paths"][f"{API}/hypotheses"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/HypothesisCreate"}
    documented = document["components"]["schemas"]["HypothesisCreate"]
    assert documented["required"] == HypothesisCreate.model_json_schema()["required"] == ["hypothesis", "domain"]


def test_answers_validate_against_the_documents_schemas(app, client, document):
    """The guide's error example and a list, each checked against the schema the document gives it."""
    editor = {"Authorization": f"Bearer {token_for(app.extensions[RUNTIME_KEY].store, 'editor', ('write',))}"}
    refused = client.post(f"{API}/hypotheses", json={"domain": "quantum"}, headers=editor)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["details"] == [{"field": "hypothesis", "message": "Cannot be empty"}]
    check(document, refused.get_json(), {"$ref": "#/components/schemas/ErrorEnvelope"})
    listed = client.get(f"{API}/domains")
    schema = document["paths"][f"{API}/domains"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    check(document, listed.get_json(), schema)
    assert listed.headers["Link"] and listed.headers["ETag"] and listed.headers["X-Request-Id"]


def check(document: dict, instance, schema: dict) -> None:
    """Validate ``instance`` against ``schema``, resolving the document's own references."""
    jsonschema.Draft202012Validator({**schema, "components": document["components"]}).validate(instance)


class Links(HTMLParser):
    """Every URL an HTML page loads (src, href) and whether any script is inline."""

    def __init__(self):
        super().__init__()
        self.urls, self.inline_scripts = [], 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        self.urls += [values[name] for name in ("src", "href") if values.get(name)]
        if tag == "script" and not values.get("src"):
            self.inline_scripts += 1


def test_the_docs_page_loads_every_file_from_this_server(server):
    client = anonymous_client(server)  # public, like the document it shows
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    links = Links()
    links.feed(html)
    external = [url for url in re.findall(r"https?://[^\s\"'<>]+", html) if not url.startswith("http://localhost/")]
    assert external == [] and links.inline_scripts == 0  # CSP script-src 'self' lets every script run
    assert len(links.urls) == 3 and all(url.startswith("/") and not url.startswith("//") for url in links.urls)
    assert re.search(r'data-openapi="/api/v1/openapi.json"', html)
    for url in links.urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
        text = asset.get_data(as_text=True)
        if url.endswith((".css", "start.js")):  # the bundle holds spec URLs as strings; these files load none
            assert not re.search(r"url\(\s*['\"]?https?:", text) and "//cdn" not in text and "unpkg" not in text
        asset.close()
    start = client.get(links.urls[-1]).get_data(as_text=True)
    assert "validatorUrl: null" in start  # Swagger UI would otherwise send the document to swagger.io
