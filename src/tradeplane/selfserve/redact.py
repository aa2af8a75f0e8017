"""The crypto desk's details, and a request record as another desk may see it.

The issue's access rule: the crypto desk's details are shown only to the crypto and platform roles.
``Restricted`` names them (the crypto desk's workloads, networks, subnets and API keys); the
console's pages (``tradeplane.console.views``) and every self-serve output (``redact``: the API's
submit, list and read answers, the console's Requests page, ``tradeplane request submit|show|list``)
leave out what names them, and count it (``hidden``), never silently.

A redacted record keeps what the requester needs to act: the verdict, every reason (the crypto
names in them replaced by ``MASK``, so "eq-strategy -> [crypto desk] tcp 9200 crosses from desk
equities into desk crypto" still says *that* the request breaks the crypto desk's isolation and
which of the requester's objects is involved), the trace up to the first hop on the crypto desk's
side, the changes, findings, Terraform addresses, placement rows, cost lines and estate-diff hunks
that do not name the crypto desk.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["MASK", "Restricted", "redact"]

MASK = "[crypto desk]"


@dataclass(frozen=True)
class Restricted:
    """The crypto desk's names (desks, workloads, networks, subnets, keys) hidden from other roles.

    The crypto desk is every desk whose workloads trade a crypto venue, plus a desk named ``crypto``.
    Desk names themselves are not hidden (counts and costs by desk are shown to everyone)."""

    desks: frozenset[str]
    names: frozenset[str]
    pattern: re.Pattern[str] | None
    loose: re.Pattern[str] | None = None  # inside identifiers (Terraform addresses: aws_apne1_crypto_public)
    slashed: re.Pattern[str] | None = None  # names with a '/': address ranges, network/subnet paths
    ranges: tuple[IPNetwork, ...] = ()  # the address ranges among the names: any address inside one is hidden

    @classmethod
    def of(cls, estate: object, desks: Iterable[str] | None = None) -> Restricted:
        """The crypto desk's names in ``estate``. ``desks``: which desks are the crypto desk, when that is
        judged on another estate (self-serve judges it on the estate *before* a change, so a request
        that connects a desk to a crypto venue does not hide the requester's own desk from her);
        by default, judged on ``estate`` itself."""
        from tradeplane.estate import Estate

        assert isinstance(estate, Estate)
        crypto_venues = {v.name for v in estate.venues if v.kind == "crypto"}
        if desks is None:
            desks = {w.desk for w in estate.workloads if crypto_venues & set(w.venues)}
            desks |= {d.name for d in estate.desks if d.name == "crypto"}
        else:
            desks = set(desks)
        names: set[str] = set()
        for w in estate.workloads:
            if w.desk in desks:
                names |= {w.name, *w.api_keys}
        for n in estate.networks:
            if n.desk in desks:
                names.add(n.name)
                names |= {f"{n.name}/{s.name}" for s in n.subnets}  # subnet names alone are generic
                # its address ranges too: traces and findings print them (10.100.10.0/24)
                names |= {str(c) for c in getattr(n, "cidrs", ())}
                for s in n.subnets:
                    names |= {str(s.cidr), *(str(c) for c in getattr(s, "secondary_ranges", {}).values())}
        for v in estate.venues:
            if v.name in crypto_venues:
                names |= {k.name for k in v.api_keys}
        return cls.build(desks, names)

    @classmethod
    def build(cls, desks: Iterable[str], names: Iterable[str]) -> Restricted:
        ns = frozenset(n for n in names if n)
        pattern = loose = None
        if ns:
            alt = "|".join(re.escape(n) for n in sorted(ns, key=lambda n: (-len(n), n)))
            pattern = re.compile(rf"(?<![\w-])(?:{alt})(?![\w-])")
            ids = "|".join(re.escape(n.replace("_", "-")) for n in sorted(ns, key=lambda n: (-len(n), n)) if "/" not in n)
            loose = re.compile(rf"(?<![a-z0-9])(?:{ids})(?![a-z0-9])") if ids else None
        slashes = sorted((n for n in ns if "/" in n), key=lambda n: (-len(n), n))
        slashed = re.compile(rf"(?<![\w.-])(?:{'|'.join(re.escape(n) for n in slashes)})(?![\w-])") if slashes else None
        return cls(frozenset(desks), ns, pattern, loose, slashed, _ranges(ns))

    def union(self, other: Restricted) -> Restricted:
        return Restricted.build(self.desks | other.desks, self.names | other.names)

    def to_json(self) -> dict[str, list[str]]:
        return {"desks": sorted(self.desks), "names": sorted(self.names)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Restricted:
        return cls.build(data.get("desks", ()), data.get("names", ()))

    def mentions(self, *texts: str | None) -> bool:
        """Does any text name a restricted object (as a whole word)?"""
        return self.pattern is not None and any(t and self.pattern.search(t) for t in texts)

    def in_identifier(self, ident: str) -> bool:
        """Does an identifier (``aws_instance.binance_mm_0``) embed a restricted name (``_`` read as ``-``)?"""
        return self.loose is not None and bool(self.loose.search(ident.lower().replace("_", "-")))

    def inside(self, address: str) -> bool:
        """Is ``address`` (``10.100.10.0/23``, ``10.100.10.5``, ``10.100.10.0-10.100.11.255``) wholly
        inside one of the crypto desk's address ranges? A range that only overlaps one, or holds one
        (a guard's ``10.100.0.0/15`` on the requester's side), is not."""
        if not self.ranges:
            return False
        try:
            if "/" in address:
                net = ipaddress.ip_network(address, strict=False)
                return any(net.version == r.version and net.subnet_of(r) for r in self.ranges)  # type: ignore[arg-type]
            lo, _, hi = address.partition("-")
            a, b = ipaddress.ip_address(lo), ipaddress.ip_address(hi or lo)
        except ValueError:
            return False
        return any(a in r and b in r for r in self.ranges)

    def _addresses(self, text: str) -> list[re.Match[str]]:
        return [m for m in _ADDRESS.finditer(text) if self.inside(m.group(0))] if self.ranges and text else []

    def touches(self, *texts: str | None) -> bool:
        """Does any text name a restricted object, as a word or inside an identifier
        (``flow-eq-strategy-to-coinbase-mm``, ``aws_use1_crypto__market_maker_sg``), or hold an address
        inside the crypto desk's ranges (a packet space's ``10.100.10.0/23``)?"""
        return any(t and (self.mentions(t) or self.in_identifier(t) or self._addresses(t)) for t in texts)

    def mask(self, text: str) -> str:
        """``text`` with every restricted name in it (as a word or inside an identifier), and every address
        inside the crypto desk's ranges, replaced by ``MASK``."""
        if self.loose is None or not text:
            return self._mask_addresses(text)
        folded = text.lower().replace("_", "-")
        if len(folded) != len(text):  # a case fold that changes lengths: mask by the exact names only
            return self._mask_addresses(self.pattern.sub(MASK, text) if self.pattern is not None else text)
        out, last = [], 0
        for m in self.loose.finditer(folded):
            out += [text[last:m.start()], MASK]
            last = m.end()
        masked = "".join([*out, text[last:]])
        return self._mask_addresses(self.slashed.sub(MASK, masked) if self.slashed is not None else masked)

    def _mask_addresses(self, text: str) -> str:
        out, last = [], 0
        for m in self._addresses(text):
            out += [text[last:m.start()], MASK]
            last = m.end()
        return "".join([*out, text[last:]])


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_IP4 = r"(?:\d{1,3}\.){3}\d{1,3}"
_ADDRESS = re.compile(rf"(?<![\w.]){_IP4}(?:/\d{{1,2}}|-{_IP4})?(?!\w|\.\d|/\d)")
"""An IPv4 address, prefix (``10.100.10.0/23``) or range (``10.0.0.0-10.99.255.255``) in a text (a packet
space as traces print it)."""


