"""Managed prefix lists and gateway VPC endpoints.

Prefix lists are resolved from ``get-managed-prefix-list-entries/<pl-id>.json`` (one
``aws ec2 get-managed-prefix-list-entries --prefix-list-id ID --output json`` per list, as
``search-transit-gateway-routes`` is per table) or from the ``Cidrs`` of
``describe-prefix-lists.json`` (the AWS service lists: S3, DynamoDB). A resolved list expands a
route's ``DestinationPrefixListId`` into one route per entry and a security-group rule's
``PrefixListIds`` into its CIDRs; an unresolved one is noted (routes not imported, rule peers kept as
unresolved: verdicts they decide are 'unknown'). IPv6 entries are noted (the model is IPv4).

Gateway endpoints (``describe-vpc-endpoints``, ``VpcEndpointType`` ``Gateway``: S3 and DynamoDB)
become the target of their prefix-list routes (``RouteTarget.GATEWAY_ENDPOINT``): the service's
prefixes reached without an internet gateway or NAT (AWS PrivateLink guide, "Gateway endpoints").
Endpoint policies are IAM, not forwarding, and are not modelled; interface and Gateway Load
Balancer endpoints are noted.
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network

from tradeplane.inventory.aws.common import AwsExports, cidr
from tradeplane.inventory.exports import ExportFile, Row

__all__ = ["PREFIX_LIST_ENTRIES_DIR", "read_prefix_lists", "read_vpc_endpoints"]

PREFIX_LIST_ENTRIES_DIR = "get-managed-prefix-list-entries"


def _entries(x: AwsExports, rows: list[tuple[Row, str]], pid: str) -> list[IPv4Network]:
    out: list[IPv4Network] = []
    for r, fld in rows:
        text = r.text(fld)
        try:
            net = ip_network(text, strict=False)
        except ValueError:
            raise r.error(f"{fld} {text!r} is not a CIDR", field=fld) from None
        if isinstance(net, IPv6Network):
            x.note_row(r, f"{pid}: IPv6 entry {text} not imported (IPv6 is not modelled)")
            continue
        out.append(cidr(r, fld))
    return sorted(set(out), key=lambda n: (int(n.network_address), n.prefixlen))


def read_prefix_lists(x: AwsExports) -> None:
    """Fill ``x.prefix_lists`` (prefix-list id -> IPv4 entries) from what is exported."""
    for pl in x.rows("prefix_lists", "PrefixLists", "PrefixListId"):
        x.prefix_lists[pl.ident] = sorted({cidr(pl, "Cidrs", c) for c in pl.strings("Cidrs")},
                                          key=lambda n: (int(n.network_address), n.prefixlen))
    folder = x.dir / PREFIX_LIST_ENTRIES_DIR
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            pid = path.stem
            f = ExportFile.read(path)
            rows = [(f.row(p, item, f"{pid}: Entries[{p[-1]}]"), "Cidr") for p, item in f.items("Entries")]
            x.prefix_lists[pid] = _entries(x, rows, pid)


def read_vpc_endpoints(x: AwsExports) -> None:
    """Fill ``x.gateway_endpoints`` (vpce id -> VPC id) with the available gateway endpoints; note the rest."""
    for e in x.rows("vpc_endpoints", "VpcEndpoints", "VpcEndpointId"):
        kind = e.opt_text("VpcEndpointType", "Gateway")
        state = (e.opt_text("State", "available") or "available").lower()
        service = e.opt_text("ServiceName", "?")
        if kind != "Gateway":
            x.note_row(e, f"{e.ident}: {kind} endpoint to {service} not modelled (its network interfaces are not "
                          "endpoints of the analysis)")
            continue
        if state != "available":
            x.note_row(e, f"{e.ident}: gateway endpoint to {service} skipped, state {state}; routes to it are "
                          "imported as blackholes")
            continue
        x.gateway_endpoints[e.ident] = x.vpc_of(e)
