"""Overview (/): the domains at a glance."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from ..filters import Filters
from ..services.statistics import summarize_domains

dash.register_page(__name__, path="/", name="Overview", title="HELIOS Analytics: Overview")

COLUMNS = [("domain", "Domain", "{}"), ("algorithms", "Algorithms", "{:,}"),
           ("validations", "Validations", "{:,}"), ("mean_quality", "Mean quality", "{:.1f}"),
           ("mean_speedup", "Mean speedup (x)", "{:.2f}"), ("success_rate", "Success rate", "{:.0%}")]


def layout(**query):
    """Domain statistics for the view in the URL."""
    filters, notices = Filters.from_query(query)
    stats = summarize_domains(filters)
    alerts = [dbc.Alert(n, color="warning") for n in notices]
    if stats.empty:
        return html.Div(alerts + [dbc.Alert("No validations match these filters.", color="info")])
    header = html.Thead(html.Tr([html.Th(label) for _, label, _ in COLUMNS]))
    body = html.Tbody([
        html.Tr([html.Td(fmt.format(row[key])) for key, _, fmt in COLUMNS])
        for row in stats.to_dict("records")
    ])
    return html.Div(alerts + [html.H2("Domains"), dbc.Table([header, body], striped=True, hover=True)])
