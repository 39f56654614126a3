"""helios_dash.client on httpx.MockTransport: headers, error mapping, retries, pagination, SSE and resumption.

Coroutines run under asyncio.run (no pytest plugin); waits go through ``retries.pause``,
which these tests replace with a recorder, so nothing here sleeps or times itself.
"""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from helios_dash.client import (AuthenticationError, ConflictError, HeliosClient, HeliosConnectionError, HeliosError,
                                NotFoundError, PermissionDeniedError, RateLimitError, ServerError, ValidationError)
from helios_dash.client import retries
from helios_dash.client.errors import retry_after_seconds
from helios_dash.client.sse import StreamState, parse_events

BASE = "http://helios.test"


def envelope(data, **meta) -> dict:
    return {"status": "success", "data": data, "meta": {"request_id": "req_1", "version": "1.0", **meta}}


def failure(status: int, code: str, message: str = "refused", details=None, headers=None) -> httpx.Response:
    body = {"status": "error", "error": {"code": code, "message": message, "details": details or []}}
    return httpx.Response(status, json=body, headers={"X-Request-Id": "req_abc", **(headers or {})})


def client_with(handler, **options) -> HeliosClient:
    return HeliosClient(options.pop("key", "hlp_test"), base_url=BASE, transport=httpx.MockTransport(handler),
                        **options)


def run(coroutine_function):
    """Run ``coroutine_function()`` to the end under a fresh event loop."""
    return asyncio.run(coroutine_function())


@pytest.fixture
def pauses(monkeypatch):
    """The waits the client asked for, in order (none actually waited)."""
    asked = []

    async def record(seconds):
        asked.append(seconds)

    monkeypatch.setattr(retries, "pause", record)
    return asked


# -- credentials and the guide's three methods ------------------------------------------------------

@pytest.mark.parametrize("key, header, value", [
    ("hlp_abcdef", "Authorization", "Bearer hlp_abcdef"),
    ("hlk_abcdef", "X-API-Key", "hlk_abcdef"),
    ("api_key_xxx", "Authorization", "Bearer api_key_xxx"),  # the guide's placeholder: as the guide sends it
])
def test_key_sent_as_the_guard_reads_it(key, header, value):
    seen = []

    def handler(request):
        seen.append(request.headers)
        return httpx.Response(200, json=envelope([]))

    async def go():
        async with client_with(handler, key=key) as client:
            await client.list_validators()

    run(go)
    assert seen[0][header] == value
    other = "X-API-Key" if header == "Authorization" else "Authorization"
    assert other not in seen[0]


def test_validate_hypothesis_posts_the_guides_body_and_returns_the_envelope():
    seen = []
    answer = envelope({"id": "h1", "status": "validated"})

    def handler(request):
        seen.append((request.method, request.url.path, json.loads(request.content)))
        return httpx.Response(201, json=answer)

    async def go():
        async with client_with(handler) as client:
            return await client.validate_hypothesis("Warm-started VQE improves convergence", "quantum")

    assert run(go) == answer
    assert seen == [("POST", "/api/v1/hypotheses/validate",
                     {"hypothesis": "Warm-started VQE improves convergence", "domain": "quantum"})]


def test_leaderboard_and_export_results_as_in_the_guide():
    seen = []

    def handler(request):
        seen.append((request.method, request.url.path, request.url.query.decode(), request.content))
        if request.url.path.startswith("/api/v1/export/"):
            return httpx.Response(200, content=b"rank,name\n1,x\n", headers={"Content-Type": "text/csv"})
        return httpx.Response(200, json=envelope([{"rank": 1}]))

    async def go():
        async with client_with(handler) as client:
            board = await client.get_leaderboard("quantum")
            everything = await client.get_leaderboard()
            csv = await client.export_results()
            return board, everything, csv

    board, everything, csv = run(go)
    assert board["data"] == [{"rank": 1}] and everything["status"] == "success"
    assert csv == b"rank,name\n1,x\n"
    assert seen[0][:3] == ("GET", "/api/v1/leaderboard", "domain=quantum")
    assert seen[1][:3] == ("GET", "/api/v1/leaderboard", "")
    assert seen[2][:2] == ("POST", "/api/v1/export/algorithms") and json.loads(seen[2][3]) == {"format": "csv"}


