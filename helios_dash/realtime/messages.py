"""The /stream protocol: what clients send, the typed messages the server sends, and role redaction.

Client -> server: ``{"action": "subscribe"|"unsubscribe", "channels": [...]}`` (and ``ping``).
Server -> client: ``{"type": ..., ...}``, one JSON object per WebSocket text message.
A message is built once per event and serialised at most twice (full, and redacted for
principals below editor), never per connection: fan-out to 1,000 sockets costs 1,000 enqueues.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..domain.principal import SENSITIVE_FIELDS

LEADERBOARD, HYPOTHESES, RESEARCH = "leaderboard", "hypotheses", "research"
CHANNELS = (LEADERBOARD, HYPOTHESES, RESEARCH)
ACTIONS = ("subscribe", "unsubscribe", "ping")
MAX_CLIENT_MESSAGE = 4096  # bytes: a subscribe is a few dozen; anything larger is refused


class ProtocolError(ValueError):
    """A client message that is not one of ours: answered with an ``error`` message, never a crash."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ClientMessage:
    action: str
    channels: tuple[str, ...] = ()


def parse_client_message(text) -> ClientMessage:
    """The client's request, or ProtocolError naming what is wrong with it."""
    if not isinstance(text, str):
        raise ProtocolError("BAD_MESSAGE", "Send JSON text messages, not binary ones.")
    if len(text) > MAX_CLIENT_MESSAGE:
        raise ProtocolError("BAD_MESSAGE", f"A message is at most {MAX_CLIENT_MESSAGE} bytes.")
    try:
        body = json.loads(text)
    except ValueError:
        raise ProtocolError("BAD_JSON", "The message is not JSON.") from None
    if not isinstance(body, dict) or body.get("action") not in ACTIONS:
        raise ProtocolError("BAD_ACTION", f"A message is an object whose action is one of {', '.join(ACTIONS)}.")
    if body["action"] == "ping":
        return ClientMessage("ping")
    channels = body.get("channels")
    if not isinstance(channels, list) or not channels or not all(isinstance(c, str) for c in channels):
        raise ProtocolError("BAD_CHANNELS", "channels is a non-empty list of channel names.")
    unknown = sorted(set(channels) - set(CHANNELS))
    if unknown:
        raise ProtocolError("UNKNOWN_CHANNEL", f"No channel {', '.join(unknown)}; channels: {', '.join(CHANNELS)}.")
    return ClientMessage(body["action"], tuple(dict.fromkeys(channels)))


def without_sensitive(value):
    """``value`` with SENSITIVE_FIELDS dropped from every dict at any depth (services.redaction, for nested JSON)."""
    if isinstance(value, dict):
        return {key: without_sensitive(item) for key, item in value.items() if key not in SENSITIVE_FIELDS}
    if isinstance(value, list):
        return [without_sensitive(item) for item in value]
    return value


@dataclass
class Outgoing:
    """One server message for some channels; its JSON text per audience, made once and shared."""

    body: dict
    channels: frozenset[str]
    _texts: dict = field(default_factory=dict, repr=False)

    def text_for(self, sees_sensitive: bool) -> str:
        """The wire text for an editor/admin (``True``) or anyone less (redacted)."""
        if sees_sensitive not in self._texts:
            body = self.body if sees_sensitive else without_sensitive(self.body)
            self._texts[sees_sensitive] = json.dumps(body, separators=(",", ":"), default=str)
        return self._texts[sees_sensitive]


def control(kind: str, **fields) -> str:
    """A message about this connection (subscribed, error, pong, hello): never redacted, never shared."""
    return json.dumps({"type": kind, **fields}, separators=(",", ":"), default=str)


def error(code: str, message: str) -> str:
    return control("error", error={"code": code, "message": message})


def validation_complete(validation: dict) -> Outgoing:
    """A validation was recorded: its numbers, algorithm and (for editors) the author's e-mail."""
    return Outgoing({"type": "validation_complete", "result": validation}, frozenset({LEADERBOARD, HYPOTHESES}))


def hypothesis_generated(hypothesis: dict) -> Outgoing:
    """A hypothesis was created (internal notes and the author's e-mail for editors only)."""
    return Outgoing({"type": "hypothesis_generated", "hypothesis": hypothesis}, frozenset({HYPOTHESES}))


def leaderboard_update(version: int, changes: list[dict], top: list[dict]) -> Outgoing:
    """The default leaderboard after a write: whose rank moved (before -> after), and the new top rows."""
    return Outgoing({"type": "leaderboard_update", "data_version": version, "changes": changes, "top": top},
                    frozenset({LEADERBOARD}))


def research_progress(project: dict) -> Outgoing:
    """A research project moved: a result was recorded, or it completed or failed."""
    return Outgoing({"type": "research_progress", "project": project}, frozenset({RESEARCH, HYPOTHESES}))
