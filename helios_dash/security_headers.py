"""Security headers on every response: a Content-Security-Policy without 'unsafe-eval', and the usual three.

Everything is served from this server, so the policy names no other origin.
Dash writes a few inline scripts into the index page (the renderer's start and
each clientside callback given as a string); they are allowed by their hashes,
which Dash computes (``app.csp_hashes()``). The ``_dash-config`` script is JSON,
never executed, so it needs nothing.
"""
from __future__ import annotations

import dash
from flask import Response

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],  # + the hashes of Dash's inline scripts
    # Dash's components, AG Grid, React and Plotly insert <style> elements at run time, with no
    # way to give them a nonce; styles cannot run script, so this is the one inline allowance.
    "style-src": ["'self'", "'unsafe-inline'"],
    # data: Bootstrap's icons (switch, select arrow, navbar toggler) are inline SVG;
    # blob: Plotly's "download plot as png" draws the chart's SVG through a blob: image.
    "img-src": ["'self'", "data:", "blob:"],
    "connect-src": ["'self'"],  # callbacks and polling; nothing else is ever contacted
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'self'"],
    "form-action": ["'self'"],
}
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",  # frame-ancestors for browsers that predate it
}


def content_security_policy(script_hashes: list[str]) -> str:
    """The policy as a header value, allowing the inline scripts with these hashes."""
    sources = {**POLICY, "script-src": POLICY["script-src"] + list(script_hashes)}
    return "; ".join(f"{directive} {' '.join(values)}" for directive, values in sources.items())


class SecurityHeaders:
    """An ``after_request`` hook adding the headers to every answer: pages, static files, callbacks, API."""

    def __init__(self, dash_app: dash.Dash):
        self._dash_app = dash_app
        self._policy: str | None = None
        self._hashes: list[str] = []
        dash_app.server.after_request(self.after_request)

    def policy(self) -> str:
        """The Content-Security-Policy for the inline scripts Dash knows now.

        Dash takes in most inline scripts at its first request, but Dash Pages adds its title
        callback only when it first renders the index page, which may be a later request
        (the first may be a redirect to /login): so the policy is rebuilt when the set grows.
        Hashing a dozen short scripts costs microseconds.
        """
        hashes = self._dash_app.csp_hashes()
        if self._policy is None or hashes != self._hashes:
            self._hashes, self._policy = hashes, content_security_policy(hashes)
        return self._policy

    def after_request(self, response: Response) -> Response:
        """Add the headers a view did not set itself."""
        response.headers.setdefault("Content-Security-Policy", self.policy())
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
