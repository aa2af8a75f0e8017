"""The request path: submit (parse, evaluate, store, audit) and approve (patch file and/or branch).

Both check the actor's role first (``roles``), log every outcome with its actor in the audit log
(including refusals of permission and invalid requests), and never apply anything to the estate.
Approval is never by the request's own requester (``refuse_self_approval``: separation of duties).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tradeplane.errors import InputError, Problem, TradeplaneError
from tradeplane.selfserve.evaluate import estate_digest, evaluate, repository_root
from tradeplane.selfserve.gitpatch import branch as make_branch
from tradeplane.selfserve.gitpatch import format_patch
from tradeplane.selfserve.kinds import RequestKind
from tradeplane.selfserve.redact import Restricted, redact
from tradeplane.selfserve.request import parse_request, request_id
from tradeplane.selfserve.roles import (
    Actor,
    Conflict,
    Forbidden,
    can_approve,
    can_read,
    can_request,
    same_person,
    sees_crypto,
)
from tradeplane.selfserve.store import Store
from tradeplane.writing import check_file, write_file

__all__ = ["approve", "audit_log", "check_approve_at_once", "public", "refuse_self_approval", "show", "submit", "visible"]

_PRIVATE = ("file_texts", "base", "crypto")


def _restricted(record: dict[str, Any]) -> Restricted:
    """The crypto desk's names the record was evaluated with; for a record stored before they were
    kept, the current estate's (an estate that no longer loads: every workload, network and key)."""
    if isinstance(record.get("crypto"), dict):
        return Restricted.from_json(record["crypto"])
    from tradeplane import estate as est

    try:
        return Restricted.of(est.load(Path(record["estate"])))
    except (TradeplaneError, KeyError, OSError):
        return Restricted.build(("crypto",), ("crypto",))


