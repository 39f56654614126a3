// Light or dark: the choice remembered in this browser, else the system's (prefers-color-scheme).
// Bootstrap reads data-bs-theme on <html>; AG Grid's theme reads data-ag-theme-mode on an ancestor;
// charts follow through assets/theme.css. Runs as soon as Dash's page loads, before React draws it
// (theme.css already darkens the bare page for a dark system, so there is no white flash).
(function () {
    "use strict";
    var KEY = "helios-theme";
    var TOGGLE = "theme-toggle";
    var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

    function stored() {
        try {
            var value = window.localStorage.getItem(KEY);
            return value === "dark" || value === "light" ? value : null;
        } catch (e) {
            return null;  // storage refused (private mode, policy): follow the system
        }
    }

    function current() {
        return stored() || (media && media.matches ? "dark" : "light");
    }

    function apply(theme) {
        var root = document.documentElement;
        root.setAttribute("data-bs-theme", theme);
        root.setAttribute("data-ag-theme-mode", theme);
    }

    // The button names the theme it switches to.
    function label(theme) {
        return theme === "dark" ? "Light mode" : "Dark mode";
    }

    apply(current());
    if (media && media.addEventListener) {
        media.addEventListener("change", function () {
            if (stored()) { return; }  // an explicit choice wins over the system
            apply(current());
            if (window.dash_clientside && window.dash_clientside.set_props) {
                window.dash_clientside.set_props(TOGGLE, {children: label(current())});
            }
        });
    }

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.helios_theme = {
        // n_clicks -> the button's label; a click switches the theme and remembers it.
        toggle: function (clicks) {
            if (clicks) {
                var next = current() === "dark" ? "light" : "dark";
                try { window.localStorage.setItem(KEY, next); } catch (e) { /* kept for this page only */ }
                apply(next);
            }
            return label(current());
        }
    };
})();
