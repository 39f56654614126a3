"""Who is asking: the Principal that travels from the guard to services, and the roles.

Services never see a Flask request; they get a Principal (ARCHITECTURE.md, Access). A
principal is a signed-in user (by session cookie or by token), the anonymous visitor
(with the anonymous role when public viewing is on, else none), or the command line.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("viewer", "editor", "admin")  # global roles, each may do what the one before may
PROJECT_ROLES = ("viewer", "editor", "owner")  # roles within a shared project (collaboration)
SCOPES = ("read", "write", "export", "admin")  # what a token may be used for
# Fields only editors and admins see, on every surface (page, API, CSV, XLSX, JSON, PDF).
SENSITIVE_FIELDS = ("author_email", "internal_notes")


def role_rank(role: str | None) -> int:
    """0 for no role, then 1 viewer, 2 editor, 3 admin."""
    return ROLES.index(role) + 1 if role in ROLES else 0


@dataclass(frozen=True)
class Principal:
    """The identity a request acts as; see the module docstring."""

    kind: str  # "user", "anonymous" or "cli"
    role: str | None = None  # None: anonymous with public viewing off
    user_id: int | None = None
    email: str | None = None
    name: str | None = None
    via: str = "none"  # "session", "token" (Bearer), "key" (X-API-Key / ?api_key=), "cli", "none"
    token_id: int | None = None
    # A token limits its user to its scopes; a session or the command line has every scope.
    scopes: frozenset[str] = field(default_factory=lambda: frozenset(SCOPES))

    @property
    def signed_in(self) -> bool:
        return self.kind == "user"

    def has_role(self, role: str) -> bool:
        """True when this principal's global role is ``role`` or above."""
        return role_rank(self.role) >= role_rank(role)

    @property
    def sees_sensitive(self) -> bool:
        """Editors and admins see ``SENSITIVE_FIELDS``; viewers and anonymous visitors never do."""
        return self.has_role("editor")

    @property
    def actor(self) -> str:
        """How the audit log names this principal: user:<id>, token:<id>, cli:<os user> or anonymous."""
        if self.kind == "cli":
            return f"cli:{self.name}"
        if self.token_id is not None:
            return f"token:{self.token_id}"
        return f"user:{self.user_id}" if self.user_id is not None else "anonymous"

    @property
    def view_key(self) -> str:
        """What of this principal changes a response body: part of every cache key that could differ."""
        return "full" if self.sees_sensitive else "redacted"


def anonymous(role: str | None = None) -> Principal:
    """The visitor who has not signed in; ``role`` is HELIOS_ANONYMOUS_ROLE (None: off)."""
    return Principal(kind="anonymous", role=role, scopes=frozenset({"read", "export"}) if role else frozenset())


def command_line(os_user: str) -> Principal:
    """The operator at the command line (imports, user management): every right, audited as cli:<user>."""
    return Principal(kind="cli", role="admin", name=os_user, via="cli")
