"""The billable resources of an estate, enumerated once: what costs money, who owns it, how it is priced.

``billable_resources(estate)`` lists every declared thing a cloud bills for: instances (and GCP
sole-tenant instances), GKE clusters, NAT gateways and Cloud NAT, transit gateway attachments,
Direct Connect ports, Interconnect circuits and VLAN attachments, Cross-Cloud Interconnects (the GCP
side) with the Direct Connect port each leg ends on (the AWS side), VPN tunnels and private endpoints. The monthly estimate (``finops.estimate``), the synthetic FOCUS
generator (``finops.generate``) and anything else that asks "what does this estate bill" read this
list; none of them walks the estate on its own.

Ownership follows one rule, from the estate only (no desk name is written here):

* ``desk``: the desk of the object that declares the resource (a workload's desk; a network's desk
  for its NAT, VPN and endpoints; for a transit gateway attachment, the desk of the network it
  attaches or reaches; an Interconnect's or Direct Connect's site desk), else the desk of the AWS
  account / GCP project that holds it (``organisation``; first for a Cross-Cloud Interconnect, which
  serves every network behind the transit gateway; its AWS ports take the link's desk, while the
  transit gateway's account holds them), else ``""`` (unallocated);
* ``team``: the workload's team, else the desk's first team; ``env``: the workload's env, else the
  env of the holding account or project;
* ``shared``: the name of the estate's ``cost_allocation`` rule that would split the resource's cost
  across desks (matched on its FOCUS ServiceName, ResourceType and holding account), ``""`` when its
  cost goes to ``desk`` directly.

Pure: an Estate in, a sorted tuple out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from tradeplane.estate import (
    AwsVpc,
    CrossCloud,
    DirectConnect,
    Estate,
    GcpVpc,
    Interconnect,
    PrivateEndpoint,
    TransitGateway,
    Vpn,
    Workload,
    catalog,
)
from tradeplane.estate.model import CloudRouter, CostMatch

__all__ = ["AWS_COMPUTE", "AWS_VPC", "GCP_COMPUTE", "GCP_NETWORKING", "Billable", "billable_resources"]

AWS_COMPUTE = "Amazon Elastic Compute Cloud"
AWS_VPC = "Amazon Virtual Private Cloud"
GCP_COMPUTE = "Compute Engine"
GCP_NETWORKING = "Networking"


@dataclass(frozen=True)
class Billable:
    """One billable resource of the estate (``count`` units of it).

    ``price_key``: the machine type for ``instance``/``sole_tenant``, else the item of the network
    price table (``tradeplane.estate.prices.network_price``); ``data_item``/``data_assumption``: the
    data-transfer price item charged with it and the traffic assumption that sizes it (``""`` when
    none). ``service``/``resource_type``/``category`` are the FOCUS ServiceName, ResourceType and
    ServiceCategory its billing rows carry. ``source``/``field`` locate it in the estate files.
    ``data_id`` is the address of the data-transfer line (``<id>.data`` unless the link carries it once).
    """

    id: str  # stable address, e.g. workload.eq-order-gateway, nat.aws-use1-shared.nat-a
    kind: str  # instance, sole_tenant, gke_cluster, nat_gateway, cloud_nat, tgw_attachment, dx_port,
    # interconnect_circuit, vlan_attachment, cross_cloud, vpn, private_endpoint
    name: str
    cloud: str
    region: str
    zone: str
    account: str  # the estate's AWS account or GCP project name that holds (is billed for) it
    desk: str
    team: str
    env: str
    workload: str
    service: str
    resource_type: str
    category: str
    price_key: str
    count: int
    description: str
    shared: str = ""
    data_item: str = ""
    data_assumption: str = ""
    data_id: str = ""  # the address of its data-transfer line
    hourly_usd: float | None = None  # a workload's own hourly price, when the estate sets one
    source: object = field(default=None, compare=False, repr=False)
    field: str = field(default="", compare=False, repr=False)


class _Owners:
    """The estate's ownership maps: account/project -> desk and env, desk -> first team."""

    def __init__(self, e: Estate) -> None:
        org = e.organisation
        self.e = e
        self.accounts = {a.name: a for ou in (org.aws.ous if org.aws else ()) for a in ou.accounts}
        self.projects = {p.name: p for p in (org.gcp.projects if org.gcp else ())}
        self.first_team = {d.name: d.teams[0] for d in e.desks}
        self.routers = {x.name: x for x in e.links_of(CloudRouter)}

    def account_desk(self, account: str) -> str:
        a = self.accounts.get(account)
        if a is not None:
            return a.desk or ""
        p = self.projects.get(account)
        return (p.desk or "") if p is not None else ""

    def account_env(self, account: str) -> str:
        a = self.accounts.get(account)
        if a is not None:
            return a.env
        p = self.projects.get(account)
        return p.env if p is not None else ""

    def team(self, desk: str) -> str:
        return self.first_team.get(desk, "")

    def project_for(self, vpc: GcpVpc, desk: str) -> str:
        """The service project of ``desk`` on a shared VPC, else the VPC's own project."""
        for name in vpc.shared_vpc_service_projects:
            p = self.projects.get(name)
            if p is not None and p.desk == desk:
                return name
        return vpc.project

    def network_desk(self, name: str) -> str:
        try:
            n = self.e.network(name)
        except KeyError:
            return ""
        return n.desk or self.account_desk(_holder(n))

    def site_desk(self, name: str) -> str:
        try:
            return self.e.site(name).desk or ""
        except KeyError:
            return ""


