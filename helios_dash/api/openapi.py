"""GET /api/v1/openapi.json: the OpenAPI 3.1 document of /api/v1, from ``api.models`` and a table of operations.

In-house rather than spectree (checked, spectree 3.0: it does write OpenAPI 3.1 from pydantic v2 on
Flask). Its request validation answers with its own error list, not the guide's envelope, and knows
nothing of the refusals ``Filters`` and ``api.v1.query`` make (unknown parameters, notices); its
documentation pages load Swagger UI, Redoc and Scalar from unpkg and jsdelivr. What it would add
beyond that is ``model_json_schema()`` plus a table, which is this module: the same models check
the bodies (``api.models.parse_body``) and make the schemas here, so the two cannot drift.

Only operations the app serves are listed (a resource not mounted is not described), and
``tests/test_openapi.py`` fails for a route under /api/v1 that the table below does not describe.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

from flask import current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..domain.types import ALGORITHM_TYPES
from ..filters import GRANULARITIES
from ..reports.vocabulary import EXPORT_FORMATS, EXPORT_KINDS
from ..schema import HYPOTHESIS_STATUSES
from . import models as m
from .v1 import research_models as research
from .v1 import webhook_models as hooks
from ..realtime.tickets import StreamTicket
from .blueprint import api
from .v1.query import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE

PREFIX = api.url_prefix
JSON = "application/json"
DOCUMENT_KEY = "helios.openapi"
NDJSON_TYPES = ("application/x-ndjson", "application/jsonl")


@dataclass(frozen=True)
class Op:
    """One operation: how it is called, what it answers, and which envelopes it may answer instead."""

    method: str
    path: str  # OpenAPI form, under PREFIX: "/domains/{domain}"
    endpoint: str  # the Flask endpoint, "api." left out: the operationId
    summary: str
    tag: str
    params: tuple[dict, ...] = ()
    body: type[BaseModel] | None = None
    data: object = None  # a model, [model] for a list, or a JSON Schema
    status: int = 200
    paged: bool = False  # meta.pagination, and a Link header when ``linked``
    linked: bool = False
    cached: bool = False  # ETag, Cache-Control, 304 on If-None-Match
    location: bool = False
    public: bool = False
    errors: tuple[int, ...] = ()  # beyond 401, 403, 429 and 5XX, which every guarded operation may answer
    content: dict | None = None  # media types of a non-JSON success answer
    body_types: tuple[str, ...] = (JSON,)
    extra: dict = field(default_factory=dict)


def query(name: str, schema: dict, description: str = "", explode: bool = False) -> dict:
    parameter = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        parameter["description"] = description
    if schema.get("type") == "array":
        parameter.update(style="form", explode=explode)
    return parameter


def path_param(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema or {"type": "string"}}


TEXT = {"type": "string", "maxLength": 200}
# The view: Filters' public names, as the pages' URLs and the exports' ``filters`` use them.
VIEW = (
    query("domain", {"type": "array", "items": TEXT, "maxItems": 50}, "domain ids (repeat the parameter)", True),
    query("type", {"type": "array", "items": {"enum": list(ALGORITHM_TYPES)}, "maxItems": 4},
          "algorithm types (repeat the parameter)", True),
    query("start", {"type": "string", "format": "date"}, "first day (YYYY-MM-DD) or an ISO-8601 instant"),
    query("end", {"type": "string", "format": "date"}, "last day, included"),
    query("granularity", {"enum": list(GRANULARITIES)}, "period of trends (default day)"),
    query("algorithms", {"type": "string", "maxLength": 2000}, "algorithm ids, comma-separated"),
    query("sort", {"type": "string", "maxLength": 100}, "<column>:asc or <column>:desc"),
    query("tz", {"type": "string", "maxLength": 64}, "IANA timezone of days and periods (default UTC)"),
)


def page_params(max_per_page: int = MAX_PER_PAGE, default: int = DEFAULT_PER_PAGE) -> tuple[dict, ...]:
    return (query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
            query("per_page", {"type": "integer", "minimum": 1, "maximum": max_per_page, "default": default}))


LIST = VIEW + page_params()
DOMAIN, ALGORITHM = path_param("domain", "a domain id"), path_param("algorithm_id", "an algorithm id")
HYPOTHESIS = path_param("hypothesis_id", "a hypothesis id (hyp_...)")
RESEARCH = path_param("project_id", "a research project id")
WEBHOOK = path_param("webhook_id", "a webhook id (wh_...)")
BODY = (400, 413, 415)
EXPORT_CONTENT = {EXPORT_FORMATS[name].media_type.split(";")[0]: {"schema": {"type": "string"}}
                  for name in EXPORT_FORMATS if name != "json"}

OPERATIONS: tuple[Op, ...] = (
    Op("GET", "/openapi.json", "openapi", "This document", "meta", public=True,
       content={JSON: {"schema": {"type": "object"}}}),
    Op("POST", "/export/{kind}", "export", "Export a view (CSV, XLSX, JSON, PDF)", "exports",
       params=(path_param("kind", "what to export", {"enum": list(EXPORT_KINDS)}),), body=m.ExportRequest,
       data={"type": "object", "description": "format json: the report's sections"}, errors=BODY + (404,),
       content=EXPORT_CONTENT,
       extra={"Content-Disposition": "attachment; filename=..."}),
    Op("GET", "/domains", "domains", "Domains and their statistics in the view", "domains", LIST,
       data=[m.Domain], paged=True, linked=True, cached=True, errors=(400,)),
    Op("GET", "/domains/{domain}", "domain", "One domain: statistics and the top of its leaderboard", "domains",
       (DOMAIN,) + VIEW, data=m.DomainDetail, cached=True, errors=(400, 404)),
    Op("GET", "/algorithms", "algorithms", "Algorithms validated in the view, with their metrics", "algorithms",
       LIST, data=[m.AlgorithmSummary], paged=True, linked=True, cached=True, errors=(400,)),
    Op("GET", "/algorithms/{algorithm_id}", "algorithm", "One algorithm as its page shows it", "algorithms",
       (ALGORITHM,) + VIEW, data=m.AlgorithmDetail, cached=True, errors=(400, 404)),
    Op("GET", "/leaderboard", "leaderboard", "The view's leaderboard", "leaderboard", LIST,
       data=[m.LeaderboardRow], paged=True, linked=True, cached=True, errors=(400,)),
    Op("GET", "/leaderboard/{domain}", "domain_leaderboard", "One domain's leaderboard", "leaderboard",
       (DOMAIN,) + LIST, data=[m.LeaderboardRow], paged=True, linked=True, cached=True, errors=(400, 404)),
    Op("GET", "/validations", "validations", "Validations of the view, newest first", "validations", LIST,
       data=[m.ValidationRow], paged=True, linked=True, cached=True, errors=(400,)),
    Op("POST", "/validations", "ingest_validations", "Add a batch of validation records, all or none",
       "validations", body=m.ValidationBatch, data=m.IngestResult, status=201, errors=BODY,
       body_types=(JSON,) + NDJSON_TYPES),
    Op("GET", "/hypotheses", "hypotheses", "Hypotheses, newest first", "hypotheses",
       (query("domain", TEXT), query("status", {"enum": list(HYPOTHESIS_STATUSES)})) + page_params(100, 20),
       data=[m.Hypothesis], paged=True, linked=True, errors=(400,)),
    Op("POST", "/hypotheses", "create_hypothesis", "A new draft hypothesis", "hypotheses", body=m.HypothesisCreate,
       data=m.Hypothesis, status=201, location=True, errors=BODY),
    Op("GET", "/hypotheses/{hypothesis_id}", "hypothesis", "One hypothesis with its validations", "hypotheses",
       (HYPOTHESIS,), data=m.Hypothesis, errors=(404,)),
    Op("POST", "/hypotheses/{hypothesis_id}/validate", "validate_hypothesis", "Validate a stored hypothesis",
       "hypotheses", (HYPOTHESIS,), body=m.ValidateRequest, data=m.Hypothesis, errors=BODY + (404, 409)),
    Op("POST", "/hypotheses/validate", "create_and_validate_hypothesis", "Create and validate in one call",
       "hypotheses", body=m.HypothesisValidate, data=m.Hypothesis, status=201, location=True, errors=BODY + (409,)),
    Op("GET", "/validators", "validators", "Validators this server can run", "hypotheses", data=[m.ValidatorInfo]),
    Op("GET", "/audit", "audit", "The audit log, newest first (admins)", "audit",
       tuple(query(name, TEXT) for name in ("actor", "action", "resource_type"))
       + (query("start", {"type": "string", "format": "date"}), query("end", {"type": "string", "format": "date"}))
       + page_params(200, 50), data=[m.AuditEntry], paged=True, linked=True, errors=(400,)),
    Op("POST", "/research", "create_research", "Start a research project (validated in the background)",
       "research", body=research.ResearchRequest, data=research.Research, status=202, location=True, errors=BODY),
    Op("GET", "/research", "research_projects", "Research projects, newest first", "research",
       page_params(100, 20), data=[research.Research], paged=True, linked=True, cached=True, errors=(400,)),
    Op("GET", "/research/{project_id}", "research", "A research project's status, progress and results",
       "research", (RESEARCH,), data=research.Research, cached=True, errors=(404,)),
    Op("GET", "/research/{project_id}/stream", "research_stream", "Results as Server-Sent Events", "research",
       (RESEARCH, {"name": "Last-Event-ID", "in": "header", "required": False, "schema": {"type": "string"},
                   "description": "resume after this result"}),
       errors=(404,), content={"text/event-stream": {"schema": {"type": "string"}}}),
    Op("POST", "/webhooks", "create_webhook", "Register a webhook (the secret is shown once)", "webhooks",
       body=hooks.WebhookCreate, data=hooks.WebhookCreated, status=201, location=True, errors=BODY),
    Op("GET", "/webhooks", "webhooks", "Webhooks (an editor's own; an admin's: all)", "webhooks",
       data=[hooks.Webhook]),
    Op("DELETE", "/webhooks/{webhook_id}", "delete_webhook", "Delete a webhook and its delivery log", "webhooks",
       (WEBHOOK,), data=hooks.WebhookDeleted, errors=(404,)),
    Op("POST", "/webhooks/{webhook_id}/test", "test_webhook", "Send a webhook.test event now", "webhooks",
       (WEBHOOK,), data=hooks.WebhookDelivery, errors=(404,)),
    Op("GET", "/webhooks/{webhook_id}/deliveries", "webhook_deliveries", "A webhook's delivery log, newest first",
       "webhooks", (WEBHOOK, query("status", {"enum": ["pending", "delivered", "failed", "dead"]}))
       + page_params(100, 20), data=[hooks.WebhookDelivery], paged=True, linked=True, errors=(400, 404)),
    Op("POST", "/stream/tickets", "stream_ticket", "A single-use ticket (60 s) to open the WebSocket /stream",
       "stream", data=StreamTicket, status=201),
)
STATUS_RESPONSES = {  # status -> (component name, description)
    400: ("BadRequest", "VALIDATION_ERROR: the details name each bad parameter or field"),
    401: ("Unauthenticated", "UNAUTHENTICATED: no valid token, key or session"),
    403: ("Forbidden", "FORBIDDEN: the role or the token's scopes do not allow this"),
    404: ("NotFound", "NOT_FOUND"),
    409: ("Conflict", "CONFLICT: the hypothesis is being validated"),
    413: ("PayloadTooLarge", "REQUEST_ENTITY_TOO_LARGE: the body is over the server's limit, refused unread"),
    415: ("UnsupportedMediaType", "UNSUPPORTED_MEDIA_TYPE: send application/json"),
    429: ("RateLimited", "RATE_LIMITED: retry after Retry-After seconds"),
    "5XX": ("ServerError", "INTERNAL_ERROR (500); STORE_UNAVAILABLE, QUERY_TIMEOUT or BUSY (503, with Retry-After)"),
}


@api.get("/openapi.json", endpoint="openapi")
def get_openapi():
    """The OpenAPI 3.1 document of the operations this server answers."""
    # Routes are fixed once an app serves: built once per app (15 ms each time otherwise).
    if DOCUMENT_KEY not in current_app.extensions:
        current_app.extensions[DOCUMENT_KEY] = openapi_document(served_operations())
    return jsonify(current_app.extensions[DOCUMENT_KEY])


def served_operations() -> list[Op]:
    """The table's operations that this app has a route for (a resource not mounted is not described)."""
    served = {(method, openapi_path(rule.rule)) for rule in current_app.url_map.iter_rules()
              for method in rule.methods or ()}
    return [op for op in OPERATIONS if (op.method, PREFIX + op.path) in served]


