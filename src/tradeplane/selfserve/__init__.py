"""Self-serve requests: a team asks for a change, tradeplane shows every consequence, an approver
turns an acceptable one into a patch file or a branch for review. Nothing is ever applied.

Public face (the console codes against exactly this):

- ``Actor(name, role)``: roles viewer, requester, approver, platform, crypto (``roles``);
- request kinds, one module each under ``kinds/`` (discovered): ``workload``, ``venue``,
  ``flow``, ``budget``; ``parse_request(mapping)``, ``load_request(file)``, ``request_id``;
- ``evaluate(estate_path, request) -> Outcome``: the pure core (a temporary copy is patched and
  planned; the estate is never written);
- ``Store(state_dir)``: requests by id and the audit log (JSONL); ``submit`` and ``approve`` (never by
  the request's own requester);
- ``Restricted`` (the crypto desk's names) and ``redact(record, restricted)``: what a role that does
  not see the crypto desk gets (the console's pages use the same ``Restricted``);
- ``tradeplane.selfserve.api.make_router(estate_path, get_actor, state_dir)``: the HTTP API.
"""

from tradeplane.selfserve.evaluate import evaluate, findings, forget_plans, repository_root
from tradeplane.selfserve.kinds import Breach, Flow, RequestKind
from tradeplane.selfserve.outcome import Finding, Outcome, Verdict
from tradeplane.selfserve.redact import Restricted, redact
from tradeplane.selfserve.request import Request, kinds, load_request, parse_request, request_id
from tradeplane.selfserve.roles import (
    ROLES,
    Actor,
    Conflict,
    Forbidden,
    NotFound,
    can_approve,
    can_read,
    can_request,
    person_key,
    same_person,
)
from tradeplane.selfserve.store import Store, default_state_dir
from tradeplane.selfserve.workflow import approve, show, submit, visible

__all__ = [
    "ROLES",
    "Actor",
    "Breach",
    "Conflict",
    "Finding",
    "Flow",
    "Forbidden",
    "NotFound",
    "Outcome",
    "Request",
    "RequestKind",
    "Restricted",
    "Store",
    "Verdict",
    "approve",
    "can_approve",
    "can_read",
    "can_request",
    "default_state_dir",
    "evaluate",
    "findings",
    "forget_plans",
    "kinds",
    "load_request",
    "parse_request",
    "person_key",
    "redact",
    "repository_root",
    "request_id",
    "same_person",
    "show",
    "submit",
    "visible",
]