def test_every_endpoint_reaches_its_path():
    seen = []

    def handler(request):
        seen.append(f"{request.method} {request.url.raw_path.decode().partition('?')[0]}")  # as sent, escapes kept
        status = 202 if request.url.path == "/api/v1/research" and request.method == "POST" else 200
        return httpx.Response(status, json=envelope({}))

    async def go():
        async with client_with(handler) as client:
            await client.list_domains()
            await client.get_domain("quantum")
            await client.list_algorithms(sort="quality:desc")
            await client.get_algorithm("alg/1?x")  # escaped: cannot reach another endpoint
            await client.get_domain_leaderboard("quantum")
            await client.list_validations()
            await client.ingest_validations([{"id": "v1"}])
            await client.list_hypotheses(status="validated")
            await client.create_hypothesis("text", "quantum")
            await client.get_hypothesis("h1")
            await client.validate_stored_hypothesis("h1", validator="demo")
            await client.list_validators()
            await client.start_research("r", "quantum", ["a", "b"])
            await client.get_research("r1")
            await client.list_research()
            await client.export("leaderboard", {"format": "json"})

    run(go)
    assert seen == ["GET /api/v1/domains", "GET /api/v1/domains/quantum", "GET /api/v1/algorithms",
                    "GET /api/v1/algorithms/alg%2F1%3Fx", "GET /api/v1/leaderboard/quantum",
                    "GET /api/v1/validations", "POST /api/v1/validations", "GET /api/v1/hypotheses",
                    "POST /api/v1/hypotheses", "GET /api/v1/hypotheses/h1", "POST /api/v1/hypotheses/h1/validate",
                    "GET /api/v1/validators", "POST /api/v1/research", "GET /api/v1/research/r1",
                    "GET /api/v1/research", "POST /api/v1/export/leaderboard"]


def test_iter_export_yields_the_file_in_chunks_and_raises_typed_errors():
    content = b"algorithm_id,name\n" + b"a,b\n" * 50_000

    def handler(request):
        if json.loads(request.content) == {"format": "csv", "sections": ["table"]}:
            return httpx.Response(200, stream=DroppingStream([content[:1000], content[1000:]], None))
        return failure(404, "NOT_FOUND", "No export called 'nope'.")

    async def go():
        async with client_with(handler) as client:
            chunks = [chunk async for chunk in client.iter_export("algorithms", {"format": "csv"}, sections=["table"])]
            with pytest.raises(NotFoundError):
                async for _ in client.iter_export("nope"):
                    pass
            return chunks

    chunks = run(go)
    assert b"".join(chunks) == content


def test_view_parameters_repeat_lists_drop_none_and_write_dates():
    seen = []

    def handler(request):
        seen.append(parse_qs(request.url.query.decode()))
        return httpx.Response(200, json=envelope([]))

    async def go():
        async with client_with(handler) as client:
            await client.list_algorithms(domain=["quantum", "nlp"], type=None, start=datetime(2026, 1, 2).date(),
                                         per_page=5)

    run(go)
    assert seen == [{"domain": ["quantum", "nlp"], "start": ["2026-01-02"], "per_page": ["5"]}]


def test_ndjson_ingestion_sends_one_record_a_line():
    seen = []

    def handler(request):
        seen.append((request.headers["Content-Type"], request.content))
        return httpx.Response(201, json=envelope({"inserted": 2}))

    async def go():
        async with client_with(handler) as client:
            return await client.ingest_validations([{"id": "a"}, {"id": "b"}], ndjson=True)

    assert run(go)["data"] == {"inserted": 2}
    assert seen == [("application/x-ndjson", b'{"id": "a"}\n{"id": "b"}\n')]


# -- errors ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("status, code, kind", [
    (400, "VALIDATION_ERROR", ValidationError), (422, "VALIDATION_ERROR", ValidationError),
    (401, "UNAUTHENTICATED", AuthenticationError), (403, "FORBIDDEN", PermissionDeniedError),
    (404, "NOT_FOUND", NotFoundError), (409, "CONFLICT", ConflictError), (429, "RATE_LIMITED", RateLimitError),
    (500, "INTERNAL_ERROR", ServerError), (503, "QUERY_TIMEOUT", ServerError),
    (415, "UNSUPPORTED_MEDIA_TYPE", HeliosError),
])
def test_error_envelope_becomes_a_typed_exception(status, code, kind, pauses):
    details = [{"field": "hypothesis", "message": "Cannot be empty"}]

    def handler(request):
        return failure(status, code, "It was refused.", details)

    async def go():
        async with client_with(handler, max_retries=0) as client:
            await client.create_hypothesis("", "quantum")

    with pytest.raises(kind) as caught:
        run(go)
    error = caught.value
    assert type(error) is kind and isinstance(error, HeliosError)
    assert (error.code, error.message, error.details, error.status, error.request_id) == (
        code, "It was refused.", details, status, "req_abc")
    assert "req_abc" in str(error) and code in str(error)


