"""The plan in the team's workflow: PR comment, SARIF, JUnit, and the change-freeze gate."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tradeplane import estate as est
from tradeplane import plan
from tradeplane.cli import main
from tradeplane.review import changed_desks, changed_fields, freeze

ROOT = Path(__file__).resolve().parents[2]
CT = ZoneInfo("America/Chicago")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference estate with the CME order router scaled from 2 to 3 (a futures-desk change)."""
    out = tmp_path_factory.mktemp("estate") / "dv-trading"
    shutil.copytree(ROOT / "examples/dv-trading", out)
    text = (out / "workloads.yaml").read_text()
    (out / "workloads.yaml").write_text(text.replace("machine_type: c2-standard-30\n    count: 2",
                                                     "machine_type: c2-standard-30\n    count: 3", 1))
    return out


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_the_freeze_names_the_changed_field_and_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Found in a fresh-clone trial: `plan --against OLD` said the change touches "network:aws-apne1-crypto",
    not which subnet or field changed. It names the field's path in the estate's words (list items by
    name) and its file:line in the new estate; the SARIF result points there too."""
    new = tmp_path / "dv-trading"
    shutil.copytree(ROOT / "examples/dv-trading", new)
    f = new / "networks-aws.yaml"
    f.write_text(f.read_text().replace("cidr: 10.100.11.0/24, route_table: rt-trading-az1",
                                       "cidr: 10.100.12.0/24, route_table: rt-trading-az1", 1))
    line = _line_of(f, "cidr: 10.100.12.0/24")
    old, changed = est.load(ROOT / "examples/dv-trading"), est.load(new)
    touched = changed_desks(old, changed)
    assert touched == {"crypto": ["network:aws-apne1-crypto"]}
    [fc] = changed_fields(old, changed, "network:aws-apne1-crypto")
    assert (fc.path, fc.how) == ("networks[aws-apne1-crypto].subnets[trading-az1].cidr", "changed")
    assert fc.location == f"{f}:{line}:46"
    [v] = freeze(changed, touched, datetime(2026, 12, 1, 10, 0, tzinfo=CT), old)  # crypto trades around the clock
    assert v.location == fc.location
    assert v.line() == ("change freeze: desk crypto is trading on binance, bybit, coinbase, deribit, kraken, okx "
                        "and this change touches networks[aws-apne1-crypto].subnets[trading-az1].cidr at "
                        f"{f}:{line}:46; its venues trade around the clock")
    # without the old estate the objects are named, as before
    assert "touches network:aws-apne1-crypto;" in freeze(changed, touched, datetime(2026, 12, 1, 10, 0, tzinfo=CT))[0].line()


def test_changed_fields_say_what_was_added_removed_or_changed(tmp_path: Path) -> None:
    new = tmp_path / "dv-trading"
    shutil.copytree(ROOT / "examples/dv-trading", new)
    f = new / "networks-aws.yaml"
    text = f.read_text()
    az1 = next(x for x in text.splitlines() if "{name: trading-az1, zone: apne1-az1" in x)
    extra = az1.replace("trading-az1,", "trading-az1b,", 1).replace("10.100.11.0/24", "10.100.21.0/24")
    f.write_text(text.replace(az1, f"{az1}\n{extra}", 1).replace("cidrs: [10.100.0.0/16]", "cidrs: [10.100.0.0/15]", 1))
    old, changed = est.load(ROOT / "examples/dv-trading"), est.load(new)
    got = [(c.path, c.how, bool(c.location)) for c in changed_fields(old, changed, "network:aws-apne1-crypto")]
    assert got == [("networks[aws-apne1-crypto].cidrs", "changed", True),
                   ("networks[aws-apne1-crypto].subnets[trading-az1b]", "added", True)], got
    back = [(c.path, c.how) for c in changed_fields(changed, old, "network:aws-apne1-crypto")]
    assert back == [("networks[aws-apne1-crypto].cidrs", "changed"),
                    ("networks[aws-apne1-crypto].subnets[trading-az1b]", "removed")], back
    assert changed_fields(old, changed, "venue:cme-globex") == []


def test_changed_desks_follow_the_path(changed: Path) -> None:
    desks = changed_desks(est.load(ROOT / "examples/dv-trading"), est.load(changed))
    assert desks == {"futures": ["workload:cme-order-router"]}


def test_freeze_while_globex_trades_and_not_in_the_daily_halt(changed: Path) -> None:
    old, new = est.load(ROOT / "examples/dv-trading"), est.load(changed)
    touched = changed_desks(old, new)
    trading = freeze(new, touched, datetime(2026, 12, 1, 10, 0, tzinfo=CT))  # Tuesday morning
    assert [(v.desk, v.open_venues) for v in trading] == [("futures", ("cme-globex",))]
    assert trading[0].reopens == "2026-12-01T16:00:00-06:00"
    assert freeze(new, touched, datetime(2026, 12, 1, 16, 30, tzinfo=CT)) == []  # the daily halt
    assert freeze(new, touched, datetime(2026, 12, 5, 12, 0, tzinfo=CT)) == []  # Saturday


def test_no_freeze_on_a_holiday_nor_the_evening_before(changed: Path) -> None:
    """CME's declared holidays (Fri 2026-12-25, Fri 2027-01-01) close their trading date, including
    the session that would open at 17:00 Chicago the evening before."""
    old, new = est.load(ROOT / "examples/dv-trading"), est.load(changed)
    touched = changed_desks(old, new)
    for at in (datetime(2026, 12, 25, 10, 0, tzinfo=CT), datetime(2026, 12, 24, 18, 0, tzinfo=CT),
               datetime(2026, 12, 31, 20, 0, tzinfo=CT), datetime(2027, 1, 1, 10, 0, tzinfo=CT)):
        assert freeze(new, touched, at) == [], at
    # Christmas Eve's daytime session is the 24th's and still runs to its close
    eve = freeze(new, touched, datetime(2026, 12, 24, 10, 0, tzinfo=CT))
    assert [v.reopens for v in eve] == ["2026-12-24T16:00:00-06:00"]


def test_plan_strict_passes_a_change_on_a_holiday(capsys: pytest.CaptureFixture[str], changed: Path) -> None:
    code, out, _ = run(capsys, "plan", str(changed), "--strict", "--against", str(ROOT / "examples/dv-trading"),
                       "--at", "2026-12-25T10:00:00-06:00", "--json")
    assert json.loads(out)["freeze"] == [] and code == 0


def test_plan_strict_refuses_a_frozen_change_unless_emergency(capsys: pytest.CaptureFixture[str],
                                                              changed: Path) -> None:
    base = str(ROOT / "examples/dv-trading")
    code, out, _ = run(capsys, "plan", str(changed), "--against", base, "--at", "2026-12-01T10:00:00-06:00",
                       "--json")
    data = json.loads(out)
    count = _line_of(changed / "workloads.yaml", "count: 3")
    assert data["freeze"] == ["change freeze: desk futures is trading on cme-globex and this change touches "
                              f"workloads[cme-order-router].count at {changed}/workloads.yaml:{count}:5; the window "
                              "opens at 2026-12-01T16:00:00-06:00"]
    code, out, _ = run(capsys, "plan", str(changed), "--against", base, "--at", "2026-12-01T10:00:00-06:00",
                       "--emergency", "INC-42 stuck order router", "--json")
    data = json.loads(out)
    assert data["freeze"] == [] and data["emergency"][0].startswith("EMERGENCY (INC-42 stuck order router)")
    code, _, err = run(capsys, "plan", str(changed), "--at", "tomorrow")
    assert code == 2 and "--at 'tomorrow'" in err
    # an override or an instant with nothing to judge is refused, not silently ignored
    code, _, err = run(capsys, "plan", str(changed), "--emergency", "INC-42")
    assert code == 2 and "--emergency is about the change freeze, which needs --against" in err
    for blank in ("", "  "):  # an override with no reason would leave a blank in the audit trail
        code, _, err = run(capsys, "plan", str(changed), "--against", base, "--emergency", blank)
        assert code == 2 and "--emergency needs a reason" in err
    code, _, err = run(capsys, "plan", str(changed), "--format", "pdf")
    assert code == 2 and "--format 'pdf'" in err


def test_sarif_markdown_and_junit(capsys: pytest.CaptureFixture[str]) -> None:
    base = str(ROOT / "examples/dv-trading")
    _, out, _ = run(capsys, "plan", base, "--format", "sarif")
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    run_ = sarif["runs"][0]
    assert run_["tool"]["driver"]["name"] == "tradeplane"
    # SARIF 2.1.0 3.19.17: informationUri is an absolute URI, or absent; the project has no homepage.
    assert "informationUri" not in run_["tool"]["driver"]
    for result in run_["results"]:
        assert result["ruleId"] == run_["tool"]["driver"]["rules"][result["ruleIndex"]]["id"]
        for loc in result.get("locations", []):
            assert loc["physicalLocation"]["artifactLocation"]["uri"].startswith("examples/dv-trading/")
    _, out, _ = run(capsys, "plan", base, "--format", "markdown")
    assert out.startswith("### tradeplane plan: `dv-trading`")
    _, out, _ = run(capsys, "plan", base, "--format", "junit")
    root = ET.fromstring(out)
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root}
    assert int(suites["verify"].get("tests")) >= 60  # type: ignore[arg-type]


FROZEN_AT = datetime(2026, 12, 1, 10, 0, tzinfo=CT)  # Tuesday morning: CME Globex trades


@pytest.fixture(scope="module")
def changed_plan(changed: Path) -> plan.Plan:
    return plan.build(est.load(changed))


def test_the_freeze_is_part_of_the_verdict_in_every_format(changed_plan: plan.Plan) -> None:
    """A frozen change blocks in every format, counted in the verdict, at the changed object's line."""
    p = plan.judge_freeze(changed_plan, est.load(ROOT / "examples/dv-trading"), FROZEN_AT)
    line = p.frozen[0]
    assert line.startswith("change freeze: desk futures is trading on cme-globex")
    assert p.blocking == [line] and p.overrides == []
    assert p.to_json()["blocking"] == [line] and p.to_json()["freeze"] == [line]
    md = p.render("markdown")
    assert "**Blocks an apply** (1 blocking, 0 warnings)" in md and f"- {line}" in md
    assert "Nothing blocks" not in md
    sarif = json.loads(p.render("sarif"))
    [result] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "freeze/change-freeze"]
    assert result["level"] == "error" and result["message"]["text"].startswith(line)
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.endswith("workloads.yaml")
    root = ET.fromstring(p.render("junit"))
    assert root.get("failures") == "1"
    suite = next(s for s in root if s.get("name") == "freeze")
    assert suite.get("failures") == "1" and suite.find("testcase/failure") is not None


