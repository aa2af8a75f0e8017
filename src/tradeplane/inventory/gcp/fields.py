"""Typed readers for GCP firewall fields shared by VPC rules and firewall policies."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network

from tradeplane.estate.model import PortRange
from tradeplane.inventory.exports import Row

__all__ = ["port_of", "protocol_of", "ranges_of"]

# Compute API Firewall.allowed[].IPProtocol: a name or an IP protocol number
_PROTOCOL_NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1, "esp": 50, "ah": 51, "sctp": 132, "ipip": 4}


def ranges_of(row: Row, fld: str) -> tuple[list[IPv4Network], int]:
    """IPv4 CIDRs of ``fld`` (a list of strings) and how many IPv6 ones were left out."""
    out: list[IPv4Network] = []
    v6 = 0
    for i, text in enumerate(row.strings(fld)):
        try:
            net = ip_network(text, strict=False)
        except ValueError:
            raise row.error(f"{fld}[{i}] {text!r} is not a CIDR", field=fld) from None
        if isinstance(net, IPv6Network):
            v6 += 1
        else:
            out.append(net)
    return out, v6


def protocol_of(er: Row, fld: str) -> tuple[str, int | None]:
    """A firewall protocol (Compute API: a name or an IP protocol number) as (protocol, number): tcp, udp
    and icmp by name, any other as ("all", number)."""
    raw = er.text(fld)
    v = raw.lower()
    if v == "all":
        return "all", None
    if v in _PROTOCOL_NUMBERS:
        n = _PROTOCOL_NUMBERS[v]
    elif v.isdigit() and int(v) <= 255:
        n = int(v)
    else:
        raise er.error(f"{fld} {raw!r} is not a protocol name or number (0-255)", field=fld)
    named = {6: "tcp", 17: "udp", 1: "icmp"}
    return (named[n], None) if n in named else ("all", n)



def port_of(er: Row, i: int, text: str) -> PortRange:
    try:
        return PortRange.model_validate(text)
    except ValueError:
        raise er.error(f"ports[{i}] {text!r} is not a port or range (0-65535)", field="ports") from None
