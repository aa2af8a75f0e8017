"""Who may do what with a request: ``Actor(name, role)`` and the role rules.

Read-only by default. Roles (the issue's access model; the console maps its tokens onto them):

===========  ======  =======  ========  ==================================
role         read    request  approve   crypto-desk requests
===========  ======  =======  ========  ==================================
viewer       yes     no       no        no
requester    yes     yes      no        no
approver     yes     yes      yes       no
platform     yes     yes      yes       yes
crypto       yes     yes      no        yes
===========  ======  =======  ========  ==================================

Everyone who reads sees every request, but the crypto desk's details (``redact.Restricted``: its
workloads, networks, subnets, keys, and the findings, trace hops, Terraform addresses, cost lines and
patch hunks that name them) only the crypto and platform roles (``sees_crypto``); anyone else gets
the record through ``redact.redact``. A request touching a crypto desk is approvable by platform only.
Whoever filed a request never approves it, whatever their role (separation of duties:
``workflow.refuse_self_approval``).
"""

from __future__ import annotations

from dataclasses import dataclass

from tradeplane.errors import InputError, TradeplaneError

__all__ = ["APPROVERS", "REQUESTERS", "ROLES", "Actor", "Conflict", "Forbidden", "NotFound", "can_approve",
           "can_read", "can_request", "sees_crypto"]

ROLES = ("viewer", "requester", "approver", "platform", "crypto")
REQUESTERS = frozenset({"requester", "crypto", "approver", "platform"})
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


def sees_crypto(actor: Actor) -> bool:
    """May this actor see the crypto desk's details (the crypto and platform roles)?"""
    return actor.role in CRYPTO_READERS


def can_read(actor: Actor, restricted: bool) -> bool:
    """A restricted (crypto-desk) request unredacted, or approved: the crypto and platform roles only."""
    return not restricted or sees_crypto(actor)