def _holder(vpc: AwsVpc | GcpVpc) -> str:
    """The AWS account or GCP project that holds a network (and bills for it)."""
    return vpc.account if isinstance(vpc, AwsVpc) else vpc.project


def _workload_place(e: Estate, w: Workload) -> tuple[str, str, str]:
    """(cloud, region, zone) of a workload's subnet (zone empty on GCP, where subnets are regional)."""
    vpc = e.network(w.network)
    if isinstance(vpc, AwsVpc):
        aws_subnet = next((s for s in vpc.subnets if s.name == w.subnet), None)
        return "aws", vpc.region, aws_subnet.zone if aws_subnet is not None else ""
    subnet = next((s for s in vpc.subnets if s.name == w.subnet), None)
    region = subnet.region if subnet is not None else ""
    if not region and w.placement.zones:
        region = catalog.region_of(w.placement.zones[0])
    return "gcp", region, ""


def _workloads(e: Estate, o: _Owners) -> Iterator[Billable]:
    for w in e.workloads:
        cloud, region, zone = _workload_place(e, w)
        vpc = e.network(w.network)
        account = vpc.account if isinstance(vpc, AwsVpc) else o.project_for(vpc, w.desk)
        sole = w.kind == "sole_tenant" and cloud == "gcp"
        what = " (GKE node pool)" if w.kind == "gke_node_pool" else ""
        yield Billable(
            f"workload.{w.name}", "sole_tenant" if sole else "instance", w.name, cloud, region, zone, account,
            w.desk, w.team, w.env, w.name, AWS_COMPUTE if cloud == "aws" else GCP_COMPUTE,
            "Instance" if cloud == "aws" else "compute.googleapis.com/Instance", "Compute", w.machine_type,
            w.count, f"{w.count} x {w.machine_type}{what}", hourly_usd=w.hourly_usd, source=w,
            field="machine_type")
    for cluster in sorted({w.gke_cluster for w in e.workloads if w.gke_cluster}):
        w = next(x for x in e.workloads if x.gke_cluster == cluster)
        _, region, _ = _workload_place(e, w)
        vpc = e.network(w.network)
        account = o.project_for(vpc, w.desk) if isinstance(vpc, GcpVpc) else ""
        yield Billable(f"gke.{cluster}", "gke_cluster", cluster, "gcp", region, "", account, w.desk, w.team,
                       w.env, "", "Kubernetes Engine", "container.googleapis.com/Cluster", "Compute",
                       "gke_cluster", 1, f"GKE cluster {cluster} management fee", source=w, field="gke_cluster")


