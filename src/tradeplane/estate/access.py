"""Who may read a venue API key's secret: the one rule, applied by two readers of the IAM.

The rule (issue 13, defect 7; issue 19's key custody): a key's secret is read by exactly the
workloads that use it (``Estate.api_keys_of``), through their own identity, and by no person.
Terraform's conformance check (``secret-access``, on the rendered blocks, with file:line) and
security's custody check (``custody.reader`` / ``custody.user-cannot-read``, per key) each
read the rendered IAM their own way into ``Reader`` records, call
``secret_access_problems`` and report its answers in their own terms; neither restates the rule.

Shapes: ``Reader(principal, human, workload, secrets, reads_any)``: ``secrets`` are the
``secret_ref``s (``aws-sm://path``, ``gcp-sm://...``) of venue keys the principal may read,
``reads_any`` whether it may read any secret at all. ``AccessProblem.kind`` is one of
``person-reads`` (a role people assume may read secrets; ``secret_ref`` None),
``not-a-user`` (a principal that is not an instance identity of a user of the key may read it)
and ``user-cannot-read`` (a workload that uses the key has no identity that may read it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from tradeplane.estate.model import Estate

__all__ = ["SECRET_READ_ACTIONS", "AccessProblem", "Reader", "allowed_readers", "reads_secrets",
           "secret_access_problems"]

# IAM actions that return a Secrets Manager secret's value (the service's action list; "*" and
# "secretsmanager:*" include GetSecretValue).
SECRET_READ_ACTIONS = ("secretsmanager:GetSecretValue",)


def reads_secrets(actions: Iterable[str]) -> bool:
    """Whether an Allow statement with ``actions`` (IAM globs) may read a secret's value."""
    return any(fnmatchcase(want.lower(), a.lower()) for a in actions for want in SECRET_READ_ACTIONS)


@dataclass(frozen=True)
class Reader:
    principal: str
    human: bool
    workload: str | None
    secrets: frozenset[str]
    reads_any: bool


@dataclass(frozen=True, order=True)
class AccessProblem:
    kind: str
    secret_ref: str | None
    principal: str | None
    workload: str | None


def allowed_readers(estate: Estate) -> dict[str, frozenset[str]]:
    """Every venue key's ``secret_ref`` -> the names of the workloads that use it (and may read it)."""
    out: dict[str, set[str]] = {}
    for w in estate.workloads:
        for _, key in estate.api_keys_of(w):
            out.setdefault(key.secret_ref, set()).add(w.name)
    for venue in estate.venues:
        for key in venue.api_keys:
            out.setdefault(key.secret_ref, set())
    return {ref: frozenset(users) for ref, users in sorted(out.items())}


def secret_access_problems(estate: Estate | None, readers: Iterable[Reader],
                           scope: Iterable[str] | None = None) -> list[AccessProblem]:
    """What breaks the rule among ``readers``, sorted. ``scope``: the secret refs whose readers
    were read (a caller that sees only some secrets, e.g. only AWS ones); default all of the
    estate's keys. Without an estate only ``person-reads`` can be judged."""
    allowed = allowed_readers(estate) if estate is not None else {}
    refs = set(allowed) if scope is None else set(scope) & set(allowed)
    found: set[AccessProblem] = set()
    readers = list(readers)
    for r in readers:
        if r.human and r.reads_any:
            found.add(AccessProblem("person-reads", None, r.principal, None))
        for ref in r.secrets & refs:
            if r.human or r.workload not in allowed[ref]:
                found.add(AccessProblem("not-a-user", ref, r.principal, r.workload))
    for ref in sorted(refs):
        for w in sorted(allowed[ref]):
            if not any(not r.human and r.workload == w and ref in r.secrets for r in readers):
                found.add(AccessProblem("user-cannot-read", ref, None, w))
    return sorted(found)
