"""The plan: everything tradeplane derives from one estate, in one pure call.

``tradeplane plan`` (the main job) is this function plus printing. Each section
comes from its package's public API; the plan only decides the order (placement
first, because Terraform renders the zones it chose) and what counts as blocking.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, TypeVar

import msgspec

from tradeplane import feeds, finops, k8s, migrate, net, observe, placement, review, security, terraform
from tradeplane.errors import Problem, UnsupportedError
from tradeplane.estate import Estate, Summary, summarise
from tradeplane.feeds import VenueFeedPlan
from tradeplane.finops import Estimate
from tradeplane.migrate import MigrationPlan
from tradeplane.net import BLOCKING_SEVERITIES, LatencyVerdicts, Report
from tradeplane.placement import BudgetFinding, PlacementResult
from tradeplane.plural import count
from tradeplane.security import KeyInventory, SecurityReport
from tradeplane.terraform import ConformanceFinding, Reference, Rendered
from tradeplane.tracing import span


@dataclass(frozen=True)
class Plan:
    estate: Estate
    summary: Summary
    placement: PlacementResult
    budgets: tuple[BudgetFinding, ...]
    terraform: Rendered
    dangling: tuple[Reference, ...]
    feeds: tuple[VenueFeedPlan, ...]
    cost: Estimate
    verify: Report
    security: SecurityReport
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    """Seconds each stage took (``STAGES`` order); for benchmarks and the progress display, not in JSON."""
    kubernetes: tuple[k8s.ClusterManifests, ...] = ()
    kubernetes_problems: tuple[str, ...] = ()
    conformance: tuple[ConformanceFinding, ...] = ()  # the rendered Terraform against its guardrails and links
    migration: MigrationPlan | None = None  # the colocation's move into GCP, when the estate declares one
    freeze: tuple[review.FreezeVerdict, ...] = ()
    """The change-freeze gate's verdicts (``judge_freeze``): each desk whose path this change touches
    while its venues trade. Blocking, unless ``emergency`` gives a reason."""
    emergency: str = ""
    """The reason given with ``--emergency``: frozen changes go through, and every format says so."""

    @property
    def frozen(self) -> list[str]:
        """The change-freeze lines that block an apply (none under an emergency)."""
        return [] if self.emergency else [v.line() for v in self.freeze]

    @property
    def overrides(self) -> list[str]:
        """The frozen changes an emergency let through, each naming its reason (never blocking)."""
        return [f"EMERGENCY ({self.emergency}): {v.line()}" for v in self.freeze] if self.emergency else []

    @property
    def blocking(self) -> list[str]:
        """What must be fixed before this estate is applied, one line each."""
        out = [f"placement {self.placement.status}: {x.render()}" for x in self.placement.explanations]
        out += [f"terraform: dangling reference {r}" for r in self.dangling]
        out += [f"kubernetes: {p}" for p in self.kubernetes_problems]
        out += [f"terraform conformance: {c}" for c in self.conformance]
        out += [f"net verify {f.severity}: {f.title}" + (f" (fix at {f.fix_location})" if f.fix_location else "")
                for f in self.verify.findings if f.severity in BLOCKING_SEVERITIES]
        out += [f"security {f.severity}: {f.title}" + (f" (fix at {f.location})" if f.location else "")
                for f in self.security.blocking]
        out += self.frozen
        return out

    @property
    def warnings(self) -> list[str]:
        """What deserves a look but does not stop an apply."""
        out = [line for line, _ in self._over_budget()]
        out += [f"net verify {f.severity}: {f.title}" for f in self.verify.findings
                if f.severity not in BLOCKING_SEVERITIES]
        out += [f"security {f.severity}: {f.title}" for f in self.security.sorted()
                if f not in self.security.blocking]
        out += [line for line, _, _ in self._blocked_waves()]
        return out

    def _over_budget(self) -> list[tuple[str, str]]:
        """Each desk whose estimated month is over its budget: (the warning, the budget's ``file:line``).
        The estimate is in US dollars (list prices), so only a USD budget is compared: a budget in another
        currency is the billing report's to judge, against spend billed in that currency (``cost report``)."""
        by_desk = self.cost.by("desk")
        return [(f"desk {b.desk}: estimated ${by_desk[b.desk]:,.0f}/month is over its budget of "
                 f"${b.monthly_usd:,.0f}", str(self.estate.where(b) or ""))
                for b in self.estate.budgets if b.currency == "USD" and by_desk.get(b.desk, 0.0) > b.monthly_usd]

    def _blocked_waves(self) -> list[tuple[str, str, str]]:
        """Each problem that blocks migration waves, once with every wave it blocks (a problem a later
        wave carries on is the same problem): (the warning, the wave check that fails, the migration's
        ``file:line``)."""
        if self.migration is None:
            return []
        waves: dict[tuple[str, str], list[int]] = {}
        for w in self.migration.waves:
            for c in w.checks:
                for problem in () if c.ok else c.problems:
                    waves.setdefault((c.name, problem), []).append(w.number)
        colo = self.estate.colocation
        where = str(self.estate.where(colo.migration) or "") if colo is not None and colo.migration else ""
        out = []
        for (check, problem), numbers in waves.items():
            if len(numbers) == 1:
                out.append((f"migration wave {numbers[0]} is blocked: {check}: {problem}", check, where))
            else:
                listed = ", ".join(str(n) for n in numbers[:-1]) + f" and {numbers[-1]}"
                out.append((f"migration waves {listed} are blocked: {check}: {problem}", check, where))
        return out

    def items(self) -> list[review.Item]:
        """Every finding of every analysis, flattened with its estate location (for the review formats)."""
        out = [review.Item("verify", f.severity, f.check, f.title, f.fix_location or "", f.fix)
               for f in self.verify.findings]
        out += [review.Item("security", f.severity, f.rule, f"{f.subject}: {f.title}",
                            f.location or _named_where(self.estate, f.subject), f.fix)
                for f in self.security.findings]
        out += [review.Item("placement", "high", x.kind, replace(x, where="", hint="").render(),
                            x.where or _named_where(self.estate, x.workload), x.hint)
                for x in self.placement.explanations]
        out += [review.Item("finops", "medium", "desk-budget", line, where) for line, where in self._over_budget()]
        out += [review.Item("migrate", "medium", _slug(check), line, where)
                for line, check, where in self._blocked_waves()]
        out += [review.Item("terraform", "high", "dangling-reference", str(r)) for r in self.dangling]
        out += [review.Item("freeze", "info" if self.emergency else "high", "change-freeze", line, v.location,
                            "" if self.emergency else v.fix())
                for v, line in zip(self.freeze, self.overrides or self.frozen, strict=True)]
        return sorted(out)

    def passed(self) -> dict[str, list[str]]:
        """What holds, per section (passing test cases in JUnit)."""
        return {"verify": sorted(self.verify.passed), "security": sorted(self.security.passed)}

    def render(self, fmt: str) -> str:
        """The plan as ``markdown`` (a pull-request comment), ``sarif`` (code scanning) or ``junit``."""
        from tradeplane import __version__

        if fmt == "markdown":
            summary = {"resources": str(self.terraform.total), "placement": _placed(self.placement),
                       "verify": _held(len(self.verify.passed), len(self.verify.findings), "property", "properties"),
                       "security": _held(len(self.security.passed), len(self.security.findings), "rule"),
                       "monthly cost (USD)": f"{self.cost.total_monthly:,.0f}"}
            return review.markdown(self.estate.name, self.items(), self.blocking, self.warnings, summary,
                                   self.overrides)
        if fmt == "sarif":  # a finding with no line of its own is shown at the estate's `name:`
            entry = self.estate.where(self.estate, "name")
            return review.sarif(self.estate.name, self.items(), __version__, str(entry) if entry else "", rules())
        if fmt == "junit":
            return review.junit(self.estate.name, self.items(), self.passed())
        raise ValueError(f"unknown format {fmt!r}")

    def to_json(self) -> dict[str, Any]:
        return {
            "estate": self.summary.to_json(),
            "placement": self.placement.to_json(),
            "latency_budgets": [b.to_json() for b in self.budgets],
            "terraform": self.terraform.to_json(),
            "feeds": [msgspec.to_builtins(f) for f in self.feeds],
            "cost": self.cost.to_json(),
            "verify": self.verify.to_json(),
            "security": self.security.to_json(),
            "kubernetes": {"clusters": {m.cluster: sorted(m.files) for m in self.kubernetes},
                           "problems": list(self.kubernetes_problems)},
            "migration": None if self.migration is None else
            {"ok": self.migration.ok, "summary": self.migration.summary_lines()},
            "blocking": self.blocking,
            "warnings": self.warnings,
            "freeze": self.frozen,
            "emergency": self.overrides,
        }


def rules() -> dict[str, review.Rule]:
    """What every rule a plan reports checks, keyed ``section/rule`` as ``Plan.items`` names them, each
    taken from where the rule is defined: net verify's registered checks (what each proves, its module's
    docstring), security's rule tables, placement's explanation kinds, the migration's wave checks, the
    change freeze, Terraform's reference check and the desks' budgets."""
    import importlib

    out: dict[str, review.Rule] = {}
    for c in net.CHECKS:
        doc = (importlib.import_module(c.module).__doc__ or "").strip().split("\n\n")[0]
        out[f"verify/{c.id}"] = review.Rule(_sentence(c.proves), " ".join(doc.split()) or _sentence(c.proves),
                                            docs='docs/net.md, section "What `verify` checks"')
    for rule, (summary, full, source) in security.RULES.items():
        section = "2. DDoS perimeter review" if rule.startswith("perimeter.") else "1. Key custody"
        out[f"security/{rule}"] = review.Rule(summary, f"{summary} {full}", source,
                                              f'docs/security.md, section "{section}"')
    for kind, (summary, full) in placement.KINDS.items():
        out[f"placement/{kind}"] = review.Rule(summary, f"{summary} {full}", docs='docs/placement.md, section "The solver"')
    for check, (summary, full) in migrate.WAVE_CHECKS.items():
        out[f"migrate/{_slug(check)}"] = review.Rule(
            summary, f"{summary} {full} Each wave of the colocation's move into GCP is proven on its intermediate "
            "estate; a problem the estate as it is already has is reported where it belongs, not by each wave.",
            docs='docs/migrate.md, section "How a wave is planned and proven safe"')
    out["freeze/change-freeze"] = review.FREEZE_RULE
    out["terraform/dangling-reference"] = review.Rule(
        "Every reference in the rendered Terraform resolves.",
        "Every reference in the rendered Terraform (a resource, data source, variable or module output) "
        "names something the rendered stages define (terraform.check_references walks every one); a dangling "
        "one fails terraform validate and plan.",
        docs='docs/terraform.md, section "Checks on the output: the provider schemas and what holds between resources"')
    out["finops/desk-budget"] = review.Rule(
        "A desk's estimated monthly cost is within the budget the estate gives it.",
        "finops.estimate's monthly cost of everything a desk runs (instances, clusters, networks, links, data "
        "transfer, at list prices) against the desk's budgets: entry (monthly_usd); over it is a warning, "
        "not a block.", "AWS EC2 On-Demand and GCP Compute Engine list prices (tradeplane.estate.prices)",
        'docs/finops.md, section "Estimates"')
    return out


def _slug(name: str) -> str:
    """A wave check's name as a rule id: "latency across the Interconnect" -> "latency-across-the-interconnect"."""
    return "-".join(name.lower().split())


def _sentence(text: str) -> str:
    """``text`` as a sentence: a capital first letter and a full stop."""
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def _named_where(estate: Estate, names: str) -> str:
    """The estate ``file:line`` of the first workload, else venue, that ``names`` (comma-separated, as a
    placement explanation joins the workloads of a conflict) calls by name; ``""`` when none has one."""
    for name in names.split(","):
        for lookup in (estate.workload, estate.venue):
            try:
                obj: object = lookup(name.strip())
            except KeyError:
                continue
            where = estate.where(obj)
            if where is not None:
                return str(where)
    return ""


def _placed(r: PlacementResult) -> str:
    """The placement line of the Markdown summary: the status and, when placed, the placed compute per
    hour with how it adds up (the workloads' instances plus the sole-tenant nodes, which carry their
    members' cost), as the placement table's total row says."""
    if not r.feasible:
        return r.status
    split = (f" = workloads ${r.workloads_hourly_usd:,.2f} + sole-tenant nodes ${r.nodes_hourly_usd:,.2f}"
             if r.node_groups else "")
    return f"{r.status}: placed compute ${r.hourly_usd:,.2f}/hour{split}"


def _held(passed: int, findings: int, noun: str, plural: str = "") -> str:
    """"71 properties hold, 1 finding": a section's line of the Markdown summary."""
    return f"{count(passed, noun, plural)} {'holds' if passed == 1 else 'hold'}, {count(findings, 'finding')}"


def latency_verdicts(estate: Estate, placed: PlacementResult,
                     budgets: tuple[BudgetFinding, ...] | None = None) -> LatencyVerdicts:
    """Placement's latency-budget verdicts in the shape ``net.verify`` takes (computed once per plan)."""
    if not placed.feasible:
        return LatencyVerdicts(unplaceable=tuple(placed.explanations))
    return LatencyVerdicts(budgets=budgets if budgets is not None else tuple(placement.check_budgets(estate, placed)))


def said_once(report: Report, placed: PlacementResult) -> Report:
    """``report`` without the findings that restate a placement explanation, for the plan.

    When the estate cannot be placed, ``net verify``'s ``latency-budgets`` check turns each of
    placement's explanations into a finding ("no placement meets every budget: ...", at the same
    line): on its own, ``net verify`` needs them, but the plan reports the explanations under
    placement (``placement/<kind>``, the more specific: the kind of constraint, its hint), so the
    plan's report leaves those out and every format says each problem once. With a placement, the
    check's findings (a budget not met where the solver put the workload) are verify's own and stay."""
    if placed.feasible:
        return report
    kept = [f for f in report.findings if f.check != LATENCY_CHECK]
    return replace(report, findings=kept) if len(kept) != len(report.findings) else report


LATENCY_CHECK = "latency-budgets"
"""The ``net verify`` check that judges latency budgets from placement's verdicts."""


def verify(estate: Estate) -> Report:
    """``net verify`` with the latency-budget verdicts: placement solves only when a workload has a budget."""
    if not any(w.latency_budgets for w in estate.workloads):
        return net.verify(estate)
    return net.verify(estate, latency=latency_verdicts(estate, placement.solve(estate)))


STAGES = ("summary", "placement", "budgets", "terraform", "references", "feeds", "cost", "verify", "security",
          "kubernetes", "conformance", "migration")
"""The stages of ``build``, in the order it runs them."""

StageHook = Callable[[str, "float | None"], None]
"""Called with (stage, None) when a stage starts and (stage, seconds) when it ends."""

T = TypeVar("T")


def build(estate: Estate, on_stage: StageHook | None = None) -> Plan:
    """Place, render, verify and cost the estate; never raises for findings, only for bad input.

    ``on_stage`` hears each stage start and end (the CLI's progress display); the seconds
    of each stage are kept in ``Plan.timings`` either way. A span ``tradeplane.plan`` is emitted
    when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (``tradeplane.tracing``)."""
    with span("tradeplane.plan", estate=estate.name):
        return _build(estate, on_stage)


def _build(estate: Estate, on_stage: StageHook | None) -> Plan:
    timings: dict[str, float] = {}

    def stage(name: str, work: Callable[[], T]) -> T:
        if on_stage is not None:
            on_stage(name, None)
        start = time.perf_counter()
        out = work()
        timings[name] = time.perf_counter() - start
        if on_stage is not None:
            on_stage(name, timings[name])
        return out

    summary = stage("summary", lambda: summarise(estate))
    placed = stage("placement", lambda: placement.solve(estate))
    budgets = stage("budgets", lambda: tuple(placement.check_budgets(estate, placed)))
    zones = placed_zones(placed)
    rendered = stage("terraform", lambda: render_terraform(estate, zones))
    dangling = stage("references", lambda: tuple(terraform.check_references(rendered)))
    feed_plans = stage("feeds", lambda: tuple(feeds.plan(estate)))
    cost = stage("cost", lambda: finops.estimate(estate))
    verified = stage("verify", lambda: said_once(net.verify(estate, latency=latency_verdicts(estate, placed, budgets)),
                                                 placed))
    secured = stage("security", lambda: security_review(estate, rendered))
    kube = stage("kubernetes", lambda: _kubernetes(estate, zones))
    conformance = stage("conformance", lambda: tuple(terraform.check_conformance(rendered, estate)))
    migration = stage("migration", lambda: migrate.plan(estate) if estate.colocation and estate.colocation.migration
                      else None)
    return Plan(
        estate=estate,
        summary=summary,
        placement=placed,
        budgets=budgets,
        terraform=rendered,
        dangling=dangling,
        feeds=feed_plans,
        cost=cost,
        verify=verified,
        security=secured,
        timings=timings,
        **kube,
        conformance=conformance,
        migration=migration,
    )


def placed_zones(placed: PlacementResult) -> dict[str, tuple[str, ...]] | None:
    """The one answer to "which zones does each replica run in" for every output (``plan -o``,
    ``terraform render``, ``k8s render``'s ``tradeplane.io/zones``): workload -> one zone per replica,
    the placement solver's choice; ``None`` when the solver found no placement (the renderer then
    uses the estate's own zones: ``terraform.placement.replica_zones``)."""
    return placement.zones_by_workload(placed) if placed.feasible else None


def render_placed(estate: Estate, strict: bool = False) -> tuple[Rendered, PlacementResult]:
    """``terraform render``: the estate's Terraform in the zones ``plan`` puts it in (the solver's,
    ``placed_zones``), and the placement they came from. Raises ``UnsupportedError`` (with the solver's
    explanations) when ``strict`` and the solver finds no placement; otherwise, as ``plan -o`` does, the
    replicas then go in the estate's own zones."""
    placed = placement.solve(estate)
    if strict and not placed.feasible:
        raise UnsupportedError(f"the placement solver found no placement ({placed.status}); nothing written "
                               "(without --place the estate's own zones are used, as plan -o does)",
                               [Problem(x.render()) for x in placed.explanations])
    return render_terraform(estate, placed_zones(placed)), placed


def render_terraform(estate: Estate, zones: dict[str, tuple[str, ...]] | None = None) -> Rendered:
    """The estate's Terraform with what other analyses decide handed in: the placement zones
    (when given) and the observability standard's SLO and burn-rate alert resources
    (``observe.cloud_alert_resources``) for the observability stages. ``EstateError`` when the
    standard is broken, ``UnsupportedError`` when a family cannot render."""
    return terraform.render(estate, zones=zones, cloud_alerts=observe.cloud_alert_resources(estate))


def judge_freeze(plan: Plan, old: Estate, at: datetime, emergency: str | None = None) -> Plan:
    """The plan with the change-freeze gate's verdicts in it (``plan --against OLD``): a change to a
    desk's path while its venues trade (``review.freeze``, market hours from the estate) blocks
    (``Plan.frozen``), unless ``emergency`` gives a reason; then each such change is said with the
    reason in every format (``Plan.overrides``) and does not block."""
    verdicts = review.freeze(plan.estate, review.changed_desks(old, plan.estate), at, old)
    return replace(plan, freeze=tuple(verdicts), emergency=emergency or "")


def security_review(estate: Estate, rendered: Rendered, inventory: KeyInventory | None = None,
                    as_of: date | None = None) -> SecurityReport:
    """Key custody and the DDoS perimeter: the rendered IAM and secrets, the egress addresses and
    the internet exposure the network engine computes, handed to ``security.check``."""
    resources = security.resources_of_blocks(rendered.blocks)
    crypto = {n.name for n in security.crypto_networks(estate)}
    exposure: dict[str, security.Exposure] = {}
    if crypto:
        dp = net.Dataplane.build(estate)
        for w in sorted(estate.workloads, key=lambda w: w.name):
            if w.network in crypto:
                answer = net.reach(dp, "internet", w.name, "all", replies=False)
                traces = [t for p in answer.pairs for t in p.delivered][:3]
                exposure[w.name] = security.Exposure(w.name, answer.verdict != "unreachable",
                                                     tuple(line for t in traces for line in t.render()))
    return security.check(estate, resources, net.egress_addresses(estate), exposure, inventory, as_of)


def kubernetes(estate: Estate) -> tuple[list[k8s.ClusterManifests], list[str]]:
    """The GKE manifests in the zones the solver chose, and what GKE cannot give (``k8s render``)."""
    placed = placement.solve(estate)
    if not placed.feasible:
        return [], [f"placement {placed.status}: {x.render()}" for x in placed.explanations]
    parts = _kubernetes(estate, placed_zones(placed))
    return list(parts["kubernetes"]), list(parts["kubernetes_problems"])


def _kubernetes(estate: Estate, zones: dict[str, tuple[str, ...]] | None) -> dict[str, Any]:
    if zones is None:
        return {}
    manifests = k8s.render(estate, zones)
    problems = [p.render() for p in k8s.problems(estate, zones)]
    problems += k8s.single_failure_violations(estate, manifests)
    return {"kubernetes": tuple(manifests), "kubernetes_problems": tuple(problems)}
