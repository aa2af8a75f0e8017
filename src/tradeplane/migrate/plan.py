"""``plan(estate)``: the whole migration, composed from the units, waves, proofs and windows.

The plan is pure (estate in, plan out). Stage 0 is the estate as it is (nothing moved); stage *i*
has waves 1..i moved. Each stage is proven (``proof.prove_next``: only what its wave changes, on
top of the previous stage; ``proof.prove`` with ``incremental=False``) against stage 0's network findings,
its Terraform is diffed against the previous stage's, and each wave gets a window (``windows``).
A wave is ready when every check of its stage passes and it has a window (outside the venues' declared
events, within ``windows.MAX_WAIT_DAYS`` of when it could go).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from tradeplane.errors import EstateError, Location
from tradeplane.estate import Estate, hours
from tradeplane.migrate.proof import UNPLACEABLE, CheckResult, StageProof, finding_key, prove, prove_next
from tradeplane.migrate.stage import stage
from tradeplane.migrate.tfdiff import ResourceDiff, resource_diff
from tradeplane.migrate.units import Blocked, Unit, build_units
from tradeplane.migrate.waves import Wave, order_waves
from tradeplane.migrate.windows import Blackout, Slot, blackouts, schedule
from tradeplane.plural import count

__all__ = ["WAVE_CHECKS", "MigrationPlan", "WavePlan", "after_wave", "plan"]


WAVE_CHECKS: dict[str, tuple[str, str]] = {
    "placement": ("Every workload of the stage, moved ones included, can be placed and meets its budgets.",
                  "tradeplane.placement solves the stage (moved workloads in GCP, the rest in the colocation) "
                  "against the zones' capacity, the guardrails and every latency budget."),
    "network": ("The stage adds no blocking network finding to the estate as it is.",
                "net verify's checks (all but the latency one) on the stage: every dependency and flow across "
                "the Interconnect/VPN is reachable with its replies, desk segmentation holds, each hybrid flow "
                "survives any single link element failing; findings the estate already has do not count."),
    "latency across the Interconnect": ("Each budget between a colocation end and a cloud end holds across the "
                                        "Interconnect.",
                                        "The round trip on the real path through the Interconnect metro "
                                        "(migrate.crossing) against each budget that crosses between the sides."),
    "link capacity": ("The data flows crossing between the sides fit the Interconnect with its largest "
                      "attachment failed.", "The crossing flows' Mb/s against the site's Interconnect "
                      "attachments less the largest one."),
    "cost": ("The stage can be priced.", "finops.estimate prices the cloud side; the colocation racks still "
             "holding a workload are added, for what running both sides costs a month."),
    "window": ("The wave's cutover and rollback fit a window when the venue is closed, outside its declared "
               "events, within 28 days of when the wave could go.",
               "The cutover minutes plus the rollback objective fit the venue's daily halt or weekend, from the "
               "venue's trading hours in the estate (migrate.windows); no window overlapping a declared event of "
               "the venues (roll, expiry: hours.events) is used; a wave waiting more than MAX_WAIT_DAYS (28) after "
               "the previous wave's cutover and soak is flagged; a clock change inside the window is named."),
}
"""Each check a wave must pass: name -> (the rule in one sentence, in full), for reviewers' tools (SARIF)."""


@dataclass(frozen=True)
class WavePlan:
    wave: Wave
    cutover_minutes: int
    slot: Slot
    proof: StageProof
    terraform: ResourceDiff
    roles: tuple[str, ...]
    baseline: tuple[CheckResult, ...] = ()
    """The checks of the estate as it is (stage 0): a problem it already has is not this wave's."""

    @property
    def number(self) -> int:
        return self.wave.number

    @property
    def checks(self) -> list[CheckResult]:
        """The stage's checks less what the estate as it is already fails (``baseline``), and the window.

        A problem stage 0 has word for word is the estate's, reported where it belongs (plan's
        placement, net verify), not restated by every wave; when the estate as it is cannot be placed at
        all, no stage can be, whatever its text says (its explanations name other workloads as waves
        add them), so the wave's placement is "not judged", one line, until the estate's own is fixed."""
        fits = self.slot.window is not None and not self.slot.late
        window = CheckResult("window", fits, self.slot.reason,
                             () if fits else (self.slot.late or self.slot.reason,))
        before = {c.name: c for c in self.baseline if not c.ok}
        out = []
        for c in self.proof.checks:
            b = before.get(c.name)
            if c.ok or b is None:
                out.append(c)
            elif c.name == "placement" and b.summary.startswith(UNPLACEABLE):
                out.append(CheckResult(c.name, False, c.summary, (
                    f"not judged: the estate as it is cannot be placed ({count(len(b.problems), 'problem')} of "
                    "its own, reported by placement); fix those first",)))
            else:
                new = tuple(p for p in c.problems if p not in b.problems)
                out.append(CheckResult(c.name, not new, f"{c.summary} ({len(c.problems) - len(new)} of them the "
                                       "estate's own)", new))
        return [*out, window]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def blocking(self) -> list[str]:
        return [f"{c.name}: {p}" for c in self.checks if not c.ok for p in c.problems]

    def to_json(self) -> dict[str, Any]:
        return {**self.wave.to_json(), "ok": self.ok, "roles": list(self.roles),
                "cutover_minutes": self.cutover_minutes, "slot": self.slot.to_json(),
                "checks": [c.to_json() for c in self.checks], "blocking": self.blocking,
                "proof": self.proof.to_json(), "terraform": self.terraform.to_json()}


