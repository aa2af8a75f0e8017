"""Who is asking: roles by token, and what each role may see and do.

Roles (``Role``): ``viewer`` reads; ``requester`` also files self-serve requests; ``approver`` also
approves them; the desk roles ``crypto`` (a requester of the crypto desk) and ``platform`` (an
approver of the platform team) also see the crypto desk's details. Read-only is the default: with no
tokens configured everyone is an anonymous viewer; with tokens, a request without one is too.

A token arrives as ``Authorization: Bearer TOKEN``, ``?token=TOKEN`` (the console then sets a cookie
so the links of the page keep it) or the ``tradeplane_token`` cookie.

The token file (``--tokens FILE``) is YAML read through the estate's loader (errors with file:line)::

    tokens:
      - {name: alice, role: platform, env: CONSOLE_ALICE_TOKEN}    # the token is in that variable
      - {name: bob, role: viewer, sha256: 9f86d0...}              # or only its SHA-256 is stored
      - {name: ci, role: requester, token: t-ci}                  # or the token itself (tests, demos)
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradeplane.errors import InputError
from tradeplane.selfserve.redact import Restricted

__all__ = ["COOKIE", "Principal", "Restricted", "Role", "TokenBook", "TokenEntry", "TokenFile", "load_tokens"]

COOKIE = "tradeplane_token"


class Role(StrEnum):
    VIEWER = "viewer"
    REQUESTER = "requester"
    APPROVER = "approver"
    CRYPTO = "crypto"
    PLATFORM = "platform"

    @property
    def rank(self) -> int:
        """0 reads, 1 requests, 2 approves (a desk role ranks as requester, platform as approver)."""
        return {"viewer": 0, "requester": 1, "crypto": 1, "approver": 2, "platform": 2}[self.value]

    @property
    def sees_crypto(self) -> bool:
        return self in (Role.CRYPTO, Role.PLATFORM)


@dataclass(frozen=True)
class Principal:
    """The actor behind a request: a name for the logs and a role."""

    name: str
    role: Role
    authenticated: bool = False

    def may(self, needed: Role) -> bool:
        return self.role.rank >= needed.rank


ANONYMOUS = Principal("anonymous", Role.VIEWER)


class TokenEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._@-]{0,62}$", description="who holds it (logged as the actor)")
    role: Role
    token: str | None = Field(default=None, min_length=8, description="the token itself (tests and demos)")
    env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$", description="read the token from this variable")
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$", description="only the token's SHA-256")

    @model_validator(mode="after")
    def _one_source(self) -> TokenEntry:
        given = [k for k in ("token", "env", "sha256") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of token, env or sha256")
        return self


class TokenFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tokens: tuple[TokenEntry, ...] = Field(min_length=1)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class TokenBook:
    """Token -> principal, by SHA-256 (constant-time compare); built from a mapping or a token file."""

    by_hash: dict[str, Principal] = field(default_factory=dict)

    def lookup(self, token: str) -> Principal | None:
        h = _sha(token)
        for known, who in self.by_hash.items():
            if hmac.compare_digest(known, h):
                return who
        return None


def load_tokens(path: Path, environ: Mapping[str, str] | None = None) -> tuple[dict[str, Role], dict[str, str]]:
    """Read a token file: (token -> role, token -> name). Entries given by SHA-256 are keyed ``sha256:HEX``.

    Raises ``EstateError`` with file:line for a malformed file and ``InputError`` when a named
    environment variable is unset."""
    from tradeplane.estate import load_yaml_model

    env = os.environ if environ is None else environ
    spec = load_yaml_model(path, TokenFile)
    roles: dict[str, Role] = {}
    names: dict[str, str] = {}
    for e in spec.tokens:
        if e.env is not None:
            value = env.get(e.env)
            if not value:
                raise InputError.single(f"{path}: token '{e.name}' is read from ${e.env}, which is not set",
                                        hint=f"export {e.env}=... or give the token's sha256 in the file")
            key = value
        elif e.sha256 is not None:
            key = f"sha256:{e.sha256}"
        else:
            assert e.token is not None
            key = e.token
        roles[key] = e.role
        names[key] = e.name
    return roles, names


def book_from(roles: Mapping[str, Role] | None, names: Mapping[str, str] | None = None) -> TokenBook | None:
    """A ``TokenBook``; ``sha256:HEX`` keys (from token files) are stored as given."""
    if roles is None:
        return None
    book = TokenBook()
    for key, role in roles.items():
        h = key[7:] if key.startswith("sha256:") else _sha(key)
        name = (names or {}).get(key) or f"{Role(role).value}-{h[:8]}"
        book.by_hash[h] = Principal(name, Role(role), True)
    return book


def bearer(header: str) -> str | None:
    scheme, _, credentials = header.partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None


Access = Literal["read", "request", "approve"]
