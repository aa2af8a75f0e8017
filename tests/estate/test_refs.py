"""Cross-references: each kind of dangling name is caught, with a hint drawn from what exists."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tradeplane import estate as est
from tradeplane.errors import EstateError

DV = Path(__file__).resolve().parents[2] / "examples/dv-trading"

BASE = """
name: refs
organisation:
  aws:
    management_account_id: "100000000000"
    ous: [{name: net, accounts: [{name: network, account_id: "100000000001"}]}]
  gcp:
    org_id: "900000000001"
    domain: refs.example
    billing_account: 0A0B0C-0D0E0F-101112
    folders: [{name: f}]
    projects: [{name: p, project_id: refs-project, folder: f}]
desks:
  - {name: futures, owner: a@b.example, cost_centre: CC-1, teams: [exec]}
sites:
  - {name: colo, location: cme-aurora, cidrs: [172.16.0.0/20], asn: 65010}
networks:
  - cloud: gcp
    name: gnet
    project: p
    subnets: [{name: s, region: us-central1, cidr: 10.0.0.0/24}]
venues:
  - {name: cme, kind: futures, location: cme-aurora, connectivity: [{kind: internet}]}
"""


def problems(extra: str) -> list[str]:
    with pytest.raises(EstateError) as info:
        est.load_text(BASE + extra, "refs.yaml")
    return sorted(f"{p.field}: {p.message}" + (f" ({p.hint})" if p.hint else "") for p in info.value.problems)


def test_base_is_valid() -> None:
    assert est.load_text(BASE).name == "refs"


def test_interconnect_router_and_metro() -> None:
    got = problems("""
links:
  - kind: interconnect
    name: ic
    network: gnet
    site: colo
    attachments:
      - {name: a1, metro: chx, edge_availability_domain: 1, region: us-central1, router: cr, vlan: 100}
""")
    assert got == [
        "links[0].attachments[0].metro: unknown interconnect metro 'chx' (did you mean 'chi'?)",
        "links[0].attachments[0].router: unknown Cloud Router 'cr' (none is declared; declare 'cr' first)",
    ]


def test_gcp_vpn_needs_a_router_and_known_remote() -> None:
    got = problems("""
links:
  - {kind: vpn, name: v, network: gnet, remote: colo2, remote_asn: 65010, tunnels: [{name: t0, peer_address: 203.0.113.1}]}
""")
    assert got == [
        "links[0].remote: unknown site or network 'colo2' (did you mean 'colo'?)",
        "links[0].router: a GCP VPN needs the Cloud Router that runs its BGP sessions "
        "(add 'router: <cloud router name>')",
    ]


def test_private_endpoint_and_venue_keys() -> None:
    got = problems("""
links:
  - {kind: private_endpoint, name: pe, network: gnet, venue: cmx, service_name: svc, subnets: [s, t]}
""")
    assert got == [
        "links[0].subnets: unknown subnet 't' of gnet (known: s)",
        "links[0].venue: unknown venue 'cmx' (did you mean 'cme'?)",
    ]


def test_withdraw_keys_must_be_ip_restricted() -> None:
    got = problems("""
  - name: bin
    kind: crypto
    location: apne1-az4
    connectivity: [{kind: internet}]
    api_keys: [{name: k, secret_ref: "aws-sm://x/y", permissions: [withdraw], ip_restricted: false}]
""")
    assert got == ["venues[1].api_keys[0].ip_restricted: a key with withdraw permission must be IP-restricted "
                   "(set 'ip_restricted: true' (Binance refuses API withdrawals otherwise))"]


def test_literal_keys_are_refused() -> None:
    with pytest.raises(EstateError) as info:
        est.load_text(BASE + """
  - name: bin
    kind: crypto
    location: apne1-az4
    connectivity: [{kind: internet}]
    api_keys: [{name: k, secret_ref: "AKIAIOSFODNN7EXAMPLE"}]
""")
    (problem,) = info.value.problems
    assert problem.field == "venues[1].api_keys[0].secret_ref"
    assert "secret-manager reference" in problem.hint


def test_intent_endpoints_resolve() -> None:
    got = problems("""
intents:
  - {name: i, kind: reachable, src: colo, dst: gnet/s, reason: r}
  - {name: j, kind: isolated, src: futurez, dst: 10.0.0.0/8, reason: r}
