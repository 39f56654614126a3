"""``HeliosClient``: the feature guide's async client on httpx, with every /api/v1 endpoint.

    async with HeliosClient("hlp_...", base_url="http://127.0.0.1:8050") as client:
        result = await client.validate_hypothesis("Warm-started VQE improves convergence", "quantum")

Success answers come back as the envelope (``{"status": "success", "data", "meta"}``), exports
as bytes; error envelopes become the typed exceptions of ``errors``. 429s (and 503s that say
when to come back) are retried after ``Retry-After``, within ``max_retries`` and ``max_retry_wait``.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import AsyncIterator, Iterable
from urllib.parse import quote, urlsplit

import httpx

from . import retries
from .errors import HeliosConnectionError, error_for
from .retries import RetryPolicy
from .sse import ServerSentEvent, StreamState, parse_events

DEFAULT_BASE_URL = "https://api.helios.com"
API_PREFIX = "/api/v1"
SERVICE_KEY_PREFIX = "hlk_"  # helios_dash.accounts.tokens: hlk_ service keys go in X-API-Key, hlp_ as Bearer
USER_AGENT = f"helios-dash-client/0.1 httpx/{httpx.__version__}"


def auth_headers(api_key: str) -> dict[str, str]:
    """How the server's guard expects ``api_key``: a service key in ``X-API-Key``, anything else as a Bearer token."""
    if api_key.startswith(SERVICE_KEY_PREFIX):
        return {"X-API-Key": api_key}
    return {"Authorization": f"Bearer {api_key}"}


