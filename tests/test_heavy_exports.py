"""Heavy exports (PDF, XLSX, every record) are bounded per process; light work never waits for them."""
from __future__ import annotations

import threading

import pytest

from helios_dash.errors import Busy
from helios_dash.jobs import GATE_KEY
from helios_dash.jobs.heavy import HeavyWorkGate


def test_a_full_gate_refuses_at_once_and_admits_the_waiting_job_on_release():
    gate = HeavyWorkGate(slots=1, queue=1, max_wait=30)
    first = gate.enter()
    admitted = threading.Event()

    def wait_for_a_slot():
        with gate.enter():
            admitted.set()

    waiter = threading.Thread(target=wait_for_a_slot)
    waiter.start()
    while gate._waiting == 0:  # the second job is queued
        threading.Event().wait(0.01)
    with pytest.raises(Busy) as refused:
        gate.enter()  # one running, one waiting: the third is refused, not queued
    assert refused.value.retry_after >= 1 and "retry in" in refused.value.message
    assert not admitted.is_set()
    first.release()
    waiter.join(10)
    assert admitted.is_set() and gate.running == 0


def test_a_wait_past_max_wait_is_refused():
    gate = HeavyWorkGate(slots=1, queue=1, max_wait=0.05)
    with gate.enter():
        with pytest.raises(Busy):
            gate.enter()
    assert gate.running == 0


def test_retry_after_is_the_work_ahead_spread_over_the_slots():
    gate = HeavyWorkGate(slots=2, queue=4)
    gate._durations.extend([4.0, 6.0, 100.0])  # median 6 s
    held = [gate.enter(), gate.enter()]
    assert gate.retry_after() == 6  # 2 ahead x 6 s / 2 slots
    for one in held:
        one.release()
        one.release()  # idempotent: a slot is never given back twice
    assert gate.running == 0


@pytest.fixture
def tight_gate(dash_app, monkeypatch):
    """The app's gate replaced by one slot and no queue, so one held pass makes it full."""
    gate = HeavyWorkGate(slots=1, queue=0)
    monkeypatch.setitem(dash_app.server.extensions, GATE_KEY, gate)
    return gate


def test_api_answers_503_with_retry_after_when_heavy_exports_are_full(dash_app, tight_gate):
    client = dash_app.server.test_client()
    with tight_gate.enter():
        response = client.post("/api/v1/export/report", json={"format": "pdf"})
        light = client.post("/api/v1/export/leaderboard", json={"format": "json"})
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "BUSY" and "retry in" in error["message"]
    assert int(response.headers["Retry-After"]) == error["details"][0]["retry_after"] >= 1
    assert light.status_code == 200  # JSON is light work: never queued behind reports


def test_a_streamed_record_export_holds_its_slot_until_closed(dash_app, tight_gate):
    client = dash_app.server.test_client()
    body = {"format": "csv", "include": ["validations"], "filters": {"domain": "quantum"}}
    response = client.post("/api/v1/export/report", json=body, buffered=False)
    assert response.status_code == 200 and tight_gate.running == 1
    response.close()  # the client left before reading a byte
    assert tight_gate.running == 0
    complete = client.post("/api/v1/export/report", json=body)
    assert complete.get_data().startswith(b"id,") and tight_gate.running == 0


def test_download_menu_says_when_to_retry(dash_app, tight_gate):
    from helios_dash.pages._downloads import export_page

    with dash_app.server.test_request_context(), tight_gate.enter():
        data, message = export_page("leaderboard", "pdf", {})
    assert message.startswith("The server is busy with other reports; retry in ") and message.endswith(" s.")
