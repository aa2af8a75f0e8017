"""Forwarding rules -> Private Service Connect endpoints (``gcloud compute forwarding-rules list
--format=json``, file ``forwarding-rules.json``).

A forwarding rule whose ``target`` is a service attachment (``.../serviceAttachments/NAME``) or the
Google APIs bundles ``all-apis`` / ``vpc-sc`` is a Private Service Connect endpoint: its internal
``IPAddress`` in the consumer network reaches the published service (GCP VPC docs, "About accessing
published services through endpoints"), from its own region only unless ``allowPscGlobalAccess``
(global Google APIs endpoints: from everywhere). Only an ``ACCEPTED`` connection (``pscConnectionStatus``)
carries traffic; the others are kept (so a question naming them gets a why-not) and noted. Every
other forwarding rule (load balancers, protocol forwarding) is listed in the notes, not followed.
"""

from __future__ import annotations

from collections import defaultdict
from ipaddress import IPv4Address, ip_address
from typing import TYPE_CHECKING

from tradeplane.estate.model import PscEndpoint
from tradeplane.inventory.naming import estate_name

if TYPE_CHECKING:
    from tradeplane.inventory.gcp.core import GcpImport

__all__ = ["read_forwarding_rules"]

_GOOGLE_APIS = ("all-apis", "vpc-sc")


def _last(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def read_forwarding_rules(x: GcpImport) -> dict[str, list[PscEndpoint]]:
    """Private Service Connect endpoints per network key (sorted by name)."""
    rows = x.rows("forwarding_rules", "forwarding-rules", "compute#forwardingRule")
    count: dict[str, int] = defaultdict(int)
    for r in rows:
        count[r.ident] += 1
    out: dict[str, list[PscEndpoint]] = defaultdict(list)
    for r in rows:
        target = r.opt_text("target") or ""
        address = r.opt_text("IPAddress") or ""
        if "/serviceAttachments/" not in target and target not in _GOOGLE_APIS:
            scheme = r.opt_text("loadBalancingScheme") or "protocol forwarding"
            to = _last(target or r.opt_text("backendService") or "?")
            x.note_row(r, f"forwarding rule {r.ident} ({scheme}, {address or 'no address'} -> {to}): load balancers "
                          "and protocol forwarding are not modelled; traffic to the address is not followed")
            continue
        try:
            ip = ip_address(address)
        except ValueError:
            raise r.error(f"IPAddress {address!r} is not an IP address", field="IPAddress") from None
        if not isinstance(ip, IPv4Address):
            x.note_row(r, f"Private Service Connect endpoint {r.ident}: IPv6 address {address} not imported")
            continue
        nk = x.net_of(r)
        region = _last(r.opt_text("region") or "")
        status = r.opt_text("pscConnectionStatus", "ACCEPTED" if target in _GOOGLE_APIS else None)
        if status is None:
            raise r.error("missing field 'pscConnectionStatus' on a Private Service Connect endpoint",
                          "re-export with the full CLI output", "pscConnectionStatus")
        if status != "ACCEPTED":
            x.note_row(r, f"Private Service Connect endpoint {r.ident}: connection {status}; carries no traffic")
        i = target.find("projects/")
        pe = PscEndpoint(name=estate_name(r.ident if count[r.ident] == 1 else f"{r.ident}-{region or 'global'}"),
                         address=ip, region=region, target=target[i:] if i >= 0 else target,
                         accepted=status == "ACCEPTED",
                         global_access=target in _GOOGLE_APIS or r.flag("allowPscGlobalAccess"))
        out[nk].append(x.reg_row(pe, r))
    return {k: sorted(v, key=lambda p: p.name) for k, v in out.items()}
