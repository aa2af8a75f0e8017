"""Small focused estates, one per group of resource families, built as data and loaded like YAML."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import yaml

from tradeplane.estate import Estate, load_text

ORG: dict[str, Any] = {
    "aws": {"management_account_id": "100000000000", "ous": [
        {"name": "trading", "accounts": [
            {"name": "acct-a", "account_id": "100000000001", "desk": "alpha"},
            {"name": "acct-b", "account_id": "100000000002", "desk": "beta"}]},
        {"name": "infra", "accounts": [{"name": "acct-net", "account_id": "100000000003", "env": "shared"}]}]},
    "gcp": {"org_id": "123456789", "domain": "example.test", "billing_account": "000000-AAAAAA-BBBBBB",
            "folders": [{"name": "trading"}, {"name": "desk-beta", "parent": "trading"}],
            "projects": [
                {"name": "net-host", "project_id": "net-host-prod", "folder": "trading", "shared_vpc_host": True,
                 "env": "shared"},
                {"name": "beta-prod", "project_id": "beta-prod-1", "folder": "desk-beta", "desk": "beta",
                 "shared_vpc_host_project": "net-host"}]},
}
DESKS = [{"name": "alpha", "owner": "a@example.test", "cost_centre": "CC-1", "teams": ["alpha-exec"]},
         {"name": "beta", "owner": "b@example.test", "cost_centre": "CC-2", "teams": ["beta-exec", "beta-quant"]}]
SITES = [{"name": "colo", "location": "cme-aurora", "cidrs": ["172.16.0.0/20"], "asn": 65010},
         {"name": "meetme", "location": "equinix-ch1", "kind": "datacenter"}]


def aws_vpc(name: str, account: str, region: str, cidr: str, zones: tuple[str, str], desk: str = "alpha",
            **extra: Any) -> dict[str, Any]:
    base = cidr.split(".")[1]
    return {"cloud": "aws", "name": name, "account": account, "region": region, "desk": desk, "cidrs": [cidr],
            "route_tables": [{"name": "rt-main", "routes": extra.pop("routes", [])}],
            "subnets": [{"name": "app-a", "zone": zones[0], "cidr": f"10.{base}.0.0/24", "route_table": "rt-main",
                         "tier": "trading"},
                        {"name": "app-b", "zone": zones[1], "cidr": f"10.{base}.1.0/24", "route_table": "rt-main",
                         "tier": "trading"}],
            **extra}


def estate(name: str, **sections: Any) -> Estate:
    data: dict[str, Any] = {"name": name, "organisation": copy.deepcopy(ORG), "desks": DESKS, "sites": SITES}
    data.update(sections)
    return load_text(yaml.safe_dump(data, sort_keys=False), f"{name}.yaml")


def aws_networking() -> Estate:
    vpc = aws_vpc("vpc-a", "acct-a", "us-east-1", "10.1.0.0/16", ("use1-az4", "use1-az6"),
                  internet_gateway=True, nat_gateways=[{"name": "nat-a", "subnet": "public-a"}],
                  routes=[{"destination": "0.0.0.0/0", "target": "nat", "via": "nat-a"}])
    vpc["route_tables"].append({"name": "rt-public", "routes": [{"destination": "0.0.0.0/0", "target": "igw"}]})
    vpc["subnets"].append({"name": "public-a", "zone": "use1-az4", "cidr": "10.1.100.0/24",
                           "route_table": "rt-public", "tier": "public"})
    vpc["subnets"][0]["nacl"] = "nacl-app"
    vpc["security_groups"] = [
        {"name": "app-sg", "description": "application servers",
         "ingress": [{"protocol": "tcp", "ports": ["443", "8000-8100"], "peers": [{"security_group": "lb-sg"}],
                      "description": "from the load balancers"},
                     {"protocol": "icmp", "peers": [{"cidr": "10.0.0.0/8"}], "description": "ping from inside"}],
         "egress": [{"protocol": "all", "peers": [{"cidr": "10.0.0.0/8"}], "description": "internal services"},
                    {"protocol": "all", "protocol_number": 50, "peers": [{"cidr": "198.51.100.7/32"}],
                     "description": "IPsec ESP to the colo's VPN head-end"}]},
        {"name": "lb-sg", "description": "load balancers",
         "egress": [{"protocol": "tcp", "ports": ["443"], "peers": [{"security_group": "app-sg"}],
                     "description": "to the application"}]}]
    vpc["nacls"] = [{"name": "nacl-app",
                     "ingress": [{"number": 100, "action": "allow", "cidr": "10.0.0.0/8"},
                                 {"number": 110, "action": "allow", "protocol": "tcp", "ports": "1024-65535",
                                  "cidr": "0.0.0.0/0"}],
                     "egress": [{"number": 100, "action": "allow", "cidr": "10.0.0.0/8"},
                                {"number": 110, "action": "allow", "protocol": "tcp", "ports": 443,
                                 "cidr": "0.0.0.0/0"},
                                {"number": 120, "action": "allow", "protocol": "all", "protocol_number": 50,
                                 "cidr": "198.51.100.7/32"}]}]
    return estate("aws-networking", networks=[vpc])


def aws_hub() -> Estate:
    a = aws_vpc("vpc-a", "acct-a", "us-east-1", "10.1.0.0/16", ("use1-az4", "use1-az6"),
                routes=[{"destination": "10.0.0.0/8", "target": "tgw", "via": "tgw-east"}])
    b = aws_vpc("vpc-b", "acct-net", "us-east-1", "10.2.0.0/16", ("use1-az4", "use1-az6"),
                routes=[{"destination": "10.0.0.0/8", "target": "tgw", "via": "tgw-east"},
                        {"destination": "10.9.0.0/16", "target": "peering", "via": "b-to-c"}])
    c = aws_vpc("vpc-c", "acct-b", "us-east-2", "10.9.0.0/16", ("use2-az1", "use2-az2"), desk="beta",
                routes=[{"destination": "10.2.0.0/16", "target": "peering", "via": "b-to-c"}])
    links = [
        {"kind": "transit_gateway", "name": "tgw-east", "account": "acct-net", "region": "us-east-1", "asn": 64512,
         "route_tables": [{"name": "rt-spokes", "routes": [{"destination": "10.200.0.0/16", "blackhole": True}]},
                          {"name": "rt-edge"}],
         "attachments": [
             {"name": "att-a", "kind": "vpc", "target": "vpc-a", "subnets": ["app-a", "app-b"],
              "route_table": "rt-spokes", "propagate_to": ["rt-edge"]},
             {"name": "att-b", "kind": "vpc", "target": "vpc-b", "subnets": ["app-a", "app-b"],
              "route_table": "rt-spokes", "propagate_to": ["rt-edge", "rt-spokes"]},
             {"name": "att-dx", "kind": "direct_connect", "target": "dx-colo", "route_table": "rt-edge",
              "propagate_to": ["rt-spokes"]},
             {"name": "att-vpn", "kind": "vpn", "target": "vpn-colo", "route_table": "rt-edge",
              "propagate_to": ["rt-spokes"]},
             {"name": "att-peer", "kind": "peering", "target": "east-west", "route_table": "rt-edge"}]},
        {"kind": "transit_gateway", "name": "tgw-ohio", "account": "acct-net", "region": "us-east-2", "asn": 64513,
         "route_tables": [{"name": "rt-main"}]},
        {"kind": "tgw_peering", "name": "east-west", "a": "tgw-east", "b": "tgw-ohio"},
        {"kind": "vpc_peering", "name": "b-to-c", "a": "vpc-b", "b": "vpc-c"},
        {"kind": "direct_connect", "name": "dx-colo", "account": "acct-net", "site": "colo", "gateway_asn": 64600,
         "connections": [{"name": "con-a", "location": "meetme", "device": "dev-1"},
                         {"name": "con-b", "location": "meetme", "device": "dev-2"}],
         "virtual_interfaces": [{"name": "vif-a", "connection": "con-a", "vlan": 10, "customer_asn": 65010},
                                {"name": "vif-b", "connection": "con-b", "vlan": 11, "customer_asn": 65010}],
         "allowed_prefixes": ["10.1.0.0/16", "10.2.0.0/16"]},
        {"kind": "vpn", "name": "vpn-colo", "network": "vpc-b", "remote": "colo", "transit_gateway": "tgw-east",
         "remote_asn": 65010, "tunnels": [{"name": "t0", "peer_address": "198.51.100.10"},
                                          {"name": "t1", "interface": 1, "peer_address": "var.colo_vpn_ip_1"}]},
    ]
    return estate("aws-hub", networks=[a, b, c], links=links)


def aws_compute() -> Estate:
    vpc = aws_vpc("vpc-a", "acct-a", "us-east-1", "10.1.0.0/16", ("use1-az4", "use1-az6"),
                  security_groups=[{"name": "app-sg", "description": "app"}])
    workloads = [
        {"name": "gw", "desk": "alpha", "team": "alpha-exec", "network": "vpc-a", "subnet": "app-a",
         "machine_type": "c6in.8xlarge", "count": 3, "security_groups": ["app-sg"],
         "placement": {"strategy": "cluster", "group": "hot"}},
        {"name": "md", "desk": "alpha", "team": "alpha-exec", "network": "vpc-a", "subnet": "app-a",
         "machine_type": "c6in.4xlarge", "count": 4, "placement": {"strategy": "spread", "zones": ["use1-az4", "use1-az6"]}},
    ]
    return estate("aws-compute", networks=[vpc], workloads=workloads)


def gcp_vpc(**extra: Any) -> dict[str, Any]:
    return {"cloud": "gcp", "name": "gvpc", "project": "net-host", "desk": "beta", "mtu": 8896,
            "shared_vpc_service_projects": ["beta-prod"], "cloud_nat_regions": ["us-central1"],
            "subnets": [{"name": "trade", "region": "us-central1", "cidr": "10.60.0.0/22", "tier": "trading"},
                        {"name": "dr", "region": "us-south1", "cidr": "10.60.8.0/22"},
                        {"name": "gke", "region": "us-central1", "cidr": "10.60.16.0/20",
                         "secondary_ranges": {"pods": "10.61.0.0/16", "services": "10.62.0.0/20"}}],
            "firewall_rules": [
                {"name": "allow-colo", "protocol": "tcp", "ports": [9000], "sources": ["172.16.0.0/20"],
                 "target_tags": ["cme"], "description": "orders from the colo"},
                {"name": "allow-gre", "protocol": "all", "protocol_number": 47, "sources": ["172.16.0.0/20"],
                 "target_tags": ["cme"], "description": "GRE multicast tunnels from the colo"},
                {"name": "deny-out", "direction": "egress", "action": "deny", "protocol": "all",
                 "destinations": ["10.100.0.0/15"], "priority": 100, "description": "never to crypto"}],
            **extra}


def gcp_hybrid(sla: str = "99.99", metros: tuple[str, str] = ("chi", "dfw")) -> Estate:
    second = "us-south1" if metros[1] == "dfw" else "us-central1"
    routers = [{"kind": "cloud_router", "name": "cr-a", "network": "gvpc", "region": "us-central1", "asn": 64520},
               {"kind": "cloud_router", "name": "cr-b", "network": "gvpc", "region": second, "asn": 64521,
                "advertised_prefixes": ["10.60.0.0/16"]},
               {"kind": "cloud_router", "name": "cr-vpn", "network": "gvpc", "region": "us-central1", "asn": 64522}]
    attachments = [{"name": f"ic-{i}-{m}-{e}", "metro": m, "edge_availability_domain": e,
                    "region": "us-central1" if i == 0 else second, "router": "cr-a" if i == 0 else "cr-b",
                    "vlan": 100 + 10 * i + e} for i, m in enumerate(metros) for e in (1, 2)]
    links = [*routers,
             {"kind": "interconnect", "name": "ic", "network": "gvpc", "site": "colo", "target_sla": sla,
              "attachments": attachments},
             {"kind": "vpn", "name": "vpn-b", "network": "gvpc", "remote": "colo", "router": "cr-vpn",
              "remote_asn": 65010, "backup_for": "ic",
              "tunnels": [{"name": "t0", "peer_address": "203.0.113.1"},
                          {"name": "t1", "interface": 1, "peer_address": "203.0.113.2"}]},
             {"kind": "private_endpoint", "name": "psc-venue", "network": "gvpc", "venue": "ven",
              "service_name": "projects/venue/regions/us-central1/serviceAttachments/md", "subnets": ["trade"]}]
    other = {"cloud": "gcp", "name": "gvpc2", "project": "beta-prod", "subnets": [
        {"name": "s", "region": "us-central1", "cidr": "10.70.0.0/24"}]}
    links.append({"kind": "vpc_peering", "name": "g-peer", "a": "gvpc", "b": "gvpc2"})
    venues = [{"name": "ven", "kind": "futures", "location": "cme-aurora",
               "connectivity": [{"kind": "private_service_connect", "via": "psc-venue"}]}]
    return estate("gcp-hybrid", networks=[gcp_vpc(), other], links=links, venues=venues)


def gcp_compute() -> Estate:
    workloads = [
        {"name": "router", "desk": "beta", "team": "beta-exec", "network": "gvpc", "subnet": "trade",
         "machine_type": "c2-standard-30", "count": 2, "tags": ["cme"],
         "placement": {"strategy": "compact", "group": "tight"}},
        {"name": "pricer", "desk": "beta", "team": "beta-quant", "kind": "sole_tenant", "network": "gvpc",
         "subnet": "trade", "machine_type": "n2-standard-32", "count": 3, "placement": {"strategy": "sole_tenant"}},
        {"name": "risk", "desk": "beta", "team": "beta-quant", "kind": "gke_node_pool", "gke_cluster": "beta-gke",
         "network": "gvpc", "subnet": "gke", "machine_type": "n2-standard-16", "count": 3,
         "service_account": "risk@beta-prod-1.iam.gserviceaccount.com", "placement": {"strategy": "compact"}},
    ]
    fps = [{"name": "fp-org", "kind": "hierarchical", "attached_to": ["organization", "desk-beta"],
            "rules": [{"priority": 10, "action": "deny", "protocol": "tcp", "ports": [3389],
                       "sources": ["0.0.0.0/0"], "description": "no RDP"}]},
           {"name": "fp-net", "kind": "network", "attached_to": ["gvpc"],
            "rules": [{"priority": 100, "action": "deny", "protocol": "tcp", "ports": [22], "sources": ["0.0.0.0/0"],
                       "description": "no SSH"}]}]
    return estate("gcp-compute", networks=[gcp_vpc()], workloads=workloads, firewall_policies=fps)


def guardrails(regions: tuple[str, ...] = ("us-east-1", "us-central1")) -> Estate:
    controls = ["no_public_storage", "no_external_ips", "no_long_lived_keys", "customer_managed_keys",
                "no_default_network", "require_imdsv2", "require_os_login", "no_serial_port",
                "deny_leave_organization", "protect_audit_logs", "restrict_vpc_peering", "require_shielded_vm"]
    rails: list[dict[str, Any]] = [{"name": c.replace("_", "-"), "control": c, "reason": "policy"} for c in controls]
    rails.append({"name": "regions", "control": "restrict_regions", "regions": list(regions), "reason": "residency"})
    rails[1]["applies_to"] = ["trading", "desk-beta"]
    rails[1]["exempt"] = ["acct-a", "beta-prod"]
    return estate("guardrails", guardrails=rails)


# Every focused estate by the name of its golden directory (tests/terraform/golden/<name>).
ALL: dict[str, Callable[[], Estate]] = {
    "aws-networking": aws_networking,
    "aws-hub": aws_hub,
    "aws-compute": aws_compute,
    "gcp-hybrid": gcp_hybrid,
    "gcp-compute": gcp_compute,
    "guardrails": guardrails,
}