def test_an_emergency_is_said_with_its_reason_in_every_format(changed_plan: plan.Plan) -> None:
    p = plan.judge_freeze(changed_plan, est.load(ROOT / "examples/dv-trading"), FROZEN_AT, "INC-42 stuck router")
    assert p.blocking == [] and p.frozen == []
    [override] = p.overrides
    assert override.startswith("EMERGENCY (INC-42 stuck router): change freeze: desk futures")
    assert p.to_json()["emergency"] == [override]
    md = p.render("markdown")
    assert "**Nothing blocks an apply** (0 blocking, 0 warnings; **1 frozen change let through as an emergency**)" in md
    assert f"- {override}" in md
    sarif = json.loads(p.render("sarif"))
    [result] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "freeze/change-freeze"]
    assert result["level"] == "warning" and "INC-42 stuck router" in result["message"]["text"]
    root = ET.fromstring(p.render("junit"))
    suite = next(s for s in root if s.get("name") == "freeze")
    assert suite.get("failures") == "0" and suite.get("skipped") == "1"
    assert "INC-42 stuck router" in (suite.find("testcase").get("name") or "")  # type: ignore[union-attr]


def test_a_freeze_only_comment_prints_no_findings_table(changed_plan: plan.Plan) -> None:
    """The trial's report: with only the change freeze to say, the comment repeated it in a findings table
    of its own. The freeze is said once, in the verdict's list, with its line and fix; no table follows."""
    p = plan.judge_freeze(changed_plan, est.load(ROOT / "examples/dv-trading"), FROZEN_AT)
    [item] = p.items()
    md = p.render("markdown")
    assert "| severity |" not in md and md.count(p.frozen[0]) == 1
    assert f"- {p.frozen[0]} (at `{item.location}`; fix: {item.fix})" in md
    assert md.endswith("#### Findings\n\nNo other findings.\n")
    p = plan.judge_freeze(changed_plan, est.load(ROOT / "examples/dv-trading"), FROZEN_AT, "INC-42 stuck router")
    md = p.render("markdown")
    assert "| severity |" not in md and md.count(p.overrides[0]) == 1
    assert md.endswith("#### Findings\n\nNo other findings.\n")
    assert changed_plan.render("markdown").endswith("#### Findings\n\nNo findings.\n")  # nothing at all


