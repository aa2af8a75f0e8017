"""Each problem is reported once, where it belongs, with its rule described (the trial's findings).

- an impossible latency budget was both ``placement/placement`` and ``verify/latency-budgets`` (two SARIF
  results on one line, two blocking lines);
- each migration wave restated a problem the estate already had;
- a desk over its budget and a blocked wave were warnings but not SARIF results;
- SARIF rules had no help; a freeze-only Markdown repeated the freeze in a findings table.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tradeplane import estate as est
from tradeplane import net, plan
from tradeplane.migrate import CheckResult

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def small_bad(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``examples/small`` in a git checkout with a latency budget no zone can meet (20,000 -> 50 µs) and
    the futures desk's budget far under its estimate (20,000 -> 100 USD a month)."""
    root = tmp_path_factory.mktemp("checkout")
    (root / ".git").mkdir()
    out = root / "small"
    shutil.copytree(ROOT / "examples/small", out)
    text = (out / "estate.yaml").read_text()
    assert "rtt_us: 20000" in text and "{desk: futures, monthly_usd: 20000}" in text
    text = text.replace("rtt_us: 20000", "rtt_us: 50", 1)
    text = text.replace("{desk: futures, monthly_usd: 20000}", "{desk: futures, monthly_usd: 100}", 1)
    (out / "estate.yaml").write_text(text)
    return out


@pytest.fixture(scope="module")
def small_plan(small_bad: Path) -> plan.Plan:
    return plan.build(est.load(small_bad))


