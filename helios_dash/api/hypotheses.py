"""Hypotheses and validators over HTTP: the guide's field names in, the envelope out.

GET  /api/v1/hypotheses                  a page, newest first (domain, status, page, per_page)
POST /api/v1/hypotheses                  {"hypothesis", "domain", "internal_notes"?} -> 201
GET  /api/v1/hypotheses/{id}             text, status, validations (notes for editors)
POST /api/v1/hypotheses/{id}/validate    {"validator"?, "evidence"?}
POST /api/v1/hypotheses/validate         create and validate in one call (the guide's client)
GET  /api/v1/validators                  what can validate: built-ins and installed plugins

Without a ``validator``, evidence goes to ``benchmark``; with none, demo mode uses ``demo``
(simulated, and labelled so) and other deployments ask for one. Rules live in the service.
"""
from __future__ import annotations

import json
from datetime import datetime

from flask import jsonify, request

from ..access.current import audit_context, current_principal
from ..crypto import keyring_for
from ..errors import BadRequest, UnsupportedMediaType
from ..exports.json import envelope_meta
from ..hypotheses import create_hypothesis, get_hypothesis, list_hypotheses, validate_hypothesis
from ..hypotheses.service import check_domain
from ..runtime import current_runtime
from ..validators import plugin_manager
from .blueprint import CONTROL_CHARACTERS, api
from .envelope import request_id
from .v1.answer import link_header
from .models import HypothesisCreate, HypothesisValidate, ValidateRequest, parse_body

MAX_PER_PAGE, DEFAULT_PER_PAGE = 100, 20


@api.get("/validators", endpoint="validators")
def list_validators():
    """Every validator this server can run (and any installed plugin that failed to load)."""
    return success([validator.describe() for validator in plugin_manager().all()])


