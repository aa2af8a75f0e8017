from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from tradeplane.cli import main

from .conftest import ROOT

DV = str(ROOT / "examples" / "dv-trading")


def test_place_estate_is_solve(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["place", DV, "--json"]) == 0
    short = capsys.readouterr().out
    assert main(["place", "solve", DV, "--json"]) == 0
    assert capsys.readouterr().out == short  # same command, byte-identical output
    data = json.loads(short)
    assert data["status"] == "optimal" and data["gap"] == 0.0
    assert all(b["met"] for b in data["budgets"])
    assert {w["workload"] for w in data["workloads"]} >= {"cme-order-router", "binance-mm"}


def test_place_tables(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["place", DV]) == 0
    out = capsys.readouterr().out
    assert "optimal" in out and "latency budgets" in out and "cme-order-router" in out


def test_long_tables_stop_and_say_where_every_row_is(capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """At 20,000 workloads the placement table is unreadable and cost 24 s of CPU to print: the tables
    stop at TABLE_ROWS rows and name how many more there are; --json keeps every row."""
    from tradeplane.cli import place

    assert main(["place", DV, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    monkeypatch.setattr(place, "TABLE_ROWS", 3)
    assert main(["place", DV]) == 0
    out = capsys.readouterr().out
    assert f"... {len(data['workloads']) - 3:,} more workloads not shown ({len(data['workloads']):,} in all" in out
    assert f"... {len(data['budgets']) - 3:,} more latency budgets not shown" in out
    shown = [w["workload"] for w in data["workloads"]]
    assert shown[0] in out and shown[-1] not in out


def test_place_infeasible_exits_2_with_the_explanation(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    est = tmp_path / "est"
    est.mkdir()
    for f in Path(DV).glob("*.yaml"):
        text = f.read_text(encoding="utf-8")
        if f.name == "workloads.yaml":
            text = text.replace("{to: cme-globex, rtt_us: 10000}", "{to: cme-globex, rtt_us: 3000}", 1)
        (est / f.name).write_text(text, encoding="utf-8")
    assert main(["place", str(est)]) == 2
    cap = capsys.readouterr()
    assert "infeasible" in cap.out and "fibre bound" in cap.out and "workloads.yaml:" in cap.out
    assert "cannot be placed" in cap.err
    assert main(["place", str(est), "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "infeasible" and data["explanations"][0]["kind"] == "budget"


def test_place_latency(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["place", "latency", "cme-aurora", "ap-northeast-1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "fibre-model" and 98_000 < data["fibre_bound_us"] < 100_500
    assert 67_000 < data["bound_us"] < 68_000  # the great circle at c in vacuum
    assert main(["place", "latency", "use1-az4", "apne1-az1"]) == 0
    out = capsys.readouterr().out
    assert "measured" in out and "cloudping" in out


def test_place_latency_with_the_estate_is_what_plan_and_place_judge_on(capsys: pytest.CaptureFixture[str]) -> None:
    """The trial: place latency said 8,205 µs (floor 6,234 µs) for us-central1-a -> cme-globex while plan and
    place judged the budget on 9,555 µs routed through the chi Interconnect (floor 7,258 µs) and sent users to
    place latency for the basis. With the estate it prints the judged figure; the direct one is context."""
    assert main(["place", DV, "--json"]) == 0
    judged = {(b["zone"], b["to"]): b["rtt_us"] for b in json.loads(capsys.readouterr().out)["budgets"]}
    assert judged[("us-central1-a", "cme-globex")] == 9_555.0
    assert main(["place", "latency", "us-central1-a", "cme-globex", DV, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["kind"], data["rtt_us"], data["estate"]) == ("routed", 9_555.0, "dv-trading")
    assert (data["a"], data["b"], data["b_place"]) == ("us-central1-a", "cme-globex", "cme-aurora")  # as asked
    assert round(data["fibre_bound_us"]) == 7_258 and "Interconnect metro chi" in data["basis"]
    assert data["direct"]["rtt_us"] == 8_205.0 and round(data["direct"]["fibre_bound_us"]) == 6_234
    assert main(["place", "latency", "us-central1-a", "cme-globex", DV]) == 0
    out = capsys.readouterr().out
    head = out.splitlines()[0]
    assert "9,555 µs round trip (routed" in head and "what plan and place judge budgets on" in head
    assert "floor: 7,258 µs (along the route" in out
    assert "direct, for context only: 8,205 µs" in out and "fibre floor 6,234 µs" in out
    assert main(["place", "latency", "cme-globex", "us-central1-a", DV, "--json"]) == 0  # either order
    assert json.loads(capsys.readouterr().out)["rtt_us"] == 9_555.0


def test_place_latency_says_when_the_estate_does_not_route_the_pair(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["place", "latency", "apne1-az4", "binance", DV]) == 0
    out = capsys.readouterr().out
    assert "100 µs round trip (fabric" in out and "declares no exit or path between these places" in out
    assert main(["place", "latency", "us-central1-a", "cme-globex"]) == 0  # no estate: the straight model
    out = capsys.readouterr().out
    assert "8,205 µs" in out and "tradeplane place latency us-central1-a cme-globex ESTATE" in out


def test_place_latency_via_a_path_of_the_estate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["place", DV, "--json"]) == 0
    (b,) = [b for b in json.loads(capsys.readouterr().out)["budgets"] if b["to"] == "aurora-colo"]
    assert main(["place", "latency", b["zone"], "aurora-colo", DV, "--via", "mw-aurora-carteret", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "path" and "mw-aurora-carteret" in data["basis"] and data["rtt_us"] == b["rtt_us"]
    assert main(["place", "latency", "use1-az4", "aurora-colo", DV, "--via", "nope"]) == 2
    assert "unknown path 'nope'" in capsys.readouterr().err
    assert main(["place", "latency", "use1-az4", "aurora-colo", "--via", "nope"]) == 2
    assert "give the estate too" in capsys.readouterr().err


def test_one_rounding_the_judged_figure_the_hint_and_the_report_agree(capsys: pytest.CaptureFixture[str]) -> None:
    """9,555.06 µs was printed 9,555 by plan and migrate and 'at least 9,556' by place's explanation: an
    estimate is whole microseconds, so a budget of exactly the printed figure is met."""
    from tradeplane import estate as est
    from tradeplane.placement import Routes, estimate_rtt

    r = Routes(est.load(DV)).rtt("us-central1-a", "cme-globex")
    assert r.rtt_us == 9_555.0 and r.rtt_us == sum(float(x) for x in (8_869, 686))  # the legs its basis prints
    assert estimate_rtt("us-central1-a", "cme-globex").rtt_us == 8_205.0


def test_place_latency_unknown_place_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["place", "latency", "atlantis", "use1-az4"]) == 2
    assert "unknown place 'atlantis'" in capsys.readouterr().err


def test_place_custom_capacity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = yaml.safe_load((ROOT / "src/tradeplane/placement/capacity.yaml").read_text(encoding="utf-8"))
    data["zones"] = {"use1-az4": {"vcpus_per_family": 64}}
    cap = tmp_path / "cap.yaml"
    cap.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["place", DV, "--capacity", str(cap)]) == 2
    assert "capacity" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("- not a mapping\n", encoding="utf-8")
    assert main(["place", DV, "--capacity", str(bad)]) == 2


def test_place_small_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["place", str(ROOT / "examples" / "small"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (w,) = data["workloads"]
    assert w["zones"][0].startswith("use2-")  # its subnet's zone
    (b,) = data["budgets"]
    assert b["met"] and b["to"] == "cme-globex"


def _money(cell: str) -> Decimal:
    return Decimal(cell.replace(",", ""))


def test_the_placement_rows_add_up_to_the_headline(capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The trial's report: futures-pricer (sole-tenant group st-pricing) showed $/hour 0.0000 while the
    headline included its node, so the rows did not add up. Its row now says the nodes carry it, the
    node group has a row of its own, and the total row is the headline, to the micro-dollar."""
    from tradeplane.cli import output

    monkeypatch.setattr(output.console, "width", 250)  # one line per row
    assert main(["place", DV, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    pricer = next(w for w in data["workloads"] if w["workload"] == "futures-pricer")
    assert pricer["billed_to"] == "st-pricing" and pricer["hourly_usd"] == 0
    [nodes] = [g for g in data["groups"] if g.get("node_type")]
    assert nodes["name"] == "st-pricing" and nodes["hourly_usd"] > 0
    cost = data["cost"]
    assert cost["sole_tenant_nodes_hourly_usd"] == nodes["hourly_usd"]
    assert cost["workloads_hourly_usd"] == pytest.approx(sum(w["hourly_usd"] for w in data["workloads"]), abs=1e-6)
    assert cost["workloads_hourly_usd"] + cost["sole_tenant_nodes_hourly_usd"] == pytest.approx(data["hourly_usd"],
                                                                                                abs=1e-6)
    assert main(["place", DV]) == 0
    out = capsys.readouterr().out
    table = out[:out.index("\ngroups")]
    cells = {line.split("│")[1].strip(): line.split("│")[5].strip() for line in table.splitlines()
             if line.startswith("│")}
    assert cells["futures-pricer"] == "on nodes"
    assert cells["st-pricing nodes"] == f"{nodes['hourly_usd']:,.6f}"
    total = cells.pop("total")
    assert total == f"{data['hourly_usd']:,.6f}"
    assert sum(_money(v) for v in cells.values() if v != "on nodes") == _money(total)
    assert (f"placed instances ${data['hourly_usd']:,.2f}/hour = workloads ${cost['workloads_hourly_usd']:,.2f} + "
            f"sole-tenant nodes ${cost['sole_tenant_nodes_hourly_usd']:,.2f} (the total row") in " ".join(out.split())


def test_the_plan_markdown_says_how_the_placed_compute_adds_up() -> None:
    from tradeplane import estate as est
    from tradeplane import plan

    p = plan.build(est.load(DV))
    r = p.placement
    line = (f"| placement | optimal: placed compute ${r.hourly_usd:,.2f}/hour = workloads "
            f"${r.workloads_hourly_usd:,.2f} + sole-tenant nodes ${r.nodes_hourly_usd:,.2f} |")
    assert line in p.render("markdown")
    assert p.to_json()["placement"]["cost"] == r.cost_json()