def test_a_body_that_is_not_the_envelope_still_maps_by_status():
    def handler(request):
        return httpx.Response(502, text="<html>Bad gateway</html>")

    async def go():
        async with client_with(handler) as client:
            await client.create_hypothesis("x", "quantum")

    with pytest.raises(ServerError) as caught:
        run(go)
    assert caught.value.code == "HTTP_502" and caught.value.status == 502 and "Bad gateway" in caught.value.message


def test_a_redirect_is_not_followed_with_the_key():
    hosts = []

    def handler(request):
        hosts.append(request.url.host)
        return httpx.Response(301, headers={"Location": "https://elsewhere.test/api/v1/domains"})

    async def go():
        async with client_with(handler, key="hlk_secret") as client:
            await client.list_domains()

    with pytest.raises(HeliosError) as caught:
        run(go)
    assert hosts == ["helios.test"] and caught.value.status == 301
    assert "https://elsewhere.test/api/v1/domains" in caught.value.message


# -- retries --------------------------------------------------------------------------------------------

def counting(responses):
    """A handler answering ``responses`` in turn, and the list of requests it received."""
    received = []

    def handler(request):
        received.append(request)
        answer = responses[len(received) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, received


def test_429_is_retried_after_the_retry_after_the_server_names(pauses):
    limited = failure(429, "RATE_LIMITED", headers={"Retry-After": "7"})
    handler, received = counting([limited, limited, httpx.Response(201, json=envelope({"id": "h"}))])

    async def go():
        async with client_with(handler, max_retries=3) as client:
            return await client.validate_hypothesis("x", "quantum")  # a POST: refused before any work, so resent

    assert run(go)["data"] == {"id": "h"}
    assert len(received) == 3 and pauses == [7.0, 7.0]


def test_429_past_max_retries_raises_with_retry_after(pauses):
    limited = failure(429, "RATE_LIMITED", headers={"Retry-After": "2"})
    handler, received = counting([limited] * 10)

    async def go():
        async with client_with(handler, max_retries=2) as client:
            await client.list_domains()

    with pytest.raises(RateLimitError) as caught:
        run(go)
    assert caught.value.retry_after == 2.0
    assert len(received) == 3 and pauses == [2.0, 2.0]  # one attempt and two retries


def test_a_wait_longer_than_the_cap_is_not_waited(pauses):
    handler, received = counting([failure(429, "RATE_LIMITED", headers={"Retry-After": "3600"})] * 3)

    async def go():
        async with client_with(handler, max_retry_wait=60) as client:
            await client.list_domains()

    with pytest.raises(RateLimitError) as caught:
        run(go)
    assert caught.value.retry_after == 3600.0 and len(received) == 1 and pauses == []


def test_429_without_retry_after_backs_off_exponentially(pauses):
    handler, received = counting([failure(429, "RATE_LIMITED")] * 3 + [httpx.Response(200, json=envelope([]))])

    async def go():
        async with client_with(handler, max_retries=3) as client:
            return await client.list_domains()

    assert run(go)["status"] == "success" and pauses == [1.0, 2.0, 4.0]


def test_retry_after_as_an_http_date():
    response = httpx.Response(429, headers={"Retry-After": "Wed, 02 Dec 2026 00:00:30 GMT"})
    assert retry_after_seconds(response, now=datetime(2026, 12, 2, 0, 0, 0, tzinfo=timezone.utc)) == 30.0
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "soon"})) is None


def test_busy_503_with_retry_after_is_retried_even_for_a_post(pauses):
    busy = failure(503, "BUSY", headers={"Retry-After": "5"})
    handler, received = counting([busy, httpx.Response(200, content=b"%PDF-")])

    async def go():
        async with client_with(handler) as client:
            return await client.export("report", {"format": "pdf"})

    assert run(go) == b"%PDF-" and len(received) == 2 and pauses == [5.0]


