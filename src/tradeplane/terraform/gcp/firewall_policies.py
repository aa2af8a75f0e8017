"""GCP network firewall policies (on VPCs) and hierarchical ones (organisation, folders), with rules."""

from __future__ import annotations

from tradeplane.estate.model import FirewallPolicy, GcpVpc, PolicyRule
from tradeplane.terraform.context import Context
from tradeplane.terraform.gcp._common import PROTOCOLS, ports
from tradeplane.terraform.hcl import Block, Expr
from tradeplane.terraform.module import interp
from tradeplane.terraform.names import ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "firewall_policies"


def _match(rule_block: Block, r: PolicyRule) -> None:
    m = rule_block.block("match", src_ip_ranges=sorted(str(c) for c in r.sources) or None,
                         dest_ip_ranges=sorted(str(c) for c in r.destinations) or None)
    m.block("layer4_configs", ip_protocol=PROTOCOLS[r.protocol],
            ports=ports(r.ports) if r.ports and PROTOCOLS[r.protocol] in ("tcp", "udp") else None)


@family("firewall_policies", cloud="gcp", stage=Stage.SECURITY)
def emit(ctx: Context) -> None:
    """Policies, one rule resource per priority, and associations to networks, folders or the organisation."""
    for fp in sorted(ctx.estate.firewall_policies, key=lambda f: f.name):
        if fp.kind == "network":
            _network(ctx, fp)
        else:
            _hierarchical(ctx, fp)


def _network(ctx: Context, fp: FirewallPolicy) -> None:
    mod = ctx.module("gcp", Stage.SECURITY)
    first = ctx.networks[sorted(fp.attached_to)[0]]
    assert isinstance(first, GcpVpc)
    project = ctx.project_id(mod, first.project)
    name = ident(fp.name)
    mod.resource(F, "google_compute_network_firewall_policy", name, project=project, name=fp.name,
                 description=f"network firewall policy {fp.name}")
    for r in sorted(fp.rules, key=lambda r: (r.priority, r.direction.value)):
        rule = mod.resource(F, "google_compute_network_firewall_policy_rule", ident(fp.name, f"p{r.priority}", r.direction.value),
                            project=project, firewall_policy=Expr(f"google_compute_network_firewall_policy.{name}.name"),
                            priority=r.priority, direction=r.direction.value.upper(), action=r.action.value,
                            description=r.description, enable_logging=True,
                            target_service_accounts=sorted(r.target_service_accounts) or None)
        _match(rule, r)
    for net in sorted(fp.attached_to):
        mod.resource(F, "google_compute_network_firewall_policy_association", ident(fp.name, net), project=project,
                     name=f"{fp.name}-{net}", firewall_policy=Expr(f"google_compute_network_firewall_policy.{name}.name"),
                     attachment_target=mod.upstream(Stage.NETWORKING, f'network_ids["{net}"]'))


def _hierarchical(ctx: Context, fp: FirewallPolicy) -> None:
    mod = ctx.module("gcp", Stage.SECURITY)
    org_id = ctx.org_id(mod)
    name = ident(fp.name)
    mod.resource(F, "google_compute_firewall_policy", name, parent=interp(f"organizations/${{{org_id}}}"),
                 short_name=fp.name, description=f"hierarchical firewall policy {fp.name}")
    for r in sorted(fp.rules, key=lambda r: (r.priority, r.direction.value)):
        rule = mod.resource(F, "google_compute_firewall_policy_rule", ident(fp.name, f"p{r.priority}", r.direction.value),
                            firewall_policy=Expr(f"google_compute_firewall_policy.{name}.name"), priority=r.priority,
                            direction=r.direction.value.upper(), action=r.action.value, description=r.description,
                            enable_logging=True, target_service_accounts=sorted(r.target_service_accounts) or None)
        _match(rule, r)
    for target in sorted(fp.attached_to):
        attach = (interp(f"organizations/${{{org_id}}}") if target == "organization"
                  else mod.upstream(Stage.ORG, f'folder_ids["{target}"]'))
        mod.resource(F, "google_compute_firewall_policy_association", ident(fp.name, target),
                     name=f"{fp.name}-{target}", firewall_policy=Expr(f"google_compute_firewall_policy.{name}.id"),
                     attachment_target=attach)