def public(record: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """A stored record as ``actor`` may see it: without what only approval and redaction need (the new
    file texts, their bases, the crypto desk's names) and, unless the actor sees the crypto desk,
    without its details (``redact.redact``)."""
    out = {k: v for k, v in record.items() if k not in _PRIVATE}
    if sees_crypto(actor):
        return {**out, "hidden": 0, "redacted": False}
    return redact(out, _restricted(record))


def submit(estate_path: Path, request: RequestKind | Mapping[str, Any], actor: Actor, store: Store,
           now: datetime | None = None) -> dict[str, Any]:
    """Evaluate ``request`` on the estate as ``actor`` and store it; the stored record (``public``).

    Raises ``Forbidden`` (role), ``InputError`` (bad request), ``EstateError`` (estate does not load)."""
    when = (now or datetime.now(UTC)).replace(microsecond=0)
    if not can_request(actor):
        store.audit("request-forbidden", actor, None, None, reason=f"role {actor.role} may not request")
        raise Forbidden.single(f"role {actor.role} may not make requests", field="role",
                               hint="requester, crypto, approver or platform may")
    try:
        req = request if isinstance(request, RequestKind) else parse_request(request)
    except InputError as exc:
        store.audit("request-invalid", actor, None, "invalid", reason=exc.lines()[0])
        raise _masked(exc, estate_path, actor) from None
    rid = request_id(req)
    known = _known(store, rid, Path(estate_path))
    if known is not None:  # the same request on the same estate: the same outcome, logged again
        store.audit("request", actor, rid, known["verdict"], kind=req.KIND, summary=req.summary(),
                    reasons=list(known["reasons"]), repeated=True)
        return public(known, actor)
    try:
        outcome = evaluate(Path(estate_path), req)
    except TradeplaneError as exc:
        store.audit("request-invalid", actor, rid, "invalid", reason=exc.lines()[0])
        raise _masked(exc, estate_path, actor) from None
    record = {**outcome.stored(), "status": "pending" if outcome.acceptable else "refused",
              "requested_by": {"name": actor.name, "role": actor.role}, "created": when.isoformat(),
              "approval": None}
    store.put(record)
    store.audit("request", actor, rid, outcome.verdict, kind=req.KIND, summary=req.summary(),
                reasons=list(outcome.reasons))
    return public(record, actor)


def _masked(exc: TradeplaneError, estate_path: Path, actor: Actor) -> TradeplaneError:
    """``exc`` as ``actor`` may read it: for roles that do not see the crypto desk, its names masked in
    every message and hint (a "did you mean" or "one of" hint lists the estate's names)."""
    if sees_crypto(actor):
        return exc
    from tradeplane import estate as est

    try:
        r = Restricted.of(est.load(Path(estate_path)))
    except TradeplaneError:
        return exc  # the estate does not load: the error is about its files, not the crypto desk's names
    problems = [Problem(r.mask(p.message), p.location, p.field, r.mask(p.hint)) for p in exc.problems]
    return type(exc)(r.mask(exc.message), problems)


def _known(store: Store, rid: str, estate: Path) -> dict[str, Any] | None:
    try:
        record = store.get(rid)
    except TradeplaneError:
        return None
    if record.get("estate") != str(estate) or not record.get("digest"):
        return None
    try:
        return record if record["digest"] == estate_digest(estate) else None
    except TradeplaneError:
        return None


_SUMMARY = ("id", "kind", "summary", "verdict", "status", "desks", "created", "requested_by", "restricted")


def visible(store: Store, actor: Actor) -> list[dict[str, Any]]:
    """A summary of every request, oldest first; the crypto desk's names masked unless ``actor`` sees it."""
    out = []
    for r in store.all():
        summary = {k: r.get(k) for k in _SUMMARY}
        if not sees_crypto(actor):
            summary["summary"] = _restricted(r).mask(str(summary["summary"] or ""))
        out.append(summary)
    return out


def show(store: Store, rid: str, actor: Actor) -> dict[str, Any]:
    """One request as ``actor`` may see it (``public``). Raises ``NotFound``; ``InputError`` for a bad id."""
    return public(store.get(rid), actor)


def audit_log(store: Store, actor: Actor) -> list[dict[str, Any]]:
    """The audit log; unless ``actor`` sees the crypto desk, every text in it (summaries, reasons, the
    reason an invalid request was turned down) with the crypto desk's names of the stored requests masked."""
    lines = store.audit_log()
    if sees_crypto(actor):
        return lines
    desks: set[str] = set()
    names: set[str] = set()
    for record in store.all():
        one = _restricted(record)
        desks |= one.desks
        names |= one.names
    r = Restricted.build(desks, names)
    if r.loose is None:
        return lines
    keep = ("time", "event", "actor", "role", "id", "verdict")
    return [{k: v if k in keep else _mask(v, r) for k, v in x.items()} for x in lines]


def _mask(value: Any, r: Restricted) -> Any:
    if isinstance(value, str):
        return r.mask(value)
    if isinstance(value, list):
        return [_mask(v, r) for v in value]
    return value


def refuse_self_approval(store: Store, record: dict[str, Any], actor: Actor) -> None:
    """Separation of duties: whoever filed a request never approves it, whatever their role.

    Raises ``Forbidden`` (HTTP 403, CLI exit 2) and logs ``approve-forbidden`` with the reason
    ``self-approval`` when ``actor`` is the request's requester: the name the audit log records, compared
    as ``roles.same_person`` does (surrounding whitespace and case ignored: ``ALICE`` is the ``alice``
    who filed it)."""
    filed_by = str((record.get("requested_by") or {}).get("name", ""))
    if not same_person(filed_by, actor.name):
        return
    rid = str(record.get("id", ""))
    store.audit("approve-forbidden", actor, rid, record.get("verdict"), reason="self-approval")
    raise Forbidden.single(f"request {rid} was filed by {filed_by}: the person who files a request may not "
                           "approve it (separation of duties)", field="actor",
                           hint="ask another approver (or platform, for a crypto-desk request) to approve it")


def check_approve_at_once(store: Store, request: RequestKind | Mapping[str, Any], actor: Actor) -> None:
    """Before submitting with ``--out``/``--branch`` (approve at once): ``refuse_self_approval`` for the
    request as it would be filed. A new request would be filed by ``actor``, so it is refused (logged);
    only a request someone else already filed (the same content, stored) may be approved at once.
    Raises ``InputError`` for a bad request (nothing is logged then: nothing was submitted)."""
    req = request if isinstance(request, RequestKind) else parse_request(request)
    rid = request_id(req)
    try:
        record = store.get(rid)
    except TradeplaneError:
        record = {"id": rid, "verdict": None, "requested_by": {"name": actor.name, "role": actor.role}}
    refuse_self_approval(store, record, actor)


def approve(store: Store, rid: str, actor: Actor, *, out: Path | None = None, branch: str | None = None,
            now: datetime | None = None) -> dict[str, Any]:
    """Approve an acceptable request: write its patch (``out``, default ``STATE/patches/<id>.patch``)
    and, with ``branch``, a branch of one commit in the estate's repository. Returns
    ``{"id", "patch", "branch", "commit"}``. Raises ``Forbidden`` (the role, a crypto-desk request, or
    ``actor`` filed it: ``refuse_self_approval``), ``NotFound`` or ``Conflict``."""
    when = (now or datetime.now(UTC)).replace(microsecond=0)
    if not can_approve(actor):
        store.audit("approve-forbidden", actor, rid, None, reason=f"role {actor.role} may not approve")
        raise Forbidden.single(f"role {actor.role} may not approve", field="role", hint="approver or platform may")
    record = store.get(rid)
    refuse_self_approval(store, record, actor)
    if not can_read(actor, bool(record.get("restricted"))):
        store.audit("approve-forbidden", actor, rid, record.get("verdict"), reason="crypto-desk request")
        raise Forbidden.single(f"request {rid} touches the crypto desk: only the platform role may approve it",
                               field="role")
    if record["status"] != "pending":
        raise Conflict.single(f"request {rid} is {record['status']}, not pending approval", field="id",
                              hint="only an acceptable request is approved, once")
    estate = Path(record["estate"])
    repo = repository_root(estate)
    for path, digest in record["base"].items():
        current = (repo / path).read_text(encoding="utf-8") if (repo / path).exists() else ""
        if hashlib.sha256(current.encode()).hexdigest() != digest:
            raise Conflict.single(f"{repo / path} changed since request {rid} was evaluated", field="id",
                                  hint="submit the request again on the current estate")
    requester = record["requested_by"]
    subject = f"{rid}: {record['summary']}"
    body = "\n".join([*(f"- {c}" for c in record["changes"]), "",
                      f"Requested-by: {requester['name']} ({requester['role']})",
                      f"Approved-by: {actor.name} ({actor.role})",
                      f"Verdict: {record['verdict']}; terraform +{len(record['terraform'].get('added', []))} "
                      f"~{len(record['terraform'].get('changed', []))} -{len(record['terraform'].get('removed', []))}; "
                      f"cost delta {record['cost'].get('currency', {}).get('USD', {}).get('delta', 0):+,.2f} USD/month"])
    target = Path(out) if out is not None else store.patches / f"{rid}.patch"
    check_file(target, "--out")  # before the branch, so a bad --out leaves nothing behind
    commit = None
    if branch is not None:
        commit = make_branch(repo, branch, record["file_texts"], record["base"], f"{subject}\n\n{body}\n",
                             actor.name, when)
    patch = format_patch(record["estate_diff"], subject, body, actor.name, when, commit)
    write_file(target, patch, "--out")
    approval = {"by": {"name": actor.name, "role": actor.role}, "at": when.isoformat(), "patch": str(target),
                "branch": branch, "commit": commit}
    store.put({**record, "status": "approved", "approval": approval})
    store.audit("approve", actor, rid, record["verdict"], patch=str(target), branch=branch, commit=commit)
    return {"id": rid, "patch": str(target), "branch": branch, "commit": commit}
