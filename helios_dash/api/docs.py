"""GET /api/docs: the OpenAPI document rendered by Swagger UI, every file from this server (it works offline)."""
from __future__ import annotations

from flask import Blueprint, Response, render_template_string, url_for

docs = Blueprint("api_docs", __name__)
VENDOR = "vendor/swagger-ui"  # helios_dash/static/vendor/swagger-ui: version and licence in its README

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>HELIOS Analytics API</title>
  <link rel="stylesheet" href="{{ css }}">
</head>
<body>
  <div id="swagger-ui" data-openapi="{{ document }}"></div>
  <script src="{{ bundle }}"></script>
  <script src="{{ start }}"></script>
</body>
</html>
"""


@docs.get("/api/docs", endpoint="page")
def docs_page():
    """The documentation page: Swagger UI over /api/v1/openapi.json."""
    html = render_template_string(PAGE, document=url_for("api.openapi"),
                                  css=url_for("static", filename=f"{VENDOR}/swagger-ui.css"),
                                  bundle=url_for("static", filename=f"{VENDOR}/swagger-ui-bundle.js"),
                                  start=url_for("static", filename="api_docs/start.js"))
    return Response(html, mimetype="text/html")


def init_docs(server) -> None:
    """Mount /api/docs (outside /api/v1: it is a page, not an operation)."""
    server.register_blueprint(docs)