def _networks(e: Estate, o: _Owners) -> Iterator[Billable]:
    for vpc in e.networks:
        if isinstance(vpc, AwsVpc):
            desk = vpc.desk or o.account_desk(vpc.account)
            for nat in vpc.nat_gateways:
                zone = next((s.zone for s in vpc.subnets if s.name == nat.subnet), "")
                yield Billable(f"nat.{vpc.name}.{nat.name}", "nat_gateway", f"{vpc.name}/{nat.name}", "aws",
                               vpc.region, zone, vpc.account, desk, o.team(desk), o.account_env(vpc.account), "",
                               AWS_VPC, "NatGateway", "Networking", "nat_gateway", 1,
                               f"NAT gateway {nat.name} in {vpc.name}", data_item="nat_data",
                               data_assumption="nat_gateway_gb", data_id=f"nat.{vpc.name}.{nat.name}.data",
                               source=nat)
        elif isinstance(vpc, GcpVpc):
            desk = vpc.desk or o.account_desk(vpc.project)
            for region in vpc.cloud_nat_regions:
                yield Billable(f"cloud-nat.{vpc.name}.{region}", "cloud_nat", f"{vpc.name}/cloud-nat", "gcp",
                               region, "", vpc.project, desk, o.team(desk), o.account_env(vpc.project), "",
                               GCP_NETWORKING, "compute.googleapis.com/Router", "Networking",
                               "cloud_nat_gateway", 1, f"Cloud NAT in {region} for {vpc.name}",
                               data_item="cloud_nat_data", data_assumption="cloud_nat_gb",
                               data_id=f"cloud-nat.{vpc.name}.{region}.data", source=vpc, field="cloud_nat_regions")


