"""Who may do what with a request: ``Actor(name, role)`` and the role rules.

Read-only by default. Roles (the issue's access model; the console maps its tokens onto them):

===========  ======  =======  ========  ==================================
role         read    request  approve   crypto-desk requests
===========  ======  =======  ========  ==================================
viewer       yes     no       no        no
requester    yes     yes      no        no
approver     yes     yes      yes       no
platform     yes     yes      yes       yes
crypto       yes     no       no        yes
===========  ======  =======  ========  ==================================

A request that touches a crypto desk (``evaluate.crypto_desks``) is shown, listed and approvable
only by the crypto and platform roles: lists leave it out for anyone else and reading it is
forbidden (403), so its details (names, addresses, venues) never reach other desks.
"""

from __future__ import annotations

from dataclasses import dataclass

from tradeplane.errors import InputError, TradeplaneError

__all__ = ["APPROVERS", "REQUESTERS", "ROLES", "Actor", "Conflict", "Forbidden", "NotFound", "can_approve",
           "can_read", "can_request"]

ROLES = ("viewer", "requester", "approver", "platform", "crypto")
REQUESTERS = frozenset({"requester", "approver", "platform"})
APPROVERS = frozenset({"approver", "platform"})
CRYPTO_READERS = frozenset({"crypto", "platform"})


class Forbidden(TradeplaneError):
    """The actor's role does not allow this (HTTP 403)."""


class NotFound(TradeplaneError):
    """No such request (HTTP 404)."""


class Conflict(TradeplaneError):
    """The request is not in a state that allows this (refused, already approved, estate moved; HTTP 409)."""


@dataclass(frozen=True)
class Actor:
    """Who acts: a name (for the audit log) and one of ``ROLES``."""

    name: str
    role: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InputError.single(f"role {self.role!r} is not one of {', '.join(ROLES)}", field="role",
                                    hint="pass --role viewer|requester|approver|platform|crypto")
        if not self.name.strip() or any(c in self.name for c in "\n\r<>"):
            raise InputError.single(f"actor name {self.name!r} is empty or has a newline or angle bracket",
                                    field="actor", hint="pass --actor NAME")


def can_request(actor: Actor) -> bool:
    return actor.role in REQUESTERS


def can_approve(actor: Actor) -> bool:
    return actor.role in APPROVERS


def can_read(actor: Actor, restricted: bool) -> bool:
    """Everyone reads; a restricted (crypto-desk) request only the crypto and platform roles."""
    return not restricted or actor.role in CRYPTO_READERS
