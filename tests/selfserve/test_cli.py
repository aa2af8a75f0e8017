"""`tradeplane request ...`: one line and exit 2 on bad input with nothing written; show, list, log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES
from tradeplane.cli import main

DV = str(EXAMPLES / "dv-trading")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("args", [
    ("budget", "futures", "0", DV),
    ("budget", "nodesk", "5", DV),
    ("budget", "futures", "5", DV, "--currency", "dollars"),
    ("flow", "eq-strategy", "coinbase-mm", DV, "--reason", "x"),
    ("flow", "nobody", "coinbase-mm", DV, "--port", "1", "--reason", "x"),
    ("flow", "eq-strategy", "coinbase-mm", DV, "--port", "99999", "--reason", "x"),
    ("workload", "new-thing", DV, "--desk", "futures", "--near", "atlantis"),
    ("workload", "eq-strategy", DV, "--desk", "equities"),
    ("venue", "eq-strategy", "lse", DV),
    ("budget", "futures", "5", DV, "--role", "wizard"),
    ("budget", "futures", "5", DV, "--role", "viewer"),
    ("budget", "futures", "5", DV, "--out", "PATCH"),
    ("budget", "futures", "5", "/no/such/estate"),
    ("show", "req-0000000000"),
    ("show", "../../etc/passwd"),
    ("approve", "req-0000000000"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                          args: tuple[str, ...]) -> None:
    state = tmp_path / "state"
    argv = [a.replace("PATCH", str(tmp_path / "x.patch")) for a in args]
    rc, out, err = run(capsys, "request", *argv, "--state", str(state))
    assert rc == 2, (out, err)
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert not (tmp_path / "x.patch").exists()
    assert not (state / "requests").exists() and not (state / "patches").exists()


def test_request_file_problems_are_located(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    f = tmp_path / "req.yaml"
    f.write_text("kind: budget\ndesk: futures\namount: -1\n")
    rc, _out, err = run(capsys, "request", "file", str(f), DV, "--state", str(tmp_path / "s"))
    assert rc == 2
    assert f"{f}:3:9" in err and "amount" in err


def test_show_list_and_log(capsys: pytest.CaptureFixture[str], submitted: dict[str, Any], state_dir: Path) -> None:
    rid = submitted["workload"]["id"]
    rc, out, _ = run(capsys, "request", "show", rid, "--state", str(state_dir), "--json")
    assert rc == 0 and json.loads(out)["verdict"] == "acceptable"
    rc, out, _ = run(capsys, "request", "show", rid, "--state", str(state_dir))
    assert rc == 0 and "placement: cme-spreader in us-central1-" in out and "terraform: +" in out
    rc, out, _ = run(capsys, "request", "list", "--state", str(state_dir), "--json", "--role", "viewer")
    assert rid in {x["id"] for x in json.loads(out)} and submitted["flow"]["id"] not in out
    rc, out, _ = run(capsys, "request", "show", submitted["flow"]["id"], "--state", str(state_dir),
                     "--role", "platform")
    assert rc == 0 and "verdict: refused" in out and "trace of eq-strategy -> coinbase-mm tcp 9200" in out
    rc, out, _ = run(capsys, "request", "log", "--state", str(state_dir), "--json")
    assert rc == 0 and any(x["id"] == rid and x["actor"] == "fred" for x in json.loads(out))
