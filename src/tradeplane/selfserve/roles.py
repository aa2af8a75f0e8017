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
``workflow.refuse_self_approval``). People are compared by ``person_key``: the name with surrounding
whitespace removed and case folded (``str.casefold``), so ``ALICE`` and `` alice `` are the ``alice``
who filed the request. Everywhere the workflow compares people it compares these keys (``same_person``).
"""

from __future__ import annotations

from dataclasses import dataclass

from tradeplane.errors import InputError, TradeplaneError

__all__ = ["APPROVERS", "REQUESTERS", "ROLES", "Actor", "Conflict", "Forbidden", "NotFound", "can_approve",
           "can_read", "can_request", "person_key", "same_person", "sees_crypto"]

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
    """Who acts: a name (for the audit log; surrounding whitespace removed, case kept) and one of ``ROLES``.
    ``key`` is the name as people are compared (``person_key``). Raises ``InputError`` for an unknown
    role or an empty name, or one with a newline or angle bracket."""

    name: str
    role: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InputError.single(f"role {self.role!r} is not one of {', '.join(ROLES)}", field="role",
                                    hint="pass --role viewer|requester|approver|platform|crypto")
        if not self.name.strip() or any(c in self.name for c in "\n\r<>"):
            raise InputError.single(f"actor name {self.name!r} is empty or has a newline or angle bracket",
                                    field="actor", hint="pass --actor NAME")
        object.__setattr__(self, "name", self.name.strip())

    @property
    def key(self) -> str:
        """The name as people are compared: ``person_key(name)``."""
        return person_key(self.name)


def person_key(name: str) -> str:
    """A person's name as identities are compared: surrounding whitespace removed and case folded
    (``" ALICE "`` -> ``"alice"``). Case and padding never make a second person (separation of duties)."""
    return name.strip().casefold()


def same_person(a: str, b: str) -> bool:
    """Are ``a`` and ``b`` the same person (``person_key`` equal)? An empty name is nobody."""
    return bool(person_key(a)) and person_key(a) == person_key(b)


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
