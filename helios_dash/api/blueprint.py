"""Routes of ``/api/v1`` and the translation of every error into the envelope."""
from __future__ import annotations

import logging

from flask import Blueprint, Response, request, stream_with_context
from werkzeug.exceptions import HTTPException

from ..errors import HeliosError
from ..exports.config import parse_export_config
from ..exports.render import export_view
from .envelope import failure, request_id

log = logging.getLogger(__name__)
api = Blueprint("api", __name__, url_prefix="/api/v1")

EXPORTS = {  # endpoint: (default sections, report title)
    "algorithms": (("algorithms", "metadata"), "HELIOS algorithms"),
    "leaderboard": (("leaderboard", "metadata"), "HELIOS leaderboard"),
    "report": (("kpis", "leaderboard", "statistics", "metadata"), "HELIOS performance report"),
}


@api.post("/export/<kind>")
def export(kind: str):
    """Export a view in the format and with the sections the JSON body asks for."""
    if kind not in EXPORTS:
        return failure("NOT_FOUND", f"No export called {kind!r}; use {', '.join(EXPORTS)}.", status=404)
    sections, title = EXPORTS[kind]
    payload = request.get_json(silent=True) if request.data else {}
    if payload is None:
        return failure("VALIDATION_ERROR", "The body is not valid JSON.", [{"field": "body", "message": "invalid JSON"}])
    exported = export_view(parse_export_config(payload, sections), title, request.host_url)
    body = exported.content if isinstance(exported.content, bytes) else stream_with_context(exported.content)
    response = Response(body, mimetype=exported.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    response.headers["X-Request-Id"] = request_id()
    return response


# Dash answers every other GET path with its page shell; under /api a client
# needs the envelope instead, so unknown paths and methods end here.
@api.route("/<path:path>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown_endpoint(path: str):
    if path.startswith("export/") and request.method != "POST":
        return failure("METHOD_NOT_ALLOWED", "Exports are made with POST and a JSON body.", status=405)
    return failure("NOT_FOUND", f"No API endpoint at /api/v1/{path}.", status=404)


@api.errorhandler(HeliosError)
def handle_helios_error(error: HeliosError):
    return failure(error.code, error.message, error.details, error.http_status)


def init_api(server) -> None:
    """Mount the API, and give routing errors under /api (404, 405) the envelope too."""
    server.register_blueprint(api)

    # Routing errors happen before a blueprint is chosen, so only the app sees them.
    @server.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        if not request.path.startswith(api.url_prefix):
            return error
        return failure(error.name.upper().replace(" ", "_"), error.description, status=error.code)


@api.errorhandler(Exception)
def handle_unexpected(error: Exception):
    log.exception("Unexpected API error (request %s)", request_id())
    return failure("INTERNAL_ERROR", f"Something went wrong; quote request id {request_id()} when reporting it.",
                   status=500)
