"""Cutover and rollback runbooks of a wave, in markdown, from the plan.

Each runbook is written for the people on the bridge: the window and its deadlines (the rollback
must start early enough to finish before the venue opens), pre-checks as commands to paste, the
steps in dependency order (producers before consumers), go/no-go criteria taken from the wave's
proofs and the parallel-run comparison, and rollback triggers and steps in reverse order.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from tradeplane.estate import ColoRole, ColoWorkload, Estate, hours
from tradeplane.migrate.plan import MigrationPlan, WavePlan

__all__ = ["cutover_runbook", "rollback_runbook"]

_ROLE_STEPS: dict[ColoRole, tuple[str, ...]] = {
    ColoRole.MARKET_DATA: (
        "confirm the GCP handler receives both the A and B feeds and arbitrates them (no gap since start)",
        "compare its output with the colocation handler's over the parallel run (go/no-go below)",
        "point subscribers at the GCP handler; keep the colocation handler running, unsubscribed",
    ),
    ColoRole.STRATEGY: (
        "start the strategy in GCP in observe-only mode; confirm positions and parameters match the colocation one",
        "stop the colocation strategy (flat or positions handed over), then enable order entry in GCP",
    ),
    ColoRole.ORDER_GATEWAY: (
        "log the colocation iLink session out cleanly (no open orders: cancel-on-disconnect armed)",
        "log the GCP gateway in with the same session identity; confirm sequence numbers continue",
        "send a test order and cancel on a test instrument; confirm the drop copy shows both",
    ),
    ColoRole.RISK: (
        "reconcile positions in the GCP risk engine against the drop copy and the colocation engine",
        "switch the gateways' pre-trade checks to the GCP risk engine",
    ),
    ColoRole.DROP_COPY: (
        "log the GCP drop-copy session in; confirm it replays from the last sequence the colocation one saw",
    ),
    ColoRole.CLOCK: ("confirm every moved host takes time from the GCP clock service (offset within budget)",),
    ColoRole.MONITORING: (
        "confirm every target, colocation and GCP, is scraped from the GCP monitoring workload",
    ),
}


def _local(p: MigrationPlan, w: WavePlan, tz: str) -> tuple[str, str, str]:
    win = w.slot.window
    if win is None:
        return "no window found", "-", "-"
    zone = ZoneInfo(tz)
    start = win.start.astimezone(zone)
    decide = (win.start + timedelta(minutes=w.cutover_minutes)).astimezone(zone)
    latest = (win.end - timedelta(minutes=p.rollback_minutes)).astimezone(zone)
    fmt = "%a %Y-%m-%d %H:%M %Z"
    return start.strftime(fmt), decide.strftime(fmt), latest.strftime(fmt)


def _ordered(estate: Estate, w: WavePlan) -> list[ColoWorkload]:
    colo = estate.colocation
    assert colo is not None
    members = [colo.workload(n) for n in w.wave.workloads]
    names = {m.name for m in members}
    done: list[ColoWorkload] = []
    left = sorted(members, key=lambda m: m.name)
    while left:  # producers first; a cycle falls back to name order
        ready = [m for m in left if not ({d.workload for d in m.depends_on} & names - {x.name for x in done}
                                         - {m.name})]
        pick = ready[0] if ready else left[0]
        done.append(pick)
        left.remove(pick)
    return done


def cutover_runbook(estate: Estate, p: MigrationPlan, number: int, estate_path: str = "ESTATE") -> str:
    """The cutover runbook of wave ``number`` (markdown)."""
    w = p.wave(number)
    colo = estate.colocation
    assert colo is not None and colo.migration is not None
    tz = hours.venue_hours(estate.venue(p.venue)).timezone
    start, decide, latest = _local(p, w, tz)
    crit = colo.migration.criteria
    hosts = colo.hosts()
    lines = [f"# Wave {w.number} cutover: {', '.join(w.wave.workloads)}", "",
             f"- Estate: `{p.estate}`; colocation `{p.site}`; windows from `{p.venue}` trading hours",
             f"- Window: {w.slot.reason}",
             f"- Start: {start}; go/no-go decision by {decide}; rollback must start by {latest} "
             f"(rollback objective {p.rollback_minutes} min)",
             f"- Plan verdict: {'every check passes' if w.ok else 'BLOCKED - do not start'}", ""]
    if not w.ok:
        lines += ["## Blocking", "", *(f"- {b}" for b in w.blocking), ""]
    lines += ["## What moves", "", "| workload | role | colocation hosts | GCP target | cutover |",
              "| --- | --- | --- | --- | --- |"]
    for m in _ordered(estate, w):
        t = m.target
        assert t is not None
        where = f"{t.network}/{t.subnet} {', '.join(sorted(set(w.proof.zones.get(m.name, ())))) or t.zone or ''}"
        addrs = ", ".join(f"{h} ({hosts[h][1].address})" for h in m.hosts if h in hosts)
        lines.append(f"| {m.name} | {m.role.value} | {addrs} | {where.strip()} {t.machine_type} x{t.count} | "
                     f"{m.cutover_minutes} min |")
    for u in w.wave.units:
        for r in u.reasons:
            lines.append(f"\n> Together because: {r}")
    lines += ["", "## Pre-checks (run all; each must pass)", "", "```sh",
              f"tradeplane estate validate {estate_path}",
              f"tradeplane migrate status {estate_path}          # waves 1..{w.number - 1} done",
              f"tradeplane migrate plan {estate_path} --wave {w.number}   # every check of this wave passes",
              f"tradeplane net verify {estate_path}",
              f"tradeplane migrate render {estate_path} --wave {w.number} -o tf-wave-{w.number}  # the estate after "
              f"this wave; terraform plan each changed stage: {w.terraform.summary()}"]
    for m in _ordered(estate, w):
        if m.role in (ColoRole.MARKET_DATA, ColoRole.DROP_COPY, ColoRole.STRATEGY):
            lines.append(f"tradeplane migrate compare {m.name}-colo.pcap {m.name}-gcp.pcap --estate {estate_path}")
    lines += ["```", "", "## Go / no-go", "", "Go only when every line holds:", ""]
    for c in w.checks:
        lines.append(f"- [{'x' if c.ok else ' '}] {c.name}: {c.summary}")
    lines += [f"- [ ] parallel run (`migrate compare`): missing <= {crit.max_missing}, extra <= {crit.max_extra}, "
              f"duplicated <= {crit.max_duplicated}, reordered <= {crit.max_reordered}, differing <= "
              f"{crit.max_differing}, latency p99 <= {crit.max_p99_us:,.0f} µs"
              + (f", max <= {crit.max_us:,.0f} µs" if crit.max_us else ""), ""]
    lines += ["## Steps", "", f"1. Apply the Terraform of this wave from `tf-wave-{w.number}` "
              f"({w.terraform.summary()} resources: added, changed, removed), stage by stage in order."]
    n = 2
    for m in _ordered(estate, w):
        lines.append(f"{n}. **{m.name}** ({m.role.value}, {m.cutover_minutes} min):")
        for s in _ROLE_STEPS.get(m.role, ()):
            lines.append(f"   - {s}")
        n += 1
    lines += [f"{n}. Run the pre-checks again; then record the wave:", "", "```sh",
              f"tradeplane migrate advance {estate_path} {w.number} --left COLO-RECORDING --right GCP-RECORDING",
              "```", "", "If any go/no-go line fails, or the decision time passes, follow the rollback runbook.", ""]
    if not w.terraform.empty:
        lines += ["## Terraform change", ""]
        lines += [f"- add `{a}`" for a in w.terraform.added]
        lines += [f"- change `{a}`" for a in w.terraform.changed]
        lines += [f"- remove `{a}`" for a in w.terraform.removed]
        lines.append("")
    return "\n".join(lines)


def rollback_runbook(estate: Estate, p: MigrationPlan, number: int, estate_path: str = "ESTATE") -> str:
    """The rollback runbook of wave ``number`` (markdown)."""
    w = p.wave(number)
    colo = estate.colocation
    assert colo is not None and colo.migration is not None
    tz = hours.venue_hours(estate.venue(p.venue)).timezone
    _start, decide, latest = _local(p, w, tz)
    crit = colo.migration.criteria
    lines = [f"# Wave {w.number} rollback: {', '.join(w.wave.workloads)}", "",
             f"Rollback objective: {p.rollback_minutes} min. Start no later than {latest}, so the colocation "
             f"runs everything again before {p.venue} opens.", "", "## Triggers (any one)", "",
             f"- a go/no-go line of the cutover runbook fails, or it is not all green by {decide}",
             f"- the parallel-run comparison fails its criteria (missing > {crit.max_missing}, differing > "
             f"{crit.max_differing}, latency p99 > {crit.max_p99_us:,.0f} µs ...)",
             "- `tradeplane net verify` reports a new critical or high finding",
             "- an order gateway cannot log in, or its sequence numbers do not continue",
             "- positions in the GCP risk engine do not reconcile with the drop copy", "",
             "## Steps (reverse order of the cutover)", ""]
    n = 1
    for m in reversed(_ordered(estate, w)):
        lines.append(f"{n}. **{m.name}**: stop it in GCP; resume the colocation instance on "
                     f"{', '.join(m.hosts)}; point its consumers back at the colocation")
        if m.role is ColoRole.ORDER_GATEWAY:
            lines.append("   - log the GCP iLink session out; log the colocation session in; reconcile open orders")
        if m.role is ColoRole.RISK:
            lines.append("   - switch pre-trade checks back to the colocation risk engine; reconcile positions")
        n += 1
    lines += [f"{n}. Leave the Terraform of this wave applied but idle (instances stopped), or return to the "
              f"estate before it: `tradeplane migrate render {estate_path} --wave {w.number - 1} -o "
              f"tf-wave-{w.number - 1}`, then `terraform plan` shows the wave's resources removed "
              f"({w.terraform.summary()} reversed); nothing of the previous waves changes.",
              f"{n + 1}. Prove the previous state again:", "", "```sh",
              (f"tradeplane migrate plan {estate_path} --wave {w.number - 1}" if w.number > 1
               else f"tradeplane net verify {estate_path}"),
              f"tradeplane migrate status {estate_path}   # wave {w.number} stays not done",
              "```", "", "Write up what triggered the rollback before the wave is scheduled again.", ""]
    return "\n".join(lines)
