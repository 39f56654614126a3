"""The event bus: in-process, and across RedisBus instances on the real local Redis."""
from __future__ import annotations

import logging
import threading

import pytest
import redis

from helios_dash.realtime import InProcessBus, RedisBus, make_bus, redis_status
from tests.redis_helpers import REDIS_URL, closed_port_url, unique_prefix, wait_until


class Inbox:
    """A subscriber that keeps what it received."""

    def __init__(self):
        self.events: list[tuple[str, dict]] = []
        self._lock = threading.Lock()

    def __call__(self, event, payload):
        with self._lock:
            self.events.append((event, payload))

    def names(self):
        with self._lock:
            return [event for event, _ in self.events]


@pytest.fixture
def buses():
    """RedisBus instances on one fresh channel prefix, closed after the test."""
    prefix = unique_prefix("bus")
    made = []

    def make(url=REDIS_URL, **options):
        bus = RedisBus(url, channel_prefix=prefix, max_backoff=0.2, **options)
        made.append(bus)
        return bus

    yield make
    for bus in made:
        bus.close()


def subscribed(bus, count=1):
    """True once Redis counts ``count`` subscribers on the bus's channel."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        return dict(client.pubsub_numsub(bus.channel)).get(bus.channel.encode(), 0) >= count
    finally:
        client.close()


def test_in_process_bus_delivers_a_copy_to_every_subscriber_and_unsubscribes():
    bus = InProcessBus()
    first, second = Inbox(), Inbox()
    bus.subscribe(first)
    stop_second = bus.subscribe(second)
    bus.publish("validation.completed", {"id": 7})
    stop_second()
    stop_second()  # idempotent
    bus.publish("comment.created", {"id": 8})
    assert first.events == [("validation.completed", {"id": 7}), ("comment.created", {"id": 8})]
    assert second.events == [("validation.completed", {"id": 7})]
    first.events[0][1]["id"] = 99  # a subscriber's copy is its own
    assert second.events[0][1] == {"id": 7}


def test_a_failing_subscriber_does_not_stop_the_others(caplog):
    bus = InProcessBus()
    inbox = Inbox()

    def broken(event, payload):
        raise RuntimeError("subscriber bug")

    bus.subscribe(broken)
    bus.subscribe(inbox)
    with caplog.at_level(logging.ERROR):
        bus.publish("hypothesis.created", {"id": 1})
    assert inbox.events == [("hypothesis.created", {"id": 1})]
    assert "subscriber bug" in caplog.text


@pytest.mark.parametrize("event, payload", [("", {}), ("x", [1]), ("x", {"when": object()}),
                                            ("x", {"mean": float("nan")})])
def test_bad_events_are_refused_before_they_leave(event, payload):
    with pytest.raises(TypeError):
        InProcessBus().publish(event, payload)


def test_make_bus_picks_by_url():
    assert isinstance(make_bus(None), InProcessBus)
    bus = make_bus(REDIS_URL)
    try:
        assert isinstance(bus, RedisBus)
    finally:
        bus.close()


def test_an_event_from_one_redis_bus_reaches_subscribers_of_another(buses):
    publisher, listener = buses(), buses()  # as two processes would hold them
    inbox, broken = Inbox(), Inbox()
    listener.subscribe(lambda event, payload: 1 / 0)  # a failing subscriber, first in line
    listener.subscribe(inbox)
    publisher.subscribe(broken)  # the publisher's own process hears it too
    assert wait_until(lambda: subscribed(listener, 2))
    publisher.publish("validation.completed", {"algorithm_id": "ALG-1", "quality": 81.5})
    assert wait_until(lambda: inbox.events)
    assert inbox.events == [("validation.completed", {"algorithm_id": "ALG-1", "quality": 81.5})]
    assert wait_until(lambda: broken.events)


def test_publish_while_redis_is_down_does_not_raise_and_counts_dropped(buses, caplog):
    bus = buses(closed_port_url())
    with caplog.at_level(logging.WARNING, logger="helios_dash.realtime.bus"):
        for number in range(5):
            bus.publish("validation.completed", {"n": number})
    assert bus.dropped == 5
    assert caplog.text.count("Redis unavailable") == 1  # once per outage, not per event


def test_listener_keeps_retrying_a_down_redis_logging_once(buses, caplog):
    bus = buses(closed_port_url())
    with caplog.at_level(logging.WARNING, logger="helios_dash.realtime.bus"):
        bus.subscribe(Inbox())
        assert wait_until(lambda: bus.listen_failures >= 4)  # backoff capped at 0.2 s here
        assert bus.connections == 0
    assert caplog.text.count("Redis unavailable") == 1


def test_listener_reconnects_after_its_connection_is_killed(buses):
    publisher, listener = buses(), buses()
    inbox = Inbox()
    listener.subscribe(inbox)
    assert wait_until(lambda: subscribed(listener))
    publisher.publish("research.completed", {"run": 1})
    assert wait_until(lambda: inbox.events)

    admin = redis.Redis.from_url(REDIS_URL)
    try:
        # only this bus's listener: other tests on this Redis keep their connections
        ours = [client["id"] for client in admin.client_list(_type="pubsub")
                if client["name"] == f"helios-bus:{listener.channel}"]
        assert len(ours) == 1
        assert admin.client_kill_filter(_id=ours[0]) == 1
    finally:
        admin.close()
    assert wait_until(lambda: listener.connections >= 2)  # our loop reconnected
    assert wait_until(lambda: subscribed(listener))
    publisher.publish("research.completed", {"run": 2})
    assert wait_until(lambda: len(inbox.events) == 2)
    assert inbox.events[-1] == ("research.completed", {"run": 2})


def test_close_stops_the_listener_thread(buses):
    bus = buses()
    bus.subscribe(Inbox())
    assert wait_until(lambda: subscribed(bus))
    bus.close()
    assert not bus._listener.is_alive()


def test_redis_status_up_down_and_unset():
    up = redis_status(REDIS_URL)
    assert up["ok"] is True and up["error"] is None and up["latency_ms"] >= 0
    down = redis_status(closed_port_url())
    assert down["ok"] is False and down["latency_ms"] is None and "Connection" in down["error"]
    assert redis_status("not-a-url")["ok"] is False
    assert redis_status(None) == {"ok": True, "latency_ms": None, "error": None, "configured": False}