""")
    assert len(got) == 1 and got[0].startswith("intents[1].src: unknown desk, workload")
    assert "did you mean 'futures'?" in got[0]


def test_peering_across_clouds_is_refused() -> None:
    text = BASE.replace("venues:", """  - cloud: aws
    name: anet
    account: network
    region: us-east-1
    cidrs: [10.1.0.0/16]
links:
  - {kind: vpc_peering, name: pp, a: anet, b: gnet}
venues:""")
    with pytest.raises(EstateError) as info:
        est.load_text(text, "refs.yaml")
    (problem,) = info.value.problems
    assert problem.field == "links[0].b"
    assert problem.message == "VPC peering joins networks of one cloud only"


def test_duplicate_attachment_and_route_table_names() -> None:
    got = problems("""
links:
  - {kind: transit_gateway, name: tgw, account: network, region: us-east-1, asn: 64512,
     route_tables: [{name: rt}, {name: rt}],
     attachments: [{name: a, kind: vpc, target: nope, route_table: rt2}]}
""")
    assert got == [
        "links[0].attachments[0].route_table: unknown transit gateway route table 'rt2' (did you mean 'rt'?)",
        "links[0].attachments[0].target: unknown AWS VPC 'nope' (none is declared; declare 'nope' first)",
        "links[0].route_tables[1].name: duplicate transit gateway route table name 'rt' "
        "(the first is at refs.yaml:27:21; names must be unique)",
    ]


# ---------------------------------------------------------------------- public IPs under no_external_ips

PUBLIC = """
workloads:
  - {name: w, desk: futures, team: exec, network: gnet, subnet: s, machine_type: c3-standard-8, public_ip: true}
guardrails:
"""


def test_a_public_ip_where_no_external_ips_applies_is_refused() -> None:
    got = problems(PUBLIC + "  - {name: no-ext, control: no_external_ips, applies_to: [f], reason: NAT only}\n")
    assert got == ["workloads[0].public_ip: guardrail 'no-ext' (no_external_ips) forbids external IPs in project "
                   "'p' of workload 'w' (remove 'public_ip: true' (egress goes through NAT), or exempt the account "
                   "or project in the guardrail with a reason)"]
    # the root holds for everything below it
    assert problems(PUBLIC + "  - {name: no-ext, control: no_external_ips, reason: NAT only}\n")


@pytest.mark.parametrize("rail", [
    "{name: no-ext, control: no_external_ips, applies_to: [f], exempt: [p], reason: NAT only}",
    "{name: no-ext, control: no_external_ips, applies_to: [other], reason: NAT only}",
    "{name: cmek, control: customer_managed_keys, reason: keys}",
])
def test_a_public_ip_no_guardrail_forbids_is_accepted(rail: str) -> None:
    text = (BASE + PUBLIC + f"  - {rail}\n").replace("folders: [{name: f}]", "folders: [{name: f}, {name: other}]")
    assert est.load_text(text).workload("w").public_ip is True


def test_dv_trading_research_batch_public_ip_is_refused(tmp_path: Path) -> None:
    shutil.copytree(DV, tmp_path / "dv")
    wl = tmp_path / "dv" / "workloads.yaml"
    text = wl.read_text(encoding="utf-8")
    marker = "  - name: research-batch\n"
    assert marker in text
    wl.write_text(text.replace(marker, marker + "    public_ip: true\n", 1), encoding="utf-8")
    with pytest.raises(EstateError) as info:
        est.load(tmp_path / "dv")
    [p] = info.value.problems
    assert p.field.endswith(".public_ip") and "guardrail 'no-external-ips'" in p.message
    assert p.location is not None and p.location.file.endswith("workloads.yaml") and p.location.line == 128


# ---------------------------------------------------------------------- sites the catalog does not know


def test_a_site_without_a_catalog_location_is_valid_but_not_a_latency_target() -> None:
    unplaced = BASE.replace("sites:\n", "sites:\n  - {name: peer, kind: datacenter, cidrs: [172.20.0.0/16]}\n")
    assert est.load_text(unplaced).site("peer").location is None
    with pytest.raises(EstateError) as info:
        est.load_text(unplaced + """
workloads:
  - name: w
    desk: futures
    team: exec
    network: gnet
    subnet: s
    machine_type: c3-standard-8
    latency_budgets: [{to: peer, rtt_us: 500}]
""")
    assert [f"{p.field}: {p.message}" for p in info.value.problems] == [
        "workloads[0].latency_budgets[0].to: site 'peer' has no catalog location, so it cannot be a latency "
        "budget's target"]
