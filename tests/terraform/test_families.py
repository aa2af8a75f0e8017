"""Focused estates per group of families: golden output plus the properties a reviewer checks."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tradeplane.errors import InputError, UnsupportedError
from tradeplane.estate import Estate
from tradeplane.terraform import Rendered, check_references, families, render, write
from tradeplane.writing import record_name

from . import estates

GOLDEN = Path(__file__).parent / "golden"
FOCUSED: dict[str, Callable[[], Estate]] = estates.ALL


def has(text: str, key: str, value: str) -> bool:
    """``key = value`` whatever the alignment padding."""
    return re.search(rf"(?m)^\s*{re.escape(key)}\s+= {re.escape(value)}$", text) is not None


def _text(r: Rendered, suffix: str) -> str:
    return "\n".join(t for p, t in r.files.items() if p.endswith(suffix))


@pytest.mark.parametrize("name", sorted(FOCUSED))
def test_focused_golden(name: str) -> None:
    rendered = render(FOCUSED[name]())
    assert check_references(rendered.files) == []
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.rmtree(golden, ignore_errors=True)
        write(rendered, golden)
        (golden / record_name("terraform")).unlink()  # the record of what was written is no golden file
    on_disk = {str(p.relative_to(golden)): p.read_text(encoding="utf-8") for p in golden.rglob("*") if p.is_file()}
    assert on_disk == rendered.files, "run with UPDATE_GOLDEN=1 after reviewing the change"


def test_every_family_is_registered_once_with_a_file_of_its_own() -> None:
    fams = families()
    assert len({(f.cloud, f.name) for f in fams}) == len(fams)
    names = {f"{f.cloud}/{f.name}" for f in fams}
    assert {"aws/security_groups", "aws/transit_gateway", "aws/scps", "gcp/interconnect", "gcp/org_policies",
            "gcp/gke", "gcp/cloud_armor"} <= names
    for f in fams:
        assert f.doc, f"{f.cloud}/{f.name} has no docstring"


def test_security_group_rules_are_resources_with_descriptions() -> None:
    r = render(estates.aws_networking())
    sg = r.files["aws/10-networking/security_groups.tf"]
    assert "ingress {" not in sg and "egress {" not in sg
    rules = re.findall(r'resource "aws_vpc_security_group_(?:ingress|egress)_rule" "[^"]+" \{(.*?)\n\}', sg, re.S)
    assert len(rules) == 6  # 443 and 8000-8100 from lb-sg, icmp, all egress, ESP egress, 443 to app-sg
    assert all("description" in body for body in rules)
    assert has(sg, 'referenced_security_group_id', 'aws_security_group.vpc_a__lb_sg.id')
    assert has(sg, 'from_port', '8000')


def test_protocol_numbers_render_on_both_clouds() -> None:
    """An estate rule's ``protocol_number`` (ESP 50, GRE 47) is the rule's protocol, without ports:
    never dropped, which on an AWS NACL would leave ``protocol = "-1"``, every protocol."""
    aws = render(estates.aws_networking()).files
    esp = re.search(r'"IPsec ESP[^\n]*\n(.*?)\n\}', aws["aws/10-networking/security_groups.tf"], re.S)
    assert esp is not None and 'ip_protocol       = "50"' in esp.group(1) and "from_port" not in esp.group(1)
    nacl = re.search(r'"vpc_a__nacl_app__egress_120" \{(.*?)\n\}', aws["aws/10-networking/nacls.tf"], re.S)
    assert nacl is not None and 'protocol       = "50"' in nacl.group(1) and "from_port" not in nacl.group(1)
    gcp = render(estates.gcp_hybrid()).files["gcp/10-networking/firewall_rules.tf"]
    assert re.search(r'"gvpc__allow_gre" \{.*?allow \{\n    protocol = "47"\n  \}', gcp, re.S)


def test_nacl_rules_and_flow_logs() -> None:
    r = render(estates.aws_networking())
    nacls = r.files["aws/10-networking/nacls.tf"]
    assert has(nacls, 'subnet_ids', '[aws_subnet.vpc_a__app_a.id]')
    assert "checkov:skip=CKV_AWS_231:stateless ACL" in nacls
    flow = r.files["aws/10-networking/flow_logs.tf"]
    assert has(flow, 'traffic_type', '"ALL"')
    assert has(flow, 'enable_key_rotation', 'true')
    assert has(r.files["aws/10-networking/subnets.tf"], "map_public_ip_on_launch", "false")


def test_transit_gateway_cross_account_sharing_and_tables() -> None:
    r = render(estates.aws_hub())
    tgw = r.files["aws/10-networking/transit_gateway.tf"]
    assert 'resource "aws_ram_principal_association" "tgw_east__acct_a"' in tgw
    assert 'resource "aws_ec2_transit_gateway_vpc_attachment_accepter" "tgw_east__att_a"' in tgw
    assert 'resource "aws_ec2_transit_gateway_vpc_attachment_accepter" "tgw_east__att_b"' not in tgw  # same account
    assert "aws_vpn_connection.vpn_colo__t1.transit_gateway_attachment_id" in tgw  # one per remote address
    assert has(tgw, 'blackhole', 'true')
    assert 'data "aws_ec2_transit_gateway_dx_gateway_attachment" "tgw_east__att_dx"' in tgw
    assert 'resource "aws_ec2_transit_gateway_route_table_propagation" "tgw_east__att_b__rt_spokes"' in tgw
    peering = r.files["aws/10-networking/tgw_peering.tf"]
    assert "aws_ec2_transit_gateway_peering_attachment_accepter" in peering
    vpcp = r.files["aws/10-networking/vpc_peering.tf"]
    assert has(vpcp, 'peer_region', '"us-east-2"') and "peer_owner_id" in vpcp
    dx = r.files["aws/10-networking/direct_connect.tf"]
    assert dx.count('resource "aws_dx_transit_virtual_interface"') == 2
    assert has(dx, 'allowed_prefixes', '["10.1.0.0/16", "10.2.0.0/16"]')
    vpn = r.files["aws/10-networking/vpn.tf"]
    assert has(vpn, "ip_address", "var.colo_vpn_ip_1")
    assert 'variable "colo_vpn_ip_1"' in r.files["aws/10-networking/variables.tf"]


def test_placement_groups_and_instances_per_zone() -> None:
    r = render(estates.aws_compute())
    pg = r.files["aws/30-compute/placement_groups.tf"]
    assert has(pg, 'strategy', '"cluster"') and has(pg, 'strategy', '"spread"')
    inst = r.files["aws/30-compute/instances.tf"]
    assert 'resource "aws_instance" "md__use1_az4"' in inst and 'resource "aws_instance" "md__use1_az6"' in inst
    assert has(inst, 'http_tokens', '"required"')


def test_solver_zones_override_and_are_checked() -> None:
    e = estates.aws_compute()
    r = render(e, zones={"md": ("use1-az6", "use1-az6", "use1-az6", "use1-az4")})
    inst = r.files["aws/30-compute/instances.tf"]
    assert re.search(r'"md__use1_az6" \{\n  count\s+= 3', inst)
    assert 'subnet_ids["vpc-a/app-b"]' in inst  # the trading subnet of use1-az6
    with pytest.raises(InputError, match="not a zone of us-east-1"):
        render(e, zones={"md": ("usw2-az1",)})
    with pytest.raises(InputError, match="4 replicas"):
        render(e, zones={"md": ("use1-az4", "use1-az6")})
    with pytest.raises(UnsupportedError, match="cluster placement group"):
        render(e, zones={"gw": ("use1-az4", "use1-az6", "use1-az4")})


def test_interconnect_9999_topology_rendered_and_enforced() -> None:
    r = render(estates.gcp_hybrid())
    ic = r.files["gcp/10-networking/interconnect.tf"]
    assert ic.count('resource "google_compute_interconnect" ') == 4
    assert ic.count('resource "google_compute_router_peer" ') == 4
    assert has(ic, 'requested_features', '["IF_MACSEC"]')
    with pytest.raises(UnsupportedError, match=r"99\.99%"):
        render(estates.gcp_hybrid(metros=("chi", "chi")))
    relaxed = render(estates.gcp_hybrid(sla="99.9", metros=("chi", "chi")))
    assert check_references(relaxed.files) == []


def test_ha_vpn_psc_peering_nat_subnets() -> None:
    r = render(estates.gcp_hybrid())
    vpn = r.files["gcp/10-networking/ha_vpn.tf"]
    assert has(vpn, 'redundancy_type', '"TWO_IPS_REDUNDANCY"')
    assert re.search(r'shared_secret\s+= var.vpn_shared_secrets\["vpn-b/t0"\]', vpn)
    assert has(vpn, 'advertised_route_priority', '200')  # a backup path
    assert has(r.files["gcp/10-networking/psc.tf"], "load_balancing_scheme", '""')
    assert r.files["gcp/10-networking/network_peering.tf"].count("google_compute_network_peering") == 2
    net = r.files["gcp/10-networking/network.tf"]
    assert has(net, 'auto_create_subnetworks', 'false')
    assert net.count("log_config {") >= 3 and has(net, 'private_ip_google_access', 'true')
    assert 'resource "google_compute_shared_vpc_service_project"' in r.files["gcp/10-networking/shared_vpc.tf"]


def test_gcp_compute_compact_sole_tenant_gke() -> None:
    r = render(estates.gcp_compute())
    rp = r.files["gcp/30-compute/resource_policies.tf"]
    assert has(rp, 'collocation', '"COLLOCATED"') and has(rp, 'vm_count', '2')
    inst = r.files["gcp/30-compute/instances.tf"]
    assert has(inst, 'on_host_maintenance', '"TERMINATE"')
    assert has(inst, 'key', '"compute.googleapis.com/node-group-name"')
    assert has(inst, 'enable_secure_boot', 'true')
    st = r.files["gcp/30-compute/sole_tenant.tf"]
    assert has(st, 'initial_size', '2')  # 3 x 32 vCPUs on 80-vCPU nodes
    gke = r.files["gcp/30-compute/gke.tf"]
    assert has(gke, 'type', '"COMPACT"') and has(gke, 'enable_private_nodes', 'true')
    fp = r.files["gcp/20-security/firewall_policies.tf"]
    assert 'folder_ids["desk-beta"]' in fp and 'network_ids["gvpc"]' in fp


def test_guardrails_render_on_both_clouds() -> None:
    r = render(estates.guardrails())
    scps = _text(r, "scps.tf")
    assert 'resource "aws_organizations_policy_attachment" "root__scp1"' in scps
    assert '"100000000001"' in scps  # acct-a exempt from no-external-ips
    pols = _text(r, "org_policies.tf")
    assert "compute.requireShieldedVm" in pols and "gcp.resourceLocations" in pols
    assert '"in:us-central1-locations"' in pols
    assert has(pols, 'name', '"projects/${module.globals.project_ids["beta-prod"]}/policies/compute.vmExternalIpAccess"')


@pytest.mark.parametrize(("regions", "cloud"), [(("us-east-1",), "gcp"), (("us-central1",), "aws")])
def test_guardrail_without_an_equivalent_names_the_cloud(regions: tuple[str, ...], cloud: str) -> None:
    with pytest.raises(UnsupportedError, match=f"cannot render on {cloud}"):
        render(estates.guardrails(regions))


def test_aws_blackhole_route_is_unsupported() -> None:
    vpc = estates.aws_vpc("vpc-a", "acct-a", "us-east-1", "10.1.0.0/16", ("use1-az4", "use1-az6"),
                          routes=[{"destination": "10.5.0.0/16", "target": "blackhole"}])
    with pytest.raises(UnsupportedError, match="cannot blackhole") as info:
        render(estates.estate("bh", networks=[vpc]))
    assert "bh.yaml:" in str(info.value)  # points at the estate file and line


def test_scps_are_packed_within_aws_quotas() -> None:
    def rails(n: int) -> list[dict[str, str]]:
        return [{"name": f"serial-{i:02d}", "control": "no_serial_port", "reason": "policy"} for i in range(n)]

    r = render(estates.estate("packed", guardrails=rails(30)))
    scps = r.files["aws/00-org-guardrails/scps.tf"]
    policies = re.findall(r'resource "aws_organizations_policy" "(root__scp\d)"', scps)
    assert 2 <= len(policies) <= 4
    assert scps.count('resource "aws_organizations_policy_attachment"') == len(policies)
    with pytest.raises(UnsupportedError, match="over the quota of 4 per target"):
        render(estates.estate("too-many", guardrails=rails(150)))


def test_long_names_stay_within_cloud_limits() -> None:
    from tradeplane.terraform.names import bounded

    assert bounded("short", 63) == "short"
    long = "w" * 60 + "-us-central1-a"
    assert len(bounded(long, 58)) == 58
    assert bounded(long, 58) != bounded(long + "x", 58)


def test_partner_interconnect_and_vpn_tunnel_routes() -> None:
    e = estates.gcp_hybrid()
    data = e.model_dump(mode="json", exclude_defaults=False)
    for link in data["links"]:
        if link["kind"] == "interconnect":
            link["type"] = "partner"
    data["networks"][0]["routes"] = [{"name": "colo-backup", "destination": "172.16.0.0/20",
                                      "next_hop": "vpn_tunnel", "via": "t0", "priority": 2000}]
    sections = {k: data[k] for k in ("networks", "links", "venues")}
    r = render(estates.estate("partner", **sections))
    assert check_references(r.files) == []
    ic = r.files["gcp/10-networking/interconnect.tf"]
    assert 'resource "google_compute_interconnect" ' not in ic  # the partner owns the ports
    assert has(ic, "type", '"PARTNER"') and has(ic, "edge_availability_domain", '"AVAILABILITY_DOMAIN_2"')
    assert has(r.files["gcp/10-networking/network.tf"], "next_hop_vpn_tunnel",
               "google_compute_vpn_tunnel.vpn_b__t0.id")


def test_aws_vpn_on_a_virtual_private_gateway() -> None:
    vpc = estates.aws_vpc("vpc-a", "acct-a", "us-east-1", "10.1.0.0/16", ("use1-az4", "use1-az6"),
                          routes=[{"destination": "172.16.0.0/20", "target": "vgw"}])
    links = [{"kind": "vpn", "name": "vpn-colo", "network": "vpc-a", "remote": "colo", "remote_asn": 65010,
              "tunnels": [{"name": "t0", "peer_address": "198.51.100.7"}]}]
    r = render(estates.estate("vgw", networks=[vpc], links=links))
    assert check_references(r.files) == []
    vpn = r.files["aws/10-networking/vpn.tf"]
    assert 'resource "aws_vpn_gateway" "vpc_a"' in vpn
    assert has(vpn, "vpn_gateway_id", "aws_vpn_gateway.vpc_a.id")
    assert has(r.files["aws/10-networking/route_tables.tf"], "gateway_id", "aws_vpn_gateway.vpc_a.id")


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary on this machine")
def test_focused_renders_are_terraform_fmt_clean(tmp_path: Path) -> None:
    import subprocess

    for name, build in FOCUSED.items():
        write(render(build()), tmp_path / name)
    done = subprocess.run(["terraform", "fmt", "-check", "-recursive", "-diff", str(tmp_path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout


def _blocks(text: str, type_: str) -> dict[str, str]:
    """Every ``resource "<type_>" "<name>" { ... }`` in ``text``: name -> body."""
    return dict(re.findall(rf'(?ms)^resource "{type_}" "([^"]+)" \{{(.*?)^\}}', text))


@pytest.mark.parametrize("name", ["gcp-hybrid", "dv-trading"])
def test_every_interconnect_port_and_hybrid_bgp_session_has_a_down_alert(name: str, reference_rendered: Rendered) -> None:
    """The networking stage's ports and BGP peers, read from its own render, each have their policy."""
    r = reference_rendered if name == "dv-trading" else render(FOCUSED[name]())
    net = "\n".join(t for p, t in r.files.items() if p.startswith("gcp/10-networking/"))
    alerts = r.files["gcp/40-observability/hybrid_alerts.tf"]
    ports = {re.search(r'\bname\s+= "([^"]+)"', b).group(1)  # type: ignore[union-attr]
             for b in _blocks(net, "google_compute_interconnect").values()}
    peers = {(re.search(r'\bname\s+= "([^"]+)"', b).group(1), re.search(r'\bregion\s+= "([^"]+)"', b).group(1))  # type: ignore[union-attr]
             for b in _blocks(net, "google_compute_router_peer").values()}
    assert ports and peers
    policies = _blocks(alerts, "google_monitoring_alert_policy").values()
    circuit = {m.group(1) for b in policies if (m := re.search(r'resource.labels.interconnect=\\"([^\\]+)\\"', b))}
    sessions = {(m.group(1), m.group(2)) for b in policies
                if (m := re.search(r'bgp_peer_name=\\"([^\\]+)\\" AND resource.labels.region=\\"([^\\]+)\\"', b))}
    assert circuit == ports and sessions == peers
    assert len(policies) == len(ports) + len(peers)
    for b in policies:
        assert has(b, "evaluation_missing_data", '"EVALUATION_MISSING_DATA_ACTIVE"')  # a stopped metric is down
        assert has(b, "notification_channels", "[google_monitoring_notification_channel.platform__email.id]")
    if name == "dv-trading":  # the cross-cloud legs' ports and sessions too, not only the site interconnect's
        assert {"xc-gcp-a", "xc-gcp-b"} <= circuit and {("xc-gcp-a-bgp", "us-central1")} <= sessions


