"""`tradeplane request ...`: one line and exit 2 on bad input with nothing written; show, list, log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES
from tests.selfserve.conftest import FLOW_INTO_CRYPTO
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
    ("budget", "futures", "5", DV, "--role", "approver", "--out", "PATCH"),  # approving your own request
    ("budget", "futures", "5", DV, "--role", "platform", "--branch", "b"),
    ("budget", "futures", "250000", DV, "--currency", "XYZ"),
    ("budget", "futures", "250000", DV, "--currency", "EUR"),
    ("budget", "futures", "5", "/no/such/estate"),
    ("show", "req-0000000000"),
    ("show", "../../etc/passwd"),
    ("approve", "req-0000000000"),
    ("approve", "req-0000000000", "--role", "approver"),
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
    assert "verdict: acceptable (pending approval)" in out
    rc, out, _ = run(capsys, "request", "log", "--state", str(state_dir), "--json")
    assert rc == 0 and any(x["id"] == rid and x["actor"] == "fred" for x in json.loads(out))


CRYPTO_IDS = ("coinbase-mm", "aws-use1-crypto", "aws_use1_crypto", "market_maker_sg")


def test_the_crypto_desks_details_only_for_crypto_and_platform(capsys: pytest.CaptureFixture[str],
                                                                submitted: dict[str, Any], state_dir: Path,
                                                                estate_repo: Path) -> None:
    flow = submitted["flow"]["id"]
    state = ("--state", str(state_dir))
    # erin submits it again from the CLI (the stored outcome, at once): refused, and told why without crypto's names
    rc, out, _ = run(capsys, "request", "flow", "eq-strategy", "coinbase-mm", str(estate_repo), "--port", "9200",
                     "--reason", FLOW_INTO_CRYPTO["reason"], "--actor", "erin", *state)
    assert rc == 1 and "verdict: refused\n" in out and "breaks isolation" in out and "eq-strategy" in out
    assert not [x for x in CRYPTO_IDS if x in out], out
    assert "details on the crypto desk's side are hidden" in out
    for args in (("show", flow), ("show", flow, "--json"), ("list",), ("list", "--json"), ("log", "--json")):
        rc, out, _ = run(capsys, "request", *args, *state, "--role", "requester")
        assert rc == 0 and not [x for x in CRYPTO_IDS if x in out], (args, out)
        assert flow in out or args[0] == "show"
    for role in ("platform", "crypto"):
        rc, out, _ = run(capsys, "request", "show", flow, *state, "--role", role)
        assert rc == 0 and "trace of eq-strategy -> coinbase-mm tcp 9200" in out
        assert "aws_use1_crypto__market_maker_sg" in out
        rc, out, _ = run(capsys, "request", "list", *state, "--role", role)
        assert "coinbase-mm" in out


def test_the_outcome_reads_once(capsys: pytest.CaptureFixture[str], submitted: dict[str, Any], state_dir: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    from tradeplane.cli.output import console

    monkeypatch.setattr(console, "width", 50)  # a narrow terminal: nothing is cut mid-name
    rc, out, _ = run(capsys, "request", "show", submitted["flow"]["id"], "--state", str(state_dir), "--role", "platform")
    assert rc == 0
    assert "verdict: refused\n" in out and "(refused)" not in out
    title = "declared flow eq-strategy -> coinbase-mm tcp 9200 is broken (filtered)"
    assert out.count(title) == 1  # a reason, not again as a "new finding"
    record = submitted["store"].get(submitted["flow"]["id"])
    for address in record["terraform"]["added"]:
        assert f"  + {address}\n" in out
    rc, out, _ = run(capsys, "request", "list", "--state", str(state_dir), "--role", "platform")
    assert submitted["flow"]["id"] in out and submitted["workload"]["id"] in out


@pytest.mark.parametrize(("args", "field"), [
    (("budget", "futures", "abc", DV), "amount"),
    (("workload", "w1", DV, "--desk", "futures", "--latency-us", "fast"), "latency_us"),
    (("workload", "w1", DV, "--desk", "futures", "--count", "two"), "count"),
])
def test_a_bad_number_is_one_line_naming_the_field(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                  args: tuple[str, ...], field: str) -> None:
    rc, _out, err = run(capsys, "request", *args, "--state", str(tmp_path / "s"))
    lines = [x for x in err.splitlines() if x.strip()]
    assert rc == 2 and len(lines) == 1 and field in lines[0] and "Usage" not in err, err
    assert "hint: got" in lines[0] and "number" in lines[0]


def test_the_actor_without_user_is_the_login_name_or_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str],
                                                                   tmp_path: Path) -> None:
    import getpass

    from tradeplane.cli import request as cli_request

    monkeypatch.delenv("USER", raising=False)
    monkeypatch.setattr(getpass, "getuser", lambda: "login-name")
    assert cli_request._actor(None, "requester").name == "login-name"
    assert cli_request._actor("dana", "requester").name == "dana"

    def nobody() -> str:
        raise OSError("No username set in the environment")

    monkeypatch.setattr(getpass, "getuser", nobody)
    rc, _out, err = run(capsys, "request", "budget", "futures", "5", DV, "--state", str(tmp_path / "s"))
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "--actor" in err
    assert not (tmp_path / "s").exists()


def test_an_estate_file_that_is_not_utf8_is_located_not_a_traceback(capsys: pytest.CaptureFixture[str],
                                                                     tmp_path: Path) -> None:
    """Found in a new-user trial: `request` read the estate with read_text and died on a Latin-1 byte,
    where `plan` names the file, line and column."""
    estate = tmp_path / "estate"
    estate.mkdir()
    (estate / "estate.yaml").write_bytes(b"name: caf\xe9\n")
    rc, _out, err = run(capsys, "request", "budget", "futures", "100", str(estate), "--reason", "r",
                        "--state", str(tmp_path / "s"))
    lines = [x for x in err.splitlines() if x.strip()]
    assert rc == 2 and len(lines) == 1 and "estate.yaml:1:10: not UTF-8" in lines[0], err


def test_a_budget_in_an_unknown_currency_is_refused_in_one_line(capsys: pytest.CaptureFixture[str],
                                                                tmp_path: Path) -> None:
    """Found in a new-user trial: `--currency XYZ` was acceptable and wrote `monthly_usd: 250000, currency: XYZ`."""
    rc, _out, err = run(capsys, "request", "budget", "futures", "250000", DV, "--currency", "XYZ",
                        "--state", str(tmp_path / "s"))
    [line] = [x for x in err.splitlines() if x.strip()]
    assert rc == 2 and line.startswith("currency: XYZ cannot be converted into USD"), err
    rates = tmp_path / "rates.yaml"
    rates.write_text("currency: EUR\nas_of: 2026-10-31\nsource: ECB\nrates: {GBP: 0.86}\n")
    rc, _out, err = run(capsys, "request", "budget", "futures", "250000", DV, "--currency", "GBP", "--rates",
                        str(rates), "--state", str(tmp_path / "s"))
    [line] = [x for x in err.splitlines() if x.strip()]
    assert rc == 2 and "converts into EUR, not USD" in line, err
    rates.write_text("currency: USD\nas_of: 2026-10-31\nsource: ECB\nrates: {EUR: -1}\n")
    rc, _out, err = run(capsys, "request", "budget", "futures", "250000", DV, "--currency", "EUR", "--rates",
                        str(rates), "--state", str(tmp_path / "s"))
    [line] = [x for x in err.splitlines() if x.strip()]
    assert rc == 2 and f"{rates}:4:" in line and "rates" in line, err
    assert not (tmp_path / "s" / "requests").exists()


def _copy_of(submitted: dict[str, Any], key: str, tmp_path: Path) -> tuple[Path, str]:
    """A fresh state directory holding one stored request of the session (so approving it here leaves the
    session's copy pending for the other tests)."""
    rid = submitted[key]["id"]
    state = tmp_path / "state"
    (state / "requests").mkdir(parents=True)
    src = submitted["store"].requests / f"{rid}.json"
    (state / "requests" / src.name).write_text(src.read_text())
    return state, rid


def test_nobody_approves_a_request_they_filed(capsys: pytest.CaptureFixture[str], submitted: dict[str, Any],
                                             tmp_path: Path) -> None:
    """Found in a new-user trial: `request approve ID` defaulted to the approver role, and fred approved his
    own request (the audit log said "self_approved": true). The default role is requester; whoever filed
    a request never approves it, whatever their role; the audit log records each refusal."""
    state, rid = _copy_of(submitted, "workload", tmp_path)
    assert submitted["workload"]["requested_by"]["name"] == "fred"
    rc, _out, err = run(capsys, "request", "approve", rid, "--actor", "fred", "--state", str(state))
    [line] = [x for x in err.splitlines() if x.strip()]
    assert rc == 2 and "role requester may not approve" in line, err
    for role in ("approver", "platform"):
        rc, _out, err = run(capsys, "request", "approve", rid, "--actor", "fred", "--role", role, "--state", str(state))
        [line] = [x for x in err.splitlines() if x.strip()]
        assert rc == 2 and f"request {rid} was filed by fred" in line and "separation of duties" in line, err
    assert not (state / "patches").exists()
    rc, out, _ = run(capsys, "request", "show", rid, "--state", str(state), "--json")
    assert json.loads(out)["status"] == "pending"
    rc, out, err = run(capsys, "request", "approve", rid, "--actor", "ada", "--role", "approver", "--state", str(state))
    assert rc == 0 and f"approved {rid}: patch" in out, err
    rc, out, _ = run(capsys, "request", "log", "--state", str(state), "--json", "--role", "platform")
    log = [(x["event"], x["actor"], x["role"], x.get("reason")) for x in json.loads(out)]
    assert log == [("approve-forbidden", "fred", "requester", "role requester may not approve"),
                   ("approve-forbidden", "fred", "approver", "self-approval"),
                   ("approve-forbidden", "fred", "platform", "self-approval"),
                   ("approve", "ada", "approver", None)], log
    assert not [x for x in json.loads(out) if "self_approved" in x]


@pytest.mark.parametrize("who", ["FRED", "Fred", " fred ", "\tFRED"])
def test_separation_of_duties_compares_people_not_spellings(capsys: pytest.CaptureFixture[str],
                                                           submitted: dict[str, Any], tmp_path: Path,
                                                           who: str) -> None:
    """Found in a fresh-clone trial: alice filed a request and `request approve ID --actor ALICE --role
    approver` printed "approved". People compare by their name without surrounding whitespace and with
    case folded: FRED, Fred and " fred " are the fred who filed it."""
    state, rid = _copy_of(submitted, "workload", tmp_path)
    assert submitted["workload"]["requested_by"]["name"] == "fred"
    rc, out, err = run(capsys, "request", "approve", rid, "--actor", who, "--role", "approver", "--state", str(state),
                       "--out", str(tmp_path / "p.patch"))
    [line] = [x for x in err.splitlines() if x.strip()]
    assert rc == 2 and f"request {rid} was filed by fred" in line and "separation of duties" in line, (out, err)
    assert not (tmp_path / "p.patch").exists() and not (state / "patches").exists()
    rc, out, _ = run(capsys, "request", "log", "--state", str(state), "--json", "--role", "platform")
    assert [(x["event"], x["actor"], x.get("reason")) for x in json.loads(out)] == [
        ("approve-forbidden", who.strip(), "self-approval")]


def test_approving_at_once_compares_people_not_spellings(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`request budget ... --actor ALICE --role approver --out P` is a request alice files and approves at
    once; refused like `--actor alice` (nothing written), whoever spells the name."""
    state = tmp_path / "state"
    rc, _out, err = run(capsys, "request", "budget", "futures", "5", DV, "--actor", " ALICE ", "--role", "approver",
                        "--out", str(tmp_path / "x.patch"), "--state", str(state))
    [line] = [x for x in err.splitlines() if x.strip()]
    assert rc == 2 and "separation of duties" in line, err
    assert not (tmp_path / "x.patch").exists() and not (state / "requests").exists()


def test_approving_at_once_is_for_a_request_someone_else_filed(capsys: pytest.CaptureFixture[str],
                                                                submitted: dict[str, Any], tmp_path: Path) -> None:
    state, rid = _copy_of(submitted, "workload", tmp_path)
    w = submitted["workload"]["request"]
    args = ["request", "workload", "cme-spreader", str(Path(submitted["workload"]["estate"])), "--desk", "futures",
            "--near", w["near"], "--venue", "cme-globex", "--latency-us", str(w["latency_us"]), "--port", "9300",
            "--reason", w["reason"], "--state", str(state), "--role", "approver", "--out", str(tmp_path / "x.patch")]
    rc, _out, err = run(capsys, *args, "--actor", "fred")
    [line] = [x for x in err.splitlines() if x.strip()]
    assert rc == 2 and "separation of duties" in line and not (tmp_path / "x.patch").exists(), err
    rc, out, err = run(capsys, *args, "--actor", "ada")  # fred filed it: ada may approve it at once
    assert rc == 0 and "approved: patch" in out and (tmp_path / "x.patch").exists(), err
    assert rid in (tmp_path / "x.patch").read_text()


def test_a_requesters_own_change_is_judged_on_the_estate_before_it(capsys: pytest.CaptureFixture[str],
                                                                   estate_repo: Path, tmp_path: Path) -> None:
    """Found in a new-user trial: `request venue eq-strategy binance` (role requester) showed "venue connection
    [crypto desk] -> binance" and an empty "changes:" (the change itself made equities a crypto desk),
    while the trace printed the crypto desk's range 10.100.10.0/23."""
    from tradeplane import estate as est
    from tradeplane.selfserve import Restricted

    crypto = Restricted.of(est.load(estate_repo))
    ranges = [n for n in crypto.names if "/" in n and n[0].isdigit()] + ["10.100.10.0/23"]
    state = ("--state", str(tmp_path / "s"))
    rc, out, _ = run(capsys, "request", "venue", "eq-strategy", "binance", str(estate_repo), "--actor", "rick", *state)
    assert rc in (0, 1)
    assert "venue connection eq-strategy -> binance over internet" in out, out
    assert "changes:\n  workloads: eq-strategy venues += binance\n" in out, out
    assert "trace of eq-strategy -> binance tcp 443" in out
    rid = out.split()[1]
    for args in ((), ("--json",)):
        rc, shown, _ = run(capsys, "request", "show", rid, "--role", "requester", *state, *args)
        assert rc == 0 and "eq-strategy" in shown
        leaked = [x for x in (*ranges, *sorted(crypto.names)) if x in shown]
        assert not leaked, leaked
    rc, shown, _ = run(capsys, "request", "show", rid, "--role", "platform", *state, "--json")
    assert json.loads(shown)["redacted"] is False
