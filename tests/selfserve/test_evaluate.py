"""The two headline requests on the reference estate: refused for isolation with the trace, and
accepted with placement, Terraform diff and cost delta; approval as a patch and as a branch."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES
from tests.selfserve.conftest import git
from tradeplane import estate as est
from tradeplane.selfserve.roles import Actor, Conflict, Forbidden
from tradeplane.selfserve.workflow import approve, show, visible


def test_flow_into_the_crypto_desk_is_refused_for_isolation_with_the_trace(submitted: dict[str, Any]) -> None:
    r = show(submitted["store"], submitted["flow"]["id"], Actor("pat", "platform"))  # the whole of it
    assert r["verdict"] == "refused" and r["status"] == "refused"
    isolation = [x for x in r["reasons"] if x.startswith("breaks isolation")]
    assert any("desk crypto is isolated" in x and "desks.yaml:" in x for x in isolation)
    assert any("intent crypto-isolated-from-equities" in x and "guardrails.yaml:20" in x for x in isolation)
    # the trace: the requested flow on the patched estate, hop by hop, to the rule that keeps crypto apart
    t = r["trace"]
    assert t["flow"] == "eq-strategy -> coinbase-mm tcp 9200"
    assert t["verdict"] == "unreachable"
    assert t["traces"] and t["traces"][0]["hops"][0]["node"] == "eq-strategy"
    assert any("nacl-trading" in line and "deny" in line for line in t["lines"])
    # and verify on the patched estate shows the declared flow broken
    titles = [f["title"] for f in r["findings"]["new"]]
    assert "declared flow eq-strategy -> coinbase-mm tcp 9200 is broken (filtered)" in titles
    assert r["restricted"] is True and r["desks"] == ["crypto", "equities"]


def test_a_futures_workload_near_cme_is_accepted_with_placement_terraform_and_cost(submitted: dict[str, Any]) -> None:
    r = submitted["workload"]
    assert r["verdict"] == "acceptable" and r["reasons"] == [] and r["status"] == "pending"
    [p] = r["placement"]
    assert p["workload"] == "cme-spreader" and p["cloud"] == "gcp"
    assert p["zones"] and all(z.startswith("us-central1-") for z in p["zones"])
    [b] = p["budgets"]
    assert b["to"] == "cme-globex" and b["met"] and b["rtt_us"] <= 10000 and b["basis"]
    added = r["terraform"]["added"]
    assert any(a.startswith("gcp/30-compute google_compute_instance.cme_spreader") for a in added)
    assert r["terraform"]["removed"] == []
    usd = r["cost"]["currency"]["USD"]
    assert usd["delta"] > 0 and abs(usd["new"] - usd["old"] - usd["delta"]) < 0.02
    assert set(r["cost"]["by_desk"]) == {"futures"}
    assert not [f for f in r["findings"]["new"] if f["blocking"]]
    assert "+  - name: cme-spreader\n" in r["estate_diff"]
    assert r["restricted"] is False


def test_the_estate_is_never_written(submitted: dict[str, Any], estate_repo: Path) -> None:
    for f in sorted((EXAMPLES / "dv-trading").glob("*.yaml")):
        assert (estate_repo / f.name).read_text() == f.read_text()
    assert git(estate_repo.parent, "status", "--porcelain") == ""


def test_crypto_desk_requests_are_for_crypto_and_platform_eyes(submitted: dict[str, Any]) -> None:
    store, rid = submitted["store"], submitted["flow"]["id"]
    for role in ("viewer", "requester", "approver"):
        seen = show(store, rid, Actor("vic", role))
        assert seen["redacted"] is True and "coinbase-mm" not in str(seen), role
        assert "coinbase-mm" not in str(visible(store, Actor("vic", role)))
    for role in ("crypto", "platform"):
        seen = show(store, rid, Actor("cara", role))
        assert seen["redacted"] is False and seen["request"]["dst"] == "coinbase-mm"
        assert "coinbase-mm" in str(visible(store, Actor("cara", role)))
    with pytest.raises(Forbidden):  # an approver who may not see it may not approve it
        approve(store, rid, Actor("ada", "approver"))


def test_a_refused_request_cannot_be_approved(submitted: dict[str, Any]) -> None:
    with pytest.raises(Conflict):
        approve(submitted["store"], submitted["flow"]["id"], Actor("pat", "platform"))
    with pytest.raises(Forbidden):
        approve(submitted["store"], submitted["workload"]["id"], Actor("fred", "requester"))


@pytest.fixture(scope="module")
def approved(submitted: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("patches") / "cme-spreader.patch"
    return approve(submitted["store"], submitted["workload"]["id"], Actor("ada", "approver"), out=out,
                   branch="selfserve/cme-spreader")


def test_approval_writes_a_patch_that_git_apply_accepts(approved: dict[str, Any], estate_repo: Path,
                                                         tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(estate_repo.parent, copy)
    patch = Path(approved["patch"])
    assert patch.read_text().startswith("From ")
    check = subprocess.run(["git", "-C", str(copy), "apply", "--check", str(patch)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    subprocess.run(["git", "-C", str(copy), "apply", str(patch)], check=True)
    assert "cme-spreader" in {w.name for w in est.load(copy / "dv-trading").workloads}


def test_approval_makes_a_branch_without_touching_the_working_tree(approved: dict[str, Any], estate_repo: Path,
                                                                    submitted: dict[str, Any]) -> None:
    repo = estate_repo.parent
    assert approved["branch"] == "selfserve/cme-spreader"
    assert git(repo, "rev-parse", "selfserve/cme-spreader").strip() == approved["commit"]
    assert git(repo, "rev-parse", "HEAD").strip() == git(repo, "rev-parse", "selfserve/cme-spreader~1").strip()
    assert git(repo, "diff", "--name-only", "HEAD", "selfserve/cme-spreader").split() == ["dv-trading/workloads.yaml"]
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "symbolic-ref", "--short", "HEAD").strip() == "main"
    assert "req-" in git(repo, "log", "-1", "--format=%s", "selfserve/cme-spreader")
    # approved once; the audit log has every request and approval with its actor
    with pytest.raises(Conflict):
        approve(submitted["store"], submitted["workload"]["id"], Actor("ada", "approver"))
    log = submitted["store"].audit_log()
    events = [(x["event"], x["actor"], x["id"], x["verdict"]) for x in log if x["event"] in ("request", "approve")]
    assert ("request", "erin", submitted["flow"]["id"], "refused") in events
    assert ("request", "fred", submitted["workload"]["id"], "acceptable") in events
    assert ("approve", "ada", submitted["workload"]["id"], "acceptable") in events
    assert all(x["time"].endswith("+00:00") for x in log)
