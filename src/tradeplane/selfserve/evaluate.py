"""``evaluate``: patch a copy of the estate with a request and show what the whole plan says.

The estate on disk is never written: the request edits round-trip trees (``document``), the new
texts go into a temporary copy, and ``tradeplane.plan.build`` runs on that copy and on the
original. The outcome lists what the change adds and removes in every analysis (verify, security,
Terraform conformance and references, placement, Kubernetes, budgets), the placement of new
workloads, the Terraform resource diff (``migrate``'s per-wave resource diff on the two renders),
the cost delta (``finops.diff`` of the two estimates) and, for a flow, the hop-by-hop trace of the
flow on the patched estate (``net.reach``). A request is refused when it breaks a policy by what
it asks (isolation: ``kinds.Breach``) or when the patched estate has a blocking finding the
original does not have.

The original estate's plan is memoised by the estate files' content (sha256), a few estates deep,
so evaluating several requests against one estate pays for its plan once.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradeplane import review
from tradeplane.errors import EstateError, InputError, Location, Problem
from tradeplane.selfserve.document import EstateDocument
from tradeplane.selfserve.kinds import RequestKind
from tradeplane.selfserve.outcome import Finding, Outcome
from tradeplane.selfserve.redact import Restricted
from tradeplane.selfserve.request import request_id

if TYPE_CHECKING:
    from tradeplane.estate import Estate
    from tradeplane.plan import Plan

__all__ = ["estate_digest", "evaluate", "findings", "forget_plans", "repository_root"]

_SEVERITY = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
_PLANS: OrderedDict[str, Plan] = OrderedDict()
_PLAN_CACHE = 4
_LOCK = threading.Lock()


def repository_root(path: Path) -> Path:
    """The nearest ancestor holding ``.git`` (``review.repository_root``: the patch's paths are relative
    to it, so ``git apply`` takes it at the repository's top); without one, the directory holding the
    estate."""
    return review.repository_root(path) or path.resolve().parent


def estate_digest(estate_path: Path) -> str:
    """sha256 over every estate file's path and text (what an outcome was evaluated on)."""
    return _digest(EstateDocument.load(Path(estate_path)))


def _digest(doc: EstateDocument) -> str:
    h = hashlib.sha256()
    for path, text in sorted(doc.originals.items()):
        h.update(str(path.relative_to(doc.root) if doc.root.is_dir() else path.name).encode())
        h.update(b"\0" + text.encode() + b"\0")
    return h.hexdigest()


def forget_plans() -> None:
    """Drop the memoised plans of original estates (benchmarks measure a cold evaluation with it)."""
    with _LOCK:
        _PLANS.clear()


def _plan(estate: Estate, key: str | None) -> Plan:
    from tradeplane import plan

    if key is not None:
        with _LOCK:
            if key in _PLANS:
                _PLANS.move_to_end(key)
                return _PLANS[key]
    built = plan.build(estate)
    if key is not None:
        with _LOCK:  # the API evaluates in a thread pool
            _PLANS[key] = built
            while len(_PLANS) > _PLAN_CACHE:
                _PLANS.popitem(last=False)
    return built


def findings(p: Plan) -> list[Finding]:
    """Every finding of a plan, flattened (the same sections ``plan`` blocks and warns on)."""
    from tradeplane.net import BLOCKING_SEVERITIES

    out = [Finding("verify", f.check, f.severity, f.title, f.severity in BLOCKING_SEVERITIES, f.fix_location or "",
                   f.detail, tuple({**t.to_json(), "lines": t.render()} for t in f.traces)) for f in p.verify.findings]
    blocking = {id(f) for f in p.security.blocking}
    out += [Finding("security", f.rule, f.severity, f"{f.subject}: {f.title}", id(f) in blocking, f.location,
                    f.detail, ({"lines": list(f.trace)},) if f.trace else ()) for f in p.security.findings]
    out += [Finding("conformance", c.rule, "high", f"{c.address}: {c.message}", True, f"{c.file}:{c.line}")
            for c in p.conformance]
    out += [Finding("terraform", "dangling-reference", "high", str(r), True) for r in p.dangling]
    out += [Finding("placement", x.kind, "high", f"{x.workload}: {x.message}", True, x.where, x.hint)
            for x in p.placement.explanations]
    out += [Finding("kubernetes", "problem", "high", k, True) for k in p.kubernetes_problems]
    if p.migration is not None:
        out += [Finding("migration", "wave-blocked", "medium", f"wave {w.number}: {b}", False)
                for w in p.migration.waves for b in w.blocking]
    by_desk = p.cost.by("desk")
    out += [Finding("budget", "over-budget", "medium", f"desk {b.desk} is over its monthly budget", False,
                    str(p.estate.where(b) or ""),
                    f"estimated ${by_desk.get(b.desk, 0.0):,.0f}/month against {b.monthly_usd:,.0f} {b.currency}")
            for b in p.estate.budgets if b.currency == "USD" and by_desk.get(b.desk, 0.0) > b.monthly_usd]
    return sorted(out, key=lambda f: (not f.blocking, _SEVERITY.get(f.severity, 9), f.section, f.title))


def _relocate(value: Any, tmp: str, real: str) -> Any:
    if isinstance(value, str):
        return value.replace(tmp, real)
    if isinstance(value, dict):
        return {k: _relocate(v, tmp, real) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_relocate(v, tmp, real) for v in value)
    return value


def _moved(f: Finding, tmp: str, real: str) -> Finding:
    return Finding(f.section, f.id, f.severity, f.title.replace(tmp, real), f.blocking, f.location.replace(tmp, real),
                   f.detail.replace(tmp, real), _relocate(f.traces, tmp, real))


def evaluate(estate_path: Path, request: RequestKind) -> Outcome:
    """Patch a temporary copy of the estate at ``estate_path`` with ``request``, plan both, compare.

    Raises ``EstateError`` when the estate itself does not load, ``InputError`` (naming the request
    field) when the request names something the estate does not have or the patched estate does not
    validate. Never writes to ``estate_path``."""
    from tradeplane import estate as est

    root = Path(estate_path)
    doc = EstateDocument.load(root)
    digest = _digest(doc)
    key = f"{root}\0{digest}"  # locations in findings name the path the estate was loaded from
    with _LOCK:
        known = _PLANS.get(key)
    old = known.estate if known is not None else est.load(root)  # the memoised plan holds its estate
    breaches = request.breaches(old)
    changes = request.apply(doc, old)
    texts = doc.texts()
    repo = repository_root(root)
    diff = doc.diff(repo, texts)
    rel = {str(p.resolve().relative_to(repo)): t for p, t in texts.items()}
    base = {str(p.resolve().relative_to(repo)): hashlib.sha256(doc.originals[p].encode()).hexdigest() for p in texts}
    desks = request.desks(old)
    crypto = Restricted.of(old)
    restricted = bool(desks & crypto.desks)
    rid = request_id(request)
    if not texts:
        return Outcome(rid, request, str(root), "refused", ("the estate already says this: nothing to change",),
                       tuple(changes), tuple(sorted(desks)), restricted, digest=digest, crypto=crypto.to_json())

    with tempfile.TemporaryDirectory(prefix="tradeplane-selfserve-") as tmp:
        copy = Path(tmp) / (root.name or "estate")
        if root.is_dir():
            shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".git"))
        else:
            shutil.copy2(root, copy)
        for path, text in texts.items():
            target = copy / path.relative_to(root) if root.is_dir() else copy
            target.write_text(text, encoding="utf-8")
        try:
            new = est.load(copy)
        except EstateError as exc:
            problems = [Problem(p.message, Location(p.location.file.replace(str(copy), str(root)), p.location.line,
                                                    p.location.column) if p.location else None, p.field, p.hint)
                        for p in exc.problems]
            raise InputError(f"the request does not fit the estate: the patched estate has {len(problems)} "
                             f"problem{'s' if len(problems) != 1 else ''}", problems) from None
        # The crypto desk is judged on the estate before the change (a request that connects the requester's
        # own desk to a crypto venue does not make her desk one); the names of those desks are taken from
        # both estates (a new crypto workload's name is the crypto desk's too).
        crypto = crypto.union(Restricted.of(new, desks=crypto.desks))
        old_plan = _plan(old, key)
        new_plan = _plan(new, None)
        trace = _trace(request, old, new)
        tmp_s, real_s = str(copy), str(root)
        before = {f.key: f for f in findings(old_plan)}
        after = {f.key: _moved(f, tmp_s, real_s) for f in findings(new_plan)}
        trace = _relocate(trace, tmp_s, real_s) if trace is not None else None
        placed = _relocate([_placement(new_plan, name) for name in request.placed()], tmp_s, real_s)
        tf = _terraform(old_plan, new_plan)
        cost = _cost(old_plan, new_plan)

    new_findings = tuple(after[k] for k in after if k not in before)
    removed = tuple(before[k] for k in before if k not in after)
    reasons = [f"breaks {b.rule}: {b.message}" + (f" ({b.location})" if b.location else "") for b in breaches]
    reasons += [f"new blocking finding: {f.line()}" for f in new_findings if f.blocking]
    if trace is None and reasons:
        trace = next(({"flow": f.title, "verdict": "", "traces": list(f.traces),
                       "lines": [line for t in f.traces for line in t.get("lines", [])]}
                      for f in new_findings if f.blocking and f.traces), None)
    return Outcome(rid, request, str(root), "refused" if reasons else "acceptable", tuple(reasons), tuple(changes),
                   tuple(sorted(desks)), restricted, new_findings, removed, trace, tuple(placed), tf, cost, diff,
                   rel, base, digest, crypto.to_json())


