"""The event bus: ``publish(event, payload)`` here, ``callback(event, payload)`` everywhere.

Two implementations with one interface, picked by ``make_bus(redis_url)``:

- ``InProcessBus``: subscribers of this process, called synchronously in the
  publisher's thread (the embedded deployment has one process).
- ``RedisBus``: JSON messages ``{"event", "payload"}`` on one pub/sub channel,
  ``<prefix>:events``, so every process on the same Redis hears every event.
  One daemon listener thread per bus, started at the first ``subscribe``, calls
  the subscribers in order. When the connection drops it reconnects with capped
  exponential backoff, logging once per outage. ``publish`` never raises because
  Redis is down: it logs (once per outage) and counts the event in ``dropped``.

Delivery is at most once, like Redis pub/sub itself: an event published while a
listener reconnects is lost. That is acceptable because events only *prompt* a
refresh; pages still poll the data-version token, which is the source of truth.

Payloads must be JSON-serialisable on both buses (checked at ``publish``, a
``TypeError`` otherwise), and every subscriber gets its own decoded copy, so code
that works in-process works across processes. Subscribers should be quick (hand
the event to a queue): they run on the publisher's or the listener's thread. One
subscriber raising is logged and does not stop the others.
"""
from __future__ import annotations

import json
import logging
import threading
from typing import Callable

from ..redis_support import REDIS_DOWN, OutageLog, fail_fast_client

log = logging.getLogger(__name__)

Callback = Callable[[str, dict], None]
FIRST_BACKOFF_SECONDS = 0.1
MAX_BACKOFF_SECONDS = 5.0
POLL_SECONDS = 0.5  # how often the listener looks at its stop flag while idle


def encode_event(event: str, payload: dict) -> str:
    """The wire form of an event; ``TypeError`` for a bad name or a non-JSON payload."""
    if not isinstance(event, str) or not event:
        raise TypeError(f"An event name is a non-empty string, not {event!r}.")
    if not isinstance(payload, dict):
        raise TypeError(f"An event payload is a dict, not {type(payload).__name__}.")
    try:
        return json.dumps({"event": event, "payload": payload}, allow_nan=False)
    except ValueError as error:  # NaN or infinity: not JSON, whatever Python's json module allows
        raise TypeError(f"Event {event!r}: the payload is not JSON-serialisable ({error}).") from error


class Subscribers:
    """A thread-safe list of callbacks, each called with its own copy of the event."""

    def __init__(self):
        self._lock = threading.Lock()
        self._callbacks: list[Callback] = []

    def add(self, callback: Callback) -> Callable[[], None]:
        """Add ``callback``; returns the (idempotent) function that removes it."""
        if not callable(callback):
            raise TypeError(f"A subscriber is a callable (event, payload), not {callback!r}.")
        entry = [callback]  # a fresh object, so the same callback subscribed twice is removed once

        with self._lock:
            self._callbacks.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._callbacks:
                    self._callbacks.remove(entry)

        return unsubscribe

    def deliver(self, message: str) -> None:
        """Decode ``message`` and call every subscriber; one failing does not stop the rest."""
        try:
            decoded = json.loads(message)
            event = decoded["event"]
            well_formed = isinstance(event, str) and isinstance(decoded["payload"], dict)
        except (ValueError, TypeError, KeyError):
            well_formed = False
        if not well_formed:
            log.warning("Event bus: ignored a message that is not a HELIOS event: %.200r", message)
            return
        with self._lock:
            callbacks = [entry[0] for entry in self._callbacks]
        for callback in callbacks:
            try:
                callback(event, json.loads(message)["payload"])  # a copy each: no shared mutation
            except Exception:
                log.exception("Event bus: subscriber %r failed on %s", callback, event)


class InProcessBus:
    """Events reach the subscribers of this process only, synchronously."""

    def __init__(self):
        self._subscribers = Subscribers()

    def publish(self, event: str, payload: dict) -> None:
        """Call every subscriber with ``(event, payload)``."""
        self._subscribers.deliver(encode_event(event, payload))

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        """Call ``callback(event, payload)`` for every event; returns the unsubscribe function."""
        return self._subscribers.add(callback)

    def close(self) -> None:
        """Nothing to release."""


class RedisBus:
    """Events reach the subscribers of every process using the same Redis and prefix."""

    def __init__(self, url: str, channel_prefix: str = "helios", *, timeout: float = 1.0,
                 max_backoff: float = MAX_BACKOFF_SECONDS):
        self.channel = f"{channel_prefix}:events"
        # health_check_interval: the listener PINGs an idle connection, so a silently
        # dead one (host gone, no RST) is noticed instead of waiting forever.
        # client_name: CLIENT LIST tells the bus's connections apart (and a test kills only its own).
        self._client = fail_fast_client(url, timeout, health_check_interval=max(timeout * 10, 5),
                                        client_name=f"helios-bus:{self.channel}")
        self._max_backoff = max_backoff
        self._subscribers = Subscribers()
        self._publish_outage = OutageLog(log, f"Event bus publish on {self.channel}")
        self._listen_outage = OutageLog(log, f"Event bus listener on {self.channel}")
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None
        self.dropped = 0  # events publish could not send
        self.connections = 0  # times the listener (re)subscribed: 1 + reconnects
        self.listen_failures = 0  # failed attempts to listen (each followed by a backoff)

    def publish(self, event: str, payload: dict) -> None:
        """Send the event to every process; if Redis is down, log once per outage and count it."""
        message = encode_event(event, payload)
        try:
            self._client.publish(self.channel, message)
        except REDIS_DOWN as error:
            with self._lock:
                self.dropped += 1
            self._publish_outage.failed(error)
        else:
            self._publish_outage.recovered(f"{self.dropped} events dropped so far")

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        """Call ``callback(event, payload)`` for every event; starts the listener at the first call."""
        unsubscribe = self._subscribers.add(callback)
        with self._lock:
            if self._listener is None and not self._stop.is_set():
                self._listener = threading.Thread(target=self._listen, name=f"helios-bus-{self.channel}",
                                                  daemon=True)
                self._listener.start()
        return unsubscribe

    def close(self) -> None:
        """Stop the listener thread and release the connections."""
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=5)
        self._client.close()

    def _listen(self) -> None:
        backoff = FIRST_BACKOFF_SECONDS
        while not self._stop.is_set():
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.channel)
                self.connections += 1
                self._listen_outage.recovered()
                backoff = FIRST_BACKOFF_SECONDS
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=POLL_SECONDS)
                    if message and message["type"] == "message":
                        self._subscribers.deliver(message["data"].decode("utf-8", "replace"))
            except REDIS_DOWN as error:
                self.listen_failures += 1
                self._listen_outage.failed(error)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self._max_backoff)
            except Exception:  # a bug must not silence the bus for the life of the process
                log.exception("Event bus listener on %s failed; restarting it", self.channel)
                self._stop.wait(self._max_backoff)
            finally:
                try:
                    pubsub.close()
                except Exception:
                    pass


def make_bus(redis_url: str | None, channel_prefix: str = "helios"):
    """A ``RedisBus`` when ``redis_url`` is set, else an ``InProcessBus``."""
    return RedisBus(redis_url, channel_prefix) if redis_url else InProcessBus()
