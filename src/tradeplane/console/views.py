"""What each page shows, as JSON-able dicts: the plan of a snapshot, seen by one principal.

Pure functions (snapshot + principal in, data out); the HTML pages and the ``/api/...`` routes
render the same data. The crypto desk's details (its workloads, networks, subnets, keys and the
findings that name them) are left out for every role but ``crypto`` and ``platform``; what is left
out is counted, never silently dropped (``hidden``).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradeplane.errors import InputError, TradeplaneError

if TYPE_CHECKING:
    from tradeplane.console.auth import Principal
    from tradeplane.console.state import Snapshot

__all__ = ["migrate_state_error", "migration", "network", "overview", "placement", "reach", "terraform", "terraform_diff"]

RESTRICTED = "restricted (crypto desk)"


def _hide(snap: Snapshot, who: Principal) -> bool:
    return not who.role.sees_crypto and bool(snap.restricted().names)


def overview(snap: Snapshot, who: Principal) -> dict[str, Any]:
    """The verdict, counts by desk and cloud, what blocks an apply and the warnings.

    ``verdict``: ``ready`` (nothing blocks), ``blocked`` or ``invalid`` (the estate does not load
    or plan; ``errors`` then holds one located line per problem)."""
    out: dict[str, Any] = {"estate": str(snap.path), "built_at": snap.built_at,
                           "build_seconds": round(snap.build_seconds, 3), "errors": snap.errors}
    if snap.plan is None:
        return {**out, "verdict": "invalid", "name": snap.estate.name if snap.estate else None,
                "counts": {}, "by_desk": {}, "by_cloud": {}, "blocking": [], "warnings": [], "hidden": 0}
    p = snap.plan
    r = snap.restricted()
    hide = _hide(snap, who)
    blocking = [b for b in p.blocking if not (hide and r.mentions(b))]
    warnings = [w for w in p.warnings if not (hide and r.mentions(w))]
    hidden = len(p.blocking) - len(blocking) + len(p.warnings) - len(warnings)
    by_desk = {d: ({"restricted": 1} if hide and d in r.desks else v) for d, v in p.summary.by_desk.items()}
    cost = p.cost.by("desk")
    return {**out, "verdict": "blocked" if p.blocking else "ready", "name": p.estate.name,
            "counts": p.summary.counts, "by_cloud": p.summary.by_cloud, "by_desk": by_desk,
            "links": p.summary.links, "blocking": blocking, "warnings": warnings, "hidden": hidden,
            "hidden_blocking": len(p.blocking) - len(blocking),
            "resources": p.terraform.total, "placement": p.placement.status,
            "verify": {"passed": len(p.verify.passed), "findings": len(p.verify.findings),
                       "counts": p.verify.counts()},
            "security": {"passed": len(p.security.passed), "findings": len(p.security.findings)},
            "monthly_usd": round(p.cost.total_monthly, 2),
            "cost_by_desk": {d: round(v, 2) for d, v in sorted(cost.items())},
            "migration": None if p.migration is None else {"ok": p.migration.ok, "waves": len(p.migration.waves)}}


def _finding_hidden(snap: Snapshot, f: Any) -> bool:
    r = snap.restricted()
    texts = [f.title, f.detail, *f.flows]
    texts += [h.node for t in f.traces for h in t.hops]
    return r.mentions(*texts)


def network(snap: Snapshot, who: Principal) -> dict[str, Any]:
    """Verify findings with their hop-by-hop traces, the properties that hold, and the endpoints a
    reach query may name (workloads, subnets, networks, desks, sites, venues)."""
    p = snap.plan
    if p is None:
        return {"findings": [], "passed": [], "checks": [], "counts": {}, "hidden": 0, "endpoints": []}
    hide = _hide(snap, who)
    shown = [f for f in p.verify.findings if not (hide and _finding_hidden(snap, f))]
    r = snap.restricted()
    passed = [x for x in p.verify.passed if not (hide and r.mentions(x))]
    e = p.estate
    names = [*("internet",), *(d.name for d in e.desks), *(w.name for w in e.workloads),
             *(n.name for n in e.networks), *(s.name for s in e.sites), *(v.name for v in e.venues)]
    endpoints = sorted({n for n in names if not (hide and r.mentions(n))})
    return {"findings": [f.to_json() for f in shown], "passed": passed, "checks": p.verify.checks,
            "counts": p.verify.counts(), "hidden": len(p.verify.findings) - len(shown), "endpoints": endpoints}


PROTOCOLS = ("tcp", "udp", "icmp", "all")


def reach(snap: Snapshot, who: Principal, src: str, dst: str, port: str = "", protocol: str = "tcp") -> dict[str, Any]:
    """``net reach SRC DST`` through net's public API: the verdict and every pair's traces.

    Raises ``InputError`` (the field named) for an unknown endpoint, a bad port or protocol, and
    ``PermissionError`` when a non-crypto role names the crypto desk's objects."""
    from tradeplane import net

    if snap.estate is None:
        raise InputError.single("the estate does not load; fix it first (see the overview)")
    if protocol not in PROTOCOLS:
        raise InputError.single(f"protocol: {protocol!r} is not one of {', '.join(PROTOCOLS)}")
    try:
        ports = net.parse_ports([port]) if port.strip() else ()
    except (InputError, ValueError) as exc:
        raise InputError.single(f"port: {port!r} is not a port or range (e.g. 443 or 9000-9100): {exc}") from None
    r = snap.restricted()
    if _hide(snap, who) and r.mentions(src, dst):
        raise PermissionError("the crypto desk's objects are shown only to the crypto and platform roles")
    dp = snap.dataplane()
    for field, value in (("src", src), ("dst", dst)):
        try:
            net.resolve(dp, value)
        except InputError as exc:
            raise InputError.single(f"{field}: {exc.message}") from None
    answer = net.reach(dp, src, dst, protocol, ports)
    data = answer.to_json()
    if _hide(snap, who):
        texts = [h["node"] for pr in data["pairs"] for k in ("traces", "why_not", "reply_dropped", "undecided")
                 for t in pr.get(k, []) for h in t.get("hops", [])]
        if r.mentions(*texts, *(str(pr.get("src")) + str(pr.get("dst")) for pr in data["pairs"])):
            raise PermissionError("the answer runs through the crypto desk's objects; "
                                  "it is shown only to the crypto and platform roles")
    return data


