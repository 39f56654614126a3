"""Schemathesis over every operation of /api/v1/openapi.json, as a viewer, an editor and an admin, on
DuckDB and PostgreSQL: **0 5xx, 0 schema violations** (status codes, media types, headers and bodies
as the document declares them).

The app has a store of its own (a fresh DuckDB file, a throwaway PostgreSQL database, each seeded
with a small demo data set): the editors' and admins' writes (hypotheses, batches, validations)
must not move the shared dashboard store's leaderboards, which other tests' numbers come from.
Left out of the fuzzing, and why: the SSE stream (``/research/{id}/stream``, open until its job
ends); PDF and XLSX exports are asked as CSV instead (Chromium and workbooks cost seconds each;
their content is tested in tests/test_exports_*.py). MAX_EXAMPLES requests per operation, valid
and invalid, about half of them pointed at ids that exist (so success answers are checked too, not
only 404s): the file runs in about a minute. Cases come from ``operation.as_strategy`` under
Hypothesis's ``@given``: schemathesis 4.32's lazy pytest fixture fails on this pytest (``_nodeid``).
"""
from __future__ import annotations

from contextlib import ExitStack

import pytest
import schemathesis
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from helios_dash import create_server
from helios_dash.api.openapi import OPERATIONS, PREFIX
from helios_dash.runtime import create_runtime, seed_demo_if_empty
from helios_dash.settings import Settings
from tests.auth import token_for
from tests.conftest import UNLIMITED
from tests.databases import DATABASES, database_url

MAX_EXAMPLES = 25
DEMO_VALIDATIONS = 1_000
SCOPES = {"viewer": ("read", "export"), "editor": ("read", "write", "export"),
          "admin": ("read", "write", "export", "admin")}
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance,
          response_headers_conformance]
HEAVY_FORMATS = ("pdf", "xlsx")
KNOWN_DOMAIN = "quantum"


@pytest.fixture(scope="module", params=DATABASES)
def served(request, tmp_path_factory):
    """An API server over a small demo store of its own, and a token per role."""
    with ExitStack() as stack:
        url = stack.enter_context(database_url(request.param, tmp_path_factory.mktemp("schemathesis")))
        runtime = create_runtime(Settings(database_url=url, demo_data=True, demo_validations=DEMO_VALIDATIONS,
                                          encryption_keys=(Fernet.generate_key().decode(),), **UNLIMITED))
        stack.callback(runtime.close)  # before the database is dropped (the stack unwinds in reverse)
        seed_demo_if_empty(runtime)
        server = create_server(runtime=runtime)
        server.config.update(TESTING=True)
        server.extensions["helios.webhook_resolver"] = lambda host, port: ["192.0.2.1"]  # webhook URLs: no DNS
        tokens = {role: token_for(runtime.store, role, scopes) for role, scopes in SCOPES.items()}
        yield server, tokens, known_values(server, tokens["editor"])


def known_values(server, editor_token: str) -> dict:
    """Ids that exist in the store, so that generated requests reach the success answers too, not only 404s."""
    client, headers = server.test_client(), {"Authorization": f"Bearer {editor_token}"}
    algorithm_id = client.get("/api/v1/algorithms?per_page=1", headers=headers).get_json()["data"][0]["algorithm_id"]
    hypothesis = client.post("/api/v1/hypotheses", json={"hypothesis": "known", "domain": KNOWN_DOMAIN},
                             headers=headers).get_json()["data"]
    project = client.post("/api/v1/research", json={"name": "known", "domain": KNOWN_DOMAIN, "hypotheses": ["a"],
                                                    "validator": "demo"}, headers=headers).get_json()["data"]
    return {"domain": KNOWN_DOMAIN, "algorithm_id": algorithm_id, "hypothesis_id": hypothesis["id"],
            "project_id": project["id"], "kind": "leaderboard"}


def with_known_values(case, known: dict) -> None:
    """Point the case's path at existing resources, and its body at a real domain and validator."""
    case.path_parameters = {name: known.get(name, value) for name, value in (case.path_parameters or {}).items()}
    if isinstance(case.body, dict):
        for name, value in (("domain", KNOWN_DOMAIN), ("validator", "demo")):
            if name in case.body:
                case.body[name] = value


@pytest.fixture(scope="module")
def api_schema(served):
    server = served[0]
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", server)


FUZZED = [op for op in OPERATIONS if not op.path.endswith("/stream")]


@pytest.mark.parametrize("op", FUZZED, ids=[f"{op.method} {op.path}" for op in FUZZED])
def test_every_operation_answers_as_documented(api_schema, served, op):
    """Generated requests, valid and invalid, each sent once per role (a viewer's writes meet the documented 403)."""
    _, tokens, known = served
    path = PREFIX + op.path
    if path not in api_schema or op.method.lower() not in api_schema[path]:
        pytest.skip(f"{op.method} {path} is not served by this app (not mounted yet)")
    operation = api_schema[path][op.method]
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases, reach_existing=st.booleans())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def answers_as_documented(case, reach_existing):
        if reach_existing:
            with_known_values(case, known)
        if isinstance(case.body, dict) and case.body.get("format") in HEAVY_FORMATS:
            case.body["format"] = "csv"
        for role in SCOPES:
            case.call_and_validate(headers={"Authorization": f"Bearer {tokens[role]}"}, checks=CHECKS)

    answers_as_documented()
