/* Live updates over the WebSocket /stream; polling (the dcc.Interval "live-poll") stays as the fallback.
 *
 * On a push that changes data (validation_complete, leaderboard_update, hypothesis_generated) it
 * triggers exactly what a poll tick triggers: it sets the Interval's n_intervals, so the shell's
 * update_data_version callback reads the data version and the pages refresh if it moved. No new
 * server callback, no third-party script. The "updated hh:mm:ss" label (#live-updated) gets
 * " · live" while the socket is open and " · polling" otherwise (a class on <body>; the words are
 * in assets/layout.css).
 * The browser sends the session cookie and this page's Origin, which /stream checks.
 */
(function () {
    "use strict";
    var LABEL = "live-updated", POLL = "live-poll", PAUSE = "live-pause";
    var REFRESHING = {validation_complete: 1, leaderboard_update: 1, hypothesis_generated: 1};
    var socket = null, retry = 1000;

    function mark(live) {
        document.body.classList.toggle("helios-live", live);
        var label = document.getElementById(LABEL);
        if (label) {
            label.title = live ? "Live: changes are pushed to this page as they happen"
                               : "Polling: this page asks for changes every few seconds";
        }
    }

    function paused() {
        var box = document.getElementById(PAUSE);
        return Boolean(box && box.checked);
    }

    function refresh() {
        if (!paused() && window.dash_clientside && window.dash_clientside.set_props) {
            window.dash_clientside.set_props(POLL, {n_intervals: Date.now()});  // what a tick does
        }
    }

    function open() {
        if (!document.getElementById(LABEL)) {  // not a dashboard page (sign-in): nothing to refresh
            window.setTimeout(open, 2000);
            return;
        }
        var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
        try {
            socket = new WebSocket(scheme + window.location.host + "/stream");
        } catch (error) {
            window.setTimeout(open, retry);
            return;
        }
        socket.onopen = function () {
            retry = 1000;
            socket.send(JSON.stringify({action: "subscribe", channels: ["leaderboard", "hypotheses"]}));
            mark(true);
        };
        socket.onmessage = function (event) {
            var message;
            try { message = JSON.parse(event.data); } catch (error) { return; }
            if (REFRESHING[message.type]) { refresh(); }
        };
        socket.onclose = function (event) {
            mark(false);
            // 1013: the server is full; anything else: back off, up to a minute. Polling carries on meanwhile.
            retry = Math.min(event.code === 1013 ? 60000 : retry * 2, 60000);
            window.setTimeout(open, retry);
        };
    }

    if (window.WebSocket) {
        if (document.readyState === "loading") {
            document.addEventListener("DOMContentLoaded", open);
        } else {
            open();
        }
    }
}());
