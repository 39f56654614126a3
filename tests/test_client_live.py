"""HeliosClient against a real demo server (gunicorn, app:server) on 127.0.0.1, on DuckDB and on PostgreSQL.

The server has a store of its own (a throwaway DuckDB file or PostgreSQL database), seeded
with demo data and given tokens before it starts (the DuckDB file admits one process). The
guide's example runs verbatim, with only ``base_url`` and the key changed.
"""
from __future__ import annotations

import asyncio
import csv
import io
import uuid
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from helios_dash.client import (AuthenticationError, HeliosClient, NotFoundError, PermissionDeniedError,
                                RateLimitError, ValidationError, retries)
from helios_dash.demo import seed_demo
from helios_dash.runtime import create_runtime
from helios_dash.schema import validations
from helios_dash.settings import Settings
from tests.auth import token_for
from tests.databases import DATABASES, database_url
from tests.servers import serving

SEEDED = 3000  # demo validations: a few pages of every list, seeded in seconds
EXPORTS_PER_MINUTE = 5  # per token: the sixth export in a minute is the server's real 429


@dataclass
class LiveServer:
    url: str
    tokens: dict[str, str]  # "editor" (read write export), "viewer" (read export), "service" (an editor's hlk_ key),
    # "limited" (a viewer's, spent by the rate-limit test)
    validations_by_domain: dict[str, int]  # counted in SQL before the server started


@pytest.fixture(scope="module", params=DATABASES)
def live(request, tmp_path_factory):
    """A demo server on a store of its own, with an editor's and a viewer's token."""
    folder = tmp_path_factory.mktemp(f"client-live-{request.param}")
    with database_url(request.param, folder) as url:
        env = {"HELIOS_DATABASE_URL": url, "HELIOS_DEMO_DATA": "1", "HELIOS_DEMO_VALIDATIONS": str(SEEDED),
               "HELIOS_SECRET_KEY": uuid.uuid4().hex, "HELIOS_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
               "HELIOS_RATE_LIMIT_EXPORTS": f"{EXPORTS_PER_MINUTE} per minute"}
        runtime = create_runtime(Settings.from_env(env))
        try:
            seed_demo(runtime.store, validations=SEEDED)
            tokens = {"editor": token_for(runtime.store, "editor", ("read", "write", "export")),
                      "viewer": token_for(runtime.store, "viewer", ("read", "export")),
                      "service": token_for(runtime.store, "editor", ("read",), kind="service"),
                      "limited": token_for(runtime.store, "viewer", ("read", "export"))}  # only the 429 test
            counted = runtime.store.rows(sa.select(validations.c.domain_id, sa.func.count().label("n"))
                                         .group_by(validations.c.domain_id))
        finally:
            runtime.close()  # before serving: the server opens the DuckDB file itself
        with serving(env, workers=1, threads=4, folder=folder) as server:
            yield LiveServer(server.url, tokens, {row["domain_id"]: row["n"] for row in counted})


def run(coroutine_function):
    return asyncio.run(coroutine_function())


def test_the_guides_example_verbatim(live):
    server_url, real_token = live.url, live.tokens["editor"]

    async def guide():
        # ---- the guide's "Complete API Integration Example", usage lines; only the key and base_url differ
        client = HeliosClient(real_token, base_url=server_url)
        result = await client.validate_hypothesis(
            "Warm-started VQE improves convergence",
            "quantum"
        )
        # ---- end of the guide's lines
        stored = await client.get_hypothesis(result["data"]["id"])
        await client.aclose()
        return result, stored

    result, stored = run(guide)
    assert result["status"] == "success"
    assert set(result["meta"]) >= {"timestamp", "request_id", "version"}
    data = result["data"]
    assert (data["hypothesis"], data["domain"], data["status"], data["validator"]) == (
        "Warm-started VQE improves convergence", "quantum", "validated", "demo")
    assert data["result"]["simulated"] is True and 0 <= data["result"]["quality"] <= 100
    assert stored["data"]["id"] == data["id"] and stored["data"]["status"] == "validated"
    assert len(stored["data"]["validations"]) == 1


def test_leaderboard_as_in_the_guide(live):
    async def go():
        async with HeliosClient(live.tokens["viewer"], base_url=live.url) as client:
            return await client.get_leaderboard(), await client.get_leaderboard("quantum")

    everything, quantum = run(go)
    assert everything["status"] == "success" and quantum["status"] == "success"
    ranks = [row["rank"] for row in everything["data"]]
    assert ranks and ranks == sorted(ranks) and ranks[0] == 1  # the default order: by rank
    assert quantum["data"] and {row["domain_id"] for row in quantum["data"]} == {"quantum"}
    assert quantum["meta"]["pagination"]["total"] < everything["meta"]["pagination"]["total"]


def test_export_results_is_a_csv_with_one_row_per_algorithm(live):
    async def go():
        async with HeliosClient(live.tokens["viewer"], base_url=live.url) as client:
            exported = await client.export_results()
            algorithms = [item async for item in client.iter_algorithms(per_page=200)]
            return exported, algorithms

    exported, algorithms = run(go)
    assert isinstance(exported, bytes)
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    header, body = rows[0], [row for row in rows[1:] if row]
    assert header and all(cell.strip() for cell in header)
    assert any("name" in cell.lower() or "algorithm" in cell.lower() for cell in header), header
    assert len(body) == len(algorithms)


