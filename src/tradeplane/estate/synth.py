"""Synthetic estates of any size, for benchmarks and scale tests: the one builder both import.

Produces plain data (what YAML files hold) so the same estate can be written
to files and loaded, or validated straight from memory. Deterministic: the
same size gives the same estate. Every estate it makes validates and plans
(``tests/estate/test_synth.py``), and gives every stage of ``plan`` real work:
peered AWS VPCs with routes over the peering, security groups and firewall rules,
one workload per subnet (some with latency budgets to a venue), venues and intents.
"""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Any

from tradeplane.estate import catalog

_AWS_REGIONS = ("us-east-1", "us-east-2", "ap-northeast-1", "ap-southeast-1")
_GCP_REGIONS = ("us-central1", "us-east4", "us-south1", "asia-northeast1")
_VENUE_LOCATIONS = {"cme-globex": "cme-aurora", "binance": "apne1-az4"}
_VENUES = tuple(_VENUE_LOCATIONS)


def synthetic(subnets: int, *, subnets_per_network: int = 20, desks: int = 8) -> dict[str, Any]:
    """An estate with about ``subnets`` subnets split over AWS and GCP networks.

    Every network gets a block out of 10.0.0.0/8 (then 172.16/12) just big enough for its
    /24 subnets, every AWS VPC has a route table, a security group with a rule per
    subnet and one workload per subnet, so the object count grows with ``subnets``.
    """
    networks: list[dict[str, Any]] = []
    workloads: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    intents: list[dict[str, Any]] = []
    desk_names = [f"desk-{d}" for d in range(desks)]
    count = max(1, -(-subnets // subnets_per_network))
    prefix = 24 - max(0, (min(subnets_per_network, 256) - 1).bit_length())
    blocks = [*IPv4Network("10.0.0.0/8").subnets(new_prefix=prefix),
              *IPv4Network("172.16.0.0/12").subnets(new_prefix=prefix)]
    if count > len(blocks):
        raise ValueError(f"{subnets} subnets in networks of {subnets_per_network} do not fit private space")
    made = 0
    for n in range(count):
        block = blocks[n]
        per = min(subnets_per_network, subnets - made, 2 ** (24 - prefix))
        desk = desk_names[n % desks]
        name = f"net-{n}"
        nets24 = list(block.subnets(new_prefix=24))[:per]
        if n % 2 == 0:
            region = _AWS_REGIONS[(n // 2) % len(_AWS_REGIONS)]
            zones = [z.name for z in catalog.zones_of(region)]
            routes: list[dict[str, Any]] = []
            # AWS VPCs in pairs (net-0 with net-2, net-4 with net-6 ...), peered, routed both ways.
            partner = n + 2 if n % 4 == 0 else n - 2
            if 0 <= partner < count:
                pair = f"peer-{min(n, partner)}-{max(n, partner)}"
                routes.append({"destination": str(blocks[partner]), "target": "peering", "via": pair})
                if n < partner:
                    links.append({"kind": "vpc_peering", "name": pair, "a": name, "b": f"net-{partner}"})
            networks.append({
                "cloud": "aws", "name": name, "account": "acct", "region": region, "desk": desk,
                "cidrs": [str(block)],
                "route_tables": [{"name": "rt", "routes": routes}],
                "subnets": [{"name": f"s-{i}", "zone": zones[i % len(zones)], "cidr": str(c),
                             "route_table": "rt"} for i, c in enumerate(nets24)],
                "security_groups": [{"name": "sg", "description": "synthetic", "ingress": [
                    {"protocol": "tcp", "ports": [str(9000 + i)], "peers": [{"cidr": str(c)}],
                     "description": "synthetic"} for i, c in enumerate(nets24)]}],
            })
        else:
            region = _GCP_REGIONS[(n // 2) % len(_GCP_REGIONS)]
            networks.append({
                "cloud": "gcp", "name": name, "project": "proj", "desk": desk,
                "subnets": [{"name": f"s-{i}", "region": region, "cidr": str(c)} for i, c in enumerate(nets24)],
                "firewall_rules": [{"name": f"fw-{i}", "protocol": "tcp", "ports": [str(9000 + i)],
                                    "sources": [str(c)], "description": "synthetic"}
                                   for i, c in enumerate(nets24)],
            })
        for i in range(per):
            w: dict[str, Any] = {"name": f"w-{n}-{i}", "desk": desk, "team": "t", "network": name,
                                 "subnet": f"s-{i}", "machine_type": "c6i.large" if n % 2 == 0 else "n2-standard-4"}
            if i == 0:  # one trading workload per network: a (loose) latency budget to a venue
                w["latency_budgets"] = [{"to": _VENUES[n % len(_VENUES)], "rtt_us": 400_000}]
            workloads.append(w)
        if n % 2 == 1 and per > 0:  # GCP networks have no link: prove one unreachable from the previous
            intents.append({"name": f"isolated-{n}", "kind": "unreachable", "src": f"w-{n - 1}-0", "dst": name,
                            "protocol": "all", "reason": "no link between the clouds in a synthetic estate"})
        made += per
    return {
        "name": "synthetic",
        "organisation": {
            "aws": {"management_account_id": "100000000000",
                    "ous": [{"name": "ou", "accounts": [{"name": "acct", "account_id": "100000000001"}]}]},
            "gcp": {"org_id": "900000000001", "domain": "synthetic.example",
                    "billing_account": "0A0B0C-0D0E0F-101112", "folders": [{"name": "f"}],
                    "projects": [{"name": "proj", "project_id": "synthetic-proj", "folder": "f"}]},
        },
        "desks": [{"name": d, "owner": f"{d}@synthetic.example", "cost_centre": "CC", "teams": ["t"]}
                  for d in desk_names],
        "networks": networks,
        "links": links,
        "workloads": workloads,
        "venues": [{"name": v, "kind": "crypto" if v != "cme-globex" else "futures", "location": loc,
                    "connectivity": [{"kind": "internet"}]} for v, loc in _VENUE_LOCATIONS.items()],
        "intents": intents,
    }


def object_count(data: Any) -> int:
    """Mappings in the data: the estate objects a loader has to build."""
    if isinstance(data, dict):
        return 1 + sum(object_count(v) for v in data.values())
    if isinstance(data, list):
        return sum(object_count(v) for v in data)
    return 0