def _line_of(path: Path, needle: str) -> int:
    [n] = [i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    return n


def _results(p: plan.Plan) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    run = json.loads(p.render("sarif"))["runs"][0]
    return run["results"], run["tool"]["driver"]["rules"]


def test_an_impossible_budget_is_one_placement_finding(small_plan: plan.Plan, small_bad: Path) -> None:
    p = small_plan
    assert p.placement.status == "infeasible" and len(p.placement.explanations) == 1
    [x] = p.placement.explanations
    budget_line = _line_of(small_bad / "estate.yaml", "rtt_us: 50")
    results, _ = _results(p)
    at_budget = [r for r in results if r["locations"][0]["physicalLocation"]["region"]["startLine"] == budget_line]
    assert [r["ruleId"] for r in at_budget] == ["placement/budget"]  # the kind of constraint, not verify's copy
    [r] = at_budget
    assert r["level"] == "error" and r["message"]["text"] == f"{x.message}. Fix: {x.hint}"
    assert not [r for r in results if r["ruleId"] == "verify/latency-budgets"]
    assert [b for b in p.blocking if x.message in b] == [f"placement infeasible: {x.render()}"]
    md = p.render("markdown")
    assert md.count(x.message) == 2  # once in the verdict's blocking list, once in the findings table
    assert "| verify | 5 properties hold, 0 findings |" in md
    # one SARIF result per problem and location
    keys = Counter((r["ruleId"], r["message"]["text"], json.dumps(r.get("locations"), sort_keys=True))
                   for r in results)
    assert max(keys.values()) == 1


def test_net_verify_on_its_own_still_reports_the_budget(small_bad: Path) -> None:
    """Nothing lost: ``net verify`` (no placement section to say it) keeps the latency-budgets finding."""
    report = plan.verify(est.load(small_bad))
    [f] = [f for f in report.findings if f.check == "latency-budgets"]
    assert f.title.startswith("no placement meets every budget: ") and f.severity == "high"


def test_a_desk_over_its_budget_is_a_sarif_warning_at_the_budget(small_plan: plan.Plan, small_bad: Path) -> None:
    p = small_plan
    [warning] = [w for w in p.warnings if w.startswith("desk futures:")]
    assert warning.endswith("is over its budget of $100")
    results, _ = _results(p)
    [r] = [r for r in results if r["ruleId"] == "finops/desk-budget"]
    assert r["level"] == "warning" and r["message"]["text"] == warning
    region = r["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == _line_of(small_bad / "estate.yaml", "{desk: futures, monthly_usd: 100}")
    md = p.render("markdown")
    assert md.count(warning) == 1  # in the warnings list, with its line, and not again in the table
    assert f"- {warning} (at `" in md


def test_a_budget_in_another_currency_is_not_compared_with_the_usd_estimate(small_bad: Path,
                                                                             tmp_path: Path) -> None:
    """The estimate is list prices in US dollars: 100 EUR is not 100 USD, so no overrun is claimed (the
    billing report compares it with spend billed in EUR)."""
    out = tmp_path / "small"
    shutil.copytree(small_bad, out)
    text = (out / "estate.yaml").read_text()
    (out / "estate.yaml").write_text(text.replace("{desk: futures, monthly_usd: 100}",
                                                  "{desk: futures, monthly_usd: 100, currency: EUR}", 1))
    p = plan.build(est.load(out))
    assert not [w for w in p.warnings if w.startswith("desk futures:")]
    assert "finops/desk-budget" not in {r["ruleId"] for r in _results(p)[0]}


def test_every_sarif_rule_says_what_it_checks(small_plan: plan.Plan) -> None:
    results, rules = _results(small_plan)
    assert {r["ruleId"] for r in results} == {r["id"] for r in rules}
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"].startswith(rule["fullDescription"]["text"])
        assert rule["help"]["markdown"].startswith(rule["fullDescription"]["text"])
        assert "helpUri" not in rule  # SARIF wants an absolute URI; the docs are named in the help instead
    by_id = {r["id"]: r for r in rules}
    budget = by_id["placement/budget"]
    assert budget["shortDescription"]["text"] == "Every latency budget holds where the workload is placed."
    assert 'Docs: docs/placement.md, section "The solver"' in budget["help"]["text"]
    finops = by_id["finops/desk-budget"]
    assert "**Source:** AWS EC2 On-Demand and GCP Compute Engine list prices" in finops["help"]["markdown"]


def test_every_rule_a_plan_can_report_is_described() -> None:
    """Each rule comes from where it is defined: a verify check's full description is its module's
    docstring, a security rule keeps its source, and every registered check has one."""
    import importlib

    from tradeplane import security

    rules = plan.rules()
    for c in net.CHECKS:
        rule = rules[f"verify/{c.id}"]
        first = (importlib.import_module(c.module).__doc__ or "").strip().split("\n\n")[0]
        assert rule.description == " ".join(first.split()) and rule.summary.endswith(".")
    for rule_id, (summary, _, source) in security.RULES.items():
        assert rules[f"security/{rule_id}"].summary == summary and rules[f"security/{rule_id}"].source == source
    assert rules["security/perimeter.shield"].source.startswith("AWS Shield Advanced")
    assert {k.split("/")[0] for k in rules} == {"verify", "security", "placement", "migrate", "freeze",
                                                 "terraform", "finops"}


@pytest.fixture(scope="module")
def unplaceable_reference(tmp_path_factory: pytest.TempPathFactory) -> plan.Plan:
    """The reference estate (with its colocation migration) whose equities order gateway asks 600 µs to
    Nasdaq and 14,000 µs to Aurora: no zone is within both, so the estate as it is cannot be placed."""
    out = tmp_path_factory.mktemp("estate") / "dv-trading"
    shutil.copytree(ROOT / "examples/dv-trading", out)
    text = (out / "workloads.yaml").read_text()
    assert "- {to: nasdaq, rtt_us: 6000}" in text
    (out / "workloads.yaml").write_text(text.replace("- {to: nasdaq, rtt_us: 6000}", "- {to: nasdaq, rtt_us: 600}"))
    return plan.build(est.load(out))


def test_a_problem_the_estate_already_has_is_not_restated_by_each_wave(unplaceable_reference: plan.Plan) -> None:
    p = unplaceable_reference
    assert p.placement.status == "infeasible" and p.migration is not None
    [x] = p.placement.explanations
    waves = [w for w in p.warnings if w.startswith("migration")]
    assert waves == ["migration waves 1, 2 and 3 are blocked: placement: not judged: the estate as it is cannot "
                     "be placed (1 problem of its own, reported by placement); fix those first"]
    assert not any(x.message in w for w in p.warnings)  # said once, under placement (blocking)
    assert all(not w.ok for w in p.migration.waves)  # nothing about a wave can be proven meanwhile
    results, _ = _results(p)
    assert Counter(r["ruleId"] for r in results) == {"placement/budget": 1, "migrate/placement": 1}
    [wave] = [r for r in results if r["ruleId"] == "migrate/placement"]
    assert wave["level"] == "warning" and wave["message"]["text"] == waves[0]
    assert wave["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("colocation.yaml")


def test_a_wave_reports_only_what_it_adds() -> None:
    """Against the estate as it is (stage 0): a problem it already has, word for word, is not the
    wave's; a new one is, and a problem several waves share is one warning naming them all."""
    from tradeplane import migrate

    reference = plan.build(est.load(ROOT / "examples/dv-trading"))
    assert reference.migration is not None and reference.migration.ok
    old = CheckResult("link capacity", False, "over", ("9,000 Mb/s crosses but the Interconnect carries 8,000",))
    new = CheckResult("link capacity", False, "over", (*old.problems, "a new problem"))
    waves = []
    for w in reference.migration.waves:
        proof = replace(w.proof, checks=[c if c.name != "link capacity" else new for c in w.proof.checks])
        waves.append(replace(w, proof=proof, baseline=(old,)))
    assert [c.problems for c in waves[0].checks if c.name == "link capacity"] == [("a new problem",)]
    assert waves[0].blocking == ["link capacity: a new problem"]
    p = replace(reference, migration=replace(reference.migration, waves=tuple(waves)))
    assert [w for w in p.warnings if w.startswith("migration")] == [
        "migration waves 1, 2 and 3 are blocked: link capacity: a new problem"]
    # every check a wave runs is described ("cost" appears only when a stage cannot be priced)
    assert {c.name for c in reference.migration.waves[0].checks} | {"cost"} == set(migrate.WAVE_CHECKS)
