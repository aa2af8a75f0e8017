"""The estate's billable resources are enumerated once; the estimate and the FOCUS generator read them."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tradeplane import estate as est
from tradeplane import finops
from tradeplane.finops.billable import billable_resources

from .conftest import REFERENCE


def test_every_estimate_line_is_a_billable_resource(estate: est.Estate) -> None:
    res = {r.id: r for r in billable_resources(estate)}
    lines = finops.estimate(estate).lines
    for line in lines:
        if line.kind in ("data_transfer", "sole_tenant_node"):
            continue
        assert line.id in res and res[line.id].desk == line.desk, line.id
    # Owners come from the estate: a VPC's NAT is its desk's, a shared Direct Connect the holding account's.
    assert res["nat.aws-apne1-crypto.nat-az1"].desk == "crypto"
    assert res["dx.dx-new-york.dxcon-ny4-a"].desk == "platform" and res["dx.dx-new-york.dxcon-ny4-a"].team == "network"
    # ... and which cost_allocation rule shares a resource, from the estate's own section.
    assert res["dx.dx-new-york.dxcon-ny4-a"].shared == "direct-connect"
    assert res["workload.eq-strategy"].shared == ""
    # A cross-cloud link bills on both clouds: the GCP Cross-Cloud Interconnect and, per leg, the AWS
    # Direct Connect port, held by the transit gateway's account and owned by the link's desk.
    xc, leg = res["cross-cloud.xc-gcp"], res["cross-cloud.xc-gcp.dx-b"]
    assert (leg.kind, leg.cloud, leg.account, leg.price_key) == ("dx_port", "aws", "aws-network", "dx_port_10g")
    assert leg.desk == xc.desk == "platform" and leg.shared == "direct-connect"
    assert (res["cross-cloud.xc-gcp.dx-a"].data_item, leg.data_item) == ("dx_data_out", "")


@pytest.fixture(scope="module")
def with_new_desk(tmp_path_factory: pytest.TempPathFactory) -> est.Estate:
    """The reference estate plus a desk no code knows: 'options', with a team, a budget, a VPC and a fleet."""
    root = tmp_path_factory.mktemp("estate") / "dv"
    shutil.copytree(REFERENCE, root)
    desks = root / "desks.yaml"
    text = desks.read_text().replace("budgets:\n", "  - name: options\n    owner: opt-head@dvtrading.example\n"
                                     "    cost_centre: CC-1500\n    teams: [opt-quant]\n\nbudgets:\n"
                                     "  - {desk: options, monthly_usd: 50000}\n")
    desks.write_text(text)
    nets = root / "networks-aws.yaml"
    nets.write_text(nets.read_text().replace("    name: aws-use1-equities\n    account: aws-equities-prod\n"
                                             "    region: us-east-1\n    desk: equities\n",
                                             "    name: aws-use1-equities\n    account: aws-equities-prod\n"
                                             "    region: us-east-1\n    desk: options\n"))
    wl = root / "workloads.yaml"
    wl.write_text(wl.read_text().replace("  - name: eq-strategy\n    desk: equities\n    team: eq-quant\n",
                                         "  - name: eq-strategy\n    desk: options\n    team: opt-quant\n"))
    return est.load(root)


def test_a_new_desk_shows_up_in_the_estimate_and_the_billing_data(with_new_desk: est.Estate,
                                                                  tmp_path: Path) -> None:
    e = with_new_desk
    assert "options" in {r.desk for r in billable_resources(e)}
    by_desk = finops.estimate(e).by("desk")
    assert by_desk["options"] > 0
    res = finops.generate(e, tmp_path, end=date(2026, 11, 24), days=2, inject=False)
    files = ", ".join(f"'{f}'" for f in res.files if f.endswith(".parquet") and "aws-" in f)
    con = duckdb.connect()
    rows = con.execute(f"SELECT count(*), sum(ListCost) FROM read_parquet([{files}]) "
                       "WHERE element_at(Tags, 'user:desk')[1] = 'options' "
                       "AND element_at(Tags, 'user:team')[1] = 'opt-quant' "
                       "AND element_at(Tags, 'user:cost-centre')[1] = 'CC-1500'").fetchone()
    assert rows is not None and rows[0] > 0 and rows[1] > 0
    # The cost report allocates it to the new desk like any other.
    with finops.open_session(e, res.files) as s:
        desks = {r.key[0] for r in s.report().by_desk}
    assert "options" in desks