def _links(e: Estate, o: _Owners) -> Iterator[Billable]:
    tgws = e.links_of(TransitGateway)
    tgw_by_name = {t.name: t for t in tgws}
    dx_region = {att.target: t.region for t in tgws for att in t.attachments if att.kind == "direct_connect"}
    for tgw in tgws:
        for att in tgw.attachments:
            if att.kind == "vpc":
                desk = o.network_desk(att.target)
            elif att.kind == "direct_connect":
                dx = next((d for d in e.links_of(DirectConnect) if d.name == att.target), None)
                desk = (o.site_desk(dx.site) or o.account_desk(dx.account)) if dx is not None else ""
            elif att.kind == "cross_cloud":
                xc = next((x for x in e.links_of(CrossCloud) if x.name == att.target), None)
                desk = o.network_desk(xc.gcp_network) if xc is not None else ""
            else:
                desk = ""
            desk = desk or o.account_desk(tgw.account)
            yield Billable(f"tgw.{tgw.name}.{att.name}", "tgw_attachment", f"{tgw.name}/{att.name}", "aws",
                           tgw.region, "", tgw.account, desk, o.team(desk), o.account_env(tgw.account), "",
                           AWS_VPC, "TransitGatewayAttachment", "Networking", "tgw_attachment", 1,
                           f"{att.kind} attachment to {att.target}", data_item="tgw_data",
                           data_assumption="tgw_attachment_gb", data_id=f"tgw.{tgw.name}.{att.name}.data",
                           source=att)
    for dx in e.links_of(DirectConnect):
        desk = o.site_desk(dx.site) or o.account_desk(dx.account)
        region = dx_region.get(dx.name, "")
        for i, c in enumerate(dx.connections):
            yield Billable(f"dx.{dx.name}.{c.name}", "dx_port", f"{dx.name}/{c.name}", "aws", region, "",
                           dx.account, desk, o.team(desk), o.account_env(dx.account), "", "AWS Direct Connect",
                           "DirectConnectConnection", "Networking", f"dx_port_{c.bandwidth_gbps}g", 1,
                           f"Direct Connect {c.bandwidth_gbps}G port at {c.location}",
                           data_item="dx_data_out" if i == 0 else "", data_assumption="dx_out_gb" if i == 0 else "",
                           data_id=f"dx.{dx.name}.data" if i == 0 else "", source=c)
    for ic in e.links_of(Interconnect):
        try:
            gv = e.network(ic.network)
        except KeyError:
            gv = None
        host = gv.project if isinstance(gv, GcpVpc) else ""
        desk = o.site_desk(ic.site) or o.account_desk(host)
        if ic.type == "dedicated":
            for metro, ead in sorted({(x.metro, x.edge_availability_domain) for x in ic.attachments}):
                first = next(x for x in ic.attachments if x.metro == metro and x.edge_availability_domain == ead)
                yield Billable(f"interconnect.{ic.name}.circuit.{metro}-ead{ead}", "interconnect_circuit",
                               f"{ic.name}/{metro}-ead{ead}", "gcp", first.region, "", host, desk, o.team(desk),
                               o.account_env(host), "", GCP_NETWORKING, "compute.googleapis.com/Interconnect",
                               "Networking", f"interconnect_{ic.circuit_gbps}g", 1,
                               f"Dedicated Interconnect {ic.circuit_gbps}G circuit, {metro} EAD {ead}",
                               source=first)
        for i, vlan in enumerate(ic.attachments):
            yield Billable(f"interconnect.{ic.name}.vlan.{vlan.name}", "vlan_attachment", vlan.name, "gcp",
                           vlan.region, "", host, desk, o.team(desk), o.account_env(host), "", GCP_NETWORKING,
                           "compute.googleapis.com/InterconnectAttachment", "Networking", "vlan_attachment_10g", 1,
                           f"VLAN attachment {vlan.name} ({vlan.bandwidth_gbps}G)",
                           data_item="interconnect_egress" if i == 0 else "",
                           data_assumption="interconnect_egress_gb" if i == 0 else "",
                           data_id=f"interconnect.{ic.name}.egress" if i == 0 else "", source=vlan)
    for xc in e.links_of(CrossCloud):
        try:
            gv = e.network(xc.gcp_network)
        except KeyError:
            gv = None
        host = gv.project if isinstance(gv, GcpVpc) else ""
        desk = o.account_desk(host) or o.network_desk(xc.gcp_network)
        router = o.routers.get(xc.gcp_router)
        n = 2 if xc.redundant else 1
        yield Billable(f"cross-cloud.{xc.name}", "cross_cloud", xc.name, "gcp",
                       router.region if router is not None else "", "", host, desk, o.team(desk), o.account_env(host),
                       "", GCP_NETWORKING, "compute.googleapis.com/Interconnect", "Networking",
                       f"cross_cloud_interconnect_{xc.bandwidth_gbps}g", n,
                       f"{n} x Cross-Cloud Interconnect {xc.bandwidth_gbps}G ({xc.metro})",
                       data_item="interconnect_egress", data_assumption="cross_cloud_gb",
                       data_id=f"cross-cloud.{xc.name}.egress", source=xc)
        # The AWS side: each leg ends on a Direct Connect dedicated port (one connection in a LAG, see
        # terraform/aws/cross_cloud.py), billed per port-hour like a site's; data out of AWS over the
        # ports is charged once per link, as for a site's Direct Connect.
        t = tgw_by_name.get(xc.aws_transit_gateway)
        account, region = (t.account, t.region) if t is not None else ("", "")
        for i, leg in enumerate(("a", "b") if xc.redundant else ("a",)):
            yield Billable(f"cross-cloud.{xc.name}.dx-{leg}", "dx_port", f"{xc.name}-{leg}", "aws", region, "",
                           account, desk, o.team(desk), o.account_env(account), "", "AWS Direct Connect",
                           "DirectConnectConnection", "Networking", f"dx_port_{xc.bandwidth_gbps}g", 1,
                           f"Direct Connect {xc.bandwidth_gbps}G port, cross-cloud {xc.name} leg {leg} ({xc.metro})",
                           data_item="dx_data_out" if i == 0 else "",
                           data_assumption="cross_cloud_aws_out_gb" if i == 0 else "",
                           data_id=f"cross-cloud.{xc.name}.dx-data" if i == 0 else "", source=xc)
    for vpn in e.links_of(Vpn):
        try:
            vpc = e.network(vpn.network)
        except KeyError:
            continue
        account = _holder(vpc)
        desk = o.network_desk(vpc.name)
        if isinstance(vpc, GcpVpc):
            router = o.routers.get(vpn.router or "")
            yield Billable(f"vpn.{vpn.name}", "vpn", vpn.name, "gcp", router.region if router is not None else "",
                           "", account, desk, o.team(desk), o.account_env(account), "", GCP_NETWORKING,
                           "compute.googleapis.com/VpnTunnel", "Networking", "ha_vpn_tunnel", len(vpn.tunnels),
                           f"HA VPN, {len(vpn.tunnels)} tunnels to {vpn.remote}", source=vpn)
        else:
            yield Billable(f"vpn.{vpn.name}", "vpn", vpn.name, "aws", vpc.region, "", account, desk, o.team(desk),
                           o.account_env(account), "", AWS_VPC, "VpnConnection", "Networking", "vpn_connection", 1,
                           f"site-to-site VPN to {vpn.remote}", source=vpn)
    for pe in e.links_of(PrivateEndpoint):
        try:
            vpc = e.network(pe.network)
        except KeyError:
            continue
        account = _holder(vpc)
        desk = o.network_desk(vpc.name)
        if isinstance(vpc, AwsVpc):
            yield Billable(f"endpoint.{pe.name}", "private_endpoint", pe.name, "aws", vpc.region, "", account, desk,
                           o.team(desk), o.account_env(account), "", AWS_VPC, "VpcEndpoint", "Networking",
                           "interface_endpoint_az", len(pe.subnets),
                           f"PrivateLink endpoint to {pe.venue} in {len(pe.subnets)} AZ", source=pe)
        else:
            region = next((s.region for s in vpc.subnets if s.name in pe.subnets), "")
            yield Billable(f"endpoint.{pe.name}", "private_endpoint", pe.name, "gcp", region, "", account, desk,
                           o.team(desk), o.account_env(account), "", GCP_NETWORKING,
                           "compute.googleapis.com/ForwardingRule", "Networking", "psc_endpoint", 1,
                           f"PSC endpoint to {pe.venue}", source=pe)


def _matches(m: CostMatch, b: Billable) -> bool:
    if m.service and b.service not in m.service:
        return False
    if m.resource_type and b.resource_type not in m.resource_type:
        return False
    if m.accounts and b.account not in m.accounts:
        return False
    if m.description_like:
        pats = [p.replace("%", "*").replace("_", "?") for p in m.description_like]
        if not any(fnmatchcase(b.description, p) for p in pats):
            return False
    return True


def billable_resources(estate: Estate) -> tuple[Billable, ...]:
    """Every billable resource ``estate`` declares, sorted by ``id`` (see the module docstring for the
    ownership rule). Unpriceable items (an unknown machine type) are still listed: pricing is the
    reader's job, and the estimate reports them located."""
    o = _Owners(estate)
    found = [*_workloads(estate, o), *_networks(estate, o), *_links(estate, o)]
    rules = estate.cost_allocation.shared if estate.cost_allocation is not None else ()
    out = []
    for b in found:
        rule = next((r.name for r in rules if _matches(r.match, b)), "")
        out.append(b if not rule else _with_shared(b, rule))
    return tuple(sorted(out, key=lambda b: b.id))


def _with_shared(b: Billable, rule: str) -> Billable:
    from dataclasses import replace

    return replace(b, shared=rule)