class HeliosClient:
    """An async client of one HELIOS server; close it with ``aclose()`` or use it as ``async with``."""

    def __init__(self, api_key: str, base_url: str = DEFAULT_BASE_URL, *, timeout: float = 30.0,
                 max_retries: int = 3, max_retry_wait: float = 120.0, retry_busy: bool = True,
                 stream_read_timeout: float = 60.0, max_reconnects: int = 5,
                 transport: httpx.AsyncBaseTransport | None = None, headers: dict[str, str] | None = None):
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.retry = RetryPolicy(max_retries=max_retries, max_wait=max_retry_wait, retry_busy=retry_busy)
        self.timeout = timeout
        # Longer than the server's SSE heartbeat (15 s): a silent connection past it has dropped.
        self.stream_read_timeout = stream_read_timeout
        self.max_reconnects = max_reconnects
        self.client = httpx.AsyncClient(headers={**auth_headers(api_key), "User-Agent": USER_AGENT, **(headers or {})},
                                        timeout=timeout, transport=transport)

    async def __aenter__(self) -> "HeliosClient":
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self.client.aclose()

    # -- the guide's three methods ---------------------------------------------------------------

    async def validate_hypothesis(self, hypothesis: str, domain: str, *, validator: str | None = None,
                                  evidence: dict | None = None, internal_notes: str | None = None) -> dict:
        """Create a hypothesis and validate it in one call (POST /hypotheses/validate): the envelope."""
        body = drop_none({"hypothesis": hypothesis, "domain": domain, "validator": validator, "evidence": evidence,
                          "internal_notes": internal_notes})
        return await self.call("POST", "/hypotheses/validate", json=body)

    async def get_leaderboard(self, domain: str | None = None, **view) -> dict:
        """The leaderboard (one page), optionally of one domain (``?domain=``): the envelope."""
        return await self.call("GET", "/leaderboard", params={"domain": domain, **view})

    async def export_results(self, format: str = "csv") -> bytes:
        """The algorithms export in ``format`` (csv, xlsx, json, pdf): the file's bytes."""
        return await self.export("algorithms", {"format": format})

    # -- domains, algorithms, leaderboard, validations ----------------------------------------------

    async def list_domains(self, **view) -> dict:
        """One page of domains with their statistics (view parameters: domain, type, start, end, ..., page, per_page)."""
        return await self.call("GET", "/domains", params=view)

    async def get_domain(self, domain: str, **view) -> dict:
        """One domain: its statistics and the top of its leaderboard."""
        return await self.call("GET", f"/domains/{segment(domain)}", params=view)

    async def list_algorithms(self, **view) -> dict:
        """One page of algorithms with their metrics (``sort="quality:desc"`` and the view parameters)."""
        return await self.call("GET", "/algorithms", params=view)

    async def get_algorithm(self, algorithm_id: str, **view) -> dict:
        """One algorithm as its page shows it: metrics, interval, rank and rank range, trend, domain stats."""
        return await self.call("GET", f"/algorithms/{segment(algorithm_id)}", params=view)

    async def get_domain_leaderboard(self, domain: str, **view) -> dict:
        """One domain's leaderboard (GET /leaderboard/{domain}), one page."""
        return await self.call("GET", f"/leaderboard/{segment(domain)}", params=view)

    async def list_validations(self, **view) -> dict:
        """One page of validation records, newest first."""
        return await self.call("GET", "/validations", params=view)

    async def ingest_validations(self, records: Iterable[dict], *, ndjson: bool = False) -> dict:
        """Add a batch of validation records (all or none; the server skips ids it already holds).

        Safe to send again after a dropped connection, because the server is idempotent by ``id``.
        """
        records = list(records)
        if ndjson:
            content = "".join(json.dumps(record, default=str) + "\n" for record in records).encode()
            return await self.call("POST", "/validations", content=content,
                                   headers={"Content-Type": "application/x-ndjson"}, idempotent=True)
        return await self.call("POST", "/validations", json=records, idempotent=True)

    # -- hypotheses and validators ----------------------------------------------------------------

    async def list_hypotheses(self, *, domain: str | None = None, status: str | None = None,
                              page: int | None = None, per_page: int | None = None) -> dict:
        """One page of hypotheses, newest first."""
        return await self.call("GET", "/hypotheses", params={"domain": domain, "status": status, "page": page,
                                                              "per_page": per_page})

    async def create_hypothesis(self, hypothesis: str, domain: str, *, internal_notes: str | None = None) -> dict:
        """A new draft hypothesis (201)."""
        body = drop_none({"hypothesis": hypothesis, "domain": domain, "internal_notes": internal_notes})
        return await self.call("POST", "/hypotheses", json=body)

    async def get_hypothesis(self, hypothesis_id: str) -> dict:
        """One hypothesis with its validations."""
        return await self.call("GET", f"/hypotheses/{segment(hypothesis_id)}")

    async def validate_stored_hypothesis(self, hypothesis_id: str, *, validator: str | None = None,
                                         evidence: dict | None = None) -> dict:
        """Run a validator on a stored hypothesis (POST /hypotheses/{id}/validate)."""
        body = drop_none({"validator": validator, "evidence": evidence})
        return await self.call("POST", f"/hypotheses/{segment(hypothesis_id)}/validate", json=body)

    async def list_validators(self) -> dict:
        """The validators the server can run."""
        return await self.call("GET", "/validators")

    # -- research -------------------------------------------------------------------------------------

    async def start_research(self, name: str, domain: str, hypotheses: list[str], *, validator: str | None = None,
                             evidence: dict | None = None) -> dict:
        """Start a research project (202): the envelope of the queued project, whose ``links.stream`` follows it."""
        body = drop_none({"name": name, "domain": domain, "hypotheses": list(hypotheses), "validator": validator,
                          "evidence": evidence})
        return await self.call("POST", "/research", json=body)

    async def get_research(self, research_id: str) -> dict:
        """A research project's status, progress and results."""
        return await self.call("GET", f"/research/{segment(research_id)}")

    async def list_research(self, *, page: int | None = None, per_page: int | None = None) -> dict:
        """One page of research projects, newest first."""
        return await self.call("GET", "/research", params={"page": page, "per_page": per_page})

    async def stream_research(self, research_id: str, *,
                              last_event_id: str | None = None) -> AsyncIterator[ServerSentEvent]:
        """The project's events as they come: one ``result`` per hypothesis, then ``end`` (data: the project).

        A connection that drops before ``end`` is opened again with ``Last-Event-ID``, so no result
        is missed or repeated; ``max_reconnects`` attempts in a row without an event, then
        ``HeliosConnectionError``.
        """
        state = StreamState(last_event_id)
        url = self.url(f"/research/{segment(research_id)}/stream")
        failures = 0
        while True:
            headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
            if state.last_event_id is not None:
                headers["Last-Event-ID"] = state.last_event_id
            try:
                async with self.client.stream("GET", url, headers=headers,
                                              timeout=httpx.Timeout(self.timeout, read=self.stream_read_timeout)
                                              ) as response:
                    if response.status_code >= 300:  # redirects too: never followed
                        await response.aread()
                        delay = self.retry.delay_after_response(response, failures)
                        if delay is None:
                            raise error_for(response)
                        failures += 1
                        await retries.pause(delay)
                        continue
                    async for event in parse_events(response.aiter_lines(), state):
                        failures = 0
                        yield event
                        if event.event == "end":
                            return
            except httpx.TransportError:
                pass  # dropped: reconnect below
            failures += 1
            if failures > self.max_reconnects:
                raise HeliosConnectionError(f"The research stream {research_id} broke {failures} times in a row "
                                            f"before its end (last event id {state.last_event_id}).")
            await retries.pause(state.retry_ms / 1000 if state.retry_ms is not None else self.retry.backoff)

    # -- exports --------------------------------------------------------------------------------------

    async def export(self, kind: str, config: dict | None = None, **options) -> bytes:
        """Any export (POST /export/{kind}) with a configuration body (format, sections, filters, ...): the bytes."""
        response = await self.request("POST", f"/export/{segment(kind)}", json={**(config or {}), **options})
        return response.content

    async def iter_export(self, kind: str, config: dict | None = None, **options) -> AsyncIterator[bytes]:
        """Any export as chunks as they arrive, for files too large to hold in memory."""
        async with self.client.stream("POST", self.url(f"/export/{segment(kind)}"),
                                      json={**(config or {}), **options}) as response:
            if response.status_code >= 300:  # redirects too: never followed
                await response.aread()
                raise error_for(response)
            async for chunk in response.aiter_bytes():
                yield chunk

    # -- pagination -----------------------------------------------------------------------------------

    async def paginate(self, path: str, params: dict | None = None) -> AsyncIterator[dict]:
        """Every item of a paginated list, page after page: ``Link: rel="next"``, else ``meta.pagination``."""
        base = drop_none(params or {})
        url, query = path, base
        while True:
            response = await self.request("GET", url, params=query)
            envelope = response.json()
            items = envelope.get("data") or []
            for item in items:
                yield item
            following = self._same_origin_link(response.links.get("next", {}).get("url"))
            paging = (envelope.get("meta") or {}).get("pagination") or {}
            if following:
                url, query = following, None
            elif items and paging.get("page", 0) < paging.get("pages", 0):
                url, query = path, {**base, "page": paging["page"] + 1}
            else:
                return

    def iter_domains(self, **view) -> AsyncIterator[dict]:
        """Every domain of the view."""
        return self.paginate("/domains", view)

    def iter_algorithms(self, **view) -> AsyncIterator[dict]:
        """Every algorithm of the view."""
        return self.paginate("/algorithms", view)

    def iter_leaderboard(self, domain: str | None = None, **view) -> AsyncIterator[dict]:
        """Every row of the leaderboard (of one domain when ``domain`` is given)."""
        if domain is None:
            return self.paginate("/leaderboard", view)
        return self.paginate(f"/leaderboard/{segment(domain)}", view)

    def iter_validations(self, **view) -> AsyncIterator[dict]:
        """Every validation record of the view, newest first."""
        return self.paginate("/validations", view)

    def iter_hypotheses(self, **filters) -> AsyncIterator[dict]:
        """Every hypothesis (``domain``, ``status``), newest first."""
        return self.paginate("/hypotheses", filters)

    def iter_research(self, **params) -> AsyncIterator[dict]:
        """Every research project, newest first."""
        return self.paginate("/research", params)

    # -- the transport -------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """``path`` under ``/api/v1`` of the base URL (an absolute URL stays as it is)."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}{API_PREFIX}{path}"

    async def call(self, method: str, path: str, **kwargs) -> dict:
        """``request`` and the decoded envelope."""
        return (await self.request(method, path, **kwargs)).json()

    async def request(self, method: str, path: str, *, params: dict | None = None, json=None,
                      content: bytes | None = None, headers: dict | None = None,
                      idempotent: bool | None = None) -> httpx.Response:
        """One API call with the retry policy; an error answer raises its typed exception."""
        method = method.upper()
        may_resend = idempotent if idempotent is not None else method in retries.IDEMPOTENT
        attempt = 0
        while True:
            try:
                response = await self.client.request(method, self.url(path), params=query_params(params), json=json,
                                                     content=content, headers=headers)
            except httpx.TransportError as error:
                delay = self.retry.delay_after_failure(may_resend, attempt)
                if delay is None:
                    raise HeliosConnectionError(f"{method} {path}: {error.__class__.__name__}: {error}") from error
            else:
                if response.status_code < 300 or response.status_code == 304:
                    return response
                delay = self.retry.delay_after_response(response, attempt)
                if delay is None:
                    raise error_for(response)
            attempt += 1
            await retries.pause(delay)

    def _same_origin_link(self, link: str | None) -> str | None:
        """A ``Link`` target on this client's server; another origin never receives the key."""
        if not link:
            return None
        target, own = urlsplit(link), urlsplit(self.base_url)
        return link if (target.scheme, target.netloc) == (own.scheme, own.netloc) else None


def drop_none(values: dict) -> dict:
    return {key: value for key, value in values.items() if value is not None}


def query_params(params: dict | None) -> dict | None:
    """Query parameters without the unset ones; dates as ISO 8601, lists repeated (``domain=a&domain=b``)."""
    if not params:
        return None
    cleaned = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple, set)):
            value = [item.isoformat() if isinstance(item, (date, datetime)) else item for item in value]
        elif isinstance(value, (date, datetime)):
            value = value.isoformat()
        cleaned[key] = value
    return cleaned or None


def segment(value: str) -> str:
    """A path segment with ``/``, ``?``, ``#`` and ``%`` escaped, so an id cannot reach another endpoint."""
    return quote(str(value), safe="")
