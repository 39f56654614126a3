// Cell renderers for dash-ag-grid (it reads them from this global by name).
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

// An algorithm's name leading to its page, /algorithms/<id>, with the filters every
// page shares taken from the address bar (the params' sharedKeys, ui/url.py SHARED_KEYS).
// A plain click moves within the dashboard as dcc.Link does (no reload); a click with
// a modifier key, or "open in new tab", follows the href.
dagcomponentfuncs.AlgorithmLink = function (props) {
    const id = props.data && props.data[props.idField || "algorithm_id"];
    if (id === undefined || id === null) {
        return props.value;
    }
    const shared = new URLSearchParams();
    new URLSearchParams(window.location.search).forEach(function (value, key) {
        if ((props.sharedKeys || []).includes(key)) { shared.append(key, value); }
    });
    const search = shared.toString();
    const href = (props.path || "/algorithms/") + encodeURIComponent(id) + (search ? "?" + search : "");
    return React.createElement("a", {
        href: href,
        className: "helios-algorithm-link",
        onClick: function (event) {
            if (event.metaKey || event.shiftKey || event.altKey || event.ctrlKey || event.button !== 0) {
                return;
            }
            event.preventDefault();
            window.history.pushState({}, "", href);
            window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
            window.scrollTo(0, 0);
        },
    }, props.value);
};
