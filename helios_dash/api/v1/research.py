"""Research projects over HTTP (helpers/research_contract.md).

POST /api/v1/research                 {"name", "domain", "hypotheses": [...], "validator"?, "evidence"?} -> 202
GET  /api/v1/research                 a page of projects, newest first
GET  /api/v1/research/{id}            status, progress and results so far
GET  /api/v1/research/{id}/stream     Server-Sent Events: a ``result`` per result, heartbeats, ``end``

The work is the ``research`` job (helios_dash/research/job.py); the first request a server
answers resumes the projects a dead process left (``recover_abandoned``).
"""
from __future__ import annotations

import logging
import os

from flask import Response, current_app, request

from ...access.current import audit_context, current_principal
from ...errors import BadRequest, HeliosError
from ...research import get_research, list_research, new_project, recover_abandoned, submit
from ...research.job import fail_project
from ...research.stream import research_events
from ...runtime import current_runtime
from ...validators import plugin_manager
from ..blueprint import api
from ..hypotheses import as_json, body_object, keyring, page_numbers, success
from .answer import answer
from .research_models import parse_research_request

log = logging.getLogger(__name__)

RECOVERED_KEY = "helios.research_recovered"
DEFAULT_HEARTBEAT_SECONDS = 15.0


@api.post("/research", endpoint="create_research")
def create_research_route():
    """Queue a research project: 202 with ``Location``; the job validates its hypotheses one by one."""
    asked = parse_research_request(body_object())
    validator = choose_validator(asked)
    runtime, principal = current_runtime(), current_principal()
    project_id = new_project(runtime.store, principal, name=asked.name, domain=asked.domain, validator=validator,
                             texts=asked.hypotheses, evidence=asked.evidence, keyring=keyring(),
                             context=audit_context())
    try:
        submit(runtime, project_id)
    except HeliosError as error:  # the queue is down: the project says so rather than waiting forever
        fail_project(runtime.store, project_id, f"Could not be queued: {error.message}")
        raise
    data = as_json(get_research(runtime.store, principal, project_id, keyring=keyring()))
    return success(data, status=202, location=f"{api.url_prefix}/research/{project_id}")


@api.get("/research", endpoint="research_projects")
def list_research_route():
    """A page of research projects, newest first."""
    page, per_page = page_numbers()
    found, total = list_research(current_runtime().store, current_principal(), keyring=keyring(),
                                 limit=per_page, offset=(page - 1) * per_page)
    paging = {"page": page, "per_page": per_page, "total": total, "pages": max(1, -(-total // per_page))}
    return answer(as_json(found), paging)


@api.get("/research/<project_id>", endpoint="research")
def get_research_route(project_id: str):
    """One research project: status, progress and results so far."""
    return answer(as_json(get_research(current_runtime().store, current_principal(), project_id,
                                       keyring=keyring())))


@api.get("/research/<project_id>/stream", endpoint="research_stream")
def research_stream_route(project_id: str):
    """The project's results as Server-Sent Events, from after ``Last-Event-ID``; closes when the job ends."""
    store = current_runtime().store
    get_research(store, current_principal(), project_id, keyring=keyring())  # 404 before the stream starts
    events = research_events(store, keyring(), project_id, last_event_id(), heartbeat_seconds())
    # text/event-stream is not among the compressed media types, and nothing may buffer it either.
    return Response(events, mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@api.before_app_request
def resume_abandoned_research() -> None:
    """Once per server, at its first request: resume the projects a dead process left queued or running."""
    marker = object()
    if current_app.extensions.setdefault(RECOVERED_KEY, marker) is not marker:
        return
    try:
        resumed = recover_abandoned(current_runtime())
        if resumed:
            log.warning("Resumed %d research project(s) left by a stopped process", len(resumed))
    except Exception:  # never fail a request for it; the next server start tries again
        log.exception("Could not look for abandoned research projects")


def choose_validator(asked) -> str:
    """As POST /hypotheses/validate chooses: the one named; else benchmark for evidence, demo in demo mode."""
    if asked.validator is not None:
        if plugin_manager().get(asked.validator) is None:
            available = ", ".join(v.key for v in plugin_manager().all() if v.plugin is not None)
            raise BadRequest(f"No validator called {asked.validator!r}; available: {available}.",
                             [{"field": "validator", "message": f"one of {available}"}])
        return asked.validator
    if asked.evidence is not None:
        return "benchmark"
    if current_runtime().settings.demo_data:
        return "demo"
    raise BadRequest("Name a validator (GET /api/v1/validators lists them), or send evidence for benchmark.",
                     [{"field": "validator", "message": "Cannot be empty"}])


def last_event_id() -> int:
    """The position the client has (``Last-Event-ID`` header, or ``last_event_id`` in the query); 0 for none."""
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id") or "0"
    if not raw.strip().isdigit():
        raise BadRequest("Last-Event-ID is the id of the last event received (a whole number).",
                         [{"field": "Last-Event-ID", "message": "a whole number"}])
    return min(int(raw.strip()), 2**31 - 1)  # beyond any index, and within an INTEGER column's range


def heartbeat_seconds() -> float:
    """HELIOS_SSE_HEARTBEAT (seconds between heartbeat comments while nothing else is sent), default 15."""
    try:
        value = float(os.environ.get("HELIOS_SSE_HEARTBEAT", DEFAULT_HEARTBEAT_SECONDS))
    except ValueError:
        return DEFAULT_HEARTBEAT_SECONDS
    return value if value > 0 else DEFAULT_HEARTBEAT_SECONDS
