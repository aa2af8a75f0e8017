"""Cloud Monitoring alert policies for the hybrid links Google terminates: each Dedicated and Cross-Cloud
Interconnect port's circuit, and each Cloud Router BGP session (Interconnect VLAN attachments, the
cross-cloud legs, HA VPN tunnels). The GCP twin of the AWS stage's Direct Connect ``ConnectionState``
alarms (``aws/alarms.py``), independent of the OpenTelemetry Collector that feeds the Prometheus
``HybridLinkDown`` rule.

Metrics (Google Cloud metrics list): ``interconnect.googleapis.com/network/interconnect/link/operational``
(GAUGE, BOOL, resource ``interconnect``, label ``link_id``: "whether the operational status of the
circuit is 'up'", sampled every 60 s) and ``router.googleapis.com/bgp/session_up`` (GAUGE, BOOL,
resource ``gce_router``, label ``bgp_peer_name``). A policy fires when the circuit or session was not
up for the whole of two consecutive minutes, and when the metric stops (missing data counts as down,
as ``treat_missing_data = "breaching"`` does on the AWS side).
"""

from __future__ import annotations

from tradeplane.estate.model import CloudRouter, CrossCloud, GcpVpc, Interconnect, Vpn
from tradeplane.terraform.context import Context
from tradeplane.terraform.gcp import cross_cloud, ha_vpn, interconnect
from tradeplane.terraform.gcp.monitoring import alerts_project, desk_channel
from tradeplane.terraform.hcl import Expr
from tradeplane.terraform.links import cross_cloud_legs
from tradeplane.terraform.module import RootModule
from tradeplane.terraform.names import alarm_name, ident
from tradeplane.terraform.registry import family
from tradeplane.terraform.stages import Stage

F = "hybrid_alerts"
DESK = "platform"  # the hybrid links are the platform team's, as their AWS alarms are
CIRCUIT_UP = "interconnect.googleapis.com/network/interconnect/link/operational"
BGP_UP = "router.googleapis.com/bgp/session_up"


def circuits(ctx: Context) -> list[tuple[str, str]]:
    """(port name, what it is) of every Interconnect port the estate orders, sorted by name."""
    out = [(interconnect.port_name(ic, metro, ead), f"Interconnect {ic.name} port {metro} EAD{ead}")
           for ic in ctx.estate.links_of(Interconnect) for metro, ead in interconnect.ports(ic)]
    out += [(cross_cloud.port_name(leg), f"Cross-Cloud Interconnect {leg.link} leg {leg.leg}")
            for leg in cross_cloud_legs(ctx.estate)]
    return sorted(out)


def bgp_sessions(ctx: Context) -> list[tuple[str, str, str]]:
    """(peer name, region, what it is) of every Cloud Router BGP session over a hybrid link, sorted."""
    routers = {r.name: r for r in ctx.estate.links_of(CloudRouter)}
    out = [(interconnect.peer_name(a), a.region, f"Interconnect {ic.name} attachment {a.name}")
           for ic in ctx.estate.links_of(Interconnect) for a in ic.attachments]
    links = {x.name: x for x in ctx.estate.links_of(CrossCloud)}
    out += [(cross_cloud.peer_name(leg), routers[links[leg.link].gcp_router].region,
             f"Cross-Cloud Interconnect {leg.link} leg {leg.leg}")
            for leg in cross_cloud_legs(ctx.estate) if links[leg.link].gcp_router in routers]
    out += [(ha_vpn.peer_name(t), routers[v.router or ""].region, f"HA VPN {v.name} tunnel {t.name}")
            for v, _ in ctx.links_on(Vpn, GcpVpc) if (v.router or "") in routers for t in v.tunnels]
    return sorted(out)


@family("hybrid_alerts", cloud="gcp", stage=Stage.OBSERVABILITY)
def emit(ctx: Context) -> None:
    """A circuit-down policy per Interconnect port and a BGP-down policy per Cloud Router session."""
    if ctx.estate.organisation.gcp is None:
        return
    found = circuits(ctx), bgp_sessions(ctx)
    if not any(found):
        return
    mod = ctx.module("gcp", Stage.OBSERVABILITY)
    project = alerts_project(ctx, mod)
    channel = desk_channel(ctx, mod, project, DESK)
    prefix = ctx.estate.observability.metric_prefix
    for port, what in found[0]:
        _down(mod, project, channel, alarm_name(prefix, DESK, port, "circuit-down"), ident(port, "circuit_down"),
              f'resource.type="interconnect" AND metric.type="{CIRCUIT_UP}" AND resource.labels.interconnect="{port}"',
              f"{what} ({port}): a circuit is not up. Check the port's diagnostics (`gcloud compute interconnects "
              f"get-diagnostics {port}`: light levels, LACP) and the site's cross-connect; its attachments' BGP "
              "sessions fail over to the other edge availability domain.")
    for peer, region, what in found[1]:
        _down(mod, project, channel, alarm_name(prefix, DESK, peer, "down"), ident(peer, "down"),
              f'resource.type="gce_router" AND metric.type="{BGP_UP}" AND metric.labels.bgp_peer_name="{peer}" '
              f'AND resource.labels.region="{region}"',
              f"{what}: BGP session {peer} ({region}) is not established; routes learned over it are withdrawn. "
              "Check the Cloud Router's status (`gcloud compute routers get-status`) and the peer's side.")


def _down(mod: RootModule, project: Expr, channel: Expr, display: str, name: str, filter_: str, doc: str) -> None:
    pol = mod.resource(F, "google_monitoring_alert_policy", name, project=project, display_name=display,
                       combiner="OR", severity="CRITICAL", notification_channels=[channel],
                       user_labels={"desk": DESK})
    cond = pol.block("conditions", display_name=display)
    cond.block("condition_threshold", filter=filter_, comparison="COMPARISON_LT", threshold_value=1,
               duration="60s", evaluation_missing_data="EVALUATION_MISSING_DATA_ACTIVE"
               ).block("aggregations", alignment_period="60s", per_series_aligner="ALIGN_FRACTION_TRUE")
    pol.block("documentation", content=doc, mime_type="text/markdown")
