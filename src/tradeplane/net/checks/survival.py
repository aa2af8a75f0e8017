"""Single-failure analysis shared by the intent check and the hybrid-flow check."""

from __future__ import annotations

from tradeplane.estate.model import PortRange
from tradeplane.net.checks.base import Context
from tradeplane.net.dataplane import failure_elements
from tradeplane.net.reach import Answer


def degraded_by_failures(ctx: Context, src: str, dst: str, protocol: str, ports: tuple[PortRange, ...],
                         baseline: Answer) -> list[tuple[str, Answer]]:
    """Each single link-element failure (of a link the flow uses) that breaks a reachable flow."""
    used: set[str] = set()
    for p in baseline.pairs:
        used |= p.links()
    out: list[tuple[str, Answer]] = []
    for element, link in failure_elements(ctx.estate):
        if link not in used:
            continue
        a = ctx.ask(src, dst, protocol, ports, failed=frozenset({element}))
        if a.verdict != "reachable":
            out.append((element, a))
    return out


def hybrid_links(ctx: Context) -> set[str]:
    return {link for _, link in failure_elements(ctx.estate)}
