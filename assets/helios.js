// Back and forward: render the page from the URL the browser went back to.
// Controls push the URL without telling Dash's router (so the page is not rebuilt
// on every pick); when the browser moves through that history, this nudges the
// router, which reads the address bar and renders the view it holds.
window.addEventListener("popstate", function () {
    if (window.dash_clientside && window.dash_clientside.set_props) {
        window.dash_clientside.set_props("route-nonce", {data: Date.now()});
    }
});

// A typed date counts as soon as focus leaves its field, however it leaves.
// Dash's date pickers read the typed text only on Enter or Tab: clicking the
// other field or anywhere else left the text on screen but never sent it, so
// the URL (and the charts) silently kept the old date. Leaving a field now
// replays the Tab the picker already understands: its own parsing, date limits
// and reverting of unreadable text apply unchanged. A second Tab after a real
// one re-reads the same text and changes nothing.
document.addEventListener("focusout", function (event) {
    const field = event.target;
    if (field instanceof HTMLInputElement && field.classList.contains("dash-datepicker-input")) {
        field.dispatchEvent(new KeyboardEvent("keydown", {key: "Tab", bubbles: true}));
    }
}, true);

// Clearing the dates clears both. The picker's own clear button puts focus back in
// the start field, and with the calendar open that field re-sends the text it showed
// before the clear: the start date came back, in the picker and in the URL. The
// button's click is handled here instead: both dates are set to none, which the
// picker shows and the page's callbacks write to the URL.
document.addEventListener("click", function (event) {
    const clear = event.target instanceof Element && event.target.closest(".dash-datepicker-clear");
    const picker = clear && clear.closest(".dash-datepicker-input-wrapper");
    if (!picker || !picker.id.endsWith("-wrapper") || !window.dash_clientside || !window.dash_clientside.set_props) {
        return;
    }
    event.preventDefault();
    event.stopPropagation();
    window.dash_clientside.set_props(picker.id.slice(0, -"-wrapper".length), {start_date: null, end_date: null});
}, true);

// A session that ended while the page was open (idle timeout, sign-out elsewhere, an admin
// disabling the account): the server answers callbacks with 401. Instead of charts that
// silently stop updating, go to the sign-in page, which brings the reader back here after.
(function () {
    const originalFetch = window.fetch;
    window.fetch = function () {
        return originalFetch.apply(this, arguments).then(function (response) {
            if (response.status === 401 && response.url.indexOf("/_dash-") !== -1) {
                const here = window.location.pathname + window.location.search;
                window.location.assign("/login?next=" + encodeURIComponent(here));
                return new Promise(function () {});  // the renderer never reads the refusal: the page is leaving
            }
            return response;
        });
    };
})();
