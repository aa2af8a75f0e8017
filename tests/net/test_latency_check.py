"""Latency budgets are verified as intents: met budgets pass, impossible ones are findings with a reason.

Placement computes the verdicts and ``plan`` (the composer) hands them to ``net.verify``."""

from __future__ import annotations

from tradeplane import estate as est
from tradeplane import plan


def test_met_budgets_are_passed_properties(small_estate: est.Estate) -> None:
    report = plan.verify(small_estate)
    assert "latency-budgets" in report.checks
    assert any(p.startswith("latency budget strategy -> cme-globex") for p in report.passed)
    assert not [f for f in report.findings if f.check == "latency-budgets"]


def test_an_impossible_budget_is_a_high_finding_with_the_physical_reason(small_estate: est.Estate) -> None:
    text = est.to_yaml(small_estate).replace("rtt_us: 20000.0", "rtt_us: 100.0")
    assert "rtt_us: 100.0" in text
    report = plan.verify(est.load_text(text, "small.yaml"))
    (finding,) = [f for f in report.findings if f.check == "latency-budgets"]
    assert finding.severity == "high" and not report.ok
    assert finding.title.startswith("no placement meets every budget")
    assert "fibre bound" in finding.title
    assert finding.flows == ("strategy",)