def placement(snap: Snapshot, who: Principal) -> dict[str, Any]:
    """Where each workload runs (zones per replica, group, $/hour), its round trip to each venue it
    trades (or, with none, every venue) from its worst replica with the estimate's basis (the one
    ``plan`` and ``place`` judge budgets on: ``placement.Routes``, as ``placement.check_budgets`` uses
    it), and why: the group rule, its latency budgets met or not, or the solver's explanations when
    infeasible."""
    p = snap.plan
    if p is None:
        return {"status": "invalid", "gap": None, "monthly_usd": 0.0, "workloads": [], "nodes": [], "hourly_usd": 0.0,
                "hidden_hourly_usd": 0.0, "explanations": [], "hidden": 0}
    return dict(snap.memo(f"placement:{who.role.sees_crypto}", lambda: _placement(snap, who)))


def _placement(snap: Snapshot, who: Principal) -> dict[str, Any]:
    from tradeplane.placement import Routes

    p = snap.plan
    assert p is not None
    e = p.estate
    r = snap.restricted()
    hide = _hide(snap, who)
    groups = {g.name: g for g in p.placement.groups}
    budgets: dict[str, list[Any]] = {}
    for b in p.budgets:
        budgets.setdefault(b.workload, []).append(b)
    by_name = {w.name: w for w in e.workloads}
    routes = Routes(e)
    rows = []
    hidden = 0
    for wp in p.placement.workloads:
        w = by_name.get(wp.workload)
        if w is None:
            continue
        if hide and (w.desk in r.desks or r.mentions(w.name, w.network)):
            hidden += 1
            continue
        venues = list(w.venues) or [v.name for v in e.venues]
        via = {b.to: b.via for b in w.latency_budgets}
        latency: list[dict[str, Any]] = []
        for v in sorted(venues):
            # The estimate plan and place judge latency budgets on (``placement.check_budgets``): along the
            # declared path (Direct Connect / Interconnect exits, the budget's ``via``), the worst replica.
            try:
                est = max((routes.rtt(z, v, via.get(v)) for z in sorted(set(wp.zones))),
                          key=lambda x: (x.rtt_us, x.a), default=None)
            except Exception as exc:  # an unknown place in the catalog: say so on the row
                latency.append({"venue": v, "error": str(exc).splitlines()[0]})
                continue
            if est is None:
                continue
            latency.append({"venue": v, "rtt_us": round(est.rtt_us, 1), "bound_us": round(est.bound_us, 1),
                            "kind": est.kind, "confidence": est.confidence, "basis": est.basis, "zone": est.a})
        why = []
        g = groups.get(wp.group or "")
        if g is not None:
            why.append(f"group {g.name} ({g.strategy}): {g.rule}")
        for b in budgets.get(w.name, []):
            why.append(f"budget to {b.to}: {b.rtt_us:,.0f} µs against {b.budget_us:,.0f} µs "
                       f"({'met' if b.met else 'NOT met'}; {b.basis})")
        if w.placement.zones:
            why.append(f"pinned to {', '.join(w.placement.zones)} by the estate")
        if not why:
            why.append("no latency budget or group: the cheapest zone of its subnet")
        rows.append({"workload": w.name, "desk": w.desk, "team": w.team, "cloud": wp.cloud,
                     "zones": list(wp.zones), "subnets": list(wp.subnets), "group": wp.group,
                     "strategy": wp.strategy, "hourly_usd": round(wp.hourly_usd, 6), "billed_to": wp.billed_to,
                     "latency": latency, "why": why})
    shown = {str(row["workload"]) for row in rows}
    # Sole-tenant nodes carry their members' cost: a row each, so the rows add up to the total (a group
    # whose members are all hidden from this role is hidden with them, and counted in hidden_hourly_usd).
    node_groups = [g for g in p.placement.node_groups if shown & set(g.members)]
    nodes = [{"group": g.name, "cloud": g.cloud, "zones": list(g.zones), "node_type": g.node_type, "nodes": g.nodes,
              "members": list(g.members), "hourly_usd": round(g.hourly_usd, 6)} for g in node_groups]
    visible = (sum(wp.hourly_usd for wp in p.placement.workloads if wp.workload in shown)
               + sum(g.hourly_usd for g in node_groups))
    expl = [x.to_json() for x in p.placement.explanations if not (hide and r.mentions(x.workload))]
    return {"status": p.placement.status, "gap": p.placement.to_json()["gap"],
            "monthly_usd": round(p.placement.monthly_usd, 2), "workloads": rows, "nodes": nodes,
            "hourly_usd": round(p.placement.hourly_usd, 6),
            "hidden_hourly_usd": round(max(0.0, p.placement.hourly_usd - visible), 6),
            "explanations": expl, "hidden": hidden}


