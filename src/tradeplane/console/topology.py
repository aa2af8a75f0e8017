"""The topology as a cytoscape.js graph: compound nodes per cloud, region or project, and VPC.

Clouds hold their regions (AWS) or projects (GCP), which hold the VPCs; sites and venues sit in
their own groups; links are edges (peerings, transit gateway attachments, VPNs, Direct Connect,
Interconnect, cross-cloud, private endpoints). Subnets are children of their VPC while the estate
has at most ``SUBNET_LIMIT`` of them; beyond, each VPC is one node labelled with its subnet count,
expanded on demand (``expand=VPC``). The server lays the nodes out on
a grid per group (``layout: preset``) so the browser never runs a force layout over thousands of
nodes. Other roles than crypto and platform see the crypto desk's networks as one node.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tradeplane.console.auth import Principal
    from tradeplane.console.state import Snapshot
    from tradeplane.estate import Estate

__all__ = ["SUBNET_LIMIT", "graph", "subnets_of"]

SUBNET_LIMIT = 300
RESTRICTED_NODE = "net:crypto-desk-restricted"


def _net_id(name: str) -> str:
    return f"net:{name}"


def graph(snap: Snapshot, who: Principal) -> dict[str, Any]:
    """``{"nodes": [...], "edges": [...], "layout": "cose"|"preset", "collapsed": bool, "counts": {...}}``
    in cytoscape.js element form (``data`` with ``id``, ``parent``, ``label``, ``kind``)."""
    e = snap.estate
    if e is None:
        return {"nodes": [], "edges": [], "layout": "cose", "collapsed": False, "counts": {}}
    key = f"topology:{who.role.sees_crypto}"
    return dict(snap.memo(key, lambda: _graph(e, snap, who)))


def _graph(e: Estate, snap: Snapshot, who: Principal) -> dict[str, Any]:
    r = snap.restricted()
    hide = not who.role.sees_crypto and bool(r.names)
    subnets = sum(len(n.subnets) for n in e.networks)
    collapsed = subnets > SUBNET_LIMIT
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    ids: set[str] = set()

    def node(id_: str, label: str, kind: str, parent: str | None = None, **extra: Any) -> None:
        if id_ in ids:
            return
        ids.add(id_)
        data: dict[str, Any] = {"id": id_, "label": label, "kind": kind, **extra}
        if parent:
            data["parent"] = parent
        nodes.append({"data": data})

    workloads: dict[str, int] = {}
    for w in e.workloads:
        workloads[w.network] = workloads.get(w.network, 0) + 1
    alias: dict[str, str] = {}
    for n in sorted(e.networks, key=lambda n: (n.cloud, n.name)):
        cloud = f"cloud:{n.cloud}"
        node(cloud, n.cloud.upper(), "cloud")
        if hide and (n.desk in r.desks or n.name in r.names):  # not even its region or project
            node(RESTRICTED_NODE, "crypto desk (restricted)", "restricted", cloud)
            alias[n.name] = RESTRICTED_NODE
            continue
        where = getattr(n, "region", None) or getattr(n, "project", "")
        group = f"{cloud}/{where}"
        node(group, str(where), "region" if n.cloud == "aws" else "project", cloud)
        nid = _net_id(n.name)
        alias[n.name] = nid
        cidrs = ", ".join(str(c) for c in getattr(n, "cidrs", ()))
        label = f"{n.name} ({len(n.subnets)} subnets)" if collapsed else n.name
        node(nid, label, "vpc", group, desk=n.desk or "", cidrs=cidrs, subnets=len(n.subnets),
             workloads=workloads.get(n.name, 0), expandable=collapsed and bool(n.subnets))
        if not collapsed:
            for s in n.subnets:
                node(f"sub:{n.name}/{s.name}", f"{s.name} {s.cidr}", "subnet", nid, tier=s.tier)
    if e.sites:
        node("group:sites", "on-premises", "group")
    for site in e.sites:
        alias[site.name] = f"site:{site.name}"
        node(f"site:{site.name}", f"{site.name} ({site.location or 'not in the catalog'})", "site", "group:sites", desk=site.desk or "")
    if e.venues:
        node("group:venues", "venues", "group")
    for v in e.venues:
        vid = f"venue:{v.name}"
        alias.setdefault(v.name, vid)
        node(vid, f"{v.name} ({v.kind})", "venue", "group:venues", location=v.location)
        for site in e.sites:
            if site.location == v.location:
                edges.append(_edge(vid, f"site:{site.name}", "colocated", "colocated"))
    from tradeplane.estate import (
        CrossCloud,
        DirectConnect,
        Interconnect,
        PrivateEndpoint,
        TgwPeering,
        TransitGateway,
        VpcPeering,
        Vpn,
    )

    dx = {link.name: link for link in e.links if isinstance(link, DirectConnect)}
    for link in e.links:
        if isinstance(link, TransitGateway):
            group = f"cloud:aws/{link.region}"
            node("cloud:aws", "AWS", "cloud")
            node(group, link.region, "region", "cloud:aws")
            node(f"tgw:{link.name}", link.name, "tgw", group)
            alias[link.name] = f"tgw:{link.name}"
    for link in e.links:
        if isinstance(link, VpcPeering | TgwPeering):
            edges.append(_edge(alias.get(link.a, ""), alias.get(link.b, ""), link.name, str(link.kind)))
        elif isinstance(link, TransitGateway):
            for att in link.attachments:
                if att.kind == "vpc":
                    edges.append(_edge(alias[link.name], alias.get(att.target, ""), att.name, "attachment"))
                elif att.target in dx:
                    edges.append(_edge(alias[link.name], alias.get(dx[att.target].site, ""), att.target,
                                       "direct_connect"))
        elif isinstance(link, Vpn):
            end = alias.get(link.transit_gateway or "", "") or alias.get(link.network, "")
            edges.append(_edge(end, alias.get(link.remote, ""), link.name, "vpn"))
        elif isinstance(link, Interconnect):
            edges.append(_edge(alias.get(link.network, ""), alias.get(link.site, ""), link.name, "interconnect"))
        elif isinstance(link, CrossCloud):
            edges.append(_edge(alias.get(link.gcp_network, ""), alias.get(link.aws_transit_gateway, ""),
                               link.name, "cross_cloud"))
        elif isinstance(link, PrivateEndpoint):
            edges.append(_edge(alias.get(link.network, ""), f"venue:{link.venue}", link.name, "private_endpoint"))
    seen: set[tuple[str, str, str]] = set()
    kept: list[dict[str, Any]] = []
    for ed in edges:
        d = ed["data"]
        k = (d["source"], d["target"], d["label"])
        if hide and RESTRICTED_NODE in (d["source"], d["target"]):
            continue  # the crypto desk's links (which venues, which sites) are its details too
        if d["source"] in ids and d["target"] in ids and d["source"] != d["target"] and k not in seen:
            seen.add(k)
            d["id"] = f"edge:{len(kept)}"
            kept.append(ed)
    vpcs = sum(1 for x in nodes if x["data"]["kind"] == "vpc")
    layout = "preset"
    _grid(nodes)
    return {"nodes": nodes, "edges": kept, "layout": layout, "collapsed": collapsed,
            "counts": {"vpcs": vpcs, "subnets": subnets, "edges": len(kept), "nodes": len(nodes)}}


def _edge(a: str, b: str, label: str, kind: str) -> dict[str, Any]:
    return {"data": {"source": a, "target": b, "label": label, "kind": kind}}


def _grid(nodes: list[dict[str, Any]]) -> None:
    """Leaf nodes on a square grid per parent; the grids side by side in the order of their ancestry
    (cloud, region, VPC), so no two compounds overlap (cytoscape sizes a compound to its children)."""
    children: dict[str, list[dict[str, Any]]] = {}
    parent_of = {x["data"]["id"]: x["data"].get("parent") or "" for x in nodes}
    parents = set(parent_of.values())
    for x in nodes:
        if x["data"]["id"] not in parents:
            children.setdefault(parent_of[x["data"]["id"]], []).append(x)

    def ancestry(p: str) -> tuple[str, ...]:
        chain: list[str] = []
        while p:
            chain.append(p)
            p = parent_of.get(p, "")
        return tuple(reversed(chain))

    # One row per top-level group (each cloud, the sites, the venues); its grids side by side.
    rows: dict[str, list[str]] = {}
    for parent in sorted(children, key=ancestry):
        top = ancestry(parent)[0] if parent else ""
        rows.setdefault(top, []).append(parent)
    y0 = 0.0
    for top in sorted(rows, key=lambda t: (t.startswith("group:"), t)):
        x0, height = 0.0, 0.0
        for parent in rows[top]:
            leaves = children[parent]
            cols = max(1, math.ceil(math.sqrt(len(leaves) * 2)))  # twice as wide as tall
            for i, leaf in enumerate(leaves):
                leaf["position"] = {"x": x0 + (i % cols) * 130.0, "y": y0 + (i // cols) * 60.0}
            x0 += cols * 130.0 + 120.0
            height = max(height, math.ceil(len(leaves) / cols) * 60.0)
        y0 += height + 160.0


def subnets_of(snap: Snapshot, who: Principal, network: str) -> list[dict[str, Any]]:
    """The subnet nodes of one VPC (the graph's ``expand``); ``KeyError`` for an unknown or hidden one."""
    e = snap.estate
    if e is None:
        raise KeyError(network)
    r = snap.restricted()
    for n in e.networks:
        if n.name == network:
            if not who.role.sees_crypto and (n.desk in r.desks or n.name in r.names):
                raise KeyError(network)
            return [{"data": {"id": f"sub:{n.name}/{s.name}", "label": f"{s.name} {s.cidr}", "kind": "subnet",
                              "parent": _net_id(n.name), "tier": s.tier}} for s in n.subnets]
    raise KeyError(network)