@dataclass(frozen=True)
class MigrationPlan:
    estate: str
    site: str
    venue: str
    units: tuple[Unit, ...]
    blocked: tuple[Blocked, ...]
    waves: tuple[WavePlan, ...]
    baseline: StageProof
    rollback_minutes: int
    blackouts: tuple[Blackout, ...] = ()
    """The declared venue events no wave's window overlaps (``windows.blackouts``)."""

    @property
    def ok(self) -> bool:
        return all(w.ok for w in self.waves)

    @property
    def fingerprint(self) -> str:
        """Changes when the waves change (the state file checks it)."""
        text = ";".join(",".join(w.wave.workloads) for w in self.waves)
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()

    def wave(self, number: int) -> WavePlan:
        for w in self.waves:
            if w.number == number:
                return w
        raise KeyError(number)

    def summary_lines(self) -> list[str]:
        """One screen: the waves, their windows and verdicts, and what cannot move."""
        lines = [f"{sum(len(w.wave.workloads) for w in self.waves)} colocation workloads at {self.site} in "
                 f"{len(self.waves)} wave(s); windows from {self.venue}'s hours; "
                 f"rollback objective {self.rollback_minutes} min"]
        for w in self.waves:
            verdict = "ready" if w.ok else f"BLOCKED ({len(w.blocking)})"
            cost = w.proof.cloud_monthly + w.proof.colo_monthly
            lines.append(f"wave {w.number}: {', '.join(w.wave.workloads)} | {w.slot.reason} | "
                         f"${cost:,.0f}/month both sides | terraform {w.terraform.summary()} | {verdict}")
        for b in self.blocked:
            lines.append(f"stays: {b.workload}: {b.reason}")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {"estate": self.estate, "site": self.site, "venue": self.venue, "ok": self.ok,
                "fingerprint": self.fingerprint, "rollback_minutes": self.rollback_minutes,
                "units": [u.to_json() for u in self.units], "blocked": [b.to_json() for b in self.blocked],
                "blackouts": [b.to_json() for b in self.blackouts],
                "baseline": self.baseline.to_json(), "waves": [w.to_json() for w in self.waves]}


def plan(estate: Estate, *, incremental: bool = True) -> MigrationPlan:
    """The migration plan of the estate's colocation; ``EstateError`` when it declares none.

    ``incremental`` (the default) proves each stage from the previous one, checking only what its
    wave changes (``proof.prove_next``); ``False`` re-proves every stage whole (``proof.prove``):
    the same verdicts (``tests/migrate/test_incremental.py``), in time growing with the estate."""
    colo = estate.colocation
    if colo is None or colo.migration is None:
        raise EstateError.single(
            f"estate '{estate.name}' declares no colocation migration", location=Location(estate.name),
            field="colocation.migration",
            hint="add a 'colocation:' section with racks, workloads and 'migration:' (see examples/dv-trading)")
    m = colo.migration
    units = build_units(estate)
    waves = order_waves(units, m.max_wave_workloads)
    by_name = {w.name: w for w in colo.workloads}
    baseline = prove(estate, ())
    base_keys = {finding_key(f) for f in baseline.findings}
    needs = [sum(by_name[n].cutover_minutes for n in w.workloads) for w in waves]
    events = tuple(blackouts(estate, event_venues(estate)))
    slots = schedule(hours.venue_hours(estate.venue(m.venue)), m.start, needs, m.windows, m.soak_days,
                     m.rollback_minutes, m.venue, events)
    out: list[WavePlan] = []
    moved: list[str] = []
    previous = baseline
    for w, need, slot in zip(waves, needs, slots, strict=True):
        moved.extend(w.workloads)
        proof = prove_next(estate, previous, w.workloads, base_keys) if incremental else prove(estate, moved, base_keys)
        roles = tuple(sorted({by_name[n].role.value for n in w.workloads}))
        out.append(WavePlan(w, need, slot, proof, resource_diff(previous.resources, proof.resources), roles,
                            tuple(baseline.checks)))
        previous = proof
    return MigrationPlan(estate.name, colo.site, m.venue, tuple(units.units), tuple(units.blocked), tuple(out),
                         baseline, m.rollback_minutes, events)


def event_venues(estate: Estate) -> set[str]:
    """The venues whose declared events no wave may cut over in: the migration's venue and every venue
    a colocation workload trades on or has a budget to."""
    colo = estate.colocation
    assert colo is not None and colo.migration is not None
    known = {v.name for v in estate.venues}
    names = {colo.migration.venue}
    for w in colo.workloads:
        names.update(w.venues)
        names.update(b.to for b in w.latency_budgets if b.to in known)
    return names


def after_wave(estate: Estate, p: MigrationPlan, number: int) -> tuple[Estate, dict[str, tuple[str, ...]]]:
    """The estate as it is once wave ``number`` is done (waves 1..number moved: ``stage.stage``, the
    same application the plan proves and diffs), and the zones the plan placed every workload of that
    stage in (``StageProof.zones``): what ``tradeplane migrate render`` hands to Terraform, so the
    rendered wave holds the resources the plan's ``terraform +A ~C -R`` column counts. Wave 0 is the
    estate before the migration (stage 0, in its zones: what rolling wave 1 back returns to).
    ``KeyError`` when the plan has no such wave."""
    if number == 0:
        return stage(estate, ()), dict(p.baseline.zones)
    w = p.wave(number)
    moved = [n for x in p.waves if x.number <= w.number for n in x.wave.workloads]
    return stage(estate, moved), dict(w.proof.zones)