def _ranges(names: Iterable[str]) -> tuple[IPNetwork, ...]:
    out = []
    for n in sorted(names):
        if "/" in n and n[:1].isdigit():
            try:
                out.append(ipaddress.ip_network(n, strict=False))
            except ValueError:
                continue
    return tuple(out)


# --------------------------------------------------------------------------- a request record, redacted


def redact(record: dict[str, Any], r: Restricted) -> dict[str, Any]:
    """``record`` (a stored request without its private fields) as a role that does not see the crypto
    desk may see it. Adds ``hidden`` (how many details were left out) and ``redacted: true``.

    Lists (findings, Terraform addresses, placement rows, cost lines, estate-diff hunks) lose the items
    that name the crypto desk, and the changes lose those that edit one of its objects; texts that
    must stay (summary, reasons, the other changes, the request's fields, the trace's flow) have the
    crypto names replaced by ``MASK``; each trace stops before its first hop on the crypto desk's side."""
    hidden = 0

    def keep(items: Iterable[Any], texts: Callable[[Any], Iterable[str | None]]) -> list[Any]:
        nonlocal hidden
        out = []
        for x in items:
            if r.touches(*texts(x)):
                hidden += 1
            else:
                out.append(x)
        return out

    out = dict(record)
    out["summary"] = r.mask(str(record.get("summary", "")))
    out["reasons"] = [r.mask(x) for x in record.get("reasons", [])]
    out["request"] = _mask_all(record.get("request", {}), r)
    changes = record.get("changes", [])
    out["changes"] = [r.mask(c) for c in changes if not r.mentions(_changed_object(c))]
    hidden += len(changes) - len(out["changes"])
    findings = record.get("findings", {})
    out["findings"] = {side: keep(findings.get(side, []), _finding_texts) for side in ("new", "removed")}
    tf = record.get("terraform", {})
    out["terraform"] = {k: keep(v, lambda a: [a]) for k, v in tf.items()}
    out["placement"] = keep(record.get("placement", []), lambda p: [p.get("workload"), *p.get("subnets", [])])
    if record.get("cost"):
        cost = dict(record["cost"])
        by_desk = cost.get("by_desk", {})
        cost["by_desk"] = {d: v for d, v in by_desk.items() if d not in r.desks}
        hidden += len(by_desk) - len(cost["by_desk"])
        changes = cost.get("changes", [])
        cost["changes"] = keep([c for c in changes if c.get("desk") not in r.desks], lambda c: map(str, c.values()))
        hidden += sum(1 for c in changes if c.get("desk") in r.desks)
        out["cost"] = cost
    if record.get("trace"):
        out["trace"], n = _trace(record["trace"], r)
        hidden += n
    diff, n = _diff(str(record.get("estate_diff", "")), r)
    out["estate_diff"] = diff
    hidden += n
    out["hidden"] = hidden
    out["redacted"] = True
    return out