def test_a_paginated_walk_reads_every_record_once(live):
    # A domain of a few hundred records (not quantum, which this module's hypotheses add to): several pages of 50.
    domain = min((d for d, n in live.validations_by_domain.items() if d != "quantum" and n > 120),
                 key=lambda d: live.validations_by_domain[d])
    expected = live.validations_by_domain[domain]

    async def go():
        async with HeliosClient(live.tokens["viewer"], base_url=live.url) as client:
            walked = [item async for item in client.iter_validations(domain=domain, per_page=50)]
            first = await client.list_validations(domain=domain, per_page=50)
            return walked, first

    walked, first = run(go)
    ids = [item["id"] for item in walked]
    assert len(ids) == expected == first["meta"]["pagination"]["total"]  # the count from SQL, before serving
    assert len(set(ids)) == expected and {item["domain_id"] for item in walked} == {domain}
    assert first["meta"]["pagination"]["pages"] == -(-expected // 50) > 2


def test_errors_arrive_typed(live):
    async def go():
        caught = {}
        async with HeliosClient(live.tokens["viewer"], base_url=live.url) as viewer:
            for name, call in (("missing", viewer.get_algorithm("no-such-algorithm")),
                               ("write", viewer.validate_hypothesis("Viewers cannot write", "quantum"))):
                try:
                    await call
                except Exception as error:  # noqa: BLE001 - the type is what is asserted
                    caught[name] = error
        async with HeliosClient(live.tokens["editor"], base_url=live.url) as editor:
            try:
                await editor.validate_hypothesis("", "quantum")
            except Exception as error:  # noqa: BLE001
                caught["empty"] = error
        async with HeliosClient("hlp_" + "x" * 40, base_url=live.url) as stranger:
            try:
                await stranger.list_domains()
            except Exception as error:  # noqa: BLE001
                caught["stranger"] = error
        return caught

    caught = run(go)
    assert isinstance(caught["missing"], NotFoundError) and caught["missing"].status == 404
    assert caught["missing"].code == "NOT_FOUND" and caught["missing"].details == [
        {"field": "id", "message": "unknown algorithm"}]
    assert isinstance(caught["write"], PermissionDeniedError) and caught["write"].status == 403
    assert isinstance(caught["empty"], ValidationError) and caught["empty"].code == "VALIDATION_ERROR"
    assert caught["empty"].details == [{"field": "hypothesis", "message": "Cannot be empty"}]
    assert isinstance(caught["stranger"], AuthenticationError) and caught["stranger"].status == 401
    for error in caught.values():  # the id the envelope quotes, from the X-Request-Id header
        assert error.request_id and error.request_id == error.response.json()["meta"]["request_id"]


def test_the_servers_429_is_retried_after_its_retry_after_then_raised(live, monkeypatch):
    waits = []

    async def record(seconds):  # the wait is recorded, not slept: the window stays full
        waits.append(seconds)

    monkeypatch.setattr(retries, "pause", record)

    async def go():
        async with HeliosClient(live.tokens["limited"], base_url=live.url, max_retries=2) as client:
            for _ in range(EXPORTS_PER_MINUTE):
                assert await client.export_results()  # within the limit: the CSV
            assert waits == []
            with pytest.raises(RateLimitError) as caught:
                await client.export_results()
            return caught.value

    error = run(go)
    # A one-minute moving window: the server names at most 61 s (its whole seconds, rounded up).
    assert error.status == 429 and error.code == "RATE_LIMITED" and 1 <= error.retry_after <= 61
    assert len(waits) == 2 and all(1 <= wait <= 61 for wait in waits)  # two retries, each after Retry-After


def test_a_service_key_goes_in_x_api_key(live):
    async def go():
        async with HeliosClient(live.tokens["service"], base_url=live.url) as client:
            return await client.list_validators()

    listed = run(go)
    assert live.tokens["service"].startswith("hlk_")
    assert {"benchmark", "demo"} <= {validator["name"] for validator in listed["data"]}


def test_research_is_started_and_streamed_to_its_end(live):
    texts = ["Warm restarts help QAOA", "Layerwise training avoids barren plateaus"]

    async def go():
        async with HeliosClient(live.tokens["editor"], base_url=live.url) as client:
            try:
                started = await client.start_research("client live test", "quantum", texts, validator="demo")
            except NotFoundError as error:
                if "No API endpoint" in error.message:
                    pytest.skip("POST /api/v1/research is not served yet (the research helper's work)")
                raise
            events = [event async for event in client.stream_research(started["data"]["id"])]
            # Resuming after the first result gives exactly the rest.
            resumed = [event async for event in client.stream_research(started["data"]["id"], last_event_id="1")]
            final = await client.get_research(started["data"]["id"])
            return started, events, resumed, final

    started, events, resumed, final = run(go)
    assert started["data"]["status"] in ("queued", "running", "completed")
    results = [event for event in events if event.event == "result"]
    assert [event.data["index"] for event in results] == [1, 2] and [event.id for event in results] == ["1", "2"]
    assert [event.data["hypothesis"] for event in results] == texts
    assert events[-1].event == "end" and events[-1].data["status"] == "completed"
    assert [event.data["index"] for event in resumed if event.event == "result"] == [2]
    assert final["data"]["progress"] == {"done": 2, "total": 2, "percent": 100.0}