def test_the_alerts_project_monitors_every_other_project(reference_rendered: Rendered) -> None:
    """Cloud Monitoring evaluates a policy over its project's metrics scope: the workloads' service
    project and the network host project must be in it, or their alerts never fire."""
    r = reference_rendered
    scope = _blocks(r.files["gcp/40-observability/metrics_scope.tf"], "google_monitoring_monitored_project")
    monitored = {re.search(r'\bname\s+= module.globals.project_ids\["([^"]+)"\]', b).group(1) for b in scope.values()}  # type: ignore[union-attr]
    scoping = {re.search(r'metrics_scope\s+= module.globals.project_ids\["([^"]+)"\]', b).group(1)  # type: ignore[union-attr]
               for b in scope.values()}
    assert scoping == {"gcp-observability"}
    assert monitored == {"gcp-futures-prod", "gcp-net-host"}
    policies = "\n".join(t for p, t in r.files.items() if p.startswith("gcp/40-observability/"))
    assert set(re.findall(r'project\s+= module.globals.project_ids\["([^"]+)"\]', policies)) == scoping
    # an estate whose GCP side renders no alert policy, SLO or uptime check has no scope to fill
    assert not any(p.endswith("metrics_scope.tf") for p in render(estates.aws_compute()).files)


def _with_public_ip(e: Estate, name: str) -> Estate:
    return e.model_copy(update={"workloads": tuple(w.model_copy(update={"public_ip": True}) if w.name == name else w
                                                   for w in e.workloads)})


def test_a_public_ip_no_guardrail_forbids_is_rendered() -> None:
    # estate/refs.py refuses public_ip: true under no_external_ips; where none applies it is rendered
    aws = render(_with_public_ip(estates.aws_compute(), "md")).files["aws/30-compute/instances.tf"]
    md = aws[aws.index('resource "aws_instance" "md__use1_az4"'):]
    assert has(md[:md.index("\n}\n")], "associate_public_ip_address", "true")
    gw = aws[aws.index('resource "aws_instance" "gw__'):]
    assert has(gw[:gw.index("\n}\n")], "associate_public_ip_address", "false")
    gcp = render(_with_public_ip(estates.gcp_compute(), "router")).files["gcp/30-compute/instances.tf"]
    assert gcp.count("access_config {") == 1 and has(gcp, "network_tier", '"PREMIUM"')
    assert "access_config" not in render(estates.gcp_compute()).files["gcp/30-compute/instances.tf"]