def test_the_exit_code_agrees_with_the_printed_verdict(capsys: pytest.CaptureFixture[str], changed: Path) -> None:
    """The trial's report: exit 1 while the markdown said "Nothing blocks" and the table printed
    "nothing blocks an apply" before the freeze line."""
    base = str(ROOT / "examples/dv-trading")
    at = "2026-12-01T10:00:00-06:00"
    code, out, _ = run(capsys, "plan", str(changed), "--strict", "--against", base, "--at", at, "--format", "markdown")
    assert code == 1 and "**Blocks an apply** (1 blocking" in out and "change freeze: desk futures" in out
    code, out, _ = run(capsys, "plan", str(changed), "--strict", "--against", base, "--at", at)
    verdict = out[out.index("verdict"):]
    assert code == 1 and "1 thing blocks an apply" in verdict and "nothing blocks" not in verdict
    assert "- change freeze: desk futures" in verdict
    code, out, _ = run(capsys, "plan", str(changed), "--strict", "--against", base, "--at", at, "--emergency",
                       "INC-42 stuck router")
    verdict = out[out.index("verdict"):]
    assert code == 0 and "nothing blocks an apply" in verdict
    assert "EMERGENCY (INC-42 stuck router): change freeze: desk futures" in verdict


def test_the_ci_example_installs_tradeplane_from_its_repository_at_a_pinned_commit() -> None:
    """tradeplane is not on PyPI: `pip install tradeplane` would install whatever someone uploads under
    that name (dependency confusion). The example checks the repository out at a pinned commit and
    installs that checkout; every plan it runs carries the change-freeze gate (--against)."""
    import re

    import yaml

    workflow = yaml.safe_load((ROOT / "examples/ci/estate-review.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["plan"]["steps"]
    runs = "\n".join(str(s.get("run", "")) for s in steps)
    installs = [line.strip() for line in runs.splitlines() if re.search(r"\bpip install\b", line)]
    assert installs == ["pip install ./.tradeplane"]
    [checkout] = [s for s in steps if s.get("with", {}).get("path") == ".tradeplane"]
    assert checkout["uses"].startswith("actions/checkout@") and checkout["with"]["ref"] == "TRADEPLANE_COMMIT"
    plans = [line.strip() for line in runs.splitlines() if line.strip().startswith("tradeplane plan")]
    assert len(plans) == 3 and all("--against /tmp/base/estate" in p for p in plans)


def test_counts_are_in_the_right_number() -> None:
    """The trial's report: "1 findings" in the PR comment, "1 thing(s) block an apply" in the table."""
    from tradeplane.plural import count
    from tradeplane.review import Item, markdown

    assert [count(0, "finding"), count(1, "finding"), count(2, "finding")] == ["0 findings", "1 finding",
                                                                               "2 findings"]
    assert count(1, "property", "properties") == "1 property" and count(20_000, "subnet") == "20,000 subnets"
    md = markdown("e", [Item("verify", "high", "c", "t")], ["t"], ["w"], {})
    assert "(1 blocking, 1 warning)" in md
    md = markdown("e", [], [], ["w", "v"], {}, ["EMERGENCY (x): y"])
    assert "(0 blocking, 2 warnings; **1 frozen change let through as an emergency**)" in md



def _locations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [loc["physicalLocation"]["artifactLocation"] for r in doc["runs"][0]["results"]
            for loc in r.get("locations", [])]


@pytest.fixture()
def repo_estate(tmp_path: Path) -> Path:
    """A git checkout (a ``.git`` directory) holding ``examples/small`` in ``estates/small`` with a latency
    budget no zone can meet (a placement finding), and an unrelated working directory beside it."""
    (tmp_path / "checkout" / ".git").mkdir(parents=True)
    estate = tmp_path / "checkout" / "estates" / "small"
    shutil.copytree(ROOT / "examples/small", estate)
    text = (estate / "estate.yaml").read_text()
    (estate / "estate.yaml").write_text(text.replace("rtt_us: 20000", "rtt_us: 50", 1))
    (tmp_path / "elsewhere").mkdir()
    return estate


def test_sarif_uris_are_relative_to_the_repository_root(repo_estate: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """GitHub resolves ``artifactLocation.uri`` against the checkout, not the directory the plan ran in."""
    monkeypatch.chdir(repo_estate.parents[2] / "elsewhere")
    _, out, _ = run(capsys, "plan", str(repo_estate), "--format", "sarif")
    doc = json.loads(out)
    locations = _locations(doc)
    assert locations and all(loc == {"uri": "estates/small/estate.yaml", "uriBaseId": "%SRCROOT%"}
                             for loc in locations)
    assert set(doc["runs"][0]["originalUriBaseIds"]) == {"%SRCROOT%"}
    assert str(repo_estate) not in out  # nothing of this machine's paths in what is uploaded


def test_sarif_uris_outside_any_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``.git`` above the file: relative to the working directory, else an absolute file URI."""
    from tradeplane.review import Item, sarif

    (tmp_path / "cwd").mkdir()
    inside, outside = tmp_path / "cwd" / "my estate" / "e.yaml", tmp_path / "other" / "e.yaml"
    for path in (inside, outside):
        path.parent.mkdir(parents=True)
        path.write_text("name: x\n")
    if any((d / ".git").exists() for d in tmp_path.parents):
        pytest.skip("the temporary directory is inside a git repository")
    monkeypatch.chdir(tmp_path / "cwd")
    items = [Item("verify", "high", "a", "in", f"{inside}:3"), Item("verify", "high", "b", "out", f"{outside}:4:2")]
    doc = json.loads(sarif("x", items, "0"))
    assert _locations(doc) == [{"uri": "my%20estate/e.yaml"}, {"uri": outside.resolve().as_uri()}]
    assert "originalUriBaseIds" not in doc["runs"][0]


def test_every_sarif_result_has_a_location(repo_estate: Path) -> None:
    """A placement finding sits at the budget it breaks; a finding with no line of its own (a dangling
    Terraform reference) at the estate's ``name:``; none is left without a location."""
    from dataclasses import replace

    from tradeplane.terraform import Reference

    p = plan.build(est.load(repo_estate))
    assert p.placement.status == "infeasible"
    p = replace(p, dangling=(Reference("aws/10-networking", "main.tf", "aws_vpc.gone", "not defined"),))
    results = json.loads(p.render("sarif"))["runs"][0]["results"]
    regions = {r["ruleId"]: r["locations"][0]["physicalLocation"]["region"] for r in results if r.get("locations")}
    assert len(regions) == len({r["ruleId"] for r in results}) and all(r.get("locations") for r in results)
    lines = (repo_estate / "estate.yaml").read_text().splitlines()
    assert "rtt_us: 50" in lines[regions["placement/budget"]["startLine"] - 1]
    assert lines[regions["terraform/dangling-reference"]["startLine"] - 1].startswith("name:")


def test_a_findings_fix_follows_its_title_as_a_sentence_in_sarif_and_markdown() -> None:
    from tradeplane.review.formats import Item, markdown, sarif

    items = [Item("verify", "high", "internet-egress", "7 workloads reach the internet on all protocols",
                  "estate.yaml:4", "deny egress to 0.0.0.0/0"),
             Item("placement", "high", "placement", "no zone fits.", "workloads.yaml:9", "raise the budget"),
             Item("security", "medium", "custody", "a key without an allowlist", "keys.yaml:2", "")]
    messages = [r["message"]["text"] for r in json.loads(sarif("e", items, "0"))["runs"][0]["results"]]
    assert sorted(messages) == ["7 workloads reach the internet on all protocols. Fix: deny egress to 0.0.0.0/0",
                                "a key without an allowlist", "no zone fits. Fix: raise the budget"]
    md = markdown("e", items, [], [], {})
    assert "| 7 workloads reach the internet on all protocols. Fix: deny egress to 0.0.0.0/0 | `estate.yaml:4` |" in md
