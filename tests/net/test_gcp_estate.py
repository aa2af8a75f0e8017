"""What trading estates run on GCP, from the exact gcloud exports (``tests/net/cases/gcp-trading-estate``),
each with its right verdict (issue 15, "Beyond the others"): VPC peering with custom route exchange,
Shared VPC, Cloud NAT, Cloud Router learned routes, hierarchical and network firewall policies in
GCP's order, Private Service Connect, Interconnect attachments and HA VPN.

The estate: host project ``dvt-net-host`` runs the Shared VPC ``shared`` (GLOBAL routing) used by the
instances of two service projects (both call their instance ``app``); ``shared`` peers with
``partner-data`` (REGIONAL routing, HA VPN to on-premises ``ny4``, exports custom routes, ``shared``
imports them), which peers with ``research`` (does not import). ``shared`` has two Interconnect
attachments to the CME colocation and a Cloud NAT for the us-central1 ``apps`` subnet only.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tradeplane.cli import main
from tradeplane.estate.model import GcpVpc, Interconnect, PortRange, Vpn
from tradeplane.inventory import ImportResult, import_gcp
from tradeplane.net import Dataplane, reach

CASE = Path(__file__).parent / "cases" / "gcp-trading-estate"
COLO = "onprem-ic-cr-colo"  # the site of what the Cloud Router cr-colo learned over the Interconnect
NY4 = "onprem-vpn-cr-vpn-ny4-edge"  # the site of what cr-vpn learned over the HA VPN


def p(port: int) -> list[PortRange]:
    return [PortRange(start=port, end=port)]


@pytest.fixture(scope="module")
def imported() -> ImportResult:
    return import_gcp(CASE)


@pytest.fixture(scope="module")
def dp(imported: ImportResult) -> Dataplane:
    return Dataplane.build(imported.estate)


def verdict(dp: Dataplane, src: str, dst: str, port: int) -> str:
    return reach(dp, src, dst, "tcp", p(port)).verdict


def reasons(dp: Dataplane, src: str, dst: str, port: int) -> str:
    a = reach(dp, src, dst, "tcp", p(port))
    return " | ".join(t.reason for pr in a.pairs for t in (*pr.dropped, *pr.reply_dropped, *pr.undecided))


# ---------------------------------------------------------------------- Shared VPC


def test_shared_vpc_instances_are_keyed_by_project_not_name(imported: ImportResult) -> None:
    e = imported.estate
    apps = {w.name: (w.network, w.subnet) for w in e.workloads if w.name.startswith("app")}
    # two service projects call their instance "app"; the subnet "apps" exists in two regions
    assert apps == {"app-dvt-eq-prod": ("shared", "apps-us-central1"), "app-dvt-fut-prod": ("shared", "apps-us-east4")}
    shared = e.network("shared")
    assert isinstance(shared, GcpVpc) and shared.project == "dvt-net-host"
    assert shared.shared_vpc_service_projects == ("dvt-eq-prod", "dvt-fut-prod")


# ---------------------------------------------------------------------- peering


def test_peering_exchanges_subnet_routes_and_is_not_transitive(dp: Dataplane) -> None:
    assert verdict(dp, "r-1", "feed-1", 9000) == "reachable"  # research <-> partner-data: subnet routes
    # research -> shared crosses two peerings: never (not transitive)
    assert verdict(dp, "r-1", "app-dvt-eq-prod", 9000) == "unreachable"
    assert "no route in research" in reasons(dp, "r-1", "app-dvt-eq-prod", 9000)


def test_custom_routes_cross_only_when_exported_and_imported(dp: Dataplane) -> None:
    # partner-data exports its dynamic routes (ny4 over HA VPN) to both peers; only shared imports them
    assert verdict(dp, "app-dvt-eq-prod", NY4, 443) == "reachable"
    assert verdict(dp, "r-1", NY4, 443) == "unreachable"
    table = dp.gcp_table("research", "us-central1", ())
    assert not any(r.hop[0] == "peering" and str(r.prefix) == "192.168.50.0/24" for r in table.routes)
    table = dp.gcp_table("shared", "us-central1", ())
    assert any(r.hop[:3] == ("peering", "peering-partner-data-shared", "partner-data") and str(r.prefix) ==
               "192.168.50.0/24" for r in table.routes)


def test_dynamic_routes_of_a_regional_network_apply_in_the_routers_region_only(dp: Dataplane) -> None:
    # partner-data routes dynamically in REGIONAL mode with its router in us-central1: the route it exports
    # is usable by shared's us-central1 instances, not by the us-east4 one
    assert verdict(dp, "app-dvt-fut-prod", NY4, 443) == "unreachable"


# ---------------------------------------------------------------------- Cloud Router, Interconnect, HA VPN


def test_learned_routes_from_router_status_over_interconnect_and_vpn(imported: ImportResult, dp: Dataplane) -> None:
    e = imported.estate
    ic = e.links_of(Interconnect)[0]
    assert ic.network == "shared" and {a.edge_availability_domain for a in ic.attachments} == {1, 2}
    assert (ic.type, ic.circuit_gbps, ic.macsec) == ("dedicated", 10, True)  # from interconnects.json
    assert [str(c) for c in e.site(COLO).cidrs] == ["172.20.0.0/16"]
    vpn = e.links_of(Vpn)[0]
    assert vpn.type == "ha" and {t.name for t in vpn.tunnels} == {"ny4-t0", "ny4-t1"}  # ny4-t2-old is down
    assert [str(c) for c in e.site(NY4).cidrs] == ["192.168.50.0/24"]
    # shared routes GLOBAL: the us-east4 instance uses the us-central1 router's learned routes too
    assert verdict(dp, "app-dvt-eq-prod", COLO, 9050) == "reachable"
    assert verdict(dp, "app-dvt-fut-prod", COLO, 9050) == "reachable"
    # one attachment down: the other carries the traffic
    one_down = Dataplane.build(e, failed=frozenset({f"{ic.name}/ic-chi-ead1"}))
    assert verdict(one_down, "app-dvt-eq-prod", COLO, 9050) == "reachable"
    both = Dataplane.build(e, failed=frozenset({f"{ic.name}/ic-chi-ead1", f"{ic.name}/ic-chi-ead2"}))
    assert verdict(both, "app-dvt-eq-prod", COLO, 9050) == "unreachable"


# ---------------------------------------------------------------------- Cloud NAT


def test_cloud_nat_only_for_its_subnets_and_never_inbound(dp: Dataplane) -> None:
    assert verdict(dp, "app-dvt-eq-prod", "internet", 443) == "reachable"  # apps (us-central1) is NATed
    assert verdict(dp, "batch-1", "internet", 443) == "unreachable"  # batch is not in the NAT's list
    assert "no Cloud NAT for the source's subnet" in reasons(dp, "batch-1", "internet", 443)
    assert verdict(dp, "app-dvt-fut-prod", "internet", 443) == "unreachable"  # no NAT in us-east4
    assert verdict(dp, "internet", "app-dvt-eq-prod", 443) == "unreachable"  # NAT carries no inbound
    shared = dp.gcp["shared"].vpc  # its reserved address: what venues allow-list
    assert shared.cloud_nat_subnets == ("apps-us-central1",) and not shared.cloud_nat_regions
    assert [(a.region, [str(ip) for ip in a.addresses]) for a in shared.cloud_nat_addresses] == [
        ("us-central1", ["34.121.7.20"])]


# ---------------------------------------------------------------------- firewall policies


def test_hierarchical_policies_decide_before_vpc_rules(dp: Dataplane) -> None:
    # the folder policy allows tcp 9000 from the feed although a VPC rule denies it
    a = reach(dp, "feed-1", "app-dvt-eq-prod", "tcp", p(9000))
    assert a.verdict == "reachable"
    assert any("trading-folder" in (r.text or "") for t in a.pairs[0].delivered for h in t.hops for r in h.rules)
    # the organization policy denies RDP although the VPC rules allow tcp from 10/8
    assert verdict(dp, "feed-1", "app-dvt-eq-prod", 3389) == "unreachable"
    assert "firewall ingress denied" in reasons(dp, "feed-1", "app-dvt-eq-prod", 3389)


def test_a_secure_tag_rule_makes_the_verdict_unknown(dp: Dataplane) -> None:
    a = reach(dp, "feed-1", "app-dvt-eq-prod", "tcp", p(7001))
    assert a.verdict == "unknown"
    assert "srcSecureTags" in reasons(dp, "feed-1", "app-dvt-eq-prod", 7001)


def test_network_policy_order_follows_the_network(tmp_path: Path, dp: Dataplane) -> None:
    # AFTER_CLASSIC_FIREWALL (default): the VPC rule allowing tcp from 10/8 decides before the network
    # policy's deny of 8080
    assert verdict(dp, "feed-1", "app-dvt-eq-prod", 8080) == "reachable"
    d = tmp_path / "before"
    shutil.copytree(CASE, d)
    nets = json.loads((d / "networks.json").read_text())
    nets[0]["networkFirewallPolicyEnforcementOrder"] = "BEFORE_CLASSIC_FIREWALL"
    (d / "networks.json").write_text(json.dumps(nets))
    before = import_gcp(d).estate
    assert verdict(Dataplane.build(before), "feed-1", "app-dvt-eq-prod", 8080) == "unreachable"


def test_policy_rules_keep_targets_and_notes(imported: ImportResult) -> None:
    e = imported.estate
    folder = next(fp for fp in e.firewall_policies if fp.name == "trading-folder")
    assert folder.kind == "hierarchical" and folder.attached_to == ("folder-222222222222",)
    assert {r.priority: r.target_networks for r in folder.rules if r.target_networks} == {
        100: ("shared",), 400: ("partner-data",)}
    shared = e.network("shared")
    assert isinstance(shared, GcpVpc) and shared.folders == ("folder-222222222222",)
    notes = "\n".join(imported.notes)
    assert "rule 1100 disabled" in notes
    assert "no project-ancestors/dvt-research.json" in notes


# ---------------------------------------------------------------------- Private Service Connect


def test_private_service_connect_endpoint_is_a_destination(dp: Dataplane) -> None:
    assert verdict(dp, "app-dvt-eq-prod", "psc-cme-md", 443) == "reachable"
    assert verdict(dp, "app-dvt-eq-prod", "shared/psc-cme-md", 443) == "reachable"
    assert verdict(dp, "app-dvt-eq-prod", "psc-risk", 443) == "unreachable"  # the producer has not accepted
    assert "has not accepted" in reasons(dp, "app-dvt-eq-prod", "psc-risk", 443)
    # the feed reaches it over the peering (subnet routes cross), from the endpoint's region
    assert verdict(dp, "feed-1", "psc-cme-md", 443) == "reachable"
    # without global access (allowPscGlobalAccess absent) the us-east4 instance cannot use it
    assert verdict(dp, "app-dvt-fut-prod", "psc-cme-md", 443) == "unreachable"
    assert "no global access" in reasons(dp, "app-dvt-fut-prod", "psc-cme-md", 443)


# ---------------------------------------------------------------------- nothing dropped silently


def test_everything_not_modelled_is_noted(imported: ImportResult) -> None:
    notes = "\n".join(imported.notes)
    for expected in ("risk-ilb (INTERNAL", "ny4-t2-old: NO_INCOMING_PACKETS", "psc-risk: connection PENDING",
                     "rule 2147483645 matches only IPv6"):
        assert expected in notes, expected


def test_cli_import_lists_counts_and_notes(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(["net", "import", "gcp", str(CASE), "--no-verify", "--json"])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    text = json.dumps(out)
    assert "peerings" in text and "psc endpoints" in text and "risk-ilb" in text


def test_a_vpc_rule_on_sctp_ports_decides_nothing(dp: Dataplane) -> None:
    # deny-diameter denies SCTP port 3868 only; the model has no SCTP port axis, so SCTP from the feed is
    # undecided (never all denied, never all allowed)
    a = reach(dp, "feed-1", "app-dvt-eq-prod", "all")
    assert a.verdict == "unknown"
    assert any("SCTP ports 3868" in t.reason for pr in a.pairs for t in pr.undecided)


# ---------------------------------------------------------------------- the engine agrees with itself


def test_walk_agrees_with_the_oracle_packet_by_packet(dp: Dataplane) -> None:
    """The symbolic walk and the brute-force simulator agree on where each concrete packet is delivered
    (peering hops, learned routes, NAT by source, policy order), on 40 random packets per source."""
    import random

    from tradeplane.net.oracle import PacketOracle
    from tradeplane.net.space import Header, Space
    from tradeplane.net.walk import Walk

    rng = random.Random(15)
    sim = PacketOracle(dp)
    dsts = [e for e in dp.endpoints.values() if e.addresses]
    sources = sorted((e for e in dp.endpoints.values() if e.kind in ("workload", "site", "internet")),
                     key=lambda e: e.key)
    delivered = 0
    for src in sources:
        walk = Walk(dp)
        walk.start(src, Space.build(src=list(src.addresses)))
        for _ in range(40):
            lo, hi = rng.choice(src.addresses)
            dlo, dhi = rng.choice(rng.choice(dsts).addresses)
            h = Header(rng.randint(lo, hi), rng.randint(dlo, dhi), rng.choice([6, 17, 1, 132]), 40000,
                       rng.choice([22, 443, 3389, 7001, 8080, 9000, 9050]))
            if any(t.disposition == "unknown" and t.space.contains(h) for t in walk.traces):
                continue  # undecided by the walk; the simulator has no third answer
            symbolic = {t.endpoint for t in walk.traces if t.disposition == "delivered" and t.space.contains(h)}
            concrete = {o.endpoint for o in sim.forward(src, h) if o.disposition == "delivered"}
            assert symbolic == concrete, (src.key, h.describe(), symbolic, concrete)
            delivered += bool(symbolic)
    assert delivered > 20  # the sample exercises deliveries, not only drops


def test_dataflow_matrix_equals_per_endpoint_walks(dp: Dataplane) -> None:
    from tradeplane.net.matrix import matrix, segments
    from tradeplane.net.reach import pair_results, request_space
    from tradeplane.net.space import Space

    m = matrix(dp)
    segs = segments(dp)
    for (a, b), cell in m.cells.items():
        for src in segs[a]:
            targets = [(t, t.addresses) for t in segs[b] if t.key != src.key]
            for pr in pair_results(dp, src, src.addresses, targets, request_space("all"), replies=False):
                merged = cell.reached.get(pr.dst.key, Space()).intersect(Space.build(src=list(src.addresses)))
                assert merged.equals(pr.forward), (src.key, pr.dst.key)


def test_tunnels_of_one_name_in_two_regions_are_two_tunnels(tmp_path: Path) -> None:
    d = tmp_path / "two"
    shutil.copytree(CASE, d)
    tunnels = json.loads((d / "vpn-tunnels.json").read_text())
    east = dict(tunnels[0], region=tunnels[0]["region"].replace("us-central1", "us-east4"),
                selfLink=tunnels[0]["selfLink"].replace("us-central1", "us-east4"))
    del east["router"], east["vpnGateway"]  # a classic route-based tunnel with a static route
    tunnels.append(east)
    (d / "vpn-tunnels.json").write_text(json.dumps(tunnels))
    routes = json.loads((d / "routes.json").read_text())
    routes.append(dict(routes[0], name="to-ny4-east", destRange="192.168.60.0/24", nextHopVpnTunnel=east["selfLink"],
                       network=routes[0]["network"].replace("dvt-net-host/global/networks/shared",
                                                            "dvt-data-prod/global/networks/partner-data"))
                  | {"nextHopGateway": None})
    (d / "routes.json").write_text(json.dumps(routes))
    e = import_gcp(d).estate
    names = sorted(t.name for v in e.links_of(Vpn) for t in v.tunnels)
    assert names == ["ny4-t0-us-central1", "ny4-t0-us-east4", "ny4-t1"]
    route = next(r for n in e.gcp_vpcs for r in n.routes if r.name == "to-ny4-east")
    assert route.via == "ny4-t0-us-east4"
