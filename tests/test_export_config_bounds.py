"""Hardening (issue 7): every malformed export configuration is a BadRequest naming the field, never a 500."""
from __future__ import annotations

import pytest
from test_filters import Untouchable  # a list that fails if read: proof it was refused unprocessed

from helios_dash.errors import BadRequest
from helios_dash.reports.config import parse_export_config

DEMO_DOMAINS = ["quantum", "optimization", "machine-learning", "cryptography", "bioinformatics",
                "materials-science", "climate-modelling", "graph-algorithms", "signal-processing",
                "computational-finance"]  # the demo catalog: 10 domains


def problems(payload, known_domains=None) -> list[dict]:
    with pytest.raises(BadRequest) as raised:
        parse_export_config(payload, ("leaderboard", "metadata"), known_domains)
    return raised.value.details


@pytest.mark.parametrize("payload, field", [
    ({"include": [["x"]]}, "include"),
    ({"include": [{}]}, "include"),
    ({"include": Untouchable(["leaderboard"] * 200_000)}, "include"),
    ({"options": {"sort_by": ["quality"]}}, "options.sort_by"),
    ({"options": {"sort_by": {"quality": 1}}}, "options.sort_by"),
    ({"options": {"sort_order": ["asc"]}}, "options.sort_order"),
    ({"options": {"search": "x" * 201}}, "options.search"),
    ({"options": {"search": "quan\ud800"}}, "options.search"),
    ({"options": {"search": "a\x07b"}}, "options.search"),
    ({"filters": {"domain": "\ud800"}}, "filters.domain"),
    ({"filters": {"domain": "quan\x00tum"}}, "filters.domain"),
    ({"filters": {"domain": {"id": "quantum"}}}, "filters.domain"),
    ({"filters": {"domain": [["quantum"]]}}, "filters.domain"),
    ({"filters": {"domain": True}}, "filters.domain"),
    ({"filters": {"domain": None}}, "filters.domain"),
    ({"filters": {"domain": 10**5000}}, "filters.domain"),
    ({"filters": {"domains": Untouchable(["quantum"] * 200_000)}}, "filters.domains"),
    ({"filters": {"type": ["novel"] * 1001}}, "filters.type"),
    ({"filters": {"algorithms": ["a"] * 1001}}, "filters.algorithms"),
    ({"filters": {"algorithms": ",".join(f"a{i}" for i in range(1001))}}, "filters.algorithms"),
    ({"filters": {"start": 20260101}}, "filters.start"),
    ({"filters": {"start": ["2026-01-01"]}}, "filters.start"),
    ({"filters": {"tz": "a" * 5000}}, "filters.tz"),
    ({"filters": {"tz": {"name": "UTC"}}}, "filters.tz"),
    ({"filters": {"granularity": ["week"]}}, "filters.granularity"),
])
def test_malformed_export_bodies_name_the_field(payload, field):
    assert [p["field"] for p in problems(payload)] == [field]


@pytest.mark.parametrize("payload, text", [
    ({"filters": {"end": "9999-12-31"}}, "end='9999-12-31': dates run from 1970-01-01 to 2199-12-31"),
    ({"filters": {"start": "0001-01-01"}}, "start='0001-01-01': dates run from 1970-01-01 to 2199-12-31"),
    ({"filters": {"tz": "America"}}, "timezone 'America'"),
    ({"filters": {"type": ["novel", "a", "b", "c", "d"]}}, "5 different values, but there are only 4"),
])
def test_values_the_filters_refuse_are_named_in_the_message(payload, text):
    found = problems(payload)
    assert [p["field"] for p in found] == ["filters"] and text in found[0]["message"]


def test_huge_lists_are_refused_unread():
    found = problems({"filters": {"domain": Untouchable(["quantum"] * 200_000)}})
    assert found == [{"field": "filters.domain", "message": "at most 1,000 values"}]


def test_unknown_and_too_many_domains_are_refused_against_the_catalog():
    known = {"quantum", "crypto"}
    assert problems({"filters": {"domain": ["quantum", "atlantis"]}}, known) == [
        {"field": "filters.domain", "message": "unknown domain(s) 'atlantis'; known: crypto, quantum"}]
    assert problems({"filters": {"domain": ["quantum", "crypto", "a"]}}, known) == [
        {"field": "filters.domain", "message": "3 different domains, but there are only 2"}]
    assert problems({"filters": {"domain": "quantum"}}, set()) == [
        {"field": "filters.domain", "message": "unknown domain(s) 'quantum'; known: none yet"}]
    request = parse_export_config({"filters": {"domain": ["quantum", "quantum", "crypto"]}}, ("leaderboard",), known)
    assert request.filters.domains == ("quantum", "crypto")


def test_the_search_may_be_200_characters():
    assert problems({"filters": {"domain": "quantum"}}, set()) == [
        {"field": "filters.domain", "message": "unknown domain(s) 'quantum'; known: none yet"}]
    request = parse_export_config({"options": {"search": "é" * 200}}, ("leaderboard",))
    assert request.search == "é" * 200


# -- through the API -----------------------------------------------------------------

@pytest.mark.parametrize("body, field, text", [
    ({"filters": {"domain": "\ud800"}}, "filters.domain", "invalid Unicode"),
    ({"filters": {"end": "9999-12-31"}}, "filters", "end='9999-12-31'"),
    ({"filters": {"domain": "atlantis"}}, "filters.domain", "'atlantis'"),
    ({"filters": {"domain": DEMO_DOMAINS + ["atlantis"]}}, "filters.domain", "11 different domains"),
    ({"filters": {"domain": ["q"] * 200_000}}, "filters.domain", "at most 1,000 values"),  # 1 MB
    ({"include": [["x"]], "options": {"sort_by": {"a": 1}}}, "include", "section names"),
    ({"filters": {"tz": "America"}}, "filters", "timezone 'America'"),
])
def test_the_api_answers_400_naming_the_field(dash_app, body, field, text):
    response = dash_app.server.test_client().post("/api/v1/export/leaderboard", json=body)
    assert response.status_code == 400
    details = response.get_json()["error"]["details"]
    assert details[0]["field"] == field and text in details[0]["message"]
