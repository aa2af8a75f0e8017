"""Prefixes as integers, and an index that finds every watched prefix covering an announcement.

A prefix is ``(version, network, length)`` with ``network`` the address as an int, host bits
zero. :class:`PrefixIndex` answers "which indexed prefixes contain this one?" with one dict
probe per distinct indexed length (a handful in practice), instead of a scan of every
watched prefix: O(L) per lookup, L = number of distinct lengths, against O(N) for the scan.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from ipaddress import ip_network
from socket import AF_INET, AF_INET6, inet_pton
from typing import Generic, TypeVar

__all__ = ["Prefix", "PrefixIndex", "covers", "format_prefix", "parse_prefix"]

Prefix = tuple[int, int, int]
T = TypeVar("T")

_WIDTH = {4: 32, 6: 128}


def parse_prefix(text: str) -> Prefix:
    """``"192.0.2.0/24"`` -> ``(4, 0xC0000200, 24)``. Host bits are cleared (BGP carries none).

    Raises ``ValueError`` with the text when it is not a prefix.
    """
    addr, sep, length_text = text.partition("/")
    if not sep or not length_text.isdigit():
        raise ValueError(f"{text!r} is not a prefix (no /length)")
    length = int(length_text)
    try:
        if ":" in addr:
            value, version, width = int.from_bytes(inet_pton(AF_INET6, addr), "big"), 6, 128
        else:
            value, version, width = int.from_bytes(inet_pton(AF_INET, addr), "big"), 4, 32
    except OSError:
        raise ValueError(f"{text!r} is not a prefix") from None
    if not 0 <= length <= width:
        raise ValueError(f"{text!r} has a length outside 0-{width}")
    shift = width - length
    return version, (value >> shift) << shift, length


@lru_cache(maxsize=65_536)
def format_prefix(prefix: Prefix) -> str:
    """The canonical text of a prefix (``192.0.2.0/24``, compressed IPv6)."""
    version, value, length = prefix
    return str(ip_network((value, length))) if version == 4 else str(ip_network((value.to_bytes(16, "big"), length)))


def covers(outer: Prefix, inner: Prefix) -> bool:
    """Whether ``outer`` contains ``inner`` (equal counts)."""
    if outer[0] != inner[0] or outer[2] > inner[2]:
        return False
    shift = _WIDTH[outer[0]] - outer[2]
    return (inner[1] >> shift) == (outer[1] >> shift)


class PrefixIndex(Generic[T]):
    """Values keyed by prefix; :meth:`covering` returns those whose prefix contains a query."""

    def __init__(self, items: Iterable[tuple[Prefix, T]] = ()) -> None:
        self._by_length: dict[tuple[int, int], dict[int, list[T]]] = {}
        self._lengths: dict[int, list[int]] = {4: [], 6: []}
        for prefix, value in items:
            self.add(prefix, value)

    def add(self, prefix: Prefix, value: T) -> None:
        version, network, length = prefix
        table = self._by_length.get((version, length))
        if table is None:
            table = self._by_length[(version, length)] = {}
            self._lengths[version] = sorted({*self._lengths[version], length})
        table.setdefault(network >> (_WIDTH[version] - length), []).append(value)

    def covering(self, prefix: Prefix) -> list[T]:
        """Every value whose prefix contains ``prefix``, least specific first."""
        version, network, length = prefix
        width = _WIDTH[version]
        found: list[T] = []
        for indexed in self._lengths[version]:
            if indexed > length:
                break
            hit = self._by_length[(version, indexed)].get(network >> (width - indexed))
            if hit:
                found.extend(hit)
        return found

    def __len__(self) -> int:
        return sum(len(v) for table in self._by_length.values() for v in table.values())