def test_503_retry_can_be_turned_off(pauses):
    handler, received = counting([failure(503, "BUSY", headers={"Retry-After": "5"})] * 2)

    async def go():
        async with client_with(handler, retry_busy=False) as client:
            await client.export("report", {"format": "pdf"})

    with pytest.raises(ServerError) as caught:
        run(go)
    assert caught.value.retry_after == 5.0 and len(received) == 1 and pauses == []


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_post_is_never_resent_on_a_server_error(status, pauses):
    handler, received = counting([failure(status, "INTERNAL_ERROR")] * 3)

    async def go():
        async with client_with(handler) as client:
            await client.validate_hypothesis("x", "quantum")

    with pytest.raises(ServerError):
        run(go)
    assert len(received) == 1 and pauses == []


def test_a_post_is_never_resent_after_a_dropped_connection(pauses):
    handler, received = counting([httpx.ReadError("connection reset")] * 3)

    async def go():
        async with client_with(handler) as client:
            await client.validate_hypothesis("x", "quantum")

    with pytest.raises(HeliosConnectionError):
        run(go)
    assert len(received) == 1 and pauses == []


def test_a_get_and_an_idempotent_ingestion_are_resent_after_a_dropped_connection(pauses):
    for call in ("list_domains", "ingest_validations"):
        pauses.clear()
        handler, received = counting([httpx.ConnectError("refused"), httpx.ReadError("reset"),
                                      httpx.Response(200, json=envelope([]))])

        async def go():
            async with client_with(handler) as client:
                method = getattr(client, call)
                return await (method([{"id": "v"}]) if call == "ingest_validations" else method())

        assert run(go)["status"] == "success"
        assert len(received) == 3 and pauses == [1.0, 2.0], call


# -- pagination -----------------------------------------------------------------------------------------

ITEMS = [{"id": f"item-{n}"} for n in range(1, 8)]  # 7 items, 3 a page: pages of 3, 3, 1