def _trace(request: RequestKind, old: Estate, new: Estate) -> dict[str, Any] | None:
    """The requested flow on the patched estate, hop by hop (``net.reach``)."""
    from tradeplane import net

    flow = request.flow(old)
    if flow is None:
        return None
    answer = net.reach(new, flow.src, flow.dst, flow.protocol, flow.ports)
    traces = [t for p in answer.pairs for t in p.delivered][:3] or \
             [t for p in answer.pairs for t in (*p.dropped, *p.reply_dropped, *p.undecided)][:3]
    return {"flow": flow.text(), "verdict": answer.verdict, "traces": [t.to_json() for t in traces],
            "lines": [line for t in traces for line in t.render()]}


def _placement(p: Plan, name: str) -> dict[str, Any]:
    try:
        wp = p.placement.workload(name).to_json()
    except KeyError:
        wp = {"workload": name, "zones": [], "note": f"not placed: placement is {p.placement.status}"}
    wp["budgets"] = [{"to": b.to, "budget_us": b.budget_us, "rtt_us": round(b.rtt_us, 1), "met": b.met,
                      "zone": b.zone, "to_place": b.to_place, "basis": b.basis}
                     for b in p.budgets if b.workload == name]
    return wp


def _terraform(old: Plan, new: Plan) -> dict[str, list[str]]:
    from tradeplane.migrate.tfdiff import resource_blocks, resource_diff

    return resource_diff(resource_blocks(old.terraform), resource_blocks(new.terraform)).to_json()


def _cost(old: Plan, new: Plan) -> dict[str, Any]:
    from tradeplane import finops

    d = finops.diff(old.cost, new.cost)
    budgets: dict[str, dict[str, float]] = {}
    for side, e in (("old", old.estate), ("new", new.estate)):
        for b in e.budgets:
            cur = budgets.setdefault(b.currency, {"old": 0.0, "new": 0.0})
            cur[side] += b.monthly_usd
    for cur in budgets.values():
        cur["delta"] = cur["new"] - cur["old"]
    return {"currency": {"USD": {"old": round(d.old_total, 2), "new": round(d.new_total, 2),
                                 "delta": round(d.delta, 2)}},
            "by_desk": {k: round(v, 2) for k, v in d.by_desk().items()},
            "changes": [c.to_json() for c in d.changes],
            "budgets": {k: {x: round(y, 2) for x, y in v.items()} for k, v in sorted(budgets.items())},
            "prices": {"source": d.price_source, "as_of": d.price_as_of}}
