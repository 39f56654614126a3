"""No chart can send data to Plotly's cloud: every dcc.Graph shares one toolbar config, every figure agrees."""
from __future__ import annotations

import dash
import plotly.graph_objects as go
import pytest
from dash import dcc

CLOUD_BUTTONS = {"sendcharttocloud", "senddatatocloud", "editinchartstudio"}
EXPECTED = {"displaylogo": False, "showSendToCloud": False, "showEditInChartStudio": False, "showLink": False,
            "plotlyServerURL": ""}


def graphs(layout) -> list[dcc.Graph]:
    """Every dcc.Graph in a component tree."""
    return [c for c in [layout, *layout._traverse()] if isinstance(c, dcc.Graph)]


def page_figures(app_store) -> list[go.Figure]:
    """The figures each page's main callback draws for its default view (and Compare's, for two algorithms)."""
    from helios_dash.figures.common import empty_figure
    from helios_dash.pages import compare, domains, leaderboard, overview, trends

    chosen = ["warm-started-vqe", "code-based-kem"]
    outputs = [*overview.update_overview({}, 1), *domains.update_domains({}, 1), *trends.update_trends({}, 1),
               *compare.update_compare({"algorithms": chosen}, 1), *compare.update_compare({}, 1),
               *leaderboard.update_leaderboard({}, 1), empty_figure("Nothing")]
    return [output for output in outputs if isinstance(output, go.Figure)]


def test_every_graph_on_every_page_hides_the_cloud_buttons(dash_app):
    from helios_dash.ui.graphs import GRAPH_CONFIG

    found = {}
    for page in dash.page_registry.values():
        for graph in graphs(page["layout"]()):
            found[graph.id] = graph.config
    assert len(found) >= 8  # overview 1, domains 1, trends 3, compare 2, leaderboard 1
    for graph_id, config in found.items():
        assert config is GRAPH_CONFIG, graph_id  # one shared config, so no page can drift
    assert {key: GRAPH_CONFIG.get(key) for key in EXPECTED} == EXPECTED
    assert CLOUD_BUTTONS & {b.lower() for b in GRAPH_CONFIG["modeBarButtonsToRemove"]}
    assert not graphs(dash_app.layout())  # the shell around the pages (built per request) draws no chart


def test_no_figure_brings_the_cloud_buttons_back(settled):
    figures = page_figures(settled)
    assert len(figures) >= 10
    for figure in figures:
        modebar = figure.layout.modebar
        assert "sendChartToCloud" in (modebar.remove or ())  # hidden even where a Graph forgot its config
        assert not CLOUD_BUTTONS & {str(b).lower() for b in (modebar.add or ())}
        assert "config" not in figure.to_plotly_json()


@pytest.mark.parametrize("height", [260, 360])
def test_the_base_figure_hides_the_cloud_buttons(height):
    from helios_dash.figures.common import base_figure

    assert "sendChartToCloud" in base_figure("T", "x", "y", height).layout.modebar.remove
