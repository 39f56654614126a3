"""Routes of ``/api/v1`` and the translation of every error into the envelope."""
from __future__ import annotations

import json
import logging
import re

from flask import Blueprint, Response, current_app, g, request, stream_with_context
from werkzeug.exceptions import HTTPException

from ..access.current import audit_export, current_principal
from ..errors import BadRequest, Busy, HeliosError, NotFound, UnsupportedMediaType
from ..jobs import heavy_gate
from ..jobs.exports import export_bounded
from ..reports.config import parse_export_config
from ..reports.vocabulary import EXPORT_KINDS
from ..request_ids import HEADER as REQUEST_ID_HEADER
from .envelope import failure, request_id

log = logging.getLogger(__name__)
api = Blueprint("api", __name__, url_prefix="/api/v1")
API_ROOT = "/api"
# Every path under /api that no endpoint serves: without these, Dash's catch-all
# page route would answer them with its HTML shell.
api_fallback = Blueprint("api_fallback", __name__)
FALLBACK_ENDPOINT = "api_fallback.unknown_endpoint"
CACHE_CONTROL_KEY = "api_cache_control"  # set on ``g`` by a cacheable read; applied after the guard's no-store


CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f]")


@api.url_value_preprocessor
def refuse_control_characters(endpoint, values) -> None:
    """A path segment with a control character names nothing: 404 (PostgreSQL would refuse a NUL with a 500)."""
    for name, value in (values or {}).items():
        if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
            raise NotFound(f"No resource at {request.path!r}.",
                           [{"field": name, "message": "contains control characters"}])


@api.post("/export/<kind>")
def export(kind: str):
    """Export a view in the format and with the sections the JSON body asks for."""
    if kind not in EXPORT_KINDS:
        raise NotFound(f"No export called {kind!r}; use {', '.join(EXPORT_KINDS)}.")
    chosen = EXPORT_KINDS[kind]
    config = parse_export_config(json_body(), chosen.sections)
    exported = export_bounded(config, chosen.title, request.host_url, heavy_gate(), current_principal())
    audit_export(kind, config)  # reading data out is what auditors ask about
    streamed = not isinstance(exported.content, bytes)
    response = Response(stream_with_context(exported.content) if streamed else exported.content,
                        mimetype=exported.media_type)
    if streamed:  # frees the heavy-work slot even if the client leaves before the first chunk
        response.call_on_close(exported.content.close)
    response.headers["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    response.headers["X-Request-Id"] = request_id()
    return response


def json_body():
    """The request's JSON body, ``{}`` when there is none; typed errors for anything else.

    A form post must not silently run the default export (415), and JSON nested
    deeper than the parser's recursion limit is a bad body, not a crash (400).
    """
    raw = request.get_data(cache=False)
    if not raw.strip():
        if request.content_type and not request.is_json:
            raise UnsupportedMediaType("Send the export configuration as application/json.",
                                       [{"field": "Content-Type", "message": f"got {request.mimetype}"}])
        return {}
    if not request.is_json:
        raise UnsupportedMediaType("Send the export configuration as application/json.",
                                   [{"field": "Content-Type", "message": f"got {request.mimetype or 'none'}"}])
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as error:
        message = "nested too deeply" if isinstance(error, RecursionError) else "invalid JSON"
        raise BadRequest("The body is not valid JSON.", [{"field": "body", "message": message}]) from None


@api_fallback.route(f"{API_ROOT}/", defaults={"path": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                    strict_slashes=False)  # /api too, without a redirect
@api_fallback.route(f"{API_ROOT}/<path:path>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown_endpoint(path: str):
    """The 404 (or 405) envelope for any path under /api that no endpoint serves."""
    methods = allowed_methods(request.path)
    if methods:
        return failure("METHOD_NOT_ALLOWED", f"{request.path} answers {', '.join(methods)}.", status=405,
                       headers={"Allow": ", ".join(methods)})
    return failure("NOT_FOUND", f"No API endpoint at {request.path}.", status=404)


def answer_options():
    """OPTIONS under /api: 204 with the endpoint's real methods in ``Allow``, or the 404 envelope."""
    methods = allowed_methods(request.path)
    if not methods:
        return failure("NOT_FOUND", f"No API endpoint at {request.path}.", status=404)
    return Response(status=204, headers={"Allow": ", ".join(methods + ["OPTIONS"])})


def allowed_methods(path: str) -> list[str]:
    """The methods a real endpoint (not the fallback) answers at ``path``."""
    adapter = current_app.url_map.bind("localhost")
    methods = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            endpoint, _ = adapter.match(path, method=method)
        except HTTPException:
            continue
        if endpoint != FALLBACK_ENDPOINT:
            methods.append(method)
    return methods


def handle_helios_error(error: HeliosError):
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, Busy) else None
    return failure(error.code, error.message, error.details, error.http_status, headers=headers)


def handle_http_error(error: HTTPException):
    """Routing errors, oversized bodies (413), wrong methods, in the envelope."""
    return failure(error.name.upper().replace(" ", "_"), error.description, status=error.code)


def handle_unexpected(error: Exception):
    log.exception("Unexpected API error (request %s)", request_id())
    return failure("INTERNAL_ERROR", f"Something went wrong; quote request id {request_id()} when reporting it.",
                   status=500)


# Set once on the blueprint (a blueprint refuses setup after its first registration), so that
# several apps in one process (tests, the command line) can each mount the API.
api.register_error_handler(HeliosError, handle_helios_error)
api.register_error_handler(HTTPException, handle_http_error)  # else the catch-all below takes them
api.register_error_handler(Exception, handle_unexpected)


def init_api(server) -> None:
    """Mount the API, and give every error under /api (routing ones included) the envelope."""
    server.register_blueprint(api)
    server.register_blueprint(api_fallback)

    @server.before_request
    def options_under_api():
        if request.method == "OPTIONS" and is_api_path(request.path):
            return answer_options()
        return None

    # Registered before the guard's hooks, so it runs after them (Flask runs after_request hooks in
    # reverse): every answer under /api, refusals included, carries the id its envelope quotes.
    @server.after_request
    def finish_api_response(response):
        if is_api_path(request.path):
            response.headers[REQUEST_ID_HEADER] = request_id()
            cache_control = g.pop(CACHE_CONTROL_KEY, None)
            if cache_control:  # a cacheable read (api.v1.conditional) overrides the guard's no-store
                response.headers["Cache-Control"] = cache_control
        return response

    # Routing errors and oversized bodies happen before a blueprint is chosen, so only the app sees them.
    @server.errorhandler(HTTPException)
    def handle_http_error_under_api(error: HTTPException):
        return handle_http_error(error) if is_api_path(request.path) else error


def is_api_path(path: str) -> bool:
    return path == API_ROOT or path.startswith(API_ROOT + "/")