def openapi_path(flask_rule: str) -> str:
    """``/x/<int:id>`` -> ``/x/{id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", flask_rule)


def openapi_document(operations: list[Op]) -> dict:
    """The whole document: paths, schemas from the models, the error envelopes and both security schemes."""
    schemas = model_schemas()
    paths: dict[str, dict] = {}
    for op in operations:
        paths.setdefault(PREFIX + op.path, {})[op.method.lower()] = operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "HELIOS Analytics API", "version": "1.0",
                 "description": "Every answer is the guide's envelope: {status, data, meta} on success, "
                                "{status: error, error: {code, message, details}, meta} otherwise."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {name: error_response(description, status)
                          for status, (name, description) in STATUS_RESPONSES.items()},
            "headers": HEADERS,
            "securitySchemes": SECURITY_SCHEMES,
        },
        "security": [{name: []} for name in SECURITY_SCHEMES],
    }


SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "description": "a personal token (hlp_...) or service key"},
    "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "a service key (hlk_...)"},
    "apiKeyQuery": {"type": "apiKey", "in": "query", "name": "api_key",
                    "description": "a service key (hlk_...), as the guide's example sends it"},
}
HEADERS = {
    "X-Request-Id": {"description": "this request's id, as meta.request_id quotes it", "required": True,
                     "schema": {"type": "string"}},
    "ETag": {"description": "a strong validator of data and meta.pagination", "required": True,
             "schema": {"type": "string"}},
    "Cache-Control": {"schema": {"type": "string"}, "description": "private, no-cache: keep the answer, revalidate it with If-None-Match"},
    "Link": {"description": "RFC 8288: first, prev, next, last", "required": True, "schema": {"type": "string"}},
    "Location": {"description": "the new resource", "required": True, "schema": {"type": "string"}},
    "Retry-After": {"description": "seconds", "schema": {"type": "integer"}},
    "Content-Disposition": {"description": "attachment; filename=...", "schema": {"type": "string"}},
}


def ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def model_schemas() -> dict:
    """Every model's JSON Schema, definitions shared, under components.schemas."""
    chosen = [m.ErrorEnvelope, m.Meta, m.PagedMeta, *{model for op in OPERATIONS
                                                       for model in (op.body, data_model(op.data)) if model}]
    _, top = models_json_schema([(model, "validation") for model in chosen],
                                ref_template="#/components/schemas/{model}")
    return top.get("$defs", {})