def _blocks(snap: Snapshot) -> dict[str, str]:
    from tradeplane.migrate.tfdiff import resource_blocks

    assert snap.plan is not None
    return dict(snap.memo("tf-blocks", lambda: resource_blocks(snap.plan.terraform)))


def terraform(snap: Snapshot, who: Principal) -> dict[str, Any]:
    """The staged root modules (cloud/stage), resource counts by stage and type, and every resource
    address by module (the crypto desk's resources counted, not named, for other roles)."""
    p = snap.plan
    if p is None:
        return {"total": 0, "by_cloud": {}, "stages": [], "by_type": {}, "resources": {}, "hidden": 0, "dangling": []}
    hide = _hide(snap, who)
    r = snap.restricted()
    modules: dict[str, list[str]] = {}
    hidden = 0
    for key in sorted(_blocks(snap)):
        module, address = key.split(" ", 1)
        if hide and r.in_identifier(address.split(".", 1)[1]):
            hidden += 1
            continue
        modules.setdefault(module, []).append(address)
    stages = [{"module": m, "resources": n, "files": sorted(f for f in p.terraform.files if f.startswith(m + "/"))}
              for m, n in p.terraform.by_stage().items()]
    return {"total": p.terraform.total, "by_cloud": p.terraform.by_cloud(), "stages": stages,
            "by_type": p.terraform.by_type(), "resources": modules, "hidden": hidden,
            "dangling": [str(d) for d in p.dangling]}


def allowed_against(path: Path, roots: list[Path]) -> Path:
    """The estate to diff against, which must lie under one of ``roots`` (the console's estate's
    parent and the working directory): the console never reads arbitrary files for a query.

    Raises ``InputError`` (field ``against``) for a path outside the roots, one the operating system
    cannot name (a NUL byte, an over-long name) or one that does not exist."""
    hint = "give an estate path under the console's estate directory or its working directory"
    try:
        resolved = path.resolve()
        inside = any(resolved == root or root in resolved.parents for root in roots)
        exists = inside and resolved.exists()
    except (ValueError, OSError) as e:
        raise InputError.single(f"against: {str(path)!r} is not a usable path ({e})", hint=hint) from None
    if not inside:
        raise InputError.single(f"against: {path} is outside {', '.join(str(r) for r in roots)}", hint=hint)
    if not exists:
        raise InputError.single(f"against: no estate at {path}")
    return resolved