def paged(link_base: str | None):
    """A list endpoint over ITEMS; ``link_base``: the origin its Link headers point to (None: no Link header)."""
    requested = []

    def handler(request):
        query = parse_qs(request.url.query.decode())
        requested.append(query)
        page, size = int(query.get("page", ["1"])[0]), 3
        pages = -(-len(ITEMS) // size)
        headers = {}
        if link_base and page < pages:
            kept = "&".join(f"{k}={v}" for k, values in query.items() if k != "page" for v in values)
            headers["Link"] = (f'<{link_base}{request.url.path}?{kept}&page=1>; rel="first", '
                               f'<{link_base}{request.url.path}?{kept}&page={page + 1}>; rel="next"')
        body = envelope(ITEMS[(page - 1) * size: page * size],
                        pagination={"page": page, "per_page": size, "total": len(ITEMS), "pages": pages})
        return httpx.Response(200, json=body, headers=headers)

    return handler, requested


@pytest.mark.parametrize("link_base", [BASE, None, "http://elsewhere.test"])
def test_pagination_walks_every_page(link_base):
    handler, requested = paged(link_base)

    async def go():
        async with client_with(handler) as client:
            return [item async for item in client.iter_algorithms(domain="quantum", per_page=3)]

    assert run(go) == ITEMS
    assert len(requested) == 3
    assert [query.get("page", ["1"])[0] for query in requested] == ["1", "2", "3"]
    assert all(query["domain"] == ["quantum"] and query["per_page"] == ["3"] for query in requested)


def test_a_link_to_another_origin_never_receives_the_key():
    hosts = []
    handler, _ = paged("http://elsewhere.test")

    def watching(request):
        hosts.append(request.url.host)
        return handler(request)

    async def go():
        async with client_with(watching) as client:
            return [item async for item in client.iter_leaderboard("quantum")]

    assert run(go) == ITEMS and set(hosts) == {"helios.test"}


def test_an_empty_list_is_one_request():
    handler, received = counting([httpx.Response(200, json=envelope(
        [], pagination={"page": 1, "per_page": 50, "total": 0, "pages": 1}))])

    async def go():
        async with client_with(handler) as client:
            return [item async for item in client.iter_hypotheses()]

    assert run(go) == [] and len(received) == 1


# -- server-sent events ----------------------------------------------------------------------------------

async def lines_of(text: str):
    for line in text.split("\n"):
        yield line


def test_sse_parser_reads_fields_comments_and_multiline_data():
    text = (": heartbeat\n\n"
            "id: 1\nevent: result\ndata: {\"index\": 1}\n\n"
            "data: first line\ndata:second line\n\n"          # no space after the colon is allowed too
            "id: 7\n\n"                                        # no data: nothing dispatched, but the id counts
            "retry: 2500\nevent: end\ndata: {\"status\": \"completed\"}\n\n"
            "event: result\ndata: cut off")                   # no blank line after it: discarded

    async def go():
        state = StreamState()
        return [event async for event in parse_events(lines_of(text), state)], state

    events, state = run(go)
    assert [(e.event, e.data, e.id) for e in events] == [
        ("result", {"index": 1}, "1"), ("message", "first line\nsecond line", "1"),
        ("end", {"status": "completed"}, "7")]
    assert state.last_event_id == "7" and state.retry_ms == 2500


class DroppingStream(httpx.AsyncByteStream):
    """A body that sends ``chunks`` and then breaks, as a dropped connection does."""

    def __init__(self, chunks: list[bytes], error: Exception | None):
        self.chunks, self.error = chunks, error

    async def __aiter__(self):
        for chunk in self.chunks:
            yield chunk
        if self.error:
            raise self.error


def result_event(n: int) -> bytes:
    return f"id: {n}\nevent: result\ndata: {json.dumps({'index': n})}\n\n".encode()


END = b'event: end\ndata: {"id": "r1", "status": "completed"}\n\n'


def sse_server(connections):
    """A /stream endpoint answering each connection with the next (chunks, error); records Last-Event-ID."""
    resumed_from = []

    def handler(request):
        assert request.url.path == "/api/v1/research/r1/stream"
        assert request.headers["Accept"] == "text/event-stream"
        resumed_from.append(request.headers.get("Last-Event-ID"))
        chunks, error = connections[len(resumed_from) - 1]
        return httpx.Response(200, headers={"Content-Type": "text/event-stream"},
                              stream=DroppingStream(chunks, error))

    return handler, resumed_from


def test_stream_resumes_with_last_event_id_after_a_drop(pauses):
    handler, resumed_from = sse_server([
        ([b": heartbeat\n\n", result_event(1), result_event(2)[:10]], None),  # event 2 cut off: closed early
        ([result_event(2), b"id: 3\nevent: res"], httpx.RemoteProtocolError("peer closed")),
        ([result_event(4), END], None),
    ])

    async def go():
        async with client_with(handler) as client:
            return [event async for event in client.stream_research("r1")]

    events = run(go)
    assert [(e.event, e.id) for e in events] == [("result", "1"), ("result", "2"), ("result", "4"), ("end", "4")]
    assert [e.data for e in events[:3]] == [{"index": 1}, {"index": 2}, {"index": 4}]
    assert events[-1].data == {"id": "r1", "status": "completed"}
    # Resumed after the last complete event each time (a half-received event's id never counts).
    assert resumed_from == [None, "1", "2"] and pauses == [1.0, 1.0]


def test_stream_starts_from_a_given_event_id_and_honours_retry(pauses):
    handler, resumed_from = sse_server([([b"retry: 250\n\n"], None), ([result_event(6), END], None)])

    async def go():
        async with client_with(handler) as client:
            return [event.id async for event in client.stream_research("r1", last_event_id="5")]

    assert run(go) == ["6", "6"]  # the end event carries the last id seen
    assert resumed_from == ["5", "5"] and pauses == [0.25]  # closed without an end: reconnected after retry ms


def test_stream_gives_up_after_max_reconnects_without_progress(pauses):
    handler, resumed_from = sse_server([([b": heartbeat\n\n"], httpx.ReadError("reset"))] * 10)

    async def go():
        async with client_with(handler, max_reconnects=3) as client:
            return [event async for event in client.stream_research("r1")]

    with pytest.raises(HeliosConnectionError):
        run(go)
    assert len(resumed_from) == 4 and len(pauses) == 3


def test_stream_of_an_unknown_project_raises_not_found(pauses):
    def handler(request):
        return failure(404, "NOT_FOUND", "No research project 'r1'.")

    async def go():
        async with client_with(handler) as client:
            return [event async for event in client.stream_research("r1")]

    with pytest.raises(NotFoundError):
        run(go)
    assert pauses == []