def _changed_object(change: str) -> str:
    """The object a change line edits: ``networks: aws-use1-crypto security group ...`` -> the network,
    ``workloads: add NAME ...`` -> the workload, ``budgets: desk NAME ...`` -> the desk."""
    words = change.partition(": ")[2].split()
    if words and words[0] in ("add", "desk"):
        words = words[1:]
    return words[0] if words else ""


def _mask_all(value: Any, r: Restricted) -> Any:
    if isinstance(value, str):
        return r.mask(value)
    if isinstance(value, dict):
        return {k: _mask_all(v, r) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_all(v, r) for v in value]
    return value


def _finding_texts(f: dict[str, Any]) -> list[str]:
    hops = [h.get("node", "") for t in f.get("traces", []) for h in t.get("hops", [])]
    lines = [line for t in f.get("traces", []) for line in t.get("lines", [])]
    return [f.get("title", ""), f.get("detail", ""), f.get("location", ""), *hops, *lines]


def _hop_texts(hop: dict[str, Any]) -> list[str]:
    return [hop.get("node", ""), *(str(x.get("text", "")) for x in hop.get("rules", []))]


def _trace(trace: dict[str, Any], r: Restricted) -> tuple[dict[str, Any], int]:
    """Each trace up to (not including) its first hop on the crypto desk's side; the rendered lines
    likewise (a trace's first line is its summary, each following ``  N. node: ...`` line one hop)."""
    hidden = 0
    traces = []
    for t in trace.get("traces", []):
        hops = list(t.get("hops", []))
        cut = next((i for i, h in enumerate(hops) if r.touches(*_hop_texts(h))), len(hops))
        hidden += len(hops) - cut
        traces.append({**_mask_all({k: v for k, v in t.items() if k not in ("hops", "lines")}, r),
                       "hops": hops[:cut], **({"hidden_hops": len(hops) - cut} if cut < len(hops) else {})})
    lines: list[str] = []
    crossed = False
    for line in trace.get("lines", []):
        if not line.startswith(" "):  # the summary line of the next trace
            crossed = False
            lines.append(r.mask(line))
            continue
        crossed = crossed or r.touches(line)
        if crossed:
            if not lines or lines[-1] != _CROSSED:
                lines.append(_CROSSED)
            continue
        lines.append(line)
    return {**trace, "flow": r.mask(str(trace.get("flow", ""))), "traces": traces, "lines": lines}, hidden


_CROSSED = f"  ... the hops on the crypto desk's side are hidden ({MASK}: shown to the crypto and platform roles)"
_HUNK = re.compile(r"^@@ ", re.M)


def _diff(diff: str, r: Restricted) -> tuple[str, int]:
    """The unified diff without the hunks that name the crypto desk (a file left with no hunk goes too)."""
    if not diff or not r.touches(diff):
        return diff, 0
    hidden = 0
    out: list[str] = []
    for block in re.split(r"(?m)^(?=diff --git )", diff):
        if not block:
            continue
        starts = [m.start() for m in _HUNK.finditer(block)]
        if not starts:
            out.append(block)
            continue
        head, hunks = block[:starts[0]], [block[a:b] for a, b in zip(starts, [*starts[1:], len(block)], strict=True)]
        shown = [h for h in hunks if not r.touches(h)]
        hidden += len(hunks) - len(shown)
        if shown and not r.touches(head):
            out.append(head + "".join(shown))
        elif shown:
            hidden += len(shown)
    return "".join(out), hidden
