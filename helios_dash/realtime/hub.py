"""The sockets of one process: who is connected, to which channels, and fan-out that never blocks.

Each connection has a bounded send queue drained by its own thread (the gunicorn thread
serving the socket). ``Hub.broadcast`` only enqueues; a connection whose queue is full is a
slow consumer: it is dropped there and then (its socket shut down, which also unblocks a
``send`` stuck on a full TCP buffer), so one stalled client never delays the others.
"""
from __future__ import annotations

import collections
import logging
import socket
import threading
import itertools

from .messages import Outgoing

log = logging.getLogger(__name__)

TRY_AGAIN_LATER = 1013  # RFC 6455 registry: the server is overloaded, reconnect later
POLICY_VIOLATION = 1008  # used for "you fell too far behind" and for refused origins
SOCKET_SEND_BUFFER = 64 * 1024  # kernel bytes per socket: bounds memory at 1,000 sockets, surfaces slow readers


class Connection:
    """One open socket: its principal's audience, its channels and its send queue."""

    _ids = itertools.count(1)

    def __init__(self, raw_socket, sees_sensitive: bool, who: str, queue_size: int, wake: threading.Event):
        self.id = next(self._ids)
        self.who = who
        self.sees_sensitive = sees_sensitive
        self.channels: set[str] = set()
        self.queue_size = queue_size
        self._queue: collections.deque[str] = collections.deque()
        self._lock = threading.Lock()
        self._wake = wake  # the socket's own event: set by incoming frames and by us, so one wait serves both
        self._socket = raw_socket
        self.dropped_reason: str | None = None
        try:  # a small kernel buffer: 1,000 sockets x autotuned 4 MB would be 4 GB of unsent data
            raw_socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_SEND_BUFFER)
        except (OSError, AttributeError):
            pass

    def offer(self, text: str) -> bool:
        """Queue ``text`` for sending; False (nothing queued) when the queue is full or the connection dropped."""
        with self._lock:
            if self.dropped_reason is not None or len(self._queue) >= self.queue_size:
                return False
            self._queue.append(text)
        self._wake.set()
        return True

    def take(self) -> list[str]:
        """Everything queued, oldest first (the connection's own thread sends it)."""
        with self._lock:
            items = list(self._queue)
            self._queue.clear()
        return items

    def drop(self, reason: str) -> None:
        """Disconnect now, from any thread, without sending (the peer may not be reading)."""
        with self._lock:
            if self.dropped_reason is not None:
                return
            self.dropped_reason = reason
            self._queue.clear()
        try:
            self._socket.shutdown(socket.SHUT_RDWR)  # unblocks this socket's reader and a blocked send
        except OSError:
            pass
        self._wake.set()


class Hub:
    """The open connections of this process, capped, and fan-out to the subscribed ones."""

    def __init__(self, max_connections: int, queue_size: int):
        self.max_connections = max_connections
        self.queue_size = queue_size
        self._lock = threading.Lock()
        self._connections: dict[int, Connection] = {}
        self.slow_consumers_dropped = 0
        self.refused_full = 0
        self.delivered = 0

    def __len__(self) -> int:
        return len(self._connections)

    def add(self, connection: Connection) -> bool:
        """Register ``connection``; False when the cap is reached (the caller closes it with 1013)."""
        with self._lock:
            if len(self._connections) >= self.max_connections:
                self.refused_full += 1
                return False
            self._connections[connection.id] = connection
            return True

    def remove(self, connection: Connection) -> None:
        with self._lock:
            self._connections.pop(connection.id, None)

    def subscribers(self, channel: str) -> int:
        """How many connections listen on ``channel`` (the feed skips work nobody would receive)."""
        with self._lock:
            return sum(1 for c in self._connections.values() if channel in c.channels)

    def broadcast(self, message: Outgoing) -> int:
        """Enqueue ``message`` on every connection subscribed to one of its channels; returns how many."""
        with self._lock:
            targets = [c for c in self._connections.values() if c.channels & message.channels]
        sent = 0
        for connection in targets:
            if connection.offer(message.text_for(connection.sees_sensitive)):
                sent += 1
            elif connection.dropped_reason is None:
                self.slow_consumers_dropped += 1
                log.warning("WebSocket %s (%s): dropped as a slow consumer (%d messages unsent)",
                            connection.id, connection.who, connection.queue_size)
                connection.drop(f"slow consumer: more than {connection.queue_size} messages unsent")
        self.delivered += sent
        return sent
