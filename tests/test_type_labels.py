"""One display form for algorithm types (issue 8, item 11).

"Hybrid" on screen and in reports; "hybrid" in URLs, filters and the API.
"""
from __future__ import annotations

import base64
import io
import json
import subprocess

import pandas as pd
import pytest
import sqlalchemy as sa

from helios_dash.schema import algorithms as a

CAPITALISED = {"novel": "Novel", "baseline": "Baseline", "improved": "Improved", "hybrid": "Hybrid"}  # by hand


def test_type_label_capitalises_and_keeps_unknown_values():
    from helios_dash.domain.types import TYPE_LABELS, type_label

    assert TYPE_LABELS == CAPITALISED
    assert type_label("hybrid") == "Hybrid"
    assert type_label(None) is None


def test_filters_still_offers_the_algorithm_types():
    """schema.py and the importer read them through filters until they import domain.types."""
    from helios_dash import filters
    from helios_dash.domain import types

    assert filters.ALGORITHM_TYPES is types.ALGORITHM_TYPES == ("novel", "baseline", "improved", "hybrid")
    assert filters.type_label is types.type_label


def test_leaderboard_grid_shows_capitalised_types(dash_app):
    """The grid's formatter, run by node as the browser would, turns "hybrid" into "Hybrid"."""
    from helios_dash.pages.leaderboard import COLUMNS

    options = next(opts for field, _header, opts in COLUMNS if field == "type")
    body = options["valueFormatter"]["function"]
    script = ("const f = params => (" + body + ");"
              "console.log(JSON.stringify(['hybrid', 'novel', 'other'].map(v => f({value: v, data: {}}))));")
    shown = json.loads(subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout)
    assert shown == ["Hybrid", "Novel", "other"]


def _download(dash_app, page: str, fmt: str, view: dict) -> bytes:
    from helios_dash.pages._downloads import export_page

    with dash_app.server.test_request_context():
        data, message = export_page(page, fmt, view)
    assert message == "", message
    return base64.b64decode(data["content"])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_leaderboard_export_shows_types_as_the_filter_does(dash_app, settled, fmt):
    content = _download(dash_app, "leaderboard", fmt, {"domain": ["cryptography"]})
    table = pd.read_csv(io.BytesIO(content)) if fmt == "csv" else pd.read_excel(io.BytesIO(content), sheet_name=0)
    expected = settled.read(sa.select(a.c.name, a.c.type).where(a.c.domain_id == "cryptography"))
    by_name = dict(zip(expected["name"], expected["type"].map(CAPITALISED)))
    shown = dict(zip(table["Algorithm"], table["Type"]))
    assert shown and set(shown.values()) <= set(CAPITALISED.values())
    assert shown == {name: by_name[name] for name in shown}


def test_compare_export_names_types_capitalised_while_the_api_filter_takes_lowercase(dash_app, settled):
    ids = settled.read(sa.text("SELECT id AS algorithm_id FROM algorithms WHERE type = 'hybrid' ORDER BY id "
                               "LIMIT 2"))["algorithm_id"]
    response = dash_app.server.test_client().post("/api/v1/export/compare", json={
        "format": "json", "filters": {"algorithms": ",".join(ids), "type": "hybrid"}})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert {row["type"] for row in response.get_json()["data"]["comparison"]} == {"Hybrid"}
