"""assets/live-socket.js in headless Chromium: the page opens /stream with its session cookie and
Origin, the "updated" label says "live", and a push triggers the poll's refresh.

Nothing is written to the shared demo store (other tests count its rows): the test hands the hub
a leaderboard_update itself. (A bare ``data.changed`` on the bus pushes nothing when no rank moved,
so it made this test depend on what earlier tests wrote; the feed is tested in test_websocket.py.)
"""
from __future__ import annotations

from dash.testing.wait import until

from helios_dash.realtime import messages
from helios_dash.realtime.ws import STREAM_KEY
from helios_dash.runtime import RUNTIME_KEY

COUNT_REFRESHES = """
window.liveRefreshes = 0;
const original = window.dash_clientside.set_props;
window.dash_clientside.set_props = function (id, props) {
    if (id === "live-poll") { window.liveRefreshes += 1; }
    return original.apply(this, arguments);
};
"""
LABEL_SUFFIX = "return getComputedStyle(document.getElementById('live-updated'), '::after').content;"


def test_the_page_goes_live_and_a_push_refreshes_it(dash_duo, dash_app):
    dash_duo.start_server(dash_app, navigate=False)
    dash_duo.driver.get(f"{dash_duo.server.url}/leaderboard")
    dash_duo.wait_for_element("#live-updated", timeout=15)
    until(lambda: dash_duo.driver.execute_script("return document.body.classList.contains('helios-live')"),
          timeout=15)
    assert "live" in dash_duo.driver.execute_script(LABEL_SUFFIX)
    dash_duo.driver.execute_script(COUNT_REFRESHES)
    runtime = dash_app.server.extensions[RUNTIME_KEY]
    hub = dash_app.server.extensions[STREAM_KEY][0]
    until(lambda: hub.subscribers(messages.LEADERBOARD) >= 1, timeout=15)  # the page's subscribe has arrived
    assert hub.broadcast(messages.leaderboard_update(runtime.store.data_version(), [], [])) >= 1
    until(lambda: dash_duo.driver.execute_script("return window.liveRefreshes") > 0, timeout=15)
    assert dash_duo.get_logs() == []
