// Back and forward: render the page from the URL the browser went back to.
// Controls push the URL without telling Dash's router (so the page is not rebuilt
// on every pick); when the browser moves through that history, this nudges the
// router, which reads the address bar and renders the view it holds.
window.addEventListener("popstate", function () {
    if (window.dash_clientside && window.dash_clientside.set_props) {
        window.dash_clientside.set_props("route-nonce", {data: Date.now()});
    }
});
