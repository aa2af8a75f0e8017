"""Property: any valid generated estate renders to Terraform that parses and whose references resolve."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeplane.estate import catalog
from tradeplane.terraform import check_references, render

from . import estates

AWS_REGIONS = ("us-east-1", "ap-northeast-1")
GCP_REGIONS = ("us-central1", "us-east4")
CONTROLS = ("no_public_storage", "no_external_ips", "require_imdsv2", "require_os_login", "no_serial_port",
            "protect_audit_logs", "require_shielded_vm", "customer_managed_keys")


@st.composite
def generated_estate(draw: st.DrawFn) -> dict[str, Any]:
    networks: list[dict[str, Any]] = []
    workloads: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, 2))):
        region = draw(st.sampled_from(AWS_REGIONS))
        zones = sorted(z.name for z in catalog.zones_of(region))
        igw = draw(st.booleans())
        n_sub = draw(st.integers(1, 3))
        subnets = [{"name": f"s{j}", "zone": zones[j % len(zones)], "cidr": f"10.{i}.{j}.0/24",
                    "route_table": "rt", "tier": "trading"} for j in range(n_sub)]
        routes = [{"destination": "0.0.0.0/0", "target": "igw"}] if igw else []
        sgs = [{"name": f"sg{k}", "description": f"group {k}",
                "ingress": [{"protocol": draw(st.sampled_from(["tcp", "udp", "all", "icmp"])),
                             "ports": [str(draw(st.integers(1, 65535)))],
                             "peers": [{"security_group": f"sg{(k + 1) % 2}"} if draw(st.booleans())
                                       else {"cidr": "10.0.0.0/8"}],
                             "description": "generated rule"}]} for k in range(2)]
        networks.append({"cloud": "aws", "name": f"aws-{i}", "account": "acct-a", "region": region,
                         "desk": "alpha", "cidrs": [f"10.{i}.0.0/16"], "internet_gateway": igw,
                         "route_tables": [{"name": "rt", "routes": routes}], "subnets": subnets,
                         "security_groups": sgs, "flow_logs": draw(st.booleans())})
        for w in range(draw(st.integers(0, 2))):
            strategy = draw(st.sampled_from(["none", "cluster", "spread", "partition"]))
            workloads.append({"name": f"w-aws-{i}-{w}", "desk": "alpha", "team": "alpha-exec",
                              "network": f"aws-{i}", "subnet": f"s{w % n_sub}", "machine_type": "c6i.4xlarge",
                              "count": draw(st.integers(1, 4)), "security_groups": ["sg0"],
                              "placement": {"strategy": strategy}})
    for i in range(draw(st.integers(0, 2))):
        region = draw(st.sampled_from(GCP_REGIONS))
        networks.append({"cloud": "gcp", "name": f"gcp-{i}", "project": "net-host", "desk": "beta",
                         "subnets": [{"name": "s0", "region": region, "cidr": f"10.{50 + i}.0.0/24",
                                      "flow_logs": draw(st.booleans())}],
                         "firewall_rules": [{"name": "in", "protocol": draw(st.sampled_from(["tcp", "all"])),
                                             "ports": [443], "sources": ["10.0.0.0/8"], "description": "generated"}]})
        for w in range(draw(st.integers(0, 2))):
            strategy = draw(st.sampled_from(["none", "compact", "spread"]))
            workloads.append({"name": f"w-gcp-{i}-{w}", "desk": "beta", "team": "beta-exec", "network": f"gcp-{i}",
                              "subnet": "s0", "machine_type": "c2-standard-30", "count": draw(st.integers(1, 3)),
                              "placement": {"strategy": strategy}})
    chosen = draw(st.lists(st.sampled_from(CONTROLS), unique=True, max_size=4))
    rails = [{"name": c.replace("_", "-"), "control": c, "reason": "generated"} for c in chosen]
    return {"networks": networks, "workloads": workloads, "guardrails": rails}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated_estate())
def test_generated_estates_render_parse_and_resolve(sections: dict[str, Any]) -> None:
    rendered = render(estates.estate("generated", **sections))
    assert check_references(rendered.files) == []  # parses every file with python-hcl2 first
    assert render(estates.estate("generated", **sections)).files == rendered.files
