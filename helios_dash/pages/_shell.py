"""The frame around every page: navbar, live-update controls, URL sync.

Dash skips page modules whose name starts with an underscore, so this module
is imported by ``create_app`` instead of being registered as a page.
"""
from __future__ import annotations

from datetime import datetime

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, dcc, html

from ..services.live import current_data_version
from ..ui import ids

NAV_ORDER = ["/", "/domains", "/trends", "/compare", "/leaderboard"]


def shell(poll_seconds: float) -> html.Div:
    """The app layout: navbar with live controls, then the current page."""
    pages = sorted(dash.page_registry.values(), key=lambda p: NAV_ORDER.index(p["path"]))
    links = [dbc.NavItem(dbc.NavLink(p["name"], href=p["relative_path"], active="exact",
                                     id={"type": ids.NAV_LINK, "page": p["path"]})) for p in pages]
    live = html.Div([
        html.Span(id=ids.LIVE_UPDATED, className="small text-light me-3"),
        dbc.Switch(id=ids.LIVE_PAUSE, label="Pause", value=False, className="text-light small mb-0"),
    ], className="d-flex align-items-center ms-auto")
    navbar = dbc.Navbar(dbc.Container([
        dbc.NavbarBrand("HELIOS Analytics", href="/"),
        dbc.NavbarToggler(id="navbar-toggler"),
        dbc.Collapse(dbc.Nav(links, navbar=True), id="navbar-collapse", navbar=True, is_open=False),
        live,
    ], fluid=True), color="dark", dark=True, className="mb-3")
    return html.Div([
        navbar,
        dcc.Interval(id=ids.POLL, interval=int(poll_seconds * 1000)),
        dcc.Store(id=ids.DATA_VERSION),
        dbc.Container(dash.page_container, fluid=True, className="pb-4"),
    ])


@dash.callback(
    Output(ids.DATA_VERSION, "data"),
    Output(ids.LIVE_UPDATED, "children"),
    Input(ids.POLL, "n_intervals"),
    State(ids.DATA_VERSION, "data"),
)
def update_data_version(_n_intervals, seen):
    """Publish the data version when it changed; pages refresh on that signal only."""
    version = current_data_version()
    if version == seen:
        return dash.no_update, dash.no_update
    return version, f"updated {datetime.now().strftime('%H:%M:%S')}"


dash.clientside_callback(
    "function(paused) { return Boolean(paused); }",
    Output(ids.POLL, "disabled"),
    Input(ids.LIVE_PAUSE, "value"),
)

dash.clientside_callback(
    "function(n, isOpen) { return n ? !isOpen : isOpen; }",
    Output("navbar-collapse", "is_open"),
    Input("navbar-toggler", "n_clicks"),
    State("navbar-collapse", "is_open"),
)

# A page publishes its view's query string; this writes it to the address bar
# with history.pushState (no page reload, no re-render) and carries the shared
# filters into the navbar links. Back/forward fire popstate, which Dash's router
# answers by rendering the page from the URL.
dash.clientside_callback(
    """
    function(views, hrefs, linkIds) {
        const view = (views && views.length) ? views[0] : null;
        if (!view) { return window.dash_clientside.no_update; }
        const search = view.search || "";
        if (window.location.search !== search) {
            // A first render only tidies the URL (malformed values dropped): no new history entry.
            const write = view.replace ? "replaceState" : "pushState";
            window.history[write]({}, "", window.location.pathname + search);
        }
        const shared = new URLSearchParams();
        new URLSearchParams(search).forEach((value, key) => {
            if (["domain", "type", "start", "end", "granularity", "tz"].includes(key)) {
                shared.append(key, value);
            }
        });
        const tail = shared.toString() ? "?" + shared.toString() : "";
        return linkIds.map(id => id.page + tail);
    }
    """,
    Output({"type": ids.NAV_LINK, "page": ALL}, "href"),
    Input({"type": ids.VIEW_QUERY, "page": ALL}, "data"),
    State({"type": ids.NAV_LINK, "page": ALL}, "href"),
    State({"type": ids.NAV_LINK, "page": ALL}, "id"),
)

dash.clientside_callback(
    "function(clicks) { return clicks.map(() => window.location.href); }",
    Output({"type": ids.COPY_LINK, "page": ALL}, "content"),
    Input({"type": ids.COPY_LINK, "page": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
