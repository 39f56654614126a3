"""Screen, Download and API twin agree section by section (issue 8, item 7).

For each page, the page's callbacks are called as plain functions; what they draw
is read back (cards, table cells, figure traces) into sections of first rows. The
page's JSON download must hold the same set of sections with the same first rows,
and the API twin (POST /api/v1/export/<page>) the same records as the download.
"""
from __future__ import annotations

import base64
import json

import pandas as pd
import pytest

FIRST = 5  # rows compared per section


def walk(node):
    """Every component dict in a Dash layout (components, lists, or their JSON)."""
    if hasattr(node, "to_plotly_json"):
        node = node.to_plotly_json()
    if isinstance(node, dict):
        yield node
        for value in node.get("props", {}).values():
            yield from walk(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from walk(item)


def texts(node) -> str:
    """The visible text of a component and its children."""
    if hasattr(node, "to_plotly_json"):
        node = node.to_plotly_json()
    if isinstance(node, (str, int, float)):
        return str(node)
    if isinstance(node, dict):
        return texts(node.get("props", {}).get("children"))
    if isinstance(node, (list, tuple)):
        return "".join(texts(n) for n in node)
    return ""


def table_rows(node) -> list[list[str]]:
    """The cells' texts of every body row (a ``Tr`` with at least one ``Td``) of the tables in ``node``."""
    rows = []
    for component in walk(node):
        if component.get("type") == "Tr":
            cells = [c for c in component["props"]["children"] if isinstance(c, dict) or hasattr(c, "to_plotly_json")]
            cells = [c.to_plotly_json() if hasattr(c, "to_plotly_json") else c for c in cells]
            if any(c.get("type") == "Td" for c in cells):
                rows.append([texts(c) for c in cells])
    return rows


def download_json(dash_app, page: str, view: dict) -> dict:
    from helios_dash.pages._downloads import export_page

    with dash_app.server.test_request_context():
        data, message = export_page(page, "json", view)
    assert message == "", message
    return json.loads(base64.b64decode(data["content"]))["data"]


def tables_of(data: dict) -> dict[str, list[dict]]:
    """The export's sections: every list of records in ``data`` (kpis cards and notes are not tables)."""
    return {key: value for key, value in data.items() if isinstance(value, list) and key not in ("kpis", "notes")}


# -- what each screen shows, section by section -------------------------------------------------
def overview_screen(view: dict) -> dict[str, list]:
    from helios_dash.pages.overview import update_overview

    cards, figure, top = update_overview(view, None)
    values = [texts(c) for c in walk(cards) if "data-kpi" in c.get("props", {})]
    return {"key_figures": values,
            "recent": list(zip(pd.to_datetime(figure.data[0].x[:FIRST]).strftime("%Y-%m-%d"),
                               [round(y, 1) for y in figure.data[0].y[:FIRST]])),
            "top": [(int(r[0]), r[1]) for r in table_rows(top)[:FIRST]]}


def overview_export(data: dict) -> dict[str, list]:
    return {"key_figures": [card["value"] for card in data["kpis"]],
            "recent": [(r["period_start"], round(r["mean_quality"], 1)) for r in data["recent"][:FIRST]],
            "top": [(r["rank"], r["name"]) for r in data["top"][:FIRST]]}


def domains_screen(view: dict) -> dict[str, list]:
    from helios_dash.pages.domains import update_domains

    figure, cards = update_domains(view, None)
    names = [texts(c) for c in walk(cards) if c.get("type") == "H5"]
    bars = dict(zip(figure.data[0].y, figure.data[0].x))  # horizontal bars: domains on the y axis
    return {"statistics": [(name, round(bars[name], 1)) for name in names[:FIRST]]}


def domains_export(data: dict) -> dict[str, list]:
    return {"statistics": [(r["domain"], round(r["mean_quality"], 1)) for r in data["statistics"][:FIRST]]}


def trends_screen(view: dict) -> dict[str, list]:
    from helios_dash.pages.trends import update_trends

    quality, _speedup, counts = update_trends(view, None)
    firsts = []
    for trace in counts.data:  # one bar trace per series: its first periods and counts
        firsts += [(trace.name, pd.Timestamp(x).strftime("%Y-%m-%d"), int(y))
                   for x, y in list(zip(trace.x, trace.y))[:2]]
    means = {(t.name, pd.Timestamp(t.x[0]).strftime("%Y-%m-%d")): round(t.y[0], 1)
             for t in quality.data if t.mode != "markers"}  # the lines (the rolling mean, when there is one)
    return {"trends": sorted(firsts) + sorted(means.items())}


def trends_export(data: dict, rolling: bool) -> dict[str, list]:
    frame = pd.DataFrame(data["trends"])
    firsts = [(r.series, r.period_start, r.validations) for _, part in frame.groupby("series")
              for r in part.head(2).itertuples()]
    column = "rolling_quality" if rolling else "mean_quality"
    means = {(series, part["period_start"].iloc[0]): round(part[column].iloc[0], 1)
             for series, part in frame.groupby("series")}
    return {"trends": sorted(firsts) + sorted(means.items())}


def compare_screen(view: dict) -> dict[str, list]:
    from helios_dash.pages.compare import update_compare

    _message, metrics, differences, _intervals, _trends = update_compare(view, None)
    header = [texts(c) for c in walk(metrics) if c.get("type") == "Th"][1:]  # after "Metric"
    quality = next(row for row in table_rows(metrics) if row[0].startswith("Mean quality"))[1:]
    return {"comparison": list(zip(header, [q.split(" ")[0] for q in quality])),
            "differences": [(r[0], r[1].split(" ")[0], r[2]) for r in table_rows(differences)[:FIRST]]}


def compare_export(data: dict) -> dict[str, list]:
    return {"comparison": [(r["name"], f"{r['mean_quality']:.1f}") for r in data["comparison"]],
            "differences": [(f"{r['name_a']} − {r['name_b']}", f"{r['mean_quality_diff']:+.1f}", r["significant"])
                            for r in data["differences"][:FIRST]]}


def leaderboard_screen(view: dict) -> dict[str, list]:
    from helios_dash.pages.leaderboard import update_leaderboard

    _summary, _figure, rows = update_leaderboard(view, None)
    return {"leaderboard": [(r["rank"], r["name"], round(r["mean_quality"], 6)) for r in rows[:FIRST]]}


def leaderboard_export(data: dict) -> dict[str, list]:
    return {"leaderboard": [(r["rank"], r["name"], round(r["mean_quality"], 6)) for r in data["leaderboard"][:FIRST]]}


def compare_view(store) -> dict:
    import sqlalchemy as sa

    ids = store.read(sa.text("SELECT algorithm_id, count(*) n FROM validations GROUP BY algorithm_id "
                             "ORDER BY n DESC, algorithm_id LIMIT 3"))["algorithm_id"]
    return {"algorithms": [",".join(ids)]}


PAGES = [  # page, view (a parsed query string), API filters and options of the same view
    ("overview", {"domain": ["quantum"]}, {"domain": "quantum"}, {}),
    ("overview", {"period": ["7d"]}, "last 7 days", {}),  # the API twin names the same days as start and end
    ("domains", {"type": ["novel"]}, {"type": "novel"}, {}),
    ("trends", {"granularity": ["month"], "split": ["domain"], "rolling": ["3"]}, {"granularity": "month"},
     {"split": "domain", "rolling": 3}),
    ("trends", {"granularity": ["week"], "domain": ["quantum"]}, {"granularity": "week", "domain": "quantum"}, {}),
    ("compare", None, None, {}),
    ("leaderboard", {"domain": ["cryptography"]}, {"domain": "cryptography"}, {}),
]


@pytest.mark.parametrize("page, view, filters, options", PAGES)
def test_screen_download_and_api_agree_section_by_section(dash_app, settled, page, view, filters, options):
    if page == "compare":
        view = compare_view(settled)
        filters = {"algorithms": view["algorithms"][0]}
    if filters == "last 7 days":
        from helios_dash.filters import Filters
        from helios_dash.services.overview import read_period

        days = read_period(view, Filters())[1]
        filters = {"start": days.start.isoformat(), "end": days.end.isoformat()}
    screen = globals()[f"{page}_screen"](view)
    data = download_json(dash_app, page, view)
    exported = trends_export(data, bool(options)) if page == "trends" else globals()[f"{page}_export"](data)
    assert set(tables_of(data)) == set(screen), "the download's sections are not the screen's"
    for section, rows in screen.items():
        assert rows, f"{section}: nothing on screen to compare"
        assert exported[section] == rows, section

    response = dash_app.server.test_client().post(f"/api/v1/export/{page}", json={
        "format": "json", "filters": filters, "options": options})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    twin = response.get_json()["data"]
    assert tables_of(twin) == tables_of(data)
    assert twin["kpis"] == data["kpis"]
