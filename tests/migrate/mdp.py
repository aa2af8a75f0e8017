"""Small CME MDP 3.0 captures for tests, written with dpkt (Ethernet / IPv4 / UDP / MDP packet header)."""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path

import dpkt

GROUP = bytes([224, 0, 31, 1])
PORT = 14310


def frame(seq: int, sending_ns: int, port: int = PORT, body: bytes = b"\x00" * 20) -> bytes:
    payload = struct.pack("<IQ", seq, sending_ns) + body
    udp = dpkt.udp.UDP(sport=20000, dport=port, data=payload)
    udp.ulen = len(udp)
    ip = dpkt.ip.IP(src=bytes([10, 1, 2, 3]), dst=GROUP, p=dpkt.ip.IP_PROTO_UDP, data=udp, ttl=32)
    ip.len = len(ip)
    eth = dpkt.ethernet.Ethernet(src=b"\x02" * 6, dst=b"\x01\x00\x5e\x00\x1f\x01", type=dpkt.ethernet.ETH_TYPE_IP,
                                 data=ip)
    return bytes(eth)


def write(path: Path, packets: Iterable[tuple[int, int]], *, delay_ns: int = 0, ng: bool = False,
          port: int = PORT, body_of: dict[int, bytes] | None = None) -> Path:
    """``packets``: (seq, sending time ns); each captured ``delay_ns`` after it was sent."""
    with open(path, "wb") as f:
        w = dpkt.pcapng.Writer(f) if ng else dpkt.pcap.Writer(f, nano=True)
        for seq, sent in packets:
            body = (body_of or {}).get(seq, b"\x00" * 20)
            w.writepkt(frame(seq, sent, port, body), ts=(sent + delay_ns) / 1e9)
    return path
