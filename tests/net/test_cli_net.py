"""`tradeplane net ...` as a user runs it: exit codes, JSON, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tradeplane.cli import main

ROOT = Path(__file__).resolve().parents[2]
DV = str(ROOT / "examples/dv-trading")
EXPORTS = ROOT / "tests/inventory/exports"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # net verify exits 1 when it finds critical or high problems
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_reach_prints_traces_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "net", "reach", DV, "aurora-colo", "cme-order-router", "--port", "9050")
    assert code == 0 and err == ""
    assert "reachable" in out and "allow-colo-orders" in out and "links.yaml" in out
    code, out, _ = run(capsys, "net", "reach", DV, "research", "eq-order-gateway", "--port", "9100", "--json")
    data = json.loads(out)
    assert data["verdict"] == "unreachable" and data["pairs"][0]["why_not"]


def test_reach_with_a_failed_element(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "net", "reach", DV, "eq-strategy", "futures-pricer", "--port", "7000",
                       "--fail", "xc-gcp/leg-a", "--json")
    assert code == 0 and json.loads(out)["verdict"] == "reachable"
    code, _, err = run(capsys, "net", "reach", DV, "eq-strategy", "futures-pricer", "--fail", "nope")
    assert code == 2 and "not a link element" in err


def test_bad_names_and_ports_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "net", "reach", DV, "eq-stratgy", "futures-pricer")
    assert code == 2 and "eq-strategy" in err and "Traceback" not in err
    code, _, err = run(capsys, "net", "reach", DV, "eq-strategy", "futures-pricer", "--port", "70000")
    assert code == 2 and "--port" in err


def test_verify_matrix_diff(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "net", "verify", DV, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["ok"] and data["findings"] == []
    code, out, _ = run(capsys, "net", "verify", DV)
    assert code == 0 and "no findings" in out
    code, out, _ = run(capsys, "net", "matrix", DV)
    assert code == 0 and "crypto" in out and "tcp 9000-9010" in out
    code, out, _ = run(capsys, "net", "diff", DV, DV, "--json")
    assert code == 0 and json.loads(out)["changes"] == []


def test_matrix_says_to_where_each_cell_is_open_in_80_columns(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "net", "matrix", DV)
    assert code == 0
    lines = out.splitlines()
    start = lines.index("cells: endpoint pairs that reach / all pairs; what is open, to where:")
    assert lines[start + 1:] == [
        "  crypto -> internet: tcp 443, tcp 9443 to internet",
        "  equities -> futures: tcp 7000 to 10.50.0.0/21, 10.50.16.0/20, 10.52.0.0/16,",
        "      10.53.0.0/20",
        "  equities -> platform: tcp 9000-9010 to 10.0.0.0/24",
        "  futures -> equities: tcp 7000 to 10.10.0.0/24",
        "  futures -> internet: tcp 443 to internet except 198.51.100.0/24",
        "  futures -> platform: tcp 9000-9010 to 10.0.0.0/24",
        "  platform -> internet: tcp 443 to internet",
        "  research -> internet: tcp 443 to internet except 203.0.113.0/25",
        "  research -> platform: tcp 9000-9010 to 10.0.0.0/24",
    ]
    code, out, _ = run(capsys, "net", "matrix", DV, "--json")
    cells = {(c["src"], c["dst"]): c for c in json.loads(out)["cells"]}
    assert [(o["services"], o["to"]) for o in cells[("research", "internet")]["open"]] == [
        (["tcp 443"], "internet except 203.0.113.0/25")]
    assert cells[("equities", "futures")]["open"][0]["prefixes"] == [
        "10.50.0.0/21", "10.50.16.0/20", "10.52.0.0/16", "10.53.0.0/20"]


def test_verify_exits_1_on_a_high_finding(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from tests.net.test_reference import without_nasdaq_route

    without_nasdaq_route(tmp_path)
    code, out, _ = run(capsys, "net", "verify", str(tmp_path / "dv"))
    assert code == 1 and "HIGH" in out and "fix:" in out


def test_import_commands(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "net", "import", "aws", str(EXPORTS / "aws"), "--json", "--policy", DV)
    data = json.loads(out)
    assert code == (0 if data["verify"]["ok"] else 1)  # as net verify exits for the same findings
    assert data["summary"]["vpcs"] == 3 and any("pl-63a5400a" in n for n in data["notes"])
    code, out, _ = run(capsys, "net", "import", "gcp", str(EXPORTS / "gcp"), "--yaml", str(tmp_path / "g.yaml"))
    assert code == 1 and "HIGH" in out and (tmp_path / "g.yaml").is_file()  # a high finding blocks
    code, out, _ = run(capsys, "net", "reach", f"gcp:{EXPORTS / 'gcp'}", "internet", "web-1", "--port", "443",
                       "--json")
    data = json.loads(out)
    assert data["verdict"] == "reachable"
    assert "firewall-rules.json" in json.dumps(data)
