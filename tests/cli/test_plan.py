"""The main job: one call that places, renders, verifies and costs the estate, and says what blocks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tradeplane import estate as est
from tradeplane import plan
from tradeplane.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def reference_plan() -> plan.Plan:
    return plan.build(est.load(ROOT / "examples/dv-trading"))


def test_reference_plan_has_every_section_and_nothing_blocks(reference_plan: plan.Plan) -> None:
    p = reference_plan
    assert p.placement.status == "optimal"
    assert p.terraform.total > 400 and not p.dangling
    assert p.verify.ok and "latency-budgets" in p.verify.checks
    assert {f.venue for f in p.feeds} == {"binance", "bybit", "coinbase", "deribit", "kraken", "okx"}
    assert p.cost.total_monthly > 0
    assert p.blocking == []
    data = p.to_json()
    assert set(data) == {"estate", "placement", "latency_budgets", "terraform", "feeds", "cost", "verify",
                         "kubernetes", "security", "migration", "blocking", "warnings", "freeze", "emergency"}
    assert data["kubernetes"]["problems"] == [] and "futures-gke" in data["kubernetes"]["clusters"]
    # The cost includes both ends of the cross-cloud link: an AWS Direct Connect port per leg.
    cost = {x["id"]: x["monthly"] for x in data["cost"]["lines"]}
    assert cost["cross-cloud.xc-gcp.dx-a"] == cost["cross-cloud.xc-gcp.dx-b"] == 1642.5
    assert data["cost"]["total_monthly"] == 75204.31


def test_the_smallest_example_plans_with_nothing_blocking(capsys: pytest.CaptureFixture[str]) -> None:
    """examples/small is "the smallest useful estate": a new user's first plan of it must not block (it
    did: app-sg had no egress, so the strategy could not reach its venue)."""
    assert main(["plan", str(ROOT / "examples/small"), "--strict", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "**Nothing blocks an apply** (0 blocking, 0 warnings)" in out
    assert "| verify | 6 properties hold, 0 findings |" in out


def test_terraform_uses_the_zones_the_solver_chose(reference_plan: plan.Plan) -> None:
    placed = {w.workload: w.zones for w in reference_plan.placement.workloads}
    compute = "".join(text for path, text in reference_plan.terraform.files.items() if "gcp/30-compute" in path)
    for zone in placed["cme-order-router"]:
        assert f'"{zone}"' in compute


def test_a_broken_estate_blocks_and_strict_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = ROOT / "examples/dv-trading"
    for f in src.glob("*.yaml"):
        text = f.read_text(encoding="utf-8")
        if f.name == "workloads.yaml":  # an order router that must sit 50 µs from CME: physically impossible
            text = text.replace("- {to: cme-globex, rtt_us: 10000}", "- {to: cme-globex, rtt_us: 50}", 1)
        (tmp_path / f.name).write_text(text, encoding="utf-8")
    assert main(["plan", str(tmp_path), "--strict", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["placement"]["status"] == "infeasible"
    assert any("fibre bound" in line for line in data["blocking"])
    assert main(["plan", str(tmp_path), "--json"]) == 0  # without --strict the plan only reports


def test_plan_writes_terraform_and_json_is_deterministic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(ROOT / "examples/small"), "--json", "-o", str(tmp_path / "tf")]) == 0
    first = capsys.readouterr().out
    assert main(["plan", str(ROOT / "examples/small"), "--json"]) == 0
    assert capsys.readouterr().out == first
    assert (tmp_path / "tf" / "aws" / "10-networking").is_dir()


def test_progress_only_on_a_terminal_and_never_with_json(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """#12: a Rich progress display on stderr while the stages run, on a terminal only; nothing extra on
    stderr when it is not a terminal or ``--json`` is given."""
    import io

    from rich.console import Console

    from tradeplane.cli import plan as plan_cli

    estate = str(ROOT / "examples/small")
    assert main(["plan", estate]) == 0
    assert capsys.readouterr().err == ""  # not a terminal: no progress

    seen: list[str] = []
    real_build = plan.build

    def build(e: est.Estate, on_stage: object = None) -> plan.Plan:
        def record(name: str, seconds: float | None) -> None:
            seen.append(name)
            on_stage(name, seconds)  # type: ignore[operator]
        return real_build(e, on_stage=record if on_stage is not None else None)

    monkeypatch.setattr(plan, "build", build)
    tty = Console(file=io.StringIO(), force_terminal=True, stderr=True)
    monkeypatch.setattr(plan_cli, "err_console", tty)
    assert main(["plan", estate]) == 0
    assert {"placement", "terraform", "verify"} <= set(seen)  # the display followed every stage
    shown = tty.file.getvalue()  # type: ignore[attr-defined]
    # The load (about a fifth of a large plan) is the display's first stage, then the plan's.
    assert shown.index("plan: load") < shown.index("plan: summary") < shown.index("plan: verify")
    assert "plan: load --against" not in shown

    tty.file = io.StringIO()
    assert main(["plan", estate, "--against", estate]) == 0
    shown = tty.file.getvalue()  # type: ignore[attr-defined]
    assert shown.index("plan: load") < shown.index("plan: load --against") < shown.index("plan: summary")

    seen.clear()
    capsys.readouterr()
    assert main(["plan", estate, "--json"]) == 0
    json.loads(capsys.readouterr().out)
    assert seen == []  # --json on a terminal: no display at all


def test_ctrl_c_during_the_plan_says_aborted_and_restores_the_cursor(monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The trial's report: Ctrl-C during the plan on a terminal exited without a word (Typer turns the
    KeyboardInterrupt into exit code 130 silently). It prints "aborted", exits 130, and the progress
    display is stopped with the cursor shown again."""
    import io

    from rich.console import Console

    from tradeplane.cli import plan as plan_cli

    def build(e: est.Estate, on_stage: plan.StageHook | None = None) -> plan.Plan:
        assert on_stage is not None  # the display is on
        on_stage("placement", None)
        raise KeyboardInterrupt  # as Ctrl-C inside a stage

    monkeypatch.setattr(plan, "build", build)
    tty = Console(file=io.StringIO(), force_terminal=True, stderr=True)
    monkeypatch.setattr(plan_cli, "err_console", tty)
    capsys.readouterr()
    assert main(["plan", str(ROOT / "examples/small")]) == 130
    assert capsys.readouterr().err.strip() == "aborted"
    shown = tty.file.getvalue()  # type: ignore[attr-defined]
    hide, show = "\x1b[?25l", "\x1b[?25h"
    assert "plan: placement" in shown and hide in shown
    assert shown.rindex(show) > shown.rindex(hide)  # the cursor is visible again

    def interrupted(path: Path) -> est.Estate:
        raise KeyboardInterrupt  # Ctrl-C while loading, and without a terminal

    monkeypatch.setattr(plan_cli, "err_console", Console(file=io.StringIO(), stderr=True))
    monkeypatch.setattr(est, "load", interrupted)
    assert main(["plan", str(ROOT / "examples/small")]) == 130
    assert capsys.readouterr().err.strip() == "aborted"