def terraform_diff(snap: Snapshot, other: Snapshot, who: Principal) -> dict[str, Any]:
    """Resources added, removed and changed from ``other`` (the estate before) to this one."""
    from tradeplane.migrate.tfdiff import resource_diff

    if other.plan is None:
        raise InputError.single(f"against: the estate {other.path} does not plan: {'; '.join(other.errors[:3])}")
    if snap.plan is None:
        raise InputError.single("the console's estate does not plan; fix it first (see the overview)")
    d = resource_diff(_blocks(other), _blocks(snap))
    hide = _hide(snap, who)
    r = snap.restricted()

    def keep(keys: tuple[str, ...]) -> list[str]:
        return [k for k in keys if not (hide and r.in_identifier(k.split(".", 1)[-1]))]

    out = {"against": str(other.path), "added": keep(d.added), "removed": keep(d.removed), "changed": keep(d.changed)}
    out["summary"] = f"+{len(out['added'])} ~{len(out['changed'])} -{len(out['removed'])}"
    return out


def migration(snap: Snapshot, who: Principal, state_path: Path | None = None) -> dict[str, Any]:
    """The colocation's waves with their checks, windows and Terraform diff; their status when a
    migration state file is given."""
    p = snap.plan
    if p is None or p.migration is None:
        return {"declared": False, "waves": []}
    m = p.migration
    waves = []
    for w in m.waves:
        waves.append({"number": w.number, "workloads": list(w.wave.workloads), "ok": w.ok, "roles": list(w.roles),
                      "cutover_minutes": w.cutover_minutes, "window": w.slot.reason,
                      "checks": [c.to_json() for c in w.checks], "blocking": w.blocking,
                      "terraform": w.terraform.summary(),
                      "cost_monthly": round(w.proof.cloud_monthly + w.proof.colo_monthly, 2)})
    status: list[dict[str, Any]] = []
    notes: list[str] = []
    if state_path is not None:
        from tradeplane import migrate

        problem = migrate_state_error(state_path)  # a missing or bad state file: one line, never a 500
        if problem is not None:
            notes = [problem.lines()[0]]
        else:
            try:
                rows, notes = migrate.status(m, migrate.load_state(state_path, p.estate.name))
                status = [_plain(s) for s in rows]
            except Exception as exc:  # read between the check and here, and changed since: still one line
                notes = [f"--migrate-state {state_path}: {str(exc).splitlines()[0]}"]
    return {"declared": True, "ok": m.ok, "site": m.site, "venue": m.venue, "rollback_minutes": m.rollback_minutes,
            "summary": m.summary_lines(), "waves": waves,
            "blocked": [b.to_json() for b in m.blocked], "status": status, "notes": notes}


def migrate_state_error(path: Path) -> TradeplaneError | None:
    """What is wrong with a migration state file (``--migrate-state``), as an ``InputError`` of one line
    naming the file (and the line and column of bad JSON) and what to do; ``None`` when it reads.

    The state file is the JSON ``tradeplane migrate advance`` writes, by default
    ``ESTATE.migrate-state.json`` beside the estate (``tradeplane.migrate.state_path``)."""
    from tradeplane import migrate
    from tradeplane.errors import Location

    p = Path(path)
    if not p.is_file():
        what = "a directory, not a" if p.is_dir() else "no such"
        return InputError.single(f"{what} migration state file", location=Location(str(p)), field="--migrate-state",
                                 hint="give the JSON `tradeplane migrate advance` writes: ESTATE.migrate-state.json "
                                      "beside the estate (e.g. examples/dv-trading.migrate-state.json)")
    try:
        migrate.load_state(p, "")
    except TradeplaneError as exc:
        first = exc.problems[0] if exc.problems else None
        return InputError.single(first.message if first else exc.message,
                                 location=first.location if first and first.location else Location(str(p)),
                                 field="--migrate-state", hint=first.hint if first else "")
    except OSError as exc:
        return InputError.single(f"cannot read the migration state: {exc.strerror or exc}",
                                 location=Location(str(p)), field="--migrate-state", hint="check the path")
    return None


def _plain(obj: Any) -> dict[str, Any]:
    to_json = getattr(obj, "to_json", None)
    if callable(to_json):
        return dict(to_json())
    from dataclasses import asdict, is_dataclass

    return asdict(obj) if is_dataclass(obj) and not isinstance(obj, type) else {"value": str(obj)}


def desk_counts(items: list[str]) -> dict[str, int]:
    return dict(sorted(Counter(items).items()))
