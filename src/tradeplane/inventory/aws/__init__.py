"""AWS exports -> Estate: ``aws ec2 describe-*`` JSON (and TGW route searches) as the CLI prints it.

Files read from the export directory (docs/net.md has the commands): ``AWS_FILES`` (the first
four required, the others read when present and required when referenced) and
``search-transit-gateway-routes/<tgw-rtb-id>.json``. One module per export family:

- ``vpcs``: VPCs, subnets, internet/NAT/virtual private gateways, peerings, route tables;
- ``filters``: security groups and network ACLs;
- ``instances``: EC2 instances (live ones) -> workloads;
- ``transit``: transit gateways, their route tables, routes and attachments;
- ``vpn``: site-to-site VPN connections on virtual private gateways;
- ``dx``: Direct Connect gateway associations (transit gateways' allowed prefixes; virtual private
  gateways' Direct Connect links);
- ``prefixes``: managed prefix lists (route destinations, security-group peers) and gateway VPC
  endpoints.

Everything is keyed by the AWS id. Anything malformed, unknown or dangling raises ``InputError``
naming the file, line, object id and field; anything valid the model cannot express is listed in
the result's notes, never dropped silently.
"""

from __future__ import annotations

from pathlib import Path

from tradeplane.estate.model import Desk, Estate
from tradeplane.inventory.aws.common import AWS_FILES, AwsExports
from tradeplane.inventory.aws.dx import read_dx_associations, vgw_direct_connects
from tradeplane.inventory.aws.filters import read_nacls, read_security_groups, security_group
from tradeplane.inventory.aws.instances import read_instances
from tradeplane.inventory.aws.prefixes import read_prefix_lists, read_vpc_endpoints
from tradeplane.inventory.aws.transit import read_transit_gateways
from tradeplane.inventory.aws.vpcs import (
    VpcTables,
    build_vpc,
    read_gateways,
    read_peerings,
    read_route_tables,
    read_vpcs,
)
from tradeplane.inventory.aws.vpn import propagated_to_vgw, read_vpn_connections
from tradeplane.inventory.exports import ImportResult
from tradeplane.inventory.naming import imported_estate_name
from tradeplane.inventory.owners import owners
from tradeplane.inventory.policy import open_policy

__all__ = ["AWS_FILES", "import_aws"]


def import_aws(directory: str | Path) -> ImportResult:
    """Read a directory of AWS exports and build an ``Estate`` (raise ``InputError`` on bad exports)."""
    x = AwsExports(Path(directory))
    read_vpcs(x)
    read_gateways(x)
    read_peerings(x)
    read_prefix_lists(x)
    read_vpc_endpoints(x)
    x.tgw_ids = {t.ident for t in x.rows("tgws", "TransitGateways", "TransitGatewayId")}
    vpns = read_vpn_connections(x)
    read_dx_associations(x)
    vgw_dx = vgw_direct_connects(x, propagated_to_vgw(x))
    sgs_by_vpc = read_security_groups(x)
    workloads, desks = read_instances(x)
    tables = read_route_tables(x)
    nacls_by_vpc, nacl_of_subnet = read_nacls(x)
    transit = read_transit_gateways(x)
    networks = []
    for vid in sorted(x.vpcs):
        sgs = [security_group(x, g, vid) for g in sorted(sgs_by_vpc[vid], key=lambda r: r.ident)]
        networks.append(build_vpc(x, vid, tables.get(vid, VpcTables([], {}, None, set())), nacl_of_subnet, sgs,
                                  nacls_by_vpc[vid]))
    for d in sorted({n.desk for n in networks if n.desk} - {d.name for d in desks}):
        desks.append(Desk(name=d, owner="unknown", cost_centre="unknown", teams=("unassigned",)))
    desks = open_policy(desks)
    links = [*transit.gateways, *transit.links, *x.peerings.values(), *vpns, *vgw_dx]
    org, owner_notes = owners(networks, links, str(x.dir))
    x.notes += owner_notes
    estate = Estate(name=imported_estate_name("aws", x.dir), description=f"imported from AWS exports in {x.dir}",
                    organisation=org, sites=(*transit.sites, *x.sites), networks=tuple(networks), links=tuple(links),
                    desks=tuple(sorted(desks, key=lambda d: d.name)), workloads=tuple(workloads))
    estate.attach_sources(x.src.where, x.src.paths)
    counts = {"vpcs": len(networks), "subnets": sum(len(n.subnets) for n in networks),
              "route tables": sum(len(n.route_tables) for n in networks),
              "security groups": sum(len(n.security_groups) for n in networks),
              "network ACLs": sum(len(n.nacls) for n in networks), "instances": len(workloads),
              "transit gateways": len(transit.gateways), "peerings": len(x.peerings), "vpn connections": len(vpns),
              "direct connect gateways": len(vgw_dx) + sum(1 for k in transit.links if k.kind == "direct_connect")}
    return ImportResult(estate, sorted(x.notes), counts)
