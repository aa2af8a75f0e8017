"""`public_ip: true` gives an instance its public address in the model, per the cloud's rules: the internet
reaches it (and it egresses directly) only through a route to the internet gateway."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tradeplane.estate import Estate
from tradeplane.net import Dataplane, reach

AWS = """
networks:
  - cloud: aws
    name: a
    account: acct
    region: us-east-1
    desk: beta
    cidrs: [10.1.0.0/16]
    internet_gateway: true
    route_tables:
      - {{name: rt, routes: [{route}]}}
    subnets:
      - {{name: s, zone: use1-az4, cidr: 10.1.0.0/24, route_table: rt, tier: trading}}
    security_groups:
      - name: web
        description: tls from anywhere
        ingress: [{{protocol: tcp, ports: [443], peers: [{{cidr: 0.0.0.0/0}}], description: tls}}]
workloads:
  - {{name: app, desk: beta, team: t, network: a, subnet: s, machine_type: m, security_groups: [web]{extra}}}
"""
IGW = "{destination: 0.0.0.0/0, target: igw}"


@pytest.mark.parametrize(("extra", "route", "verdict"), [
    (", public_ip: true", IGW, "reachable"),      # a public IP and a route to the internet gateway
    ("", IGW, "unreachable"),                     # a trading-tier subnet: no public IP unless asked
    (", public_ip: false", IGW, "unreachable"),
    (", public_ip: true", "", "unreachable"),     # a public IP without a route to the gateway reaches nothing
])
def test_a_public_ip_is_modelled(build: Callable[[str], Estate], extra: str, route: str, verdict: str) -> None:
    e = build(AWS.format(extra=extra, route=route))
    answer = reach(Dataplane.build(e), "internet", "app", "tcp", [(443, 443)])
    assert answer.verdict == verdict
