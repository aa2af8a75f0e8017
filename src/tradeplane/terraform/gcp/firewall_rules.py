"""GCP VPC firewall rules, each logged and described."""

from __future__ import annotations

from tradeplane.estate.model import Action, Direction
from tradeplane.terraform.context import Context
from tradeplane.terraform.gcp._common import PROTOCOLS, net_project, ports, ref, vpcs
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "firewall_rules"


@family("firewall_rules", cloud="gcp", stage=Stage.NETWORKING)
def emit(ctx: Context) -> None:
    """Allow/deny rules with priorities, sources, target tags and service accounts."""
    mod = ctx.module("gcp", Stage.NETWORKING)
    for v in vpcs(ctx):
        for r in sorted(v.firewall_rules, key=lambda r: r.name):
            rule = mod.resource(F, "google_compute_firewall", ident(v.name, r.name), project=net_project(ctx, mod, v),
                                name=f"{v.name}-{r.name}", network=ref("google_compute_network", v.name),
                                description=r.description, direction=r.direction.value.upper(), priority=r.priority)
            if r.direction is Direction.INGRESS:
                rule.set(source_ranges=sorted(str(c) for c in r.sources) or None,
                         source_tags=sorted(r.source_tags) or None)
            else:
                rule.set(destination_ranges=sorted(str(c) for c in r.destinations))
            rule.set(target_tags=sorted(r.target_tags) or None,
                     target_service_accounts=sorted(r.target_service_accounts) or None)
            kind = "allow" if r.action is Action.ALLOW else "deny"
            if r.protocol_number is not None:  # one IP protocol by number (GRE 47, ESP 50 ...): no ports
                rule.block(kind, protocol=str(r.protocol_number))
            else:
                rule.block(kind, protocol=PROTOCOLS[r.protocol],
                           ports=ports(r.ports) if r.ports and PROTOCOLS[r.protocol] in ("tcp", "udp") else None)
            if r.log:
                rule.block("log_config", metadata="INCLUDE_ALL_METADATA")