@api.get("/hypotheses", endpoint="hypotheses")
def list_hypotheses_route():
    """A page of hypotheses, newest first; filters ``domain`` and ``status``."""
    page, per_page = page_numbers()
    domain = request.args.get("domain") or None
    if domain is not None and CONTROL_CHARACTERS.search(domain):  # PostgreSQL refuses NUL: a 400, not a 500
        raise BadRequest("domain must be a domain id.", [{"field": "domain", "message": "contains control characters"}])
    found, total = list_hypotheses(store(), current_principal(), keyring=keyring(), domain=domain,
                                   status=request.args.get("status") or None,
                                   limit=per_page, offset=(page - 1) * per_page)
    paging = {"page": page, "per_page": per_page, "total": total, "pages": max(1, -(-total // per_page))}
    return success([as_json(item) for item in found], pagination=paging)


@api.post("/hypotheses", endpoint="create_hypothesis")
def create_hypothesis_route():
    """A new draft hypothesis: 201 with ``Location``."""
    body = parse_body(HypothesisCreate, body_object())
    made = create_hypothesis(store(), current_principal(), body.hypothesis, body.domain,
                             keyring=keyring(), internal_notes=body.internal_notes, context=audit_context())
    return success(as_json(made), status=201, location=f"{api.url_prefix}/hypotheses/{made['id']}")


@api.get("/hypotheses/<hypothesis_id>", endpoint="hypothesis")
def get_hypothesis_route(hypothesis_id: str):
    """One hypothesis with its validations."""
    return success(as_json(get_hypothesis(store(), current_principal(), hypothesis_id, keyring=keyring())))


@api.post("/hypotheses/<hypothesis_id>/validate", endpoint="validate_hypothesis")
def validate_hypothesis_route(hypothesis_id: str):
    """Run a validator on a stored hypothesis; the answer says validated (with ``result``) or failed (why)."""
    body = parse_body(ValidateRequest, body_object())
    done = validate_hypothesis(store(), current_principal(), hypothesis_id, validator_of(body), body.evidence,
                               keyring=keyring(), context=audit_context())
    return success(as_json(done))


@api.post("/hypotheses/validate", endpoint="create_and_validate_hypothesis")
def create_and_validate_route():
    """The guide's one call: create the hypothesis, validate it, answer both (201 with ``Location``)."""
    # Everything checked before anything is written (the text first, as the guide's error example):
    # a bad body, validator or domain creates no hypothesis.
    body = parse_body(HypothesisValidate, body_object())
    check_domain(store(), body.domain)
    validator = validator_of(body)
    principal, context = current_principal(), audit_context()
    made = create_hypothesis(store(), principal, body.hypothesis, body.domain, keyring=keyring(),
                             internal_notes=body.internal_notes, context=context)
    done = validate_hypothesis(store(), principal, made["id"], validator, body.evidence, keyring=keyring(),
                               context=context)
    return success(as_json(done), status=201, location=f"{api.url_prefix}/hypotheses/{made['id']}")


def validator_of(body: ValidateRequest | HypothesisValidate) -> str:
    """The validator the body names; else benchmark for evidence, demo in demo mode; else VALIDATION_ERROR."""
    named = body.validator  # text, or absent: the model checked
    if named is not None:
        if plugin_manager().get(named) is None:
            available = ", ".join(v.key for v in plugin_manager().all() if v.plugin is not None)
            raise BadRequest(f"No validator called {named!r}; available: {available}.",
                             [{"field": "validator", "message": f"one of {available}"}])
        return named
    if body.evidence is not None:
        return "benchmark"
    if current_runtime().settings.demo_data:
        return "demo"
    raise BadRequest("Name a validator (GET /api/v1/validators lists them), or send evidence for benchmark.",
                     [{"field": "validator", "message": "Cannot be empty"}])


def body_object() -> dict:
    """The request's JSON object; 415 for another media type, VALIDATION_ERROR for anything but an object.

    Its fields are then checked by the route's model (``api.models``), which the OpenAPI document shows.
    """
    raw = request.get_data(cache=False)
    if raw.strip() and not request.is_json:
        raise UnsupportedMediaType("Send the body as application/json.",
                                   [{"field": "Content-Type", "message": f"got {request.mimetype or 'none'}"}])
    try:
        body = json.loads(raw) if raw.strip() else {}
    except (ValueError, RecursionError):
        raise BadRequest("The body is not valid JSON.", [{"field": "body", "message": "invalid JSON"}]) from None
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.", [{"field": "body", "message": "an object"}])
    return body


def page_numbers() -> tuple[int, int]:
    """``page`` (from 1) and ``per_page`` (1 to MAX_PER_PAGE); VALIDATION_ERROR naming the bad one."""
    numbers = []
    for name, default, top in (("page", 1, 10**6), ("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)):
        raw = request.args.get(name, str(default))
        if not raw.isdigit() or not 1 <= int(raw) <= top:
            raise BadRequest(f"{name} must be a whole number from 1 to {top}.",
                             [{"field": name, "message": f"1 to {top}"}])
        numbers.append(int(raw))
    return numbers[0], numbers[1]


def as_json(item: dict) -> dict:
    """A service's hypothesis with its times as ISO-8601 UTC (``Z``), nested validations too."""
    def convert(value):
        if isinstance(value, datetime):
            return value.isoformat(timespec="microseconds").replace("+00:00", "Z")
        if isinstance(value, dict):
            return {key: convert(inner) for key, inner in value.items()}
        if isinstance(value, list):
            return [convert(inner) for inner in value]
        return value
    return convert(item)


def success(data, status: int = 200, pagination: dict | None = None, location: str | None = None):
    """The guide's success envelope."""
    meta = envelope_meta(request_id())
    headers = {"Location": location} if location else {}
    if pagination is not None:
        meta["pagination"] = pagination
        headers["Link"] = link_header(pagination)
    return jsonify({"status": "success", "data": data, "meta": meta}), status, headers


def store():
    return current_runtime().store


def keyring():
    return keyring_for(current_runtime().settings)