@pytest.fixture(scope="module")
def synthetic_2000(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tradeplane.estate.synth import synthetic, write_directory

    return write_directory(synthetic(2000), tmp_path_factory.mktemp("synthetic-2000"))


def test_the_estate_tree_stops_at_table_rows_and_says_how_many_more(synthetic_2000: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The trial's report: at 20,000 subnets the table output printed the whole tree of networks (21,024
    lines). It stops at TABLE_ROWS lines like the placement tables and names what it left out;
    ``estate show --all`` and ``--json`` keep every one."""
    from tradeplane.cli.output import TABLE_ROWS

    assert main(["plan", str(synthetic_2000)]) == 0
    out = capsys.readouterr().out
    tree = out[out.index("\nnetworks\n"):out.index("─ placement ─")]
    tree_lines = [x for x in tree.splitlines()[2:] if x.lstrip("│ ").startswith(("├", "└"))]
    assert len(tree_lines) == TABLE_ROWS + 1  # the rows and the "... more subnets" of the network it stopped in
    assert "└── ... 10 more subnets" in tree
    assert ("... 90 more networks and 1,810 more subnets not shown (100 networks and 2,000 subnets in all; "
            "--json lists every one)") in tree
    assert "... 1,800 more workloads not shown (2,000 in all" in out
    assert len(out.splitlines()) < 1_000  # the whole tree alone would be 2,100 lines
    assert main(["estate", "show", str(synthetic_2000)]) == 0
    assert "... 90 more networks and 1,810 more subnets not shown" in capsys.readouterr().out
    assert main(["estate", "show", str(synthetic_2000), "--all"]) == 0
    out = capsys.readouterr().out
    assert "more networks" not in out and "net-99 " in out
    assert main(["estate", "show", str(synthetic_2000), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["networks"]) == 100 and sum(len(n["subnets"]) for n in data["networks"]) == 2000


def test_a_small_estate_prints_its_whole_tree(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["estate", "show", str(ROOT / "examples/dv-trading")]) == 0
    assert "more networks" not in capsys.readouterr().out
