"""The sender of a process: built from the runtime's settings, started with the served app or a worker."""
from __future__ import annotations

import atexit

from ..crypto import keyring_for
from .sender import Sender

SENDER_KEY = "helios.webhook_sender"  # on app.extensions: the started sender (the test route reuses it)


def sender_for(runtime, **options) -> Sender:
    """A sender over the runtime's store (not started)."""
    settings = runtime.settings
    return Sender(runtime.store, keyring_for(settings), allow_loopback=settings.webhook_allow_loopback, **options)


def start_sender(runtime, **options) -> Sender:
    """A sender polling the outbox on a daemon thread, stopped at exit."""
    sender = sender_for(runtime, **options).start()
    atexit.register(sender.stop)
    return sender