def data_model(data) -> type[BaseModel] | None:
    if isinstance(data, list):
        return data[0]
    return data if isinstance(data, type) and issubclass(data, BaseModel) else None


def data_schema(data) -> dict:
    if isinstance(data, list):
        return {"type": "array", "items": data_schema(data[0])}
    if isinstance(data, type) and issubclass(data, BaseModel):
        return ref("schemas", data.__name__)
    return data or {}


def operation(op: Op) -> dict:
    """One operation object: parameters, body, the success answer and every error envelope it may answer."""
    described = {"operationId": op.endpoint, "summary": op.summary, "tags": [op.tag],
                 "parameters": list(op.params), "responses": responses(op)}
    view = current_app.view_functions.get(f"{api.name}.{op.endpoint}")
    if view is not None and view.__doc__:  # the route's own docstring: written once, next to the code
        described["description"] = inspect.cleandoc(view.__doc__)
    if op.body is not None:
        schema = ref("schemas", op.body.__name__)
        described["requestBody"] = {"required": op.body is not m.ExportRequest,
                                    "content": {media: {"schema": schema} for media in op.body_types}}
    if op.public:
        described["security"] = []  # anyone may read the document: it describes no data
    return described


def responses(op: Op) -> dict:
    headers = {"X-Request-Id": ref("headers", "X-Request-Id")}
    if op.cached:
        headers |= {"ETag": ref("headers", "ETag"), "Cache-Control": ref("headers", "Cache-Control")}
    if op.linked:
        headers["Link"] = ref("headers", "Link")
    if op.location:
        headers["Location"] = ref("headers", "Location")
    if op.extra:
        headers["Content-Disposition"] = ref("headers", "Content-Disposition")
    content = ({JSON: {"schema": envelope(op)}} if op.data is not None else {}) | (op.content or {})
    answers: dict = {str(op.status): {"description": "success", "headers": headers, "content": content}}
    if op.endpoint == "ingest_validations":  # a batch of duplicates only inserts nothing: 200, not 201
        answers["200"] = {"description": "every record was already there", "headers": headers, "content": content}
    if op.cached:
        answers["304"] = {"description": "not modified (If-None-Match)", "headers": {
            key: value for key, value in headers.items() if key != "Link"}}
    # 401 even for the public document: a bad token is refused wherever it is sent, never ignored.
    statuses = sorted(set(op.errors) | ({401} if op.public else {401, 403}), key=str)
    statuses += [429, "5XX"]
    for status in statuses:
        answers[str(status)] = ref("responses", STATUS_RESPONSES[status][0])
    return answers


def envelope(op: Op) -> dict:
    """The guide's success envelope around this operation's ``data``."""
    return {"type": "object", "required": ["status", "data", "meta"],
            "properties": {"status": {"const": "success"}, "data": data_schema(op.data),
                           "meta": ref("schemas", "PagedMeta" if op.paged else "Meta")}}


def error_response(description: str, status) -> dict:
    headers = {"X-Request-Id": ref("headers", "X-Request-Id")}
    if status in (429, "5XX"):
        headers["Retry-After"] = ref("headers", "Retry-After")
    return {"description": description, "headers": headers,
            "content": {JSON: {"schema": ref("schemas", "ErrorEnvelope")}}}
